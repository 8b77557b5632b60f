// Command ours fits netops's own models (internal/models) on the train split of a comparison
// data directory (see scripts/compare/data), times fitting and batch prediction, and writes
// each model's validation and test scores plus a timings file for
// scripts/compare/sklearn_compare.py, which computes every metric for both sides with the
// same code.
//
// Usage:
//
//	go run ./scripts/compare/ours --data /tmp/cmp-csv --out /tmp/cmp-out
//	go run ./scripts/compare/ours --data /tmp/cmp-1m --out /tmp/cmp-1m-out --models gbt --gbt '{"early_stopping":"off"}'
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/scripts/compare/data"
)

// timing is one model's entry in ours.json.
type timing struct {
	Model      string  `json:"model"`
	FitSec     float64 `json:"fit_s"`
	FitCPUSec  float64 `json:"fit_cpu_s"`
	PredSec    float64 `json:"predict_s"`
	PredRows   int     `json:"predict_rows"`
	Iterations int     `json:"iterations,omitempty"`
	Params     any     `json:"params"`
}

func main() {
	dir := flag.String("data", "/tmp/cmp-csv", "directory holding train, valid (optional) and test splits")
	out := flag.String("out", "/tmp/cmp-out", "directory for scores and ours.json")
	kinds := flag.String("models", "lr,rf,gbt", "model kinds to fit")
	gbt := flag.String("gbt", "{}", "JSON parameters of gbt over its defaults")
	seed := flag.Uint64("seed", 1, "model seed")
	flag.Parse()
	if err := run(*dir, *out, strings.Split(*kinds, ","), *gbt, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "ours:", err)
		os.Exit(1)
	}
}

// run fits and scores every kind and writes the results.
func run(dir, out string, kinds []string, gbtJSON string, seed uint64) error {
	train, err := data.Load(dir, "train")
	if err != nil {
		return err
	}
	test, err := data.Load(dir, "test")
	if err != nil {
		return err
	}
	valid, err := data.Load(dir, "valid")
	hasValid := err == nil
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	fmt.Printf("train %d × %d, test %d rows, GOMAXPROCS %d\n", train.Rows(), len(train.Features), test.Rows(), runtime.GOMAXPROCS(0))
	var timings []timing
	for _, kind := range kinds {
		p, err := params(kind, gbtJSON, seed)
		if err != nil {
			return err
		}
		cpu0, t0 := cpuTime(), time.Now()
		m, err := models.Fit(train, p)
		if err != nil {
			return fmt.Errorf("fit %s: %w", kind, err)
		}
		tm := timing{Model: kind, FitSec: time.Since(t0).Seconds(), FitCPUSec: (cpuTime() - cpu0).Seconds(), Params: p}
		if b, ok := m.(*models.Boosted); ok {
			tm.Iterations = b.Iterations()
		}
		scores := make([]float64, test.Rows())
		t0 = time.Now()
		if err := m.PredictBatch(test.X, scores); err != nil {
			return err
		}
		tm.PredSec, tm.PredRows = time.Since(t0).Seconds(), test.Rows()
		if err := data.WriteScores(filepath.Join(out, "ours-"+kind+".test"), scores); err != nil {
			return err
		}
		if hasValid {
			vs := make([]float64, valid.Rows())
			if err := m.PredictBatch(valid.X, vs); err != nil {
				return err
			}
			if err := data.WriteScores(filepath.Join(out, "ours-"+kind+".valid"), vs); err != nil {
				return err
			}
		}
		fmt.Printf("%-4s fit %.2fs (cpu %.2fs), predict %d rows %.3fs\n", kind, tm.FitSec, tm.FitCPUSec, tm.PredRows, tm.PredSec)
		timings = append(timings, tm)
	}
	b, err := json.MarshalIndent(timings, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "ours.json"), b, 0o644)
}

// params returns the defaults of kind (scikit-learn's defaults, see internal/models) with the
// seed set, and for gbt the given JSON applied over them.
func params(kind, gbtJSON string, seed uint64) (models.Params, error) {
	switch kind {
	case models.KindForest:
		p := models.DefaultForestParams()
		p.Seed = seed
		return p, nil
	case models.KindBoosted:
		p, err := models.ParseParams(kind, []byte(gbtJSON))
		if err != nil {
			return nil, err
		}
		q := p.(models.BoostedParams)
		q.Seed = seed
		return q, nil
	}
	return models.DefaultParams(kind)
}

// cpuTime returns the CPU time the process has used, over all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
