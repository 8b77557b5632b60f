package models

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"unsafe"
)

// quickMaxLeaves is the most leaves a tree of a quickScorer may have: one bit of a uint64
// each. quickPairLeaves is the most for two rows to share each uint64, 32 bits a row.
const (
	quickMaxLeaves  = 64
	quickPairLeaves = 32
)

// quickPad is the number of sentinel entries after each feature's list: a scan reads up to
// three entries past where it stops.
const quickPad = 4

// quickScorer is the batch-scoring form of an ensemble of small trees (at most 64 leaves
// each) after QuickScorer (Lucchese et al., SIGIR 2015). Each tree's leaves are numbered
// left to right, and a row's state in a tree is a bitvector of the leaves it may still
// reach. A split that sends the row right (thr < x[feature]) rules out the leaves of its
// left subtree: its mask has zeros there. The splits of all trees are kept per feature,
// sorted by threshold, so the splits that send a row right are, for each feature, a prefix
// of that feature's list, and scoring a row is a scan of those prefixes, ANDing each mask
// into its tree's bitvector, with no walk down any tree. The leaf the row reaches in a tree
// is then the lowest bit left set: a mask clears only leaves of its split's left subtree,
// and the splits that have the row's leaf in their left subtree are those on its path that
// send the row left, which are not scanned; and every leaf left of the row's leaf lies in
// the left subtree of a split on its path that sends the row right, whose mask clears it.
//
// When every tree has at most 32 leaves, two rows share each bitvector (the first row in
// the low 32 bits, the second in the high), which saves a third of the read-modify-writes
// on unrelated rows, the cost that dominates, and more on similar rows: the splits both
// rows take right get the mask in both halves, those that only the larger value takes
// right the mask in its half alone.
type quickScorer struct {
	// Feature f's list is thr[featOff[f]:] and ent[featOff[f]:], by thr ascending, ended by
	// quickPad sentinels (thr +Inf, a mask of all ones).
	featOff []uint32
	thr     []float64
	ent     []quickEntry
	// Tree t's leaves, left to right, are leaves[leafOff[t]:leafOff[t+1]]; start[t] is its
	// bitvector before any split: a one for each leaf, in both halves for pairs of rows.
	leafOff []uint32
	leaves  []float64
	start   []uint64
	pair    bool   // every tree has at most quickPairLeaves leaves: score rows two at a time
	splits  int    // splits of all trees, sentinels aside
	depth   int    // the sum over trees of their depth
	trees   []tree // the trees themselves, for rows that are not finite
}

// quickEntry is a split in a feature's list.
type quickEntry struct {
	mask uint64 // zeros at the leaves of the split's left subtree (both halves for pairs)
	off  uint32 // byte offset of the split's tree's bitvector: 8·tree
	_    uint32
}

// quickSplit is a split while a quickScorer is built.
type quickSplit struct {
	feat int32
	tree uint32
	thr  float64
	mask uint64
}

// newQuickScorer builds the QuickScorer form of trees for rows of d values. It returns nil
// when a tree has more than quickMaxLeaves leaves, or when a scan could leave the arrays —
// a split feature outside [0, d), a child out of range or not after its parent, no
// features — which trees that Fit grew or Unmarshal checked never do; callers then use a
// flatEnsemble or score row by row. A leaf's value is its node's thr, which tree.predict
// returns. A NaN threshold sends every row right in tree.predict, as -Inf does: it is
// stored as -Inf.
func newQuickScorer(trees []tree, d int) *quickScorer {
	if d < 1 || len(trees) == 0 || len(trees) > math.MaxUint32/8 || d > math.MaxInt32 {
		return nil
	}
	q := &quickScorer{leafOff: make([]uint32, len(trees)+1), start: make([]uint64, len(trees)), trees: trees}
	var splits []quickSplit
	maxLeaves := 0
	for t := range trees {
		nodes := trees[t].nodes
		first, deepest := len(q.leaves), 0
		// visit numbers the leaves under node i left to right and records the splits
		// there; it fails on a malformed node or past quickMaxLeaves leaves. Depth is
		// bounded too: no leaf of a tree of 64 leaves is deeper than 63.
		var visit func(i, depth int) bool
		visit = func(i, depth int) bool {
			if i < 0 || i >= len(nodes) || depth >= quickMaxLeaves {
				return false
			}
			n := nodes[i]
			if n.feat < 0 {
				if len(q.leaves)-first == quickMaxLeaves {
					return false
				}
				q.leaves = append(q.leaves, n.thr)
				deepest = max(deepest, depth)
				return true
			}
			left := int(n.left)
			if int(n.feat) >= d || left <= i || left+1 >= len(nodes) {
				return false
			}
			lo := len(q.leaves) - first
			if !visit(left, depth+1) {
				return false
			}
			hi := len(q.leaves) - first // the left subtree's leaves are [lo, hi), hi < 64
			thr := n.thr
			if math.IsNaN(thr) {
				thr = math.Inf(-1)
			}
			splits = append(splits, quickSplit{feat: n.feat, tree: uint32(t), thr: thr,
				mask: ^((uint64(1)<<(hi-lo) - 1) << lo)})
			return visit(left+1, depth+1)
		}
		if !visit(0, 0) {
			return nil
		}
		nl := len(q.leaves) - first
		maxLeaves = max(maxLeaves, nl)
		q.start[t] = math.MaxUint64 >> (quickMaxLeaves - nl)
		q.leafOff[t+1] = uint32(len(q.leaves))
		q.depth += deepest
	}
	if len(splits)+quickPad*d > math.MaxUint32 {
		return nil
	}
	q.pair = maxLeaves <= quickPairLeaves
	if q.pair {
		for t, s := range q.start {
			q.start[t] = s | s<<32
		}
		for i, s := range splits {
			m := s.mask & math.MaxUint32
			splits[i].mask = m | m<<32
		}
	}
	slices.SortFunc(splits, func(a, b quickSplit) int {
		return cmp.Or(cmp.Compare(a.feat, b.feat), cmp.Compare(a.thr, b.thr))
	})
	q.splits = len(splits)
	q.featOff = make([]uint32, d+1)
	q.thr = make([]float64, 0, len(splits)+quickPad*d)
	q.ent = make([]quickEntry, 0, len(splits)+quickPad*d)
	i := 0
	for f := range d {
		q.featOff[f] = uint32(len(q.thr))
		for ; i < len(splits) && int(splits[i].feat) == f; i++ {
			q.thr = append(q.thr, splits[i].thr)
			q.ent = append(q.ent, quickEntry{mask: splits[i].mask, off: 8 * splits[i].tree})
		}
		for range quickPad {
			q.thr = append(q.thr, math.Inf(1))
			q.ent = append(q.ent, quickEntry{mask: math.MaxUint64})
		}
	}
	q.featOff[d] = uint32(len(q.thr))
	return q
}

// pays reports whether q is expected to score faster than a flatEnsemble of the same
// trees. A flatEnsemble's walks cost about the trees' depths (four rows walk a tree in
// lockstep until all four reach a leaf); q's scans cost about the splits they AND in,
// a half of all splits per row, or a third when two rows share the bitvectors (the larger
// of two uniform cut points is two thirds of a list). Measured on GBTs of 100 trees
// (BenchmarkPredictBatch's data), q won wherever the trees' summed depth reached 0.88 of
// those ANDs (31, 15 and 8 leaves grown best first; depth 4) and lost where it was 0.6 or
// less (balanced depth-5 and depth-6 trees, 63 leaves): the bar is set at 0.75.
func (q *quickScorer) pays() bool {
	per := 2 // rows per AND
	if q.pair {
		per = 3
	}
	return 4*per*q.depth >= 3*q.splits
}

// sums sets out[i] to init plus the sum of every tree's value for row i of the row-major
// matrix x (d values a row, len(x) = len(out)·d), adding trees in order, so each sum equals
// the one PredictProba computes, bit for bit. Blocks of ensembleBlock rows with a NaN or an
// infinity are scored row by row with tree.predict.
func (q *quickScorer) sums(d int, x, out []float64, init float64) {
	v := make([]uint64, len(q.start))
	for lo := 0; lo < len(out); lo += ensembleBlock {
		z := out[lo:min(lo+ensembleBlock, len(out))]
		xb := x[lo*d : (lo+len(z))*d]
		if !finiteBlock(xb) {
			slowSums(q.trees, d, xb, z, init)
			continue
		}
		if !q.pair {
			for k := range z {
				z[k] = q.rowSum(xb[k*d:(k+1)*d], v, init)
			}
			continue
		}
		k := 0
		for ; k+2 <= len(z); k += 2 {
			z[k], z[k+1] = q.pairSums(xb[k*d:(k+1)*d], xb[(k+1)*d:(k+2)*d], v, init)
		}
		if k < len(z) {
			row := xb[k*d : (k+1)*d]
			z[k], _ = q.pairSums(row, row, v, init)
		}
	}
}

// rowSum returns init plus the sum of every tree's value for the finite row x, with v (a
// uint64 a tree) for the bitvectors.
func (q *quickScorer) rowSum(x []float64, v []uint64, init float64) float64 {
	v = v[:len(q.start)]
	copy(v, q.start)
	vp := unsafe.Pointer(unsafe.SliceData(v))
	tp := unsafe.Pointer(unsafe.SliceData(q.thr))
	ep := unsafe.Pointer(unsafe.SliceData(q.ent))
	featOff := q.featOff[:len(x)]
	for f, a := range x {
		quickScan(tp, ep, vp, uintptr(featOff[f]), a, 0)
	}
	z := init
	leafOff := q.leafOff[:len(v)]
	for t, w := range v {
		z += q.leaves[leafOff[t]+uint32(bits.TrailingZeros64(w))]
	}
	return z
}

// pairSums returns init plus the sum of every tree's value for each of the finite rows x0
// and x1, with v (a uint64 a tree) for the bitvectors of both; every tree has at most 32
// leaves. For each feature, the splits below both values get their mask in both halves,
// the ones between the smaller and the larger value in the larger value's half only.
func (q *quickScorer) pairSums(x0, x1 []float64, v []uint64, init float64) (float64, float64) {
	v = v[:len(q.start)]
	copy(v, q.start)
	vp := unsafe.Pointer(unsafe.SliceData(v))
	tp := unsafe.Pointer(unsafe.SliceData(q.thr))
	ep := unsafe.Pointer(unsafe.SliceData(q.ent))
	featOff := q.featOff[:len(x0)]
	x1 = x1[:len(x0)]
	for f, a := range x0 {
		b := x1[f]
		// lo, hi = min, max and keep = the smaller value's half, without a branch that
		// would go either way at random.
		s := b2u64(b < a)
		ab, bb := math.Float64bits(a), math.Float64bits(b)
		sw := (ab ^ bb) & -s
		lo, hi := math.Float64frombits(ab^sw), math.Float64frombits(bb^sw)
		i := quickScan(tp, ep, vp, uintptr(featOff[f]), lo, 0)
		quickScan(tp, ep, vp, i, hi, math.MaxUint32<<(32*s))
	}
	z0, z1 := init, init
	leafOff := q.leafOff[:len(v)]
	for t, w := range v {
		o := leafOff[t]
		z0 += q.leaves[o+uint32(bits.TrailingZeros32(uint32(w)))]
		z1 += q.leaves[o+uint32(bits.TrailingZeros32(uint32(w>>32)))]
	}
	return z0, z1
}

// quickScan ANDs mask|keep into the bitvectors (at vp) of the entries of a feature's list
// from index i on whose threshold is below the finite x, and returns where its four-at-a-time
// loop stopped: every entry before that is done, and so are the three after it. Those three
// are ANDed without a branch, with a mask of all ones when they are not below x; a list's
// sentinels (+Inf) stop the loop and keep the three inside the arrays. ANDing an entry twice
// changes nothing, so a second scan of the same list may start where this one stopped.
// The unsafe loads stay inside the arrays: newQuickScorer checked every tree index and
// ended every list with quickPad sentinels.
func quickScan(tp, ep, vp unsafe.Pointer, i uintptr, x float64, keep uint64) uintptr {
	const es = unsafe.Sizeof(quickEntry{})
	for *(*float64)(unsafe.Add(tp, 8*(i+3))) < x {
		e := (*[4]quickEntry)(unsafe.Add(ep, es*i))
		*(*uint64)(unsafe.Add(vp, e[0].off)) &= e[0].mask | keep
		*(*uint64)(unsafe.Add(vp, e[1].off)) &= e[1].mask | keep
		*(*uint64)(unsafe.Add(vp, e[2].off)) &= e[2].mask | keep
		*(*uint64)(unsafe.Add(vp, e[3].off)) &= e[3].mask | keep
		i += 4
	}
	t := (*[3]float64)(unsafe.Add(tp, 8*i))
	e := (*[3]quickEntry)(unsafe.Add(ep, es*i))
	*(*uint64)(unsafe.Add(vp, e[0].off)) &= e[0].mask | keep | (b2u64(t[0] < x) - 1)
	*(*uint64)(unsafe.Add(vp, e[1].off)) &= e[1].mask | keep | (b2u64(t[1] < x) - 1)
	*(*uint64)(unsafe.Add(vp, e[2].off)) &= e[2].mask | keep | (b2u64(t[2] < x) - 1)
	return i
}

// b2u64 converts a bool to 0 or 1 without a branch.
func b2u64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
