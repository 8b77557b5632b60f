package models

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process has used, over all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per operation next to the wall time. On a machine shared with
// other work, wall time measures the contention as much as the code; CPU time much less.
func reportCPU(b *testing.B, start time.Duration, rows int) {
	cpu := cpuTime() - start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	if rows > 0 {
		b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
}

// Benchmark sizes: by default the fit benchmarks train on 100,000 rows × 20 features and one
// fit takes seconds. NETOPS_BENCH_ROWS and NETOPS_BENCH_FEATURES override them, for the
// 1,000,000 × 45 comparison with scikit-learn that the training-workflow issue asks for.
var (
	benchRows     = envInt("NETOPS_BENCH_ROWS", 100_000)
	benchFeatures = envInt("NETOPS_BENCH_FEATURES", 20)
)

// envInt reads a positive integer from the environment, or returns def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var benchData = sync.OnceValue(func() Dataset { return rareData(benchRows, max(benchFeatures, 4), 42) })

// benchParams are the fitted configurations: library defaults, with boosting's iteration
// count fixed (no early stopping) so every run does the same work.
func benchParams() []Params {
	gbt := DefaultBoostedParams()
	gbt.EarlyStopping = EarlyStoppingOff
	gbt6 := gbt
	gbt6.MaxDepth, gbt6.MaxLeafNodes = 6, 0
	return []Params{DefaultLogisticParams(), DefaultForestParams(), gbt, gbt6}
}

// benchName names a configuration.
func benchName(p Params) string {
	if q, ok := p.(BoostedParams); ok && q.MaxDepth > 0 {
		return fmt.Sprintf("gbt-depth%d", q.MaxDepth)
	}
	return p.Kind()
}

// BenchmarkFit measures training throughput in rows per second.
func BenchmarkFit(b *testing.B) {
	ds := benchData()
	for _, p := range benchParams() {
		b.Run(benchName(p), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				if _, err := Fit(ds, p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			reportCPU(b, start, benchRows)
		})
	}
}

var (
	benchModelsOnce sync.Once
	benchModels     []Classifier
)

// fittedBenchModels fits each configuration once, on a fifth of the benchmark data.
func fittedBenchModels(b *testing.B) []Classifier {
	benchModelsOnce.Do(func() {
		train, _ := splitAt(benchData(), benchRows/5)
		for _, p := range benchParams() {
			m, err := Fit(train, p)
			if err != nil {
				panic(err)
			}
			benchModels = append(benchModels, m)
		}
	})
	return benchModels
}

// BenchmarkPredictBatch measures batch scoring throughput in rows per second, over all
// cores.
func BenchmarkPredictBatch(b *testing.B) {
	ds := benchData()
	out := make([]float64, benchRows)
	for i, m := range fittedBenchModels(b) {
		b.Run(benchName(benchParams()[i]), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				if err := m.PredictBatch(ds.X, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			reportCPU(b, start, benchRows)
		})
	}
}

// BenchmarkPredictProba measures the latency of scoring one row.
func BenchmarkPredictProba(b *testing.B) {
	ds := benchData()
	for i, m := range fittedBenchModels(b) {
		b.Run(benchName(benchParams()[i]), func(b *testing.B) {
			n, k := 0, 0
			start := cpuTime()
			for b.Loop() {
				if m.PredictProba(ds.Row(k)) > 2 {
					n++
				}
				k = (k + 1) % 1024
			}
			reportCPU(b, start, 0)
			if n != 0 {
				b.Fatal("probability above 1")
			}
			if t, ok := m.(interface {
				Trees() (int, float64, float64)
			}); ok {
				trees, leaves, depth := t.Trees()
				b.ReportMetric(float64(trees), "trees")
				b.ReportMetric(leaves, "leaves/tree")
				b.ReportMetric(depth, "depth")
			}
		})
	}
}
