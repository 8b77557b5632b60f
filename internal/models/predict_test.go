package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randomRows draws n rows of d values: mostly normal, a fifth of them split thresholds of
// the model's trees (ties decide between <= and <) and, when special is true, NaN and ±Inf
// scattered in.
func randomRows(n, d int, ties []float64, special bool, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n*d)
	for i := range x {
		switch r := rng.IntN(100); {
		case special && r == 0:
			x[i] = math.NaN()
		case special && r == 1:
			x[i] = math.Inf(1 - 2*rng.IntN(2))
		case r < 20 && len(ties) > 0:
			x[i] = ties[rng.IntN(len(ties))]
		default:
			x[i] = 2 * rng.NormFloat64()
		}
	}
	return x
}

// TestPredictBatchMatchesPredictProba checks, for every model kind, that the batch path
// (QuickScorer or flat lockstep walk, NaN fallback, remainders of blocks, lockstep groups and
// pairs of rows, parallel chunks) gives bit for bit the probabilities of PredictProba, row by
// row.
func TestPredictBatchMatchesPredictProba(t *testing.T) {
	ds := rareData(3000, 7, 21)
	d := len(ds.Features)
	deep := fastBoost()
	deep.MaxLeafNodes, deep.MaxDepth, deep.MinSamplesLeaf, deep.MaxIter = 0, 12, 2, 20
	for _, p := range append(allKinds(), deep) {
		m, err := Fit(ds, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			rows    int
			special bool
		}{{1, false}, {3, false}, {67, false}, {5000, false}, {5000, true}} {
			t.Run(fmt.Sprintf("%s/rows=%d/special=%v", p.Kind(), tc.rows, tc.special), func(t *testing.T) {
				x := randomRows(tc.rows, d, thresholds(m), tc.special, uint64(tc.rows))
				out := make([]float64, tc.rows)
				for _, big := range []bool{false, true} { // both blockings of flatEnsemble.sums
					if err := m.PredictBatch(x, out); err != nil {
						t.Fatal(err)
					}
					for i := range out {
						want := m.PredictProba(x[i*d : (i+1)*d])
						if math.Float64bits(out[i]) != math.Float64bits(want) {
							t.Fatalf("row %d %v: PredictBatch %v, PredictProba %v", i, x[i*d:(i+1)*d], out[i], want)
						}
					}
					if f := flatOf(m); f != nil {
						f.bigTrees = !big
					}
				}
			})
		}
	}
}

// flatOf returns the flat form a tree ensemble built for its last batch, or nil.
func flatOf(m Classifier) *flatEnsemble {
	switch m := m.(type) {
	case *Boosted:
		return m.flat.flat
	case *Forest:
		return m.flat.flat
	}
	return nil
}

// thresholds returns the split thresholds of a tree ensemble, or nil.
func thresholds(m Classifier) []float64 {
	var trees []tree
	switch m := m.(type) {
	case *Boosted:
		trees = m.trees
	case *Forest:
		trees = m.trees
	}
	var thr []float64
	for _, t := range trees {
		for _, n := range t.nodes {
			if n.feat >= 0 {
				thr = append(thr, n.thr)
			}
		}
	}
	return thr
}

// TestBatchFormsRejectMalformedTrees checks that neither unsafe batch form (the flat walk,
// the QuickScorer scans) is built over a tree that could lead it outside its arrays.
func TestBatchFormsRejectMalformedTrees(t *testing.T) {
	good := newTree(0, 10)
	good.addChildren(0, 1, 0.5, -1, 1, 5, 5)
	tests := []struct {
		name  string
		edit  func(*tree)
		d     int
		valid bool
	}{
		{"valid", func(*tree) {}, 2, true},
		{"feature beyond d", func(*tree) {}, 1, false},
		{"no features", func(*tree) {}, 0, false},
		{"child before parent", func(t *tree) { t.nodes[0].left = 0 }, 2, false},
		{"child out of range", func(t *tree) { t.nodes[0].left = 2 }, 2, false},
		{"negative child", func(t *tree) { t.nodes[0].left = -1 }, 2, false},
		{"no nodes", func(t *tree) { t.nodes = nil }, 2, false},
	}
	builders := map[string]func([]tree, int) bool{
		"flatten":        func(ts []tree, d int) bool { return flatten(ts, d) != nil },
		"newQuickScorer": func(ts []tree, d int) bool { return newQuickScorer(ts, d) != nil },
	}
	for name, built := range builders {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				tr := good
				tr.nodes = append([]node(nil), good.nodes...)
				tt.edit(&tr)
				if got := built([]tree{tr}, tt.d); got != tt.valid {
					t.Errorf("built = %v, want %v", got, tt.valid)
				}
			})
		}
		if built(nil, 2) {
			t.Errorf("%s built a form of no trees", name)
		}
	}
}

// TestFlatWalkLoneLeaf covers trees that are a single leaf, first and later in the
// ensemble, whose walk takes no step at all, in both blockings of sums.
func TestFlatWalkLoneLeaf(t *testing.T) {
	leaf := newTree(0.25, 10)
	split := newTree(0, 10)
	split.addChildren(0, 0, 0, -0.5, 0.5, 5, 5)
	trees := []tree{leaf, split, leaf}
	f := flatten(trees, 1)
	if f == nil {
		t.Fatal("flatten returned nil")
	}
	x := []float64{-1, 1, 0, 2, -3}
	for _, big := range []bool{false, true} {
		f.bigTrees = big
		got, want := make([]float64, len(x)), make([]float64, len(x))
		f.sums(1, x, got, 1)
		slowSums(trees, 1, x, want, 1)
		for i := range x {
			if got[i] != want[i] {
				t.Errorf("bigTrees %v, x=%v: flat %v, row by row %v", big, x[i], got[i], want[i])
			}
		}
	}
}
