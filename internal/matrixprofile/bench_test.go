package matrixprofile

import (
	"fmt"
	"testing"
)

// go test -run '^$' -bench . -benchtime 3x ./internal/matrixprofile/
//
// Besides wall time, the benchmarks report CPU time per unit of work (all goroutines together),
// which stays meaningful when other processes compete for the cores.

func BenchmarkMASS(b *testing.B) {
	const n, m = 1_000_000, 100
	x := randomWalk(1, n)
	q := randomWalk(2, m)
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		if _, err := MASS(q, x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpoints/s")
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

func BenchmarkSelfJoin(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		const m = 100
		b.Run(fmt.Sprintf("n=%d/m=%d", n, m), func(b *testing.B) {
			x := randomWalk(3, n)
			l := n - m + 1
			excl := ExclusionZone(m)
			cells := float64(l-excl-1) * float64(l-excl) / 2 // pairs outside the exclusion zone
			c0 := cpuTime()
			for b.Loop() {
				if _, err := SelfJoin(x, m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(cells*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gcells/s")
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N)/cells, "cpu-ns/cell")
		})
	}
}
