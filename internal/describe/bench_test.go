package describe

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkDescribe describes a data set shaped like the training set: 45 features.
func BenchmarkDescribe(b *testing.B) {
	const n, p = 100_000, 45
	rng := rand.New(rand.NewPCG(1, 2))
	names, cols := make([]string, p), make([][]float64, p)
	for j := range cols {
		names[j] = "f" + strconv.Itoa(j)
		cols[j] = make([]float64, n)
		for i := range cols[j] {
			cols[j][i] = rng.NormFloat64()
		}
	}
	labels := make([]bool, n)
	for i := range labels {
		labels[i] = rng.Float64() < 0.1
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Describe(names, cols, labels); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
