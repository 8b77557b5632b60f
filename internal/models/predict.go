package models

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// Batch scoring of tree ensembles. PredictProba walks one tree at a time with bounds-checked
// slices; PredictBatch, which the ≥ 1,000,000 rows/s target of the training-workflow issue is
// about, scores through one of two forms of the ensemble, built once, on the first batch
// (lazyFlat), and both add the trees' values in tree order starting from init, so their
// probabilities equal PredictProba's bit for bit (TestPredictBatchMatchesPredictProba,
// TestQuickScorerMatchesPredictProba). Blocks of 64 rows with a NaN or an infinity are scored
// row by row with tree.predict (finiteBlock, slowSums) by either form.
//
// A quickScorer (quick.go, after QuickScorer, Lucchese et al., SIGIR 2015) serves ensembles
// whose every tree has at most 64 leaves when it is expected to pay (quickScorer.pays): the
// splits of all trees sorted per feature by threshold, a bitvector of the leaves each row can
// still reach in each tree, and a row scored by ANDing into them the masks of the splits
// below its value of each feature; trees of at most 32 leaves (GBT's default 31) let two rows
// share each bitvector. Otherwise — random-forest trees, GBTs of balanced depth-5 or deeper
// trees — a flatEnsemble: every tree's nodes in one contiguous array addressed by byte
// offsets, so a step down a tree is a handful of instructions, blocks of rows scored tree by
// tree so that the tree stays in cache, and four rows walking each tree in lockstep.
//
// Measured with `go test -run '^$' -bench 'PredictBatch' -benchtime 20x ./internal/models/`
// (2 shared cores; rows/cpu-s, before and after the quickScorer, runs alternated): the
// default GBT (100 trees of 31 leaves, 20 features of random rows) went from 0.54–0.56M to
// 0.73–0.75M rows/cpu-s in the quietest three pairs of runs, 1.33–1.35× (0.52–0.60M and
// 0.66–0.89M over all); gbt-depth6 keeps the flat path (0.68–0.79M either way). End to end,
// `go test -run '^$' -bench 'BatchScoring' -benchtime 3x ./functions/modelserver/` (4
// features, Parquet in and out) went from 0.98–1.17M to 1.37–1.51M rows/s for the GBT.
// Single-threaded, per kind of tree (100 trees, 20 random features), the quickScorer's speed
// relative to the flat walk was 1.26–1.46× at 31 leaves grown best first, 1.6× at 15 and 8
// leaves, 1.1× at depth 4 and 1.8× for the model server's 4-feature GBT; it lost at balanced
// depth 5 (0.92–0.96×), depth 6 (0.57×) and 63 leaves (0.70×), where pays keeps the flat
// walk. What limits the quickScorer is the read-modify-write of a bitvector per split below
// the row's value; measured alternatives that lost or did not help: one row a bitvector for
// trees of ≤ 32 leaves, a branch-free binary search for where each feature's scan stops,
// merging a tree's splits on one feature into one entry (fewer ANDs, more instructions),
// blocks of rows scanned feature by feature, scoring four rows at once, and a separate loop
// for the splits below both rows' values. Measured flat-walk alternatives that lost: eight
// rows in lockstep (register spills), level-by-level walks over the whole block (with or
// without a list of unfinished rows), nodes that decide two levels at once, and integer
// comparison keys instead of float64 thresholds.

// flatNode is a tree node of a flatEnsemble, 16 bytes, four to a cache line.
type flatNode struct {
	thr  float64 // go right when thr < x[feature]; +Inf for a leaf, so every finite row goes left
	off  uint32  // byte offset of the split feature in a row: 8·feature; 0 for a leaf
	left uint32  // byte offset of the left child in the node array (a leaf's own); the right child follows it
}

// flatNodeSize is the size of a flatNode, the step between a left and a right child.
const flatNodeSize = uint32(unsafe.Sizeof(flatNode{}))

// flatEnsemble is a batch-scoring form of an ensemble. A leaf becomes a split at +Inf whose
// left child is itself: a finite row at a leaf stays there, which lets several rows walk a
// tree in lockstep without checking for leaves. Only rows of finite values take this path
// (x <= thr and !(thr < x) then agree); blocks with a NaN or an infinity are scored row by
// row with tree.predict.
type flatEnsemble struct {
	nodes []flatNode
	value []float64 // value[o/16] is the output of the leaf at byte offset o
	roots []uint32  // byte offset of each tree's root
	depth []int     // each tree's depth: a walk reaches a leaf within this many steps
	trees []tree    // the trees themselves, for rows that are not finite
	// bigTrees is set when the trees average more than bigTreeBytes; sums then scores a
	// whole chunk tree by tree rather than blocks of ensembleBlock rows.
	bigTrees bool
}

// finiteBlock reports whether every value of x is finite, faster than allFinite: x−x is 0
// for finite x and NaN for NaN and ±Inf, and four sums keep four additions in flight.
func finiteBlock(x []float64) bool {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		a0 += v[0] - v[0]
		a1 += v[1] - v[1]
		a2 += v[2] - v[2]
		a3 += v[3] - v[3]
	}
	for ; i < len(x); i++ {
		a0 += x[i] - x[i]
	}
	return a0+a1+a2+a3 == 0
}

// flatten builds the flat form of trees for rows of d values. It returns nil when the walk
// could leave the arrays — a split feature outside [0, d), a child out of range, more nodes
// than a uint32 byte offset can address, or no features at all — which trees that Fit grew
// or Unmarshal checked never do; callers then score row by row.
func flatten(trees []tree, d int) *flatEnsemble {
	total := 0
	for i := range trees {
		total += len(trees[i].nodes)
	}
	if d < 1 || total == 0 || total > math.MaxUint32/int(flatNodeSize) || d > math.MaxInt32/8 {
		return nil
	}
	f := &flatEnsemble{
		nodes: make([]flatNode, 0, total), value: make([]float64, 0, total),
		roots: make([]uint32, len(trees)), depth: make([]int, len(trees)), trees: trees,
	}
	for t := range trees {
		tr := &trees[t]
		if len(tr.value) != len(tr.nodes) {
			return nil
		}
		base := len(f.nodes)
		f.roots[t] = uint32(base) * flatNodeSize
		for i, n := range tr.nodes {
			switch {
			case n.feat < 0:
				f.nodes = append(f.nodes, flatNode{thr: math.Inf(1), left: uint32(base+i) * flatNodeSize})
			case int(n.feat) >= d || int(n.left) <= i || int(n.left)+1 >= len(tr.nodes):
				return nil
			default:
				f.nodes = append(f.nodes, flatNode{thr: n.thr, off: 8 * uint32(n.feat), left: uint32(base+int(n.left)) * flatNodeSize})
			}
			f.value = append(f.value, tr.value[i])
		}
		f.depth[t] = tr.maxDepth() // after the checks: it indexes children
	}
	f.bigTrees = total*int(flatNodeSize) > bigTreeBytes*len(trees)
	return f
}

// batchScorer is the batch-scoring form of an ensemble: a quickScorer or a flatEnsemble.
type batchScorer interface {
	// sums sets out[i] to init plus the sum of every tree's value for row i of the
	// row-major matrix x (d values a row), adding trees in order.
	sums(d int, x, out []float64, init float64)
}

// lazyFlat builds an ensemble's batch-scoring form once, on the first batch, so models built
// any way (Fit, Unmarshal, by hand in tests) get it: a quickScorer when every tree has at
// most quickMaxLeaves leaves and it pays, a flatEnsemble otherwise.
type lazyFlat struct {
	once  sync.Once
	quick *quickScorer
	flat  *flatEnsemble
}

// get returns the batch-scoring form of trees, or nil when there is none (see
// newQuickScorer and flatten).
func (l *lazyFlat) get(trees []tree, d int) batchScorer {
	l.once.Do(func() {
		if q := newQuickScorer(trees, d); q != nil && q.pays() {
			l.quick = q
		} else {
			l.flat = flatten(trees, d)
		}
	})
	switch {
	case l.quick != nil:
		return l.quick
	case l.flat != nil:
		return l.flat
	}
	return nil
}

// ensembleBlock is the number of rows an ensemble of small trees scores tree by tree, so one
// tree stays in the L1 cache while it scores all of them and the rows stay in L1 or L2.
const ensembleBlock = 64

// bigTreeBytes is the mean tree size above which an ensemble scores a whole chunk of rows
// tree by tree instead: a deep random-forest tree (thousands of nodes) would otherwise be
// read from memory again for every block of 64 rows.
const bigTreeBytes = 32 << 10

// lockstep is how many rows walk a tree together (see walk4).
const lockstep = 4

// predictEnsemble checks the shape of a batch, scores it in parallel chunks and maps each
// sum of tree values (plus init) through finish.
func predictEnsemble(trees []tree, scorer batchScorer, d int, x, out []float64, init float64, finish func(float64) float64) error {
	if len(x) != len(out)*d {
		return fmt.Errorf("models: batch of %d values is not %d rows × %d features", len(x), len(out), d)
	}
	parallelFor(chunks(len(out)), runtime.GOMAXPROCS(0), func(c int) {
		lo, hi := c*batchChunk, min((c+1)*batchChunk, len(out))
		o, xc := out[lo:hi], x[lo*d:hi*d]
		if scorer != nil {
			scorer.sums(d, xc, o, init)
		} else {
			slowSums(trees, d, xc, o, init)
		}
		for k, z := range o {
			o[k] = finish(z)
		}
	})
	return nil
}

// slowSums sets out[i] to init plus the sum of every tree's value for row i of x, row by row
// with tree.predict: for ensembles without a flat form and for rows that are not finite.
func slowSums(trees []tree, d int, x, out []float64, init float64) {
	for k := range out {
		row := x[k*d : (k+1)*d : (k+1)*d]
		z := init
		for t := range trees {
			z += trees[t].predict(row)
		}
		out[k] = z
	}
}

// sums sets out[i] to init plus the sum of every tree's value for row i of the row-major
// matrix x (d values a row, len(x) = len(out)·d), adding trees in order, so each sum equals
// the one PredictProba computes, bit for bit. Rows are scored in blocks, tree by tree.
func (f *flatEnsemble) sums(d int, x, out []float64, init float64) {
	block := ensembleBlock
	if f.bigTrees {
		block = len(out)
	}
	for lo := 0; lo < len(out); lo += block {
		z := out[lo:min(lo+block, len(out))]
		xb := x[lo*d : (lo+len(z))*d]
		if !finiteBlock(xb) {
			slowSums(f.trees, d, xb, z, init)
			continue
		}
		for k := range z {
			z[k] = init
		}
		for t, root := range f.roots {
			k := 0
			for ; k+lockstep <= len(z); k += lockstep {
				f.walk4(root, f.depth[t], xb[k*d:(k+lockstep)*d], d, z[k:k+lockstep])
			}
			for ; k < len(z); k++ {
				z[k] += f.value[f.walk1(root, f.depth[t], xb[k*d:(k+1)*d])/flatNodeSize]
			}
		}
	}
}

// walk4 adds the value of the tree at byte offset root to z for each of four rows x (d
// values each, len(x) = 4·d). One step down a tree is a chain of dependent loads (node,
// then feature value) and a comparison; four rows walking together keep four such chains in
// flight, and every offset in a register (eight rows measured slower: they spill). The
// unsafe loads stay inside the arrays: flatten checked every feature offset against d and
// every child offset against the node array, and a leaf loops onto itself.
func (f *flatEnsemble) walk4(root uint32, depth int, x []float64, d int, z []float64) {
	base := unsafe.Pointer(unsafe.SliceData(f.nodes))
	x = x[:4*d]
	x0, x1 := unsafe.Pointer(&x[0]), unsafe.Pointer(&x[d])
	x2, x3 := unsafe.Pointer(&x[2*d]), unsafe.Pointer(&x[3*d])
	o0, o1, o2, o3 := root, root, root, root
	for range depth {
		var moved uint32
		o0, moved = step(base, x0, o0, moved)
		o1, moved = step(base, x1, o1, moved)
		o2, moved = step(base, x2, o2, moved)
		o3, moved = step(base, x3, o3, moved)
		if moved == 0 { // only leaves lead to themselves
			break
		}
	}
	z = z[:4]
	v := f.value
	z[0] += v[o0/flatNodeSize]
	z[1] += v[o1/flatNodeSize]
	z[2] += v[o2/flatNodeSize]
	z[3] += v[o3/flatNodeSize]
}

// step moves a finite row x from the node at byte offset o to its child and records in
// moved whether it moved. thr < x is !(x <= thr) for finite x, and compiles to one SETcc.
func step(base, x unsafe.Pointer, o, moved uint32) (uint32, uint32) {
	n := (*flatNode)(unsafe.Add(base, o))
	next := n.left + flatNodeSize*b2u32(n.thr < *(*float64)(unsafe.Add(x, n.off)))
	return next, moved | (next ^ o)
}

// b2u32 converts a bool to 0 or 1 without a branch.
func b2u32(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// walk1 returns the byte offset of the leaf that row x (d values) reaches in the tree at
// byte offset root.
func (f *flatEnsemble) walk1(root uint32, depth int, x []float64) uint32 {
	base := unsafe.Pointer(unsafe.SliceData(f.nodes))
	xp := unsafe.Pointer(&x[0])
	o := root
	for range depth {
		o, _ = step(base, xp, o, 0)
	}
	return o
}
