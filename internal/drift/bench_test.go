package drift

import (
	"fmt"
	"testing"
)

// BenchmarkHistogramAdd adds 1,000,000 cpu-like values per op, a quarter of them outside the
// reference range; values/s is what one goroutine bins and summarises.
func BenchmarkHistogramAdd(b *testing.B) {
	ref := mustReference(b, normals(20, 10_000, 70, 10))
	values := normals(21, 1_000_000, 75, 14)
	h, _ := NewHistogram(ref.Edges)
	for b.Loop() {
		for _, v := range values {
			h.Add(v)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(values))/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkAnalyze45 computes every measure, the aggregates and the features analysis for 45
// features (plus the prediction) from ready histograms: the per-window cost after binning.
func BenchmarkAnalyze45(b *testing.B) {
	features := make([]Feature, 45)
	importances := make(map[string]float64, 45)
	for i := range features {
		name := fmt.Sprintf("f%02d", i)
		ref := mustReference(b, normals(uint64(100+i), 2000, float64(i), 1+float64(i%5)))
		features[i] = Feature{Name: name, Reference: ref,
			Current: histogramOf(b, ref, normals(uint64(200+i), 2000, float64(i)+0.3, 1+float64(i%5)))}
		importances[name] = float64(i)
	}
	pred := features[0]
	pred.Name = "prediction"
	for b.Loop() {
		if _, err := Analyze(features, &pred, Options{Importances: importances}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*45/b.Elapsed().Seconds(), "features/s")
}

// BenchmarkMerge merges one batch histogram into a window.
func BenchmarkMerge(b *testing.B) {
	ref := mustReference(b, normals(22, 1000, 0, 1))
	window, _ := NewHistogram(ref.Edges)
	batch := histogramOf(b, ref, normals(23, 1000, 0, 1))
	for b.Loop() {
		if err := window.Merge(batch); err != nil {
			b.Fatal(err)
		}
	}
}
