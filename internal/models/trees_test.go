package models

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

// allKinds returns small, fast parameters for every model kind.
func allKinds() []Params {
	lr := DefaultLogisticParams()
	rf := fastForest()
	rf.Seed = 5
	gbt := fastBoost()
	gbt.Seed = 5
	return []Params{lr, rf, gbt}
}

func TestXORTreesLearnLinearModelCannot(t *testing.T) {
	train, test := splitAt(xorData(6000, 1), 4000)
	tests := []struct {
		params       Params
		minAcc, maxA float64
	}{
		{DefaultLogisticParams(), 0, 0.6},
		{fastForest(), 0.97, 1},
		{fastBoost(), 0.97, 1},
	}
	for _, tc := range tests {
		t.Run(tc.params.Kind(), func(t *testing.T) {
			m, err := Fit(train, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			acc := accuracy(predictAll(t, m, test), test.Y)
			if acc < tc.minAcc || acc > tc.maxA {
				t.Errorf("test accuracy %.3f, want in [%.2f, %.2f]", acc, tc.minAcc, tc.maxA)
			}
			if m.Kind() == KindLogistic {
				return
			}
			// The informative features carry almost all the importance.
			imp := m.Importances()
			if s := imp[0] + imp[1]; s < 0.9 || math.Abs(imp[0]+imp[1]+imp[2]+imp[3]-1) > 1e-12 {
				t.Errorf("importances %v: want x0+x1 ≥ 0.9 and a sum of 1", imp)
			}
		})
	}
}

func TestRarePositivesBeatBaseRate(t *testing.T) {
	train, test := splitAt(rareData(12000, 8, 2), 8000)
	base := baseRateLogLoss(test.Y)
	// The ground truth has an interaction a linear model cannot express.
	minAUC := map[string]float64{KindLogistic: 0.75, KindForest: 0.8, KindBoosted: 0.84}
	for _, p := range allKinds() {
		t.Run(p.Kind(), func(t *testing.T) {
			m, err := Fit(train, p)
			if err != nil {
				t.Fatal(err)
			}
			prob := predictAll(t, m, test)
			auc, ll := rocAUC(prob, test.Y), meanLogLoss(prob, test.Y)
			t.Logf("AUC %.3f, log-loss %.4f, base rate log-loss %.4f", auc, ll, base)
			if auc < minAUC[p.Kind()] {
				t.Errorf("AUC %.3f < %.2f", auc, minAUC[p.Kind()])
			}
			if ll >= base || (p.Kind() == KindBoosted && ll > 0.8*base) {
				t.Errorf("log-loss %.4f, want below the base rate's %.4f (gbt: below 80%% of it)", ll, base)
			}
		})
	}
}

func TestTreeLimits(t *testing.T) {
	ds := rareData(4000, 6, 3)
	rfDepth := fastForest()
	rfDepth.MaxDepth = 3
	rfLeaf := fastForest()
	rfLeaf.MinSamplesLeaf = 25
	gbtLeaves := fastBoost()
	gbtLeaves.MaxIter = 10
	gbtDepth := fastBoost()
	gbtDepth.MaxIter, gbtDepth.MaxDepth, gbtDepth.MaxLeafNodes = 10, 2, 0
	tests := []struct {
		name      string
		params    Params
		maxDepth  int
		maxLeaves int
		minCount  int32
	}{
		{"forest max_depth", rfDepth, 3, 8, 1},
		{"forest min_samples_leaf", rfLeaf, 1000, 1000, 25},
		{"boosting max_leaf_nodes", gbtLeaves, 1000, 31, 20},
		{"boosting max_depth", gbtDepth, 2, 4, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Fit(ds, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			var trees []tree
			switch m := m.(type) {
			case *Forest:
				trees = m.trees
			case *Boosted:
				trees = m.trees
			}
			deepest := 0
			for _, tr := range trees {
				deepest = max(deepest, tr.maxDepth())
				if tr.maxDepth() > tc.maxDepth || tr.leaves() > tc.maxLeaves {
					t.Fatalf("tree of depth %d with %d leaves; limits %d and %d", tr.maxDepth(), tr.leaves(), tc.maxDepth, tc.maxLeaves)
				}
				for i, n := range tr.nodes {
					if n.feat < 0 && tr.count[i] < tc.minCount {
						t.Fatalf("leaf %d holds %d samples, want ≥ %d", i, tr.count[i], tc.minCount)
					}
					if n.feat >= 0 && tr.count[n.left]+tr.count[n.left+1] != tr.count[i] {
						t.Fatalf("node %d: children counts %d + %d != %d", i, tr.count[n.left], tr.count[n.left+1], tr.count[i])
					}
				}
			}
			if deepest < 2 {
				t.Errorf("deepest tree has depth %d; the limits were never reached", deepest)
			}
		})
	}
}

func TestEarlyStopping(t *testing.T) {
	noise := rareData(3000, 5, 6)
	for i := range noise.Y { // labels independent of the features
		noise.Y[i] = i%10 == 0
	}
	signal := rareData(3000, 5, 6)
	tests := []struct {
		name    string
		ds      Dataset
		mode    string
		maxIter int
		stopped bool // fewer iterations than max_iter ran
	}{
		{"stops on noise", noise, EarlyStoppingOn, 300, true},
		{"auto is off for small data", noise, EarlyStoppingAuto, 15, false},
		{"keeps the best iteration", signal, EarlyStoppingOn, 300, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultBoostedParams()
			p.EarlyStopping, p.MaxIter, p.Seed = tc.mode, tc.maxIter, 9
			m, err := FitBoosted(tc.ds, p)
			if err != nil {
				t.Fatal(err)
			}
			loss := m.ValidationLoss()
			if tc.mode == EarlyStoppingAuto {
				if loss != nil || m.Iterations() != tc.maxIter {
					t.Errorf("auto on %d rows: %d iterations, validation loss %v; want %d and none", len(tc.ds.Y), m.Iterations(), loss, tc.maxIter)
				}
				return
			}
			ran := len(loss) - 1
			if tc.stopped && (ran >= tc.maxIter || ran < p.NIterNoChange) {
				t.Errorf("ran %d of %d iterations", ran, tc.maxIter)
			}
			best := 0
			for i, l := range loss {
				if l < loss[best] {
					best = i
				}
			}
			if m.Iterations() != best {
				t.Errorf("kept %d trees, best validation loss after %d", m.Iterations(), best)
			}
			if !shouldStop(loss, p.NIterNoChange, p.Tol) || shouldStop(loss[:len(loss)-1], p.NIterNoChange, p.Tol) {
				t.Errorf("stopped after %d iterations, not at the first that met the rule", ran)
			}
		})
	}
}

func TestShouldStop(t *testing.T) {
	tests := []struct {
		losses []float64
		n      int
		want   bool
	}{
		{[]float64{1, 0.9, 0.8}, 2, false},
		{[]float64{1, 0.9}, 2, false},
		{[]float64{1, 1, 1}, 2, true},
		{[]float64{1, 1.1, 0.99}, 2, false},
		{[]float64{0.5, 0.6, 0.7, 0.5}, 3, true},
		{[]float64{0.5, 0.6, 0.7, 0.4999999}, 3, true}, // within tol
	}
	for _, tc := range tests {
		if got := shouldStop(tc.losses, tc.n, 1e-6); got != tc.want {
			t.Errorf("shouldStop(%v, %d) = %v, want %v", tc.losses, tc.n, got, tc.want)
		}
	}
}

func TestTreeOptionsStillLearn(t *testing.T) {
	train, test := splitAt(rareData(6000, 6, 12), 4000)
	entropy := fastForest()
	entropy.Criterion = CriterionEntropy
	noBoot := fastForest()
	noBoot.Bootstrap, noBoot.MaxFeatures = false, "0.5"
	halfRows := fastForest()
	halfRows.MaxSamples, halfRows.ClassWeight, halfRows.MaxBins = 0.5, ClassWeightBalanced, 16
	sub := fastBoost()
	sub.Subsample, sub.L2, sub.ClassWeight, sub.MaxBins = 0.5, 1, ClassWeightBalanced, 32
	for name, p := range map[string]Params{"entropy": entropy, "no bootstrap": noBoot,
		"max_samples and balanced": halfRows, "subsample, l2 and balanced": sub} {
		t.Run(name, func(t *testing.T) {
			m, err := Fit(train, p)
			if err != nil {
				t.Fatal(err)
			}
			if auc := rocAUC(predictAll(t, m, test), test.Y); auc < 0.8 {
				t.Errorf("AUC %.3f < 0.8", auc)
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	ds := rareData(3000, 6, 8)
	for _, p := range allKinds() {
		t.Run(p.Kind(), func(t *testing.T) {
			fit := func(p Params) []byte {
				m, err := Fit(ds, p)
				if err != nil {
					t.Fatal(err)
				}
				b, err := Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			a := fit(p)
			if b := fit(p); !bytes.Equal(a, b) {
				t.Fatal("two fits with the same seed differ")
			}
			switch q := p.(type) {
			case ForestParams:
				q.Workers = 1
				if b := fit(q); !bytes.Equal(a, b) {
					t.Error("one worker and GOMAXPROCS workers differ")
				}
				q.Workers, q.Seed = 7, q.Seed+1
				if b := fit(q); bytes.Equal(a, b) {
					t.Error("a different seed gave the same forest")
				}
			case BoostedParams:
				q.Workers, q.Subsample, q.EarlyStopping = 1, 0.7, EarlyStoppingOn
				one := fit(q)
				q.Workers = 5
				if b := fit(q); !bytes.Equal(one, b) {
					t.Error("one worker and five workers differ")
				}
			}
		})
	}
}

func TestImportancesNonNegative(t *testing.T) {
	ds := rareData(2000, 6, 13)
	for _, p := range allKinds() {
		m, err := Fit(ds, p)
		if err != nil {
			t.Fatal(err)
		}
		imp := m.Importances()
		if len(imp) != 6 || slices.ContainsFunc(imp, func(v float64) bool { return !(v >= 0) }) {
			t.Errorf("%s: importances %v", p.Kind(), imp)
		}
		// Feature 0 has the strongest effect in rareData.
		if slices.Index(imp, slices.Max(imp)) != 0 {
			t.Errorf("%s: feature 0 is not the most important: %v", p.Kind(), imp)
		}
	}
}
