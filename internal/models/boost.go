package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Early-stopping modes of gradient boosting.
const (
	EarlyStoppingAuto = "auto" // on when the training set has more than 10,000 rows
	EarlyStoppingOn   = "on"
	EarlyStoppingOff  = "off"
)

// autoEarlyStopping is the row count above which "auto" turns early stopping on, as in
// scikit-learn.
const autoEarlyStopping = 10_000

// minHessian is the least hessian sum of a child (scikit-learn's min_hessian_to_split).
const minHessian = 1e-3

// BoostedParams configures gradient-boosted trees on the log-loss. The defaults are
// scikit-learn's HistGradientBoostingClassifier's.
type BoostedParams struct {
	// MaxIter is the number of boosting iterations, one tree each (default 100).
	MaxIter int `json:"max_iter"`
	// LearningRate shrinks every tree's output, in (0, 1] (default 0.1).
	LearningRate float64 `json:"learning_rate"`
	// MaxLeafNodes bounds the leaves of a tree, grown best first; 0 means unbounded
	// (default 31).
	MaxLeafNodes int `json:"max_leaf_nodes"`
	// MaxDepth bounds tree depth; 0 (default) means unbounded.
	MaxDepth int `json:"max_depth"`
	// MinSamplesLeaf is the least number of rows in a leaf (default 20).
	MinSamplesLeaf int `json:"min_samples_leaf"`
	// L2 is the L2 penalty λ on leaf values, ≥ 0: a leaf outputs −G/(H+λ) (default 0).
	L2 float64 `json:"l2_regularization"`
	// Subsample is the fraction of training rows each tree is grown on, drawn without
	// replacement, in (0, 1] (default 1).
	Subsample float64 `json:"subsample"`
	// MaxBins is the number of histogram bins per feature, 2 to 255 (default 255).
	MaxBins int `json:"max_bins"`
	// EarlyStopping is "auto" (default: on above 10,000 rows), "on" or "off". When on, a
	// stratified validation split is held out, and training stops once its log-loss has
	// not improved by more than Tol for NIterNoChange iterations; the model keeps the
	// trees up to the best iteration.
	EarlyStopping string `json:"early_stopping"`
	// ValidationFraction is the share of rows held out for early stopping, in (0, 1)
	// (default 0.1).
	ValidationFraction float64 `json:"validation_fraction"`
	// NIterNoChange is the patience of early stopping in iterations (default 10).
	NIterNoChange int `json:"n_iter_no_change"`
	// Tol is the least validation-loss improvement that counts (default 1e-7).
	Tol float64 `json:"tol"`
	// ClassWeight is "" (unweighted) or "balanced".
	ClassWeight string `json:"class_weight"`
	// Seed makes the validation split, row subsampling and binning sample reproducible.
	Seed uint64 `json:"seed"`
	// Workers is how many goroutines build histograms; 0 means GOMAXPROCS. It does not
	// change the model.
	Workers int `json:"-"`
}

// DefaultBoostedParams returns scikit-learn's HistGradientBoostingClassifier defaults.
func DefaultBoostedParams() BoostedParams {
	return BoostedParams{
		MaxIter: 100, LearningRate: 0.1, MaxLeafNodes: 31, MinSamplesLeaf: 20, Subsample: 1,
		MaxBins: MaxBins, EarlyStopping: EarlyStoppingAuto, ValidationFraction: 0.1,
		NIterNoChange: 10, Tol: 1e-7,
	}
}

// Kind implements Params.
func (BoostedParams) Kind() string { return KindBoosted }

// Validate implements Params.
func (p BoostedParams) Validate() error {
	const k = KindBoosted
	switch {
	case p.MaxIter < 1:
		return paramErr(k, "max_iter", "must be at least 1, got %d", p.MaxIter)
	case !(p.LearningRate > 0 && p.LearningRate <= 1):
		return paramErr(k, "learning_rate", "must be in (0, 1], got %v", p.LearningRate)
	case p.MaxLeafNodes == 1 || p.MaxLeafNodes < 0:
		return paramErr(k, "max_leaf_nodes", "must be 0 (unbounded) or at least 2, got %d", p.MaxLeafNodes)
	case p.MaxDepth < 0:
		return paramErr(k, "max_depth", "must be 0 (unbounded) or positive, got %d", p.MaxDepth)
	case p.MinSamplesLeaf < 1 || p.MinSamplesLeaf > maxRows:
		return paramErr(k, "min_samples_leaf", "must be in [1, %d], got %d", maxRows, p.MinSamplesLeaf)
	case !(p.L2 >= 0) || math.IsInf(p.L2, 1):
		return paramErr(k, "l2_regularization", "must be a finite number ≥ 0, got %v", p.L2)
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return paramErr(k, "subsample", "must be in (0, 1], got %v", p.Subsample)
	case p.MaxBins < 2 || p.MaxBins > MaxBins:
		return paramErr(k, "max_bins", "must be in [2, %d], got %d", MaxBins, p.MaxBins)
	case p.EarlyStopping != EarlyStoppingAuto && p.EarlyStopping != EarlyStoppingOn && p.EarlyStopping != EarlyStoppingOff:
		return paramErr(k, "early_stopping", "must be %q, %q or %q, got %q",
			EarlyStoppingAuto, EarlyStoppingOn, EarlyStoppingOff, p.EarlyStopping)
	case !(p.ValidationFraction > 0 && p.ValidationFraction < 1):
		return paramErr(k, "validation_fraction", "must be in (0, 1), got %v", p.ValidationFraction)
	case p.NIterNoChange < 1:
		return paramErr(k, "n_iter_no_change", "must be at least 1, got %d", p.NIterNoChange)
	case !(p.Tol >= 0) || math.IsInf(p.Tol, 1):
		return paramErr(k, "tol", "must be a finite number ≥ 0, got %v", p.Tol)
	case p.ClassWeight != "" && p.ClassWeight != ClassWeightBalanced:
		return paramErr(k, "class_weight", "must be empty or %q, got %q", ClassWeightBalanced, p.ClassWeight)
	}
	return nil
}

// Boosted is a fitted gradient-boosted tree ensemble: p(x) = σ(baseline + Σ tree(x)), each
// tree's leaves already shrunk by the learning rate.
type Boosted struct {
	params      BoostedParams
	features    []string
	baseline    float64
	trees       []tree
	importances []float64
	valLoss     []float64 // validation log-loss after 0, 1, … iterations; nil without early stopping
	flat        lazyFlat  // batch-scoring form of trees
}

// FitBoosted fits gradient-boosted trees to ds.
func FitBoosted(ds Dataset, p BoostedParams) (*Boosted, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	b := &boostFit{ds: ds, p: p, d: len(ds.Features), workers: workerCount(p.Workers),
		rng: rand.New(rand.NewPCG(p.Seed, 0x676274))} // "gbt"
	if err := b.prepare(); err != nil {
		return nil, err
	}
	return b.run(), nil
}

// boostFit is the state of one boosting run. Training rows are numbered 0..m-1 locally;
// train maps them to dataset rows (nil when all rows train).
type boostFit struct {
	ds      Dataset
	p       BoostedParams
	d       int
	workers int
	rng     *rand.Rand

	train, val []int32
	bd         *binned
	y, w       []float64 // per training row
	yv, wv     []float64 // per validation row
	raw, rawV  []float64 // raw scores
	baseline   float64
	grower     *boostGrower
}

// prepare splits off the validation rows, bins the training rows and sets the baseline.
func (b *boostFit) prepare() error {
	n := len(b.ds.Y)
	early := b.p.EarlyStopping == EarlyStoppingOn ||
		(b.p.EarlyStopping == EarlyStoppingAuto && n > autoEarlyStopping)
	if early {
		b.train, b.val = stratifiedSplit(b.ds.Y, b.p.ValidationFraction, b.rng)
		if len(b.val) == 0 || !bothClasses(b.ds.Y, b.train) {
			return paramErr(KindBoosted, "validation_fraction",
				"%v of %d rows leaves no validation rows or a one-class training set", b.p.ValidationFraction, n)
		}
	}
	var err error
	b.bd, err = binData(b.ds.X, b.d, b.train, b.p.MaxBins, b.p.Seed, b.workers)
	if err != nil {
		return err
	}
	wNeg, wPos := classWeights(b.p.ClassWeight, b.ds.Y, b.train)
	m := b.bd.m
	b.y, b.w = make([]float64, m), make([]float64, m)
	var sp, sn float64
	for k := range m {
		if b.ds.Y[b.trainRow(k)] {
			b.y[k], b.w[k] = 1, wPos
			sp += wPos
		} else {
			b.w[k] = wNeg
			sn += wNeg
		}
	}
	b.baseline = math.Log(sp / sn)
	b.yv, b.wv = make([]float64, len(b.val)), make([]float64, len(b.val))
	for k, r := range b.val {
		b.wv[k] = wNeg
		if b.ds.Y[r] {
			b.yv[k], b.wv[k] = 1, wPos
		}
	}
	b.raw = filled(m, b.baseline)
	b.rawV = filled(len(b.val), b.baseline)
	b.grower = &boostGrower{
		bd: b.bd, crit: criterion{kind: critNewton, lambda: b.p.L2, minHess: minHessian},
		minLeaf: int32(b.p.MinSamplesLeaf), maxDepth: b.p.MaxDepth, maxLeaves: b.p.MaxLeafNodes,
		lr: b.p.LearningRate, workers: b.workers,
		g: make([]float64, m), h: make([]float64, m), scratch: make([]int32, m),
		og: make([]float64, m), oh: make([]float64, m),
	}
	return nil
}

// run boosts until max_iter or early stopping and returns the model.
func (b *boostFit) run() *Boosted {
	m := b.bd.m
	var trees []tree
	var gains [][]float64
	var valLoss []float64
	if b.val != nil {
		valLoss = []float64{logLoss(b.rawV, b.yv, b.wv)}
	}
	rows := make([]int32, m)
	var perm []int32
	for range b.p.MaxIter {
		b.gradients()
		rows = b.sample(rows, &perm)
		tg := make([]float64, b.d)
		t := b.grower.grow(rows, tg)
		trees, gains = append(trees, t), append(gains, tg)
		b.update(&t, len(rows) == m)
		if b.val != nil {
			parallelFor(chunks(len(b.val)), b.workers, func(c int) {
				for k := c * batchChunk; k < min((c+1)*batchChunk, len(b.val)); k++ {
					b.rawV[k] += t.predict(b.ds.Row(int(b.val[k])))
				}
			})
			valLoss = append(valLoss, logLoss(b.rawV, b.yv, b.wv))
			if shouldStop(valLoss, b.p.NIterNoChange, b.p.Tol) {
				break
			}
		}
	}
	if valLoss != nil {
		// Keep the trees up to the iteration with the lowest validation loss.
		best := 0
		for i, l := range valLoss {
			if l < valLoss[best] {
				best = i
			}
		}
		trees, gains = trees[:best], gains[:best]
	}
	imp := make([]float64, b.d)
	for _, g := range gains {
		for j, v := range g {
			imp[j] += v
		}
	}
	normalise(imp)
	return &Boosted{params: b.p, features: slices.Clone(b.ds.Features), baseline: b.baseline,
		trees: trees, importances: imp, valLoss: valLoss}
}

// trainRow maps a local training row to its dataset row.
func (b *boostFit) trainRow(k int) int {
	if b.train == nil {
		return k
	}
	return int(b.train[k])
}

// gradients sets the log-loss gradient and hessian of every training row.
func (b *boostFit) gradients() {
	g := b.grower
	parallelFor(chunks(len(b.raw)), b.workers, func(c int) {
		for k := c * batchChunk; k < min((c+1)*batchChunk, len(b.raw)); k++ {
			p := sigmoid(b.raw[k])
			g.g[k] = b.w[k] * (p - b.y[k])
			g.h[k] = b.w[k] * p * (1 - p)
		}
	})
}

// sample returns the rows the next tree grows on, ascending: all of them, or a subsample
// drawn without replacement by a partial Fisher–Yates shuffle of perm.
func (b *boostFit) sample(rows []int32, perm *[]int32) []int32 {
	m := b.bd.m
	k := max(1, int(math.Round(b.p.Subsample*float64(m))))
	if k >= m {
		rows = rows[:m]
		for i := range rows {
			rows[i] = int32(i)
		}
		return rows
	}
	if *perm == nil {
		*perm = make([]int32, m)
		for i := range *perm {
			(*perm)[i] = int32(i)
		}
	}
	p := *perm
	for i := range k {
		j := i + b.rng.IntN(m-i)
		p[i], p[j] = p[j], p[i]
	}
	rows = append(rows[:0], p[:k]...)
	slices.Sort(rows)
	return rows
}

// update adds the new tree's output to the training rows' raw scores: from the leaves' row
// ranges when the tree saw every row, by prediction otherwise.
func (b *boostFit) update(t *tree, all bool) {
	if all {
		g := b.grower
		for i, n := range t.nodes {
			if n.feat < 0 {
				for _, r := range g.rows[g.lo[i]:g.hi[i]] {
					b.raw[r] += n.thr
				}
			}
		}
		return
	}
	parallelFor(chunks(len(b.raw)), b.workers, func(c int) {
		for k := c * batchChunk; k < min((c+1)*batchChunk, len(b.raw)); k++ {
			b.raw[k] += t.predict(b.ds.Row(b.trainRow(k)))
		}
	})
}

// chunks reports how many batchChunk-row chunks cover n rows.
func chunks(n int) int { return (n + batchChunk - 1) / batchChunk }

// filled returns n copies of v.
func filled(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// logLoss returns the weighted mean log-loss of raw scores.
func logLoss(raw, y, w []float64) float64 {
	var s, sw float64
	for k, z := range raw {
		s += w[k] * (softplus(z) - y[k]*z)
		sw += w[k]
	}
	return s / sw
}

// shouldStop reports whether none of the last n losses improved by more than tol on the
// loss n+1 iterations back (scikit-learn's rule).
func shouldStop(losses []float64, n int, tol float64) bool {
	if len(losses) <= n {
		return false
	}
	ref := losses[len(losses)-n-1]
	for _, l := range losses[len(losses)-n:] {
		if l < ref-tol {
			return false
		}
	}
	return true
}

// stratifiedSplit holds out round(frac·n_class) rows of each class, chosen by rng, and
// returns the remaining and the held-out rows, each ascending.
func stratifiedSplit(y []bool, frac float64, rng *rand.Rand) (train, val []int32) {
	var pos, neg []int32
	for i, v := range y {
		if v {
			pos = append(pos, int32(i))
		} else {
			neg = append(neg, int32(i))
		}
	}
	for _, class := range [][]int32{pos, neg} {
		rng.Shuffle(len(class), func(i, j int) { class[i], class[j] = class[j], class[i] })
		k := int(math.Round(frac * float64(len(class))))
		val = append(val, class[:k]...)
		train = append(train, class[k:]...)
	}
	slices.Sort(train)
	slices.Sort(val)
	return train, val
}

// bothClasses reports whether the listed rows hold both labels.
func bothClasses(y []bool, rows []int32) bool {
	var pos, neg bool
	for _, r := range rows {
		if y[r] {
			pos = true
		} else {
			neg = true
		}
	}
	return pos && neg
}

// Kind implements Classifier.
func (m *Boosted) Kind() string { return KindBoosted }

// FeatureNames implements Classifier.
func (m *Boosted) FeatureNames() []string { return m.features }

// NumFeatures implements Classifier.
func (m *Boosted) NumFeatures() int { return len(m.features) }

// Params implements Classifier.
func (m *Boosted) Params() Params { return m.params }

// Importances implements Classifier.
func (m *Boosted) Importances() []float64 { return slices.Clone(m.importances) }

// PredictProba implements Classifier.
func (m *Boosted) PredictProba(x []float64) float64 {
	if len(x) != len(m.features) {
		panic(fmt.Sprintf("models: row of %d values, model has %d features", len(x), len(m.features)))
	}
	z := m.baseline
	for i := range m.trees {
		z += m.trees[i].predict(x)
	}
	return sigmoid(z)
}

// PredictBatch implements Classifier.
func (m *Boosted) PredictBatch(x, out []float64) error {
	d := len(m.features)
	return predictEnsemble(m.trees, m.flat.get(m.trees, d), d, x, out, m.baseline, sigmoid)
}

// Iterations reports how many trees the model kept.
func (m *Boosted) Iterations() int { return len(m.trees) }

// ValidationLoss returns the validation log-loss after 0, 1, 2, … iterations, including
// the iterations after the best one whose trees the model dropped, or nil when early
// stopping was off.
func (m *Boosted) ValidationLoss() []float64 { return slices.Clone(m.valLoss) }

// Trees reports the number of trees and the mean number of leaves and depth per tree.
func (m *Boosted) Trees() (n int, meanLeaves, meanDepth float64) { return treeStats(m.trees) }
