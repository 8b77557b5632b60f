package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// logisticData draws n rows whose label follows a logistic model with the given raw-unit
// coefficients. Feature j is N(means[j], scales[j]²).
func logisticData(n int, coef []float64, intercept float64, means, scales []float64, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := len(coef)
	ds := Dataset{Features: DefaultNames(d), X: make([]float64, n*d), Y: make([]bool, n)}
	for i := range n {
		z := intercept
		for j := range d {
			v := means[j] + scales[j]*rng.NormFloat64()
			ds.X[i*d+j] = v
			z += coef[j] * v
		}
		ds.Y[i] = rng.Float64() < sigmoid(z)
	}
	return ds
}

// xorData draws n rows of x0, x1 uniform on [-1, 1] and two noise features, labelled by
// (x0 > 0) XOR (x1 > 0): trees learn it, a linear model cannot.
func xorData(n int, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 2))
	const d = 4
	ds := Dataset{Features: []string{"x0", "x1", "noise0", "noise1"}, X: make([]float64, n*d), Y: make([]bool, n)}
	for i := range n {
		for j := range d {
			ds.X[i*d+j] = 2*rng.Float64() - 1
		}
		ds.Y[i] = (ds.X[i*d] > 0) != (ds.X[i*d+1] > 0)
	}
	return ds
}

// rareData draws n rows of d ≥ 4 standard normal features with about 10% positives from a
// non-linear ground truth that uses only features 0–3.
func rareData(n, d int, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	ds := Dataset{Features: DefaultNames(d), X: make([]float64, n*d), Y: make([]bool, n)}
	for i := range n {
		x := ds.X[i*d : (i+1)*d]
		for j := range x {
			x[j] = rng.NormFloat64()
		}
		z := -3.2 + 1.5*x[0] + 1.2*x[1]*x[2]
		if x[3] > 1 {
			z += 2
		}
		ds.Y[i] = rng.Float64() < sigmoid(z)
	}
	return ds
}

// splitAt returns the first k rows and the rest.
func splitAt(ds Dataset, k int) (Dataset, Dataset) {
	d := len(ds.Features)
	return Dataset{Features: ds.Features, X: ds.X[:k*d], Y: ds.Y[:k]},
		Dataset{Features: ds.Features, X: ds.X[k*d:], Y: ds.Y[k:]}
}

// predictAll returns the model's probabilities for every row of ds.
func predictAll(t testing.TB, c Classifier, ds Dataset) []float64 {
	t.Helper()
	out := make([]float64, len(ds.Y))
	if err := c.PredictBatch(ds.X, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// accuracy at threshold 0.5.
func accuracy(p []float64, y []bool) float64 {
	ok := 0
	for i, v := range p {
		if (v >= 0.5) == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(p))
}

// meanLogLoss with probabilities clipped to [1e-15, 1-1e-15], as scikit-learn does.
func meanLogLoss(p []float64, y []bool) float64 {
	s := 0.0
	for i, v := range p {
		v = min(max(v, 1e-15), 1-1e-15)
		if y[i] {
			s -= math.Log(v)
		} else {
			s -= math.Log(1 - v)
		}
	}
	return s / float64(len(p))
}

// baseRateLogLoss is the log-loss of always predicting the positive rate of y.
func baseRateLogLoss(y []bool) float64 {
	pos := 0.0
	for _, v := range y {
		pos += b2f(v)
	}
	r := pos / float64(len(y))
	return -(r*math.Log(r) + (1-r)*math.Log(1-r))
}

// rocAUC is the probability that a random positive scores above a random negative.
func rocAUC(p []float64, y []bool) float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	var rankSum, npos float64
	for k := 0; k < len(idx); {
		e := k
		for e < len(idx) && p[idx[e]] == p[idx[k]] {
			e++
		}
		mid := float64(k+e+1) / 2 // mean 1-based rank of the tie group
		for _, i := range idx[k:e] {
			if y[i] {
				rankSum += mid
				npos++
			}
		}
		k = e
	}
	nneg := float64(len(p)) - npos
	return (rankSum - npos*(npos+1)/2) / (npos * nneg)
}

// fastBoost is BoostedParams for quick tests.
func fastBoost() BoostedParams {
	p := DefaultBoostedParams()
	p.EarlyStopping = EarlyStoppingOff
	return p
}

// fastForest is ForestParams for quick tests.
func fastForest() ForestParams {
	p := DefaultForestParams()
	p.NTrees = 30
	return p
}
