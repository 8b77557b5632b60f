package drift

import (
	"math"
	"math/rand/v2"
	"testing"
)

// close reports whether got is within tol of want, absolutely or relatively to want.
func closeTo(got, want, tol float64) bool {
	if got == want {
		return true
	}
	d := math.Abs(got - want)
	return d <= tol || d <= tol*math.Abs(want)
}

func checkClose(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if !closeTo(got, want, tol) {
		t.Errorf("%s = %.17g, want %.17g (±%g)", name, got, want, tol)
	}
}

// normals returns n draws of N(mu, sigma) from a fixed seed.
func normals(seed uint64, n int, mu, sigma float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = mu + sigma*r.NormFloat64()
	}
	return vs
}

func mustReference(t testing.TB, values []float64) Reference {
	t.Helper()
	ref, err := NewReference(values)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// histogramOf returns the histogram of values on ref's edges.
func histogramOf(t testing.TB, ref Reference, values []float64) *Histogram {
	t.Helper()
	h, err := NewHistogram(ref.Edges)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		h.Add(v)
	}
	return h
}

// direct returns the mean and sample std of values by two passes.
func direct(values []float64) (mean, std float64) {
	for _, v := range values {
		mean += v
	}
	mean /= float64(len(values))
	var ss float64
	for _, v := range values {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(values)-1))
}
