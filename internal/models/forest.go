package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Forest split criteria.
const (
	CriterionGini    = "gini"
	CriterionEntropy = "entropy"
)

// maxTrees bounds n_estimators, so a typo cannot ask for an allocation that fails.
const maxTrees = 100_000

// ForestParams configures a random forest. The defaults are scikit-learn's
// RandomForestClassifier's.
type ForestParams struct {
	// NTrees is the number of trees, at least 1 (default 100).
	NTrees int `json:"n_estimators"`
	// Criterion is "gini" (default) or "entropy" (scikit-learn's "log_loss").
	Criterion string `json:"criterion"`
	// MaxDepth bounds tree depth; 0 (default) grows trees until leaves are pure or too small.
	MaxDepth int `json:"max_depth"`
	// MinSamplesSplit is the least number of samples a node needs to be split (default 2).
	MinSamplesSplit int `json:"min_samples_split"`
	// MinSamplesLeaf is the least number of samples in a leaf (default 1). Samples drawn
	// twice by the bootstrap count twice.
	MinSamplesLeaf int `json:"min_samples_leaf"`
	// MaxFeatures is how many features each split considers, drawn at random: "sqrt"
	// (default), "log2", "all", a count such as "7" or a fraction such as "0.5". As in
	// scikit-learn, features that are constant in the node do not count towards it.
	MaxFeatures string `json:"max_features"`
	// Bootstrap draws each tree's rows with replacement (default true).
	Bootstrap bool `json:"bootstrap"`
	// MaxSamples is the number of rows each bootstrap draws, as a fraction of the training
	// rows, in (0, 1] (default 1). It must be 1 without bootstrap.
	MaxSamples float64 `json:"max_samples"`
	// ClassWeight is "" (unweighted) or "balanced".
	ClassWeight string `json:"class_weight"`
	// MaxBins is the number of histogram bins per feature, 2 to 255 (default 255).
	MaxBins int `json:"max_bins"`
	// Seed makes the bootstrap and feature draws reproducible.
	Seed uint64 `json:"seed"`
	// Workers is how many trees are grown at once; 0 means GOMAXPROCS. It does not
	// change the model.
	Workers int `json:"-"`
}

// DefaultForestParams returns scikit-learn's RandomForestClassifier defaults.
func DefaultForestParams() ForestParams {
	return ForestParams{
		NTrees: 100, Criterion: CriterionGini, MinSamplesSplit: 2, MinSamplesLeaf: 1,
		MaxFeatures: "sqrt", Bootstrap: true, MaxSamples: 1, MaxBins: MaxBins,
	}
}

// Kind implements Params.
func (ForestParams) Kind() string { return KindForest }

// Validate implements Params.
func (p ForestParams) Validate() error {
	const k = KindForest
	switch {
	case p.NTrees < 1 || p.NTrees > maxTrees:
		return paramErr(k, "n_estimators", "must be in [1, %d], got %d", maxTrees, p.NTrees)
	case p.Criterion != CriterionGini && p.Criterion != CriterionEntropy:
		return paramErr(k, "criterion", "must be %q or %q, got %q", CriterionGini, CriterionEntropy, p.Criterion)
	case p.MaxDepth < 0:
		return paramErr(k, "max_depth", "must be 0 (unlimited) or positive, got %d", p.MaxDepth)
	case p.MinSamplesSplit < 2 || p.MinSamplesSplit > maxRows:
		return paramErr(k, "min_samples_split", "must be in [2, %d], got %d", maxRows, p.MinSamplesSplit)
	case p.MinSamplesLeaf < 1 || p.MinSamplesLeaf > maxRows:
		return paramErr(k, "min_samples_leaf", "must be in [1, %d], got %d", maxRows, p.MinSamplesLeaf)
	case !(p.MaxSamples > 0 && p.MaxSamples <= 1):
		return paramErr(k, "max_samples", "must be in (0, 1], got %v", p.MaxSamples)
	case !p.Bootstrap && p.MaxSamples != 1:
		return paramErr(k, "max_samples", "must be 1 without bootstrap, got %v", p.MaxSamples)
	case p.ClassWeight != "" && p.ClassWeight != ClassWeightBalanced:
		return paramErr(k, "class_weight", "must be empty or %q, got %q", ClassWeightBalanced, p.ClassWeight)
	case p.MaxBins < 2 || p.MaxBins > MaxBins:
		return paramErr(k, "max_bins", "must be in [2, %d], got %d", MaxBins, p.MaxBins)
	}
	if _, err := p.mtry(1); err != nil {
		return err
	}
	return nil
}

// mtry resolves MaxFeatures for d features.
func (p ForestParams) mtry(d int) (int, error) {
	var m int
	switch s := p.MaxFeatures; s {
	case "sqrt":
		m = int(math.Sqrt(float64(d)))
	case "log2":
		m = int(math.Log2(float64(d)))
	case "all":
		m = d
	default:
		if k, err := strconv.Atoi(s); err == nil && k >= 1 {
			m = k
		} else if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f <= 1 {
			m = int(f * float64(d))
		} else {
			return 0, paramErr(KindForest, "max_features",
				`must be "sqrt", "log2", "all", a positive count or a fraction in (0, 1], got %q`, s)
		}
	}
	return min(max(m, 1), d), nil
}

// Forest is a fitted random forest: the mean, over trees, of the positive-class fraction in
// the leaf a row reaches.
type Forest struct {
	params      ForestParams
	features    []string
	trees       []tree
	importances []float64
	flat        lazyFlat // batch-scoring form of trees
}

// FitForest fits a random forest to ds.
func FitForest(ds Dataset, p ForestParams) (*Forest, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	n, d := len(ds.Y), len(ds.Features)
	mtry, _ := p.mtry(d)
	workers := workerCount(p.Workers)
	bd, err := binData(ds.X, d, nil, p.MaxBins, p.Seed, workers)
	if err != nil {
		return nil, err
	}
	wNeg, wPos := classWeights(p.ClassWeight, ds.Y, nil)
	crit := criterion{kind: critGini}
	if p.Criterion == CriterionEntropy {
		crit.kind = critEntropy
	}
	f := &Forest{params: p, features: slices.Clone(ds.Features), trees: make([]tree, p.NTrees)}
	gains := make([][]float64, p.NTrees)
	parallelFor(p.NTrees, workers, func(t int) {
		// Each tree has its own stream, so trees do not depend on which goroutine grew them.
		rng := rand.New(rand.NewPCG(p.Seed, uint64(t)))
		g := &forestGrower{
			bd: bd, crit: crit, rng: rng, mtry: mtry, maxDepth: p.MaxDepth,
			minLeaf: int32(p.MinSamplesLeaf), minSplit: int32(p.MinSamplesSplit),
			gains: make([]float64, d),
		}
		g.sample(ds.Y, p, n, wNeg, wPos)
		f.trees[t] = g.grow()
		gains[t] = g.gains
	})
	// Per-tree normalised gains, averaged: scikit-learn's feature_importances_.
	f.importances = make([]float64, d)
	for _, g := range gains {
		addNormalised(f.importances, g)
	}
	normalise(f.importances)
	return f, nil
}

// sample draws the tree's rows and their weights: a bootstrap of round(max_samples·n)
// draws, or every row once.
func (g *forestGrower) sample(y []bool, p ForestParams, n int, wNeg, wPos float64) {
	add := func(i int, c int32) {
		g.rows = append(g.rows, int32(i))
		w := wNeg
		if y[i] {
			w = wPos
		}
		w *= float64(c)
		g.oh = append(g.oh, w)
		if y[i] {
			g.og = append(g.og, w)
		} else {
			g.og = append(g.og, 0)
		}
	}
	if !p.Bootstrap {
		for i := range n {
			add(i, 1)
		}
		return
	}
	draws := max(1, int(math.Round(p.MaxSamples*float64(n))))
	cnt := make([]int32, n)
	for range draws {
		cnt[g.rng.IntN(n)]++
	}
	for i, c := range cnt {
		if c > 0 {
			add(i, c)
			g.oc = append(g.oc, c)
		}
	}
}

// addNormalised adds g/sum(g) to dst, or nothing when g sums to zero.
func addNormalised(dst, g []float64) {
	s := 0.0
	for _, v := range g {
		s += v
	}
	if s <= 0 {
		return
	}
	for j, v := range g {
		dst[j] += v / s
	}
}

// normalise scales v in place to sum to 1, unless it sums to zero.
func normalise(v []float64) {
	s := 0.0
	for _, x := range v {
		s += x
	}
	if s <= 0 {
		return
	}
	for j := range v {
		v[j] /= s
	}
}

// Kind implements Classifier.
func (f *Forest) Kind() string { return KindForest }

// FeatureNames implements Classifier.
func (f *Forest) FeatureNames() []string { return f.features }

// NumFeatures implements Classifier.
func (f *Forest) NumFeatures() int { return len(f.features) }

// Params implements Classifier.
func (f *Forest) Params() Params { return f.params }

// Importances implements Classifier.
func (f *Forest) Importances() []float64 { return slices.Clone(f.importances) }

// PredictProba implements Classifier.
func (f *Forest) PredictProba(x []float64) float64 {
	if len(x) != len(f.features) {
		panic(fmt.Sprintf("models: row of %d values, model has %d features", len(x), len(f.features)))
	}
	s := 0.0
	for i := range f.trees {
		s += f.trees[i].predict(x)
	}
	return s / float64(len(f.trees))
}

// PredictBatch implements Classifier.
func (f *Forest) PredictBatch(x, out []float64) error {
	n := float64(len(f.trees))
	d := len(f.features)
	return predictEnsemble(f.trees, f.flat.get(f.trees, d), d, x, out, 0, func(s float64) float64 { return s / n })
}

// Trees reports the number of trees and the mean number of leaves and depth per tree.
func (f *Forest) Trees() (n int, meanLeaves, meanDepth float64) {
	return treeStats(f.trees)
}

// treeStats summarises an ensemble.
func treeStats(trees []tree) (n int, meanLeaves, meanDepth float64) {
	if len(trees) == 0 {
		return 0, 0, 0
	}
	for i := range trees {
		meanLeaves += float64(trees[i].leaves())
		meanDepth += float64(trees[i].maxDepth())
	}
	return len(trees), meanLeaves / float64(len(trees)), meanDepth / float64(len(trees))
}
