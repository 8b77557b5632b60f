package matrixprofile

import (
	"math"
	"testing"
)

func TestMASSMatchesBruteForce(t *testing.T) {
	tests := []struct {
		name   string
		n, m   int
		offset float64
	}{
		{name: "shortest window", n: 1000, m: 3},
		{name: "one block", n: 1000, m: 50},
		{name: "two blocks", n: 5000, m: 100},
		{name: "many blocks", n: 20000, m: 64},
		{name: "long query", n: 3000, m: 1000},
		{name: "longest direct query", n: 6000, m: directMax},
		{name: "shortest FFT query", n: 6000, m: directMax + 1},
		{name: "many FFT blocks", n: 20000, m: 300},
		{name: "FFT large offset", n: 9000, m: 250, offset: 1e6},
		{name: "series as long as query", n: 40, m: 40},
		{name: "series one longer than query", n: 41, m: 40},
		{name: "large offset", n: 5000, m: 100, offset: 1e6},
		{name: "huge offset", n: 2000, m: 30, offset: 1e9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := randomWalk(uint64(tt.n), tt.n)
			q := randomWalk(uint64(tt.m)+7, tt.m)
			for i := range x {
				x[i] += tt.offset
			}
			got, err := MASS(q, x)
			if err != nil {
				t.Fatal(err)
			}
			checkDistances(t, got, bruteMASS(q, x))
		})
	}
}

func TestMASSFindsItself(t *testing.T) {
	x := randomWalk(3, 3000)
	for _, at := range []int{0, 1234, 2900} {
		got, err := MASS(x[at:at+100], x)
		if err != nil {
			t.Fatal(err)
		}
		// sqrt(2m(1-ρ)) alone would leave about sqrt(2m·1e-13) ≈ 5e-6 here; close matches are
		// recomputed directly.
		if got[at] > tol {
			t.Errorf("distance of the query to itself at %d = %g, want ≈ 0", at, got[at])
		}
	}
}

func TestMASSExtremeScales(t *testing.T) {
	x := randomWalk(11, 1500)
	q := randomWalk(12, 25)
	want := bruteMASS(q, x)
	for _, scale := range []float64{1e300, 1e-300, 0x1p70, 0x1p-70} {
		xs, qs := make([]float64, len(x)), make([]float64, len(q))
		for i, v := range x {
			xs[i] = v * scale
		}
		for i, v := range q {
			qs[i] = v / scale
		}
		got, err := MASS(qs, xs)
		if err != nil {
			t.Fatal(err)
		}
		checkDistances(t, got, want)
	}
}

func TestMASSConstant(t *testing.T) {
	x := randomWalk(5, 300)
	for i := 100; i < 140; i++ {
		x[i] = 2.5
	}
	sqrtM := math.Sqrt(10)
	tests := []struct {
		name string
		q    []float64
	}{
		{name: "constant query", q: []float64{4, 4, 4, 4, 4, 4, 4, 4, 4, 4}},
		{name: "constant query of zeros", q: make([]float64, 10)},
		{name: "non-constant query", q: randomWalk(6, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MASS(tt.q, x)
			if err != nil {
				t.Fatal(err)
			}
			checkDistances(t, got, bruteMASS(tt.q, x))
			if isConstant(tt.q) && (got[100] != 0 || got[0] != sqrtM) {
				t.Errorf("constant query: got[100] = %g, got[0] = %g, want 0 and %g", got[100], got[0], sqrtM)
			}
			if !isConstant(tt.q) && got[110] != sqrtM {
				t.Errorf("constant window: got %g, want %g", got[110], sqrtM)
			}
		})
	}
}
