package matrixprofile

import (
	"fmt"
	"math"
	"math/big"
	"testing"
)

// exactNorm returns sqrt(Σ(x-mean)²) of win computed in 256-bit arithmetic.
func exactNorm(win []float64) float64 {
	prec := uint(256)
	sum := new(big.Float).SetPrec(prec)
	for _, v := range win {
		sum.Add(sum, big.NewFloat(v))
	}
	mean := new(big.Float).SetPrec(prec).Quo(sum, big.NewFloat(float64(len(win))))
	ss := new(big.Float).SetPrec(prec)
	for _, v := range win {
		d := new(big.Float).SetPrec(prec).Sub(big.NewFloat(v), mean)
		ss.Add(ss, d.Mul(d, d))
	}
	f, _ := ss.Sqrt(ss).Float64()
	return f
}

// TestWindowNormsStable checks the sliding statistics against exact arithmetic on series where
// the naive Σx²−(Σx)²/m cancels catastrophically: small signals on large offsets, a quiet stretch
// after a loud one, and a long drift.
func TestWindowNormsStable(t *testing.T) {
	tests := []struct {
		offset, scale float64
		m             int
	}{
		{0, 1, 10}, {1e6, 1, 10}, {1e9, 1e-3, 25}, {1e12, 1, 100}, {-1e15, 1, 7}, {0, 1e-200, 5}, {1e250, 1e240, 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%g+%g·walk/m=%d", tt.offset, tt.scale, tt.m), func(t *testing.T) {
			walk := randomWalk(7, 3000)
			x := make([]float64, len(walk))
			for i, v := range walk {
				if i >= 1000 && i < 1010 { // a loud stretch the sliding update must recover from
					v *= 1e6
				}
				x[i] = tt.offset + tt.scale*v
			}
			x = rescale(x) // as every entry point does
			w := newWindows(x, tt.m)
			worst := 0.0
			for i := range w.norm {
				want := exactNorm(x[i : i+tt.m])
				if w.constant[i] {
					if want != 0 {
						t.Fatalf("window %d flagged constant, exact norm %g", i, want)
					}
					continue
				}
				worst = max(worst, math.Abs(w.norm[i]-want)/want)
			}
			if worst > 1e-12 {
				t.Errorf("worst relative error of window norms %.3g, want ≤ 1e-12", worst)
			}
		})
	}
}
