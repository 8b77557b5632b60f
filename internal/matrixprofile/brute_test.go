package matrixprofile

import (
	"math"
	"math/rand/v2"
	"testing"
)

// This file holds the O(n²m) reference implementation the fast paths are checked against. It
// follows the definitions literally: z-normalise both subsequences, sum squared differences.

// tol is the agreement required between fast and brute-force distances: relative above 1,
// absolute below.
const tol = 1e-9

func randomWalk(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	x := make([]float64, n)
	var v float64
	for i := range x {
		v += r.NormFloat64()
		x[i] = v
	}
	return x
}

func isConstant(a []float64) bool {
	for _, v := range a {
		if v != a[0] {
			return false
		}
	}
	return true
}

func znorm(a []float64) []float64 {
	var mu float64
	for _, v := range a {
		mu += v
	}
	mu /= float64(len(a))
	var ss float64
	for _, v := range a {
		ss += (v - mu) * (v - mu)
	}
	sd := math.Sqrt(ss / float64(len(a)))
	z := make([]float64, len(a))
	for i, v := range a {
		z[i] = (v - mu) / sd
	}
	return z
}

// bruteDist is the z-normalised distance with Stumpy's convention for constant subsequences.
func bruteDist(a, b []float64) float64 {
	ca, cb := isConstant(a), isConstant(b)
	switch {
	case ca && cb:
		return 0
	case ca || cb:
		return math.Sqrt(float64(len(a)))
	}
	za, zb := znorm(a), znorm(b)
	var s float64
	for i := range za {
		s += (za[i] - zb[i]) * (za[i] - zb[i])
	}
	return math.Sqrt(s)
}

func bruteMASS(q, x []float64) []float64 {
	m := len(q)
	out := make([]float64, len(x)-m+1)
	for i := range out {
		out[i] = bruteDist(q, x[i:i+m])
	}
	return out
}

// bruteJoin profiles a against b, skipping pairs with |i-j| ≤ excl when excl ≥ 0.
func bruteJoin(a, b []float64, m, excl int) []float64 {
	p := make([]float64, len(a)-m+1)
	for i := range p {
		p[i] = math.Inf(1)
		for j := 0; j+m <= len(b); j++ {
			if excl >= 0 && i-j <= excl && j-i <= excl {
				continue
			}
			p[i] = min(p[i], bruteDist(a[i:i+m], b[j:j+m]))
		}
	}
	return p
}

func near(got, want float64) bool {
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

// checkDistances compares a distance profile with the reference, element by element.
func checkDistances(t *testing.T, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("len = %d, want %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		if math.IsNaN(got[i]) || !near(got[i], want[i]) {
			if bad++; bad <= 5 {
				t.Errorf("[%d] = %.15g, want %.15g (diff %.3g)", i, got[i], want[i], got[i]-want[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d mismatches in total", bad)
	}
}

// checkProfile compares p with the brute-force profile of a against b and checks that every
// reported neighbour is admissible and really at the reported distance.
func checkProfile(t *testing.T, p *Profile, a, b []float64, m, excl int) {
	t.Helper()
	checkDistances(t, p.P, bruteJoin(a, b, m, excl))
	if len(p.I) != len(p.P) || p.M != m {
		t.Fatalf("len(I) = %d, len(P) = %d, M = %d", len(p.I), len(p.P), p.M)
	}
	for i, j := range p.I {
		switch {
		case j == -1:
			if !math.IsInf(p.P[i], 1) {
				t.Errorf("I[%d] = -1 but P = %g", i, p.P[i])
			}
		case j < 0 || j+m > len(b) || (excl >= 0 && i-j <= excl && j-i <= excl):
			t.Errorf("I[%d] = %d is not an admissible neighbour", i, j)
		case !near(p.P[i], bruteDist(a[i:i+m], b[j:j+m])):
			t.Errorf("P[%d] = %.15g but the distance to I[%d] = %d is %.15g", i, p.P[i], i, j, bruteDist(a[i:i+m], b[j:j+m]))
		}
	}
}
