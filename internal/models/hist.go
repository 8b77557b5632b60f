package models

import "math"

// bin accumulates the rows of one histogram bin, or of a whole node. For gradient boosting
// g and h are sums of gradients and hessians; for the forest g is the weight of positive
// rows and h the weight of all rows. n counts training samples (bootstrap duplicates
// included).
type bin struct {
	g, h float64
	n    int32
}

// sub returns a − b.
func (a bin) sub(b bin) bin { return bin{a.g - b.g, a.h - b.h, a.n - b.n} }

// hist is the histogram of one feature in one node. Its fixed size lets a byte code index
// it without bounds checks.
type hist = [256]bin

// featHist returns feature f's histogram within a node histogram of d·256 bins.
func featHist(full []bin, f int) *hist { return (*hist)(full[f*256 : (f+1)*256]) }

// Split criteria.
const (
	critNewton  = iota // gradient boosting: ½·G²/(H+λ)
	critGini           // forest: weighted Gini impurity
	critEntropy        // forest: weighted entropy (log-loss)
)

// criterion scores a node so that the gain of a split is score(left) + score(right) −
// score(parent): the loss reduction of Newton leaf values for boosting, the weighted
// impurity decrease for the forest.
type criterion struct {
	kind    int
	lambda  float64 // L2 penalty on leaf values (boosting)
	minHess float64 // least hessian sum per child (boosting)
}

// score returns the (negated) loss of a node with totals g, h.
func (c criterion) score(g, h float64) float64 {
	switch c.kind {
	case critNewton:
		return newtonScore(g, h, c.lambda)
	case critGini:
		return giniScore(g, h)
	default:
		return entropyScore(g, h)
	}
}

// newtonScore is the loss reduction of a Newton leaf value: ½·G²/(H+λ).
func newtonScore(g, h, lambda float64) float64 { return 0.5 * g * g / (h + lambda) }

// giniScore is minus the weighted Gini impurity, −h·2p(1−p) with p = g/h.
func giniScore(g, h float64) float64 { return -2 * g * (h - g) / h }

// entropyScore is minus the weighted entropy in nats, −h·H(g/h).
func entropyScore(g, h float64) float64 {
	s := 0.0
	if g > 0 {
		s += g * math.Log(g/h)
	}
	if h-g > 0 {
		s += (h - g) * math.Log((h-g)/h)
	}
	return s
}

// minGain is the least gain worth a split: any gain for boosting (scikit-learn's
// min_gain_to_split = 0); for the forest, more than rounding noise of the node's weight.
func (c criterion) minGain(total bin) float64 {
	if c.kind == critNewton {
		return 0
	}
	return 1e-12 * total.h
}

// split is a candidate split of a node: rows with code <= bin on feature feat go left.
type split struct {
	feat int
	bin  int
	gain float64
	left bin // totals of the left child
}

// splitScan walks one feature's histogram from the lowest bin, evaluating "code <= b" after
// each non-empty bin b. Empty bins are skipped: they leave the partition unchanged, so the
// first (lowest) of equally good thresholds wins whether or not they are visited, which
// makes the dense and the sparse walk give identical results.
type splitScan struct {
	total   bin
	parent  float64 // score of the node
	crit    criterion
	minLeaf int32
	feat    int
	left    bin
	started bool
	varied  bool // the feature takes at least two bins in this node
	best    split
}

// reset prepares a walk over feature f, keeping the best split found so far.
func (s *splitScan) reset(f int) {
	s.feat, s.left, s.started, s.varied = f, bin{}, false, false
}

// step adds bin b (totals e) to the left side and evaluates the split after it. It returns
// false once the right side is too small for any further threshold.
func (s *splitScan) step(e bin, b int) bool {
	if !s.started {
		s.started = true
		s.varied = e.n < s.total.n
	}
	s.left.g += e.g
	s.left.h += e.h
	s.left.n += e.n
	if s.left.n < s.minLeaf {
		return true
	}
	right := s.total.sub(s.left)
	if right.n < s.minLeaf || right.n <= 0 {
		return false
	}
	if s.left.h <= s.crit.minHess || right.h <= s.crit.minHess {
		return true
	}
	var gain float64
	switch s.crit.kind { // spelled out so the cheap criteria inline
	case critNewton:
		gain = newtonScore(s.left.g, s.left.h, s.crit.lambda) + newtonScore(right.g, right.h, s.crit.lambda)
	case critGini:
		gain = giniScore(s.left.g, s.left.h) + giniScore(right.g, right.h)
	default:
		gain = entropyScore(s.left.g, s.left.h) + entropyScore(right.g, right.h)
	}
	gain -= s.parent
	if gain > s.best.gain {
		s.best = split{feat: s.feat, bin: b, gain: gain, left: s.left}
	}
	return true
}

// scanDense walks bins 0..nb-2 of h.
func (s *splitScan) scanDense(h *hist, nb int) {
	for b := 0; b < nb-1; b++ {
		if h[b].n == 0 {
			continue
		}
		if !s.step(h[b], b) {
			return
		}
	}
}

// scanSparse walks the non-empty bins listed in ascending order in touched; the last one is
// never a threshold since nothing would go right.
func (s *splitScan) scanSparse(h *hist, touched []uint8) {
	for k := 0; k < len(touched)-1; k++ {
		b := touched[k]
		if !s.step(h[b], int(b)) {
			return
		}
	}
}

// buildHist adds the rows of one node to h. codes is the feature's column, rows the node's
// rows, and g, hh (and cnt, unless nil) the rows' statistics in the same order as rows.
func buildHist(h *hist, codes []uint8, rows []int32, g, hh []float64, cnt []int32) {
	g, hh = g[:len(rows)], hh[:len(rows)]
	if cnt == nil {
		for k, r := range rows {
			e := &h[codes[r]]
			e.g += g[k]
			e.h += hh[k]
			e.n++
		}
		return
	}
	cnt = cnt[:len(rows)]
	for k, r := range rows {
		e := &h[codes[r]]
		e.g += g[k]
		e.h += hh[k]
		e.n += cnt[k]
	}
}

// partition reorders rows stably so that those with codes[r] <= thr come first, and returns
// how many they are. scratch must hold len(rows) values. Each row is written to both sides
// and only its own side advances, so there is no branch to mispredict.
func partition(rows, scratch []int32, codes []uint8, thr uint8) int {
	scratch = scratch[:len(rows)]
	a, b := 0, 0
	for _, r := range rows {
		rows[a] = r
		scratch[b] = r
		left := int(b2i32(codes[r] <= thr))
		a += left
		b += 1 - left
	}
	copy(rows[a:], scratch[:b])
	return a
}
