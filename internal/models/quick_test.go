package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// checkSums scores x (rows of d values) with s and row by row with tree.predict, starting
// from init, and fails unless every sum is the same bit for bit. It scores the rows in one
// call and again in chunks of odd sizes, so that pairs of rows straddle every position.
func checkSums(t *testing.T, s batchScorer, trees []tree, d int, x []float64, init float64) {
	t.Helper()
	n := len(x) / d
	want := make([]float64, n)
	slowSums(trees, d, x, want, init)
	for _, chunk := range []int{n, 1, 3, 67} {
		got := make([]float64, n)
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			s.sums(d, x[lo*d:hi*d], got[lo:hi], init)
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("chunks of %d, row %d %v: got %v, row by row %v", chunk, i, x[i*d:(i+1)*d], got[i], want[i])
			}
		}
	}
}

// chainTree returns a tree of n leaves on feature 0: split k (k < n−1) sends x ≤ k to leaf k
// (value 10·k) and the rest on to split k+1; the last leaf (value 10·(n−1)) takes x > n−2.
// Its leaves, left to right, are leaf 0, 1, …, n−1, and split k's left subtree is leaf k.
func chainTree(n int) tree {
	tr := newTree(0, int32(n))
	id := 0
	for k := range n - 1 {
		left := tr.addChildren(id, 0, float64(k), float64(10*k), float64(10*(k+1)), 1, int32(n-k-1))
		id = left + 1
	}
	return tr
}

// TestQuickScorerHandBuilt checks the leaf numbering, masks, lists and sums of a tiny
// ensemble against values worked out by hand.
func TestQuickScorerHandBuilt(t *testing.T) {
	// Tree 0: x0 ≤ 0.5 ? (x1 ≤ −1 ? 10 : 20) : 30. Leaves left to right: 10, 20, 30.
	t0 := newTree(0, 100)
	t0.addChildren(0, 0, 0.5, 15, 30, 60, 40) // nodes 1 (inner, below) and 2 (leaf 30)
	t0.addChildren(1, 1, -1, 10, 20, 30, 30)  // nodes 3 (leaf 10) and 4 (leaf 20)
	// Tree 1: x0 ≤ 2 ? 1 : (x0 ≤ 3 ? 2 : 3). Leaves left to right: 1, 2, 3.
	t1 := newTree(0, 100)
	t1.addChildren(0, 0, 2, 1, 2.5, 50, 50) // nodes 1 (leaf 1) and 2 (inner, below)
	t1.addChildren(2, 0, 3, 2, 3, 25, 25)   // nodes 3 (leaf 2) and 4 (leaf 3)
	// Tree 2: a lone leaf.
	t2 := newTree(0.5, 100)
	trees := []tree{t0, t1, t2}

	q := newQuickScorer(trees, 2)
	if q == nil {
		t.Fatal("newQuickScorer returned nil")
	}
	if !q.pair || q.splits != 4 || q.depth != 4 {
		t.Errorf("pair %v, splits %d, depth %d; want true, 4, 4", q.pair, q.splits, q.depth)
	}
	if want := []float64{10, 20, 30, 1, 2, 3, 0.5}; fmt.Sprint(q.leaves) != fmt.Sprint(want) {
		t.Errorf("leaves %v, want %v", q.leaves, want)
	}
	if want := []uint32{0, 3, 6, 7}; fmt.Sprint(q.leafOff) != fmt.Sprint(want) {
		t.Errorf("leafOff %v, want %v", q.leafOff, want)
	}
	both := func(m uint64) uint64 { return m | m<<32 }
	if want := []uint64{both(0b111), both(0b111), both(0b1)}; fmt.Sprint(q.start) != fmt.Sprint(want) {
		t.Errorf("start %#x, want %#x", q.start, want)
	}
	// Feature 0: tree 0's root (0.5, left subtree leaves 0–1), tree 1's root (2, leaf 0),
	// tree 1's node 2 (3, leaf 1); feature 1: tree 0's node 1 (−1, leaf 0). Each list ends
	// with quickPad sentinels.
	inf := math.Inf(1)
	low := func(m uint64) uint64 { return both(m & math.MaxUint32) }
	wantThr := []float64{0.5, 2, 3, inf, inf, inf, inf, -1, inf, inf, inf, inf}
	wantEnt := []quickEntry{
		{mask: low(^uint64(0b11)), off: 0}, {mask: low(^uint64(0b1)), off: 8}, {mask: low(^uint64(0b10)), off: 8},
		{mask: math.MaxUint64}, {mask: math.MaxUint64}, {mask: math.MaxUint64}, {mask: math.MaxUint64},
		{mask: low(^uint64(0b1)), off: 0},
		{mask: math.MaxUint64}, {mask: math.MaxUint64}, {mask: math.MaxUint64}, {mask: math.MaxUint64},
	}
	if fmt.Sprint(q.featOff) != fmt.Sprint([]uint32{0, 7, 12}) || fmt.Sprint(q.thr) != fmt.Sprint(wantThr) || fmt.Sprint(q.ent) != fmt.Sprint(wantEnt) {
		t.Errorf("featOff %v thr %v ent %#x; want [0 7 12] %v %#x", q.featOff, q.thr, q.ent, wantThr, wantEnt)
	}

	rows := []struct {
		x    [2]float64
		want float64 // init 100 plus the three trees' leaves
	}{
		{[2]float64{0.5, -1}, 100 + 10 + 1 + 0.5}, // ties go left
		{[2]float64{0, 5}, 100 + 20 + 1 + 0.5},
		{[2]float64{0.6, -0.9}, 100 + 30 + 1 + 0.5},
		{[2]float64{2, 0}, 100 + 30 + 1 + 0.5},
		{[2]float64{2.5, -2}, 100 + 30 + 2 + 0.5},
		{[2]float64{3, 0}, 100 + 30 + 2 + 0.5},
		{[2]float64{math.Nextafter(3, 4), 0}, 100 + 30 + 3 + 0.5},
		{[2]float64{-1e300, 1e300}, 100 + 20 + 1 + 0.5},
	}
	var x []float64
	for _, r := range rows {
		x = append(x, r.x[:]...)
	}
	got := make([]float64, len(rows))
	q.sums(2, x, got, 100)
	for i, r := range rows {
		if got[i] != r.want {
			t.Errorf("x = %v: got %v, want %v", r.x, got[i], r.want)
		}
	}
	checkSums(t, q, trees, 2, x, 100)
}

// TestQuickScorerSingleRows checks the one-row-a-bitvector mode of trees of 33 to 64
// leaves on chain trees, whose numbering is known: leaf k is reached by x0 in (k−1, k].
func TestQuickScorerSingleRows(t *testing.T) {
	for _, n := range []int{33, 40, 64} {
		trees := []tree{chainTree(n), chainTree(3), chainTree(n)}
		q := newQuickScorer(trees, 1)
		if q == nil || q.pair {
			t.Fatalf("%d leaves: scorer %v, want a single-row one", n, q)
		}
		if q.leafOff[1] != uint32(n) || q.leaves[n-1] != float64(10*(n-1)) || q.start[0] != math.MaxUint64>>(64-n) {
			t.Errorf("%d leaves: leafOff %v, last leaf %v, start %#x", n, q.leafOff[:2], q.leaves[n-1], q.start[0])
		}
		var x []float64
		for k := -1; k <= n; k++ {
			v := float64(k)
			x = append(x, v, math.Nextafter(v, -1e9), math.Nextafter(v, 1e9))
		}
		got := make([]float64, len(x))
		q.sums(1, x, got, 0)
		for i, v := range x {
			leaf := min(max(int(math.Ceil(v)), 0), n-1)
			small := min(max(int(math.Ceil(v)), 0), 2)
			if want := float64(10*leaf) + float64(10*small) + float64(10*leaf); got[i] != want {
				t.Errorf("%d leaves, x = %v: got %v, want %v", n, v, got[i], want)
			}
		}
		checkSums(t, q, trees, 1, x, 0.25)
	}
	if q := newQuickScorer([]tree{chainTree(65)}, 1); q != nil {
		t.Error("a tree of 65 leaves got a quickScorer")
	}
}

// tieRows returns rows of d values around the split thresholds of trees: each row puts one
// threshold, or the float64 just below or above it, at its feature, and random values
// elsewhere; pairs of equal rows are among them.
func tieRows(trees []tree, d int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 11))
	var x []float64
	for _, tr := range trees {
		for _, n := range tr.nodes {
			if n.feat < 0 {
				continue
			}
			for _, v := range []float64{n.thr, n.thr, math.Nextafter(n.thr, math.Inf(-1)), math.Nextafter(n.thr, math.Inf(1))} {
				row := make([]float64, d)
				for j := range row {
					row[j] = 2 * rng.NormFloat64()
				}
				row[n.feat] = v
				x = append(x, row...)
			}
		}
	}
	return x
}

// TestQuickScorerMatchesPredictProba fits GBTs whose trees have at most 64 leaves — the
// defaults (31 leaves, grown best first) and depth-limited trees — and checks that their
// QuickScorer, in both modes, gives bit for bit the sums of tree.predict: on random rows, on
// rows at and next to every threshold, and on rows with NaN and ±Inf (blocks scored row by
// row). PredictBatch must match PredictProba too, whichever path the model chose.
func TestQuickScorerMatchesPredictProba(t *testing.T) {
	ds := rareData(3000, 7, 21)
	d := len(ds.Features)
	type config struct {
		name              string
		leaves, depth     int
		pair, quickChosen bool
	}
	for _, c := range []config{
		{"default", 31, 0, true, true},
		{"leaves8", 8, 0, true, true},
		{"depth4", 0, 4, true, false},
		{"depth6", 0, 6, false, false},
		{"leaves50", 50, 0, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := fastBoost()
			p.MaxLeafNodes, p.MaxDepth, p.MinSamplesLeaf, p.MaxIter, p.Seed = c.leaves, c.depth, 5, 40, 3
			fitted, err := Fit(ds, p)
			if err != nil {
				t.Fatal(err)
			}
			m := fitted.(*Boosted)
			_, leaves, _ := m.Trees()
			q := newQuickScorer(m.trees, d)
			if q == nil {
				t.Fatalf("no quickScorer for trees of %.1f leaves on average", leaves)
			}
			if q.pair != c.pair {
				t.Errorf("pair mode %v, want %v (%.1f leaves on average)", q.pair, c.pair, leaves)
			}
			ties := thresholds(m)
			for _, rows := range []struct {
				name string
				x    []float64
			}{
				{"random", randomRows(1000, d, ties, false, 1)},
				{"ties", tieRows(m.trees, d, 2)},
				{"special", randomRows(1000, d, ties, true, 3)},
			} {
				t.Run(rows.name, func(t *testing.T) {
					checkSums(t, q, m.trees, d, rows.x, m.baseline)
					out := make([]float64, len(rows.x)/d)
					if err := m.PredictBatch(rows.x, out); err != nil {
						t.Fatal(err)
					}
					for i := range out {
						if want := m.PredictProba(rows.x[i*d : (i+1)*d]); math.Float64bits(out[i]) != math.Float64bits(want) {
							t.Fatalf("row %d: PredictBatch %v, PredictProba %v", i, out[i], want)
						}
					}
				})
			}
			t.Logf("%.1f leaves a tree, pair mode %v, splits %d, summed depth %d, pays %v", leaves, q.pair, q.splits, q.depth, q.pays())
			if c.quickChosen && m.flat.quick == nil {
				t.Errorf("PredictBatch did not choose the quickScorer (depth %d, splits %d)", q.depth, q.splits)
			}
		})
	}
}

// TestQuickScorerNonFiniteBlocks puts a NaN, an infinity or both into some blocks of
// ensembleBlock rows: those blocks are scored row by row, the others by the quickScorer,
// and every sum must still match.
func TestQuickScorerNonFiniteBlocks(t *testing.T) {
	ds := rareData(2000, 5, 4)
	d := len(ds.Features)
	m, err := FitBoosted(ds, fastBoost())
	if err != nil {
		t.Fatal(err)
	}
	q := newQuickScorer(m.trees, d)
	if q == nil {
		t.Fatal("newQuickScorer returned nil")
	}
	const n = 10*ensembleBlock + 7
	x := randomRows(n, d, thresholds(m), false, 5)
	x[3*ensembleBlock*d+2] = math.NaN()                  // block 3
	x[(5*ensembleBlock+ensembleBlock-1)*d] = math.Inf(1) // last row of block 5
	x[6*ensembleBlock*d+d-1] = math.Inf(-1)              // first row of block 6
	x[(6*ensembleBlock+9)*d+1] = math.NaN()              // and a NaN in it too
	x[(10*ensembleBlock+6)*d+d-1] = math.Inf(1)          // the short last block
	checkSums(t, q, m.trees, d, x, m.baseline)
	out := make([]float64, n)
	if err := m.PredictBatch(x, out); err != nil {
		t.Fatal(err)
	}
	for i := range out {
		if want := m.PredictProba(x[i*d : (i+1)*d]); math.Float64bits(out[i]) != math.Float64bits(want) {
			t.Fatalf("row %d: PredictBatch %v, PredictProba %v", i, out[i], want)
		}
	}
}

// TestQuickScorerOddThresholds covers thresholds that Fit never makes but a hand-built
// tree may have: NaN (tree.predict sends every row right), ±Inf and −0.
func TestQuickScorerOddThresholds(t *testing.T) {
	var trees []tree
	for _, thr := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0} {
		tr := newTree(0, 10)
		tr.addChildren(0, 0, thr, 1, 2, 5, 5)
		tr.addChildren(2, 1, thr, 3, 4, 2, 3)
		trees = append(trees, tr)
	}
	q := newQuickScorer(trees, 2)
	if q == nil {
		t.Fatal("newQuickScorer returned nil")
	}
	var x []float64
	for _, a := range []float64{-1e308, -1, math.Copysign(0, -1), 0, 1, 1e308} {
		for _, b := range []float64{-5, 0, math.Copysign(0, -1), 7} {
			x = append(x, a, b)
		}
	}
	checkSums(t, q, trees, 2, x, 0)
}

// TestQuickScorerLoneLeaves covers trees that are a single leaf, first and later in the
// ensemble, which have no split in any list, and a feature no tree splits on.
func TestQuickScorerLoneLeaves(t *testing.T) {
	leaf := newTree(0.25, 10)
	split := newTree(0, 10)
	split.addChildren(0, 1, 0, -0.5, 0.5, 5, 5)
	trees := []tree{leaf, split, leaf}
	q := newQuickScorer(trees, 3)
	if q == nil {
		t.Fatal("newQuickScorer returned nil")
	}
	x := []float64{-1, -1, 9, 1, 1, 9, 0, 0, 9, 2, 0.5, 9, -3, -3, 9}
	checkSums(t, q, trees, 3, x, 1)
	if q := newQuickScorer([]tree{leaf, leaf}, 1); q == nil || q.splits != 0 {
		t.Errorf("an ensemble of lone leaves: scorer %v", q)
	}
}

// TestQuickScorerFallsBackForBigTrees checks that an ensemble with trees of more than 64
// leaves gets no quickScorer, takes the flat path, and still matches PredictProba.
func TestQuickScorerFallsBackForBigTrees(t *testing.T) {
	ds := rareData(3000, 7, 21)
	d := len(ds.Features)
	p := fastBoost()
	p.MaxLeafNodes, p.MaxDepth, p.MinSamplesLeaf, p.MaxIter = 0, 12, 2, 10
	fitted, err := Fit(ds, p)
	if err != nil {
		t.Fatal(err)
	}
	m := fitted.(*Boosted)
	big := 0
	for i := range m.trees {
		big = max(big, m.trees[i].leaves())
	}
	if big <= quickMaxLeaves {
		t.Fatalf("largest tree has %d leaves, want more than %d", big, quickMaxLeaves)
	}
	if newQuickScorer(m.trees, d) != nil {
		t.Fatal("newQuickScorer built a scorer for trees of more than 64 leaves")
	}
	x := randomRows(500, d, thresholds(m), false, 9)
	out := make([]float64, 500)
	if err := m.PredictBatch(x, out); err != nil {
		t.Fatal(err)
	}
	if m.flat.quick != nil || m.flat.flat == nil {
		t.Fatal("PredictBatch did not take the flat path")
	}
	for i := range out {
		if want := m.PredictProba(x[i*d : (i+1)*d]); math.Float64bits(out[i]) != math.Float64bits(want) {
			t.Fatalf("row %d: PredictBatch %v, PredictProba %v", i, out[i], want)
		}
	}
}

// TestQuickScorerAfterUnmarshal checks a GBT read back by Unmarshal: it builds its
// quickScorer on its first batch, and its batch probabilities equal both its own and the
// original model's PredictProba.
func TestQuickScorerAfterUnmarshal(t *testing.T) {
	ds := rareData(3000, 6, 8)
	d := len(ds.Features)
	orig, err := FitBoosted(ds, fastBoost())
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	m := c.(*Boosted)
	x := randomRows(777, d, thresholds(m), false, 6)
	out := make([]float64, 777)
	if err := m.PredictBatch(x, out); err != nil {
		t.Fatal(err)
	}
	if m.flat.quick == nil {
		t.Fatal("the unmarshalled model did not choose the quickScorer")
	}
	checkSums(t, m.flat.quick, m.trees, d, x, m.baseline)
	for i := range out {
		row := x[i*d : (i+1)*d]
		if want := m.PredictProba(row); math.Float64bits(out[i]) != math.Float64bits(want) || want != orig.PredictProba(row) {
			t.Fatalf("row %d: PredictBatch %v, PredictProba %v, original's %v", i, out[i], want, orig.PredictProba(row))
		}
	}
}
