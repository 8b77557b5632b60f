package models

import (
	"container/heap"
)

// boostGrower grows the trees of gradient boosting best first: the leaf whose best split
// gains most is split next, until max_leaf_nodes leaves exist or no leaf can be split.
// Histograms cover every feature, so a split builds the histogram of the smaller child and
// gets the larger one by subtracting it from the parent's.
type boostGrower struct {
	bd        *binned
	crit      criterion
	minLeaf   int32
	maxDepth  int
	maxLeaves int
	lr        float64
	workers   int

	g, h    []float64 // gradient and hessian per training row
	rows    []int32
	scratch []int32
	og, oh  []float64
	pool    [][]bin
	lo, hi  []int // rows[lo[i]:hi[i]] reached node i
	queue   boostQueue
}

// boostTask is a leaf that may be split.
type boostTask struct {
	id, lo, hi, depth int
	total             bin
	hist              []bin
	best              split
}

// grow builds one tree over rows, which it reorders, and returns it with the total gain of
// its splits per feature.
func (g *boostGrower) grow(rows []int32, gains []float64) tree {
	g.rows = rows
	var total bin
	for _, r := range rows {
		total.g += g.g[r]
		total.h += g.h[r]
	}
	total.n = int32(len(rows))
	t := newTree(g.leafValue(total), total.n)
	g.lo, g.hi = append(g.lo[:0], 0), append(g.hi[:0], len(rows))
	g.queue = g.queue[:0]
	root := &boostTask{id: 0, lo: 0, hi: len(rows), total: total}
	if g.splittable(root) {
		root.hist = g.newHist()
		g.build(root.hist, rows)
		g.offer(root)
	}
	for leaves := 1; len(g.queue) > 0 && (g.maxLeaves == 0 || leaves < g.maxLeaves); leaves++ {
		p := heap.Pop(&g.queue).(*boostTask)
		f, b := p.best.feat, p.best.bin
		nl := partition(g.rows[p.lo:p.hi], g.scratch, g.bd.col(f), uint8(b))
		lt := p.best.left
		rt := p.total.sub(lt)
		left := t.addChildren(p.id, f, g.bd.edges[f][b], g.leafValue(lt), g.leafValue(rt), lt.n, rt.n)
		g.lo = append(g.lo, p.lo, p.lo+nl)
		g.hi = append(g.hi, p.lo+nl, p.hi)
		gains[f] += p.best.gain
		l := &boostTask{id: left, lo: p.lo, hi: p.lo + nl, depth: p.depth + 1, total: lt}
		r := &boostTask{id: left + 1, lo: p.lo + nl, hi: p.hi, depth: p.depth + 1, total: rt}
		g.children(p, l, r)
	}
	for _, p := range g.queue {
		g.release(p.hist)
	}
	g.queue = g.queue[:0]
	return t
}

// children computes the histograms of a split node's children, the smaller one from its rows
// and the larger one by subtraction, and queues those that can be split.
func (g *boostGrower) children(parent, l, r *boostTask) {
	small, large := l, r
	if r.hi-r.lo < l.hi-l.lo {
		small, large = r, l
	}
	smallOK, largeOK := g.splittable(small), g.splittable(large)
	if !smallOK && !largeOK {
		g.release(parent.hist)
		return
	}
	small.hist = g.newHist()
	g.build(small.hist, g.rows[small.lo:small.hi])
	if largeOK {
		for f := range g.bd.d {
			ph, sh := featHist(parent.hist, f), featHist(small.hist, f)
			for b := range g.bd.nbins(f) {
				ph[b] = ph[b].sub(sh[b])
			}
		}
		large.hist = parent.hist
		g.offer(large)
	} else {
		g.release(parent.hist)
	}
	if smallOK {
		g.offer(small)
	} else {
		g.release(small.hist)
	}
}

// splittable reports whether a leaf may be split at all.
func (g *boostGrower) splittable(t *boostTask) bool {
	return (g.maxDepth == 0 || t.depth < g.maxDepth) &&
		t.total.n >= 2*g.minLeaf && t.total.h >= 2*g.crit.minHess
}

// offer finds the best split of t and queues t if there is one; otherwise it frees the
// histogram.
func (g *boostGrower) offer(t *boostTask) {
	s := splitScan{total: t.total, parent: g.crit.score(t.total.g, t.total.h), crit: g.crit, minLeaf: g.minLeaf}
	for f := range g.bd.d {
		if nb := g.bd.nbins(f); nb >= 2 {
			s.reset(f)
			s.scanDense(featHist(t.hist, f), nb)
		}
	}
	if s.best.gain <= g.crit.minGain(t.total) {
		g.release(t.hist)
		t.hist = nil
		return
	}
	t.best = s.best
	heap.Push(&g.queue, t)
}

// parallelRows is the node size (rows × features) above which histograms are built by
// several goroutines; below it, starting them costs more than it saves.
const parallelRows = 1 << 15

// build fills hist, which must be zero, with the histograms of rows for every feature.
func (g *boostGrower) build(hist []bin, rows []int32) {
	og, oh := g.og[:len(rows)], g.oh[:len(rows)]
	for k, r := range rows {
		og[k], oh[k] = g.g[r], g.h[r]
	}
	d := g.bd.d
	w := g.workers
	if len(rows)*d < parallelRows {
		w = 1
	}
	parallelFor(d, w, func(f int) {
		if g.bd.nbins(f) >= 2 {
			buildHist(featHist(hist, f), g.bd.col(f), rows, og, oh, nil)
		}
	})
}

// leafValue is the Newton step of a leaf, shrunk by the learning rate: −lr·G/(H+λ).
func (g *boostGrower) leafValue(t bin) float64 {
	den := t.h + g.crit.lambda
	if !(den > 0) {
		return 0
	}
	return -g.lr * t.g / den
}

// newHist returns a zeroed node histogram.
func (g *boostGrower) newHist() []bin {
	if n := len(g.pool); n > 0 {
		h := g.pool[n-1]
		g.pool = g.pool[:n-1]
		clear(h)
		return h
	}
	return make([]bin, g.bd.d*256)
}

// release returns a histogram to the pool.
func (g *boostGrower) release(h []bin) {
	if h != nil {
		g.pool = append(g.pool, h)
	}
}

// boostQueue is a max-heap of leaves by gain; ties go to the older node, so the order of
// splits is fully determined.
type boostQueue []*boostTask

func (q boostQueue) Len() int { return len(q) }
func (q boostQueue) Less(i, j int) bool {
	if q[i].best.gain != q[j].best.gain {
		return q[i].best.gain > q[j].best.gain
	}
	return q[i].id < q[j].id
}
func (q boostQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *boostQueue) Push(x any)   { *q = append(*q, x.(*boostTask)) }
func (q *boostQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	*q = old[:len(old)-1]
	return t
}
