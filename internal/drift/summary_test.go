package drift

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSummaryMergeMatchesDirect(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
	}{
		{"cpu-like", normals(1, 100_000, 70, 10)},
		{"offset", normals(2, 50_000, 1e4, 1)},
		{"wide", normals(3, 20_000, 0, 1e12)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mean, std := direct(tt.values)
			var whole Summary
			for _, v := range tt.values {
				whole.Add(v)
			}
			// Partials of random sizes, merged forward and backward.
			r := rand.New(rand.NewPCG(9, 9))
			var parts []Summary
			for i := 0; i < len(tt.values); {
				n := min(1+r.IntN(5000), len(tt.values)-i)
				var p Summary
				for _, v := range tt.values[i : i+n] {
					p.Add(v)
				}
				parts = append(parts, p)
				i += n
			}
			var fwd, bwd Summary
			for i := range parts {
				fwd.Merge(parts[i])
				bwd.Merge(parts[len(parts)-1-i])
			}
			for _, s := range []struct {
				name string
				s    Summary
			}{{"one pass", whole}, {"merged forward", fwd}, {"merged backward", bwd}} {
				if s.s.Count != int64(len(tt.values)) || s.s.Min != whole.Min || s.s.Max != whole.Max {
					t.Errorf("%s: count %d min %g max %g, want %d %g %g", s.name, s.s.Count, s.s.Min, s.s.Max,
						len(tt.values), whole.Min, whole.Max)
				}
				checkClose(t, s.name+" mean", s.s.Mean, mean, 1e-12)
				checkClose(t, s.name+" std", s.s.Std(), std, 1e-12)
			}
		})
	}
}

func TestSummaryEdgeCases(t *testing.T) {
	var s Summary
	if s.Std() != 0 || s.Variance() != 0 {
		t.Errorf("empty: std %v", s.Std())
	}
	s.Add(math.NaN())
	s.Add(math.Inf(-1))
	s.Add(3)
	if s.Count != 1 || s.Invalid != 2 || s.Mean != 3 || s.Min != 3 || s.Max != 3 || s.Std() != 0 {
		t.Errorf("one value after two invalid: %+v", s)
	}
	var empty Summary
	empty.Invalid = 5
	s.Merge(empty)
	if s.Count != 1 || s.Invalid != 7 || s.Mean != 3 {
		t.Errorf("merge of an empty summary: %+v", s)
	}
	var e2 Summary
	e2.Merge(s)
	if e2 != s {
		t.Errorf("merge into empty: %+v, want %+v", e2, s)
	}
	var two Summary
	two.Add(1)
	two.Add(3)
	if two.Mean != 2 || two.Variance() != 2 {
		t.Errorf("{1, 3}: mean %v, sample variance %v; want 2, 2", two.Mean, two.Variance())
	}
}
