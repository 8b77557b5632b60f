package models

import (
	"math/bits"
	"math/rand/v2"
)

// forestGrower grows one tree of a random forest, depth first. Each node draws features at
// random and builds the histograms of only those, so the sibling-subtraction trick of
// boosting does not apply; small nodes walk only the bins their rows touch.
type forestGrower struct {
	bd       *binned
	crit     criterion
	rng      *rand.Rand
	mtry     int
	maxDepth int
	minLeaf  int32
	minSplit int32

	// The tree's sample: rows, and aligned with them the weight of the row if positive,
	// its weight and its bootstrap count (oc is nil without bootstrap). Partitioning a
	// node moves all four together, so a node's statistics are always contiguous.
	rows   []int32
	og, oh []float64
	oc     []int32

	scratch  []int32 // partition scratch, as long as the sample
	scratchC []int32
	scratchG []float64
	scratchH []float64
	feats    []int
	order    []uint8
	seen     [4]uint64 // bitmap of the bins a small node touches
	h        hist
	gains    []float64 // total gain per feature
	tree     tree
	stack    []forestTask
	scan     splitScan
}

// forestTask is a node waiting to be split: its index and its rows rows[lo:hi].
type forestTask struct {
	id, lo, hi, depth int
}

// grow builds the tree over the sample.
func (g *forestGrower) grow() tree {
	d := g.bd.d
	n := len(g.rows)
	g.scratch, g.scratchG, g.scratchH = make([]int32, n), make([]float64, n), make([]float64, n)
	if g.oc != nil {
		g.scratchC = make([]int32, n)
	}
	g.feats = make([]int, d)
	for j := range g.feats {
		g.feats[j] = j
	}
	g.order = make([]uint8, 0, 256)
	g.tree = newTree(0, 0)
	g.stack = append(g.stack[:0], forestTask{id: 0, lo: 0, hi: len(g.rows)})
	for len(g.stack) > 0 {
		t := g.stack[len(g.stack)-1]
		g.stack = g.stack[:len(g.stack)-1]
		g.node(t)
	}
	return g.tree
}

// node processes one task: it fixes the node's value and either splits it, queueing the
// children, or leaves it a leaf.
func (g *forestGrower) node(t forestTask) {
	total := g.total(t.lo, t.hi)
	g.tree.setLeafValue(t.id, total.g/total.h)
	g.tree.count[t.id] = total.n
	if (g.maxDepth > 0 && t.depth >= g.maxDepth) || total.n < g.minSplit ||
		total.n < 2*g.minLeaf || total.g == 0 || total.g == total.h {
		return
	}
	best, ok := g.bestSplit(t.lo, t.hi, total)
	if !ok {
		return
	}
	nl := g.partition(t.lo, t.hi, g.bd.col(best.feat), uint8(best.bin))
	thr := g.bd.edges[best.feat][best.bin]
	left := g.tree.addChildren(t.id, best.feat, thr, 0, 0, 0, 0)
	g.gains[best.feat] += best.gain
	// Right first on the stack so the left subtree is grown first.
	g.stack = append(g.stack,
		forestTask{id: left + 1, lo: t.lo + nl, hi: t.hi, depth: t.depth + 1},
		forestTask{id: left, lo: t.lo, hi: t.lo + nl, depth: t.depth + 1})
}

// total sums the statistics of rows[lo:hi].
func (g *forestGrower) total(lo, hi int) bin {
	var t bin
	for _, v := range g.og[lo:hi] {
		t.g += v
	}
	for _, v := range g.oh[lo:hi] {
		t.h += v
	}
	if g.oc == nil {
		t.n = int32(hi - lo)
		return t
	}
	for _, c := range g.oc[lo:hi] {
		t.n += c
	}
	return t
}

// partition splits rows[lo:hi] stably by codes[r] <= thr, moving the aligned statistics
// along, and returns the size of the left part. Every row is written to both sides and
// only the side it belongs to advances, so there is no branch to mispredict.
func (g *forestGrower) partition(lo, hi int, codes []uint8, thr uint8) int {
	rows, og, oh := g.rows[lo:hi], g.og[lo:hi], g.oh[lo:hi]
	n := len(rows)
	sr, sg, sh := g.scratch[:n], g.scratchG[:n], g.scratchH[:n]
	a, b := 0, 0
	if g.oc == nil {
		for k, r := range rows {
			gk, hk := og[k], oh[k]
			rows[a], og[a], oh[a] = r, gk, hk
			sr[b], sg[b], sh[b] = r, gk, hk
			left := int(b2i32(codes[r] <= thr))
			a += left
			b += 1 - left
		}
	} else {
		oc, sc := g.oc[lo:hi], g.scratchC[:n]
		for k, r := range rows {
			gk, hk, ck := og[k], oh[k], oc[k]
			rows[a], og[a], oh[a], oc[a] = r, gk, hk, ck
			sr[b], sg[b], sh[b], sc[b] = r, gk, hk, ck
			left := int(b2i32(codes[r] <= thr))
			a += left
			b += 1 - left
		}
		copy(oc[a:], sc[:b])
	}
	copy(rows[a:], sr[:b])
	copy(og[a:], sg[:b])
	copy(oh[a:], sh[:b])
	return a
}

// bestSplit draws features in random order until mtry of them vary in the node (or all were
// tried) and returns the best split among them.
func (g *forestGrower) bestSplit(lo, hi int, total bin) (split, bool) {
	s := &g.scan
	*s = splitScan{total: total, parent: g.crit.score(total.g, total.h), crit: g.crit, minLeaf: g.minLeaf}
	rows, og, oh := g.rows[lo:hi], g.og[lo:hi], g.oh[lo:hi]
	var oc []int32
	if g.oc != nil {
		oc = g.oc[lo:hi]
	}
	d, visited := len(g.feats), 0
	for k := 0; k < d && visited < g.mtry; k++ {
		j := k + g.rng.IntN(d-k)
		g.feats[k], g.feats[j] = g.feats[j], g.feats[k]
		f := g.feats[k]
		nb := g.bd.nbins(f)
		if nb < 2 {
			continue
		}
		codes := g.bd.col(f)
		s.reset(f)
		if 2*len(rows) < nb {
			g.sparseScan(s, codes, rows, og, oh, oc)
		} else {
			buildHist(&g.h, codes, rows, og, oh, oc)
			s.scanDense(&g.h, nb)
			clear(g.h[:nb])
		}
		if s.varied {
			visited++
		}
	}
	best := s.best
	return best, best.gain > g.crit.minGain(total)
}

// sparseScan builds the histogram of a small node, marking the bins its rows touch in a
// bitmap, walks only those bins in ascending order, and clears them again.
func (g *forestGrower) sparseScan(s *splitScan, codes []uint8, rows []int32, og, oh []float64, oc []int32) {
	buildHist(&g.h, codes, rows, og, oh, oc)
	for _, r := range rows {
		b := codes[r]
		g.seen[b>>6] |= 1 << (b & 63)
	}
	order := g.order[:0]
	for w, set := range g.seen {
		for set != 0 {
			order = append(order, uint8(w<<6+bits.TrailingZeros64(set)))
			set &= set - 1
		}
	}
	g.seen = [4]uint64{}
	s.scanSparse(&g.h, order)
	for _, b := range order {
		g.h[b] = bin{}
	}
	g.order = order
}
