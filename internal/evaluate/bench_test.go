package evaluate

import "testing"

// BenchmarkEvaluate evaluates a held-out set of 100,000 rows with 10% positives.
func BenchmarkEvaluate(b *testing.B) {
	labels, scores := randomData(1, 100_000, 0.1, 1<<30)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Evaluate(labels, scores, DefaultThreshold); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(labels))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
