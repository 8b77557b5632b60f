// Command export writes a netops training set (the Parquet of `netops features`) as
// train/valid/test CSV files for the scikit-learn comparison in docs/sklearn-comparison.md.
//
// The split is the training workflow's random split (internal/workflow: test 10%, then 75/25
// train/validation of the rest, PCG seeded with the workflow seed, training rows beyond
// --max-rows sampled away), re-implemented here because the workflow keeps it unexported;
// with the same seed both pick the same rows. Every CSV has a header of the 45 feature names
// followed by is_error (0 or 1); values are written with the shortest decimal form that
// parses back to the same float64, so Go and Python see bit-identical inputs.
//
// Usage:
//
//	go run ./scripts/compare/export --store file:///tmp/cmp-store --data training/week.parquet --out /tmp/cmp-csv
package main

import (
	"bufio"
	"cmp"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

func main() {
	store := flag.String("store", "file:///tmp/cmp-store", "object store URL")
	data := flag.String("data", "training/week.parquet", "key of the training set")
	out := flag.String("out", "/tmp/cmp-csv", "directory for train.csv, valid.csv and test.csv")
	seed := flag.Uint64("seed", 1, "split seed (netops train --seed)")
	maxRows := flag.Int("max-rows", 200_000, "training rows kept (netops train --max-rows)")
	flag.Parse()
	if err := run(*store, *data, *out, *seed, *maxRows); err != nil {
		fmt.Fprintln(os.Stderr, "export:", err)
		os.Exit(1)
	}
}

// run loads the training set, splits it and writes the three CSV files.
func run(storeURL, data, out string, seed uint64, maxRows int) error {
	ctx := context.Background()
	store, err := blob.Open(ctx, storeURL)
	if err != nil {
		return err
	}
	rows, err := tables.Get[features.TrainingRow](ctx, store, data)
	if err != nil {
		return fmt.Errorf("read %s: %w", data, err)
	}
	times := make([]time.Time, len(rows))
	for i := range rows {
		times[i] = rows[i].Timestamp
	}
	train, valid, test, err := split(len(rows), times, maxRows, seed)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for name, idx := range map[string][]int{"train": train, "valid": valid, "test": test} {
		path := filepath.Join(out, name+".csv")
		if err := writeCSV(path, rows, idx); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		fmt.Printf("%s: %d rows, %.2f%% positive\n", path, len(idx), 100*positiveShare(rows, idx))
	}
	return nil
}

// split mirrors internal/workflow's random split: the same generator, draws and ordering.
func split(n int, times []time.Time, maxRows int, seed uint64) (train, valid, test []int, err error) {
	if n < 50 {
		return nil, nil, nil, fmt.Errorf("training set has %d rows, want at least 50", n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	r := rand.New(rand.NewPCG(seed, 0x5b1))
	r.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	nTest := max(n/10, 1)
	nValid := max((n-nTest)/4, 1)
	test, valid, train = idx[:nTest], idx[nTest:nTest+nValid], idx[nTest+nValid:]
	if len(train) > maxRows {
		sample := slices.Clone(train)
		r.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
		train = sample[:maxRows]
		slices.Sort(train)
	}
	for _, part := range [][]int{valid, test} {
		slices.SortFunc(part, func(a, b int) int { return cmp.Or(times[a].Compare(times[b]), cmp.Compare(a, b)) })
	}
	return train, valid, test, nil
}

// writeCSV writes the rows idx of rows, in that order, with a header.
func writeCSV(path string, rows []features.TrainingRow, idx []int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(strings.Join(features.Names(), ","))
	w.WriteString(",is_error\n")
	buf := make([]byte, 0, 64)
	vec := make([]float64, 0, features.NumFeatures)
	for _, i := range idx {
		vec = rows[i].AppendVector(vec[:0])
		for _, v := range vec {
			buf = strconv.AppendFloat(buf[:0], v, 'g', -1, 64)
			buf = append(buf, ',')
			w.Write(buf)
		}
		if rows[i].IsError {
			w.WriteString("1\n")
		} else {
			w.WriteString("0\n")
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// positiveShare returns the share of positive rows among idx.
func positiveShare(rows []features.TrainingRow, idx []int) float64 {
	n := 0
	for _, i := range idx {
		if rows[i].IsError {
			n++
		}
	}
	return float64(n) / float64(max(len(idx), 1))
}
