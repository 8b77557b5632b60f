package matrixprofile

import "math"

// Rounding control for the running covariances of a band sweep. The update
// cov(i,j) = cov(i-1,j-1) + df_i·dg_j + df_j·dg_i rounds each step by about eps times its terms, and
// that error stays in the covariance after the terms that caused it have left the windows. For
// ordinary data this is negligible, but a spike (a value hundreds of standard deviations away from
// its neighbours) leaves errors that can exceed the covariance of the calm windows after it. Two
// mechanisms recompute covariances exactly ("reseed") when that may have happened:
//
//   - Column hazards: a column j whose terms max(|df_j|, |dg_j|) exceed hazardRatio local standard
//     deviations is a hazard. Each diagonal crosses a run of hazard columns once; on the row where
//     it leaves the run, that one diagonal is reseeded (O(m)). Per band and hazard this costs as
//     much as one full reseed, however long the hazard stays in view; and since a window holding a
//     spike raises the local scale, runs of hazards are about m apart, so this at most triples a
//     sweep.
//   - Row drift: the rounding a band may have gathered since its last full reseed is bounded by
//     eps·Σ(|df_i|+|dg_i|)·max_j(|df_j|, |dg_j|) over non-hazard columns. When it exceeds
//     covTol·‖row window‖·min‖column window‖, the whole band is reseeded, unless the next row's
//     own step is a hazard (a spike still leaving the row windows would spoil the reseed at
//     once). These reseeds draw on a budget refilled by 4/m per row, so a band never costs more
//     than a few times its plain sweep; bands are also reseeded every config.reseed rows.

// covTol is the rounding error, relative to the product of the two window norms, that a running
// covariance may accumulate before it is reseeded; it keeps correlations accurate to about 1e-13.
const covTol = 1e-13

// eps is the unit roundoff of float64.
const eps = 0x1p-53

// hazardRatio is how many local standard deviations an update term must exceed to be a hazard.
// Ordinary data stays within about 5; covTol/eps ≈ 450 is where the rounding starts to matter.
const hazardRatio = 64

// maxTokens caps the full reseeds a band can save up during calm stretches.
const maxTokens = 16

// extremes answers min or max queries over ranges of at most size elements in O(1), from prefix
// and suffix extremes within blocks of size elements (van Herk / Gil-Werman).
type extremes struct {
	size     int
	pre, suf []float64
	pick     func(a, b float64) float64
}

func newExtremes(v []float64, size int, pick func(a, b float64) float64) extremes {
	l := len(v)
	e := extremes{size: size, pre: make([]float64, l), suf: make([]float64, l), pick: pick}
	for j := range l {
		e.pre[j] = v[j]
		if j%size != 0 {
			e.pre[j] = pick(v[j], e.pre[j-1])
		}
	}
	for j := l - 1; j >= 0; j-- {
		e.suf[j] = v[j]
		if j+1 < l && (j+1)%size != 0 {
			e.suf[j] = pick(v[j], e.suf[j+1])
		}
	}
	return e
}

// over returns the extreme of v[lo:hi], for 0 ≤ lo < hi ≤ len(v) and hi-lo ≤ size.
func (e *extremes) over(lo, hi int) float64 {
	return e.pick(e.suf[lo], e.pre[hi-1])
}

// columns is what a band sweep needs to know about the side it sweeps as columns: per band
// position the largest non-hazard update term and the smallest window norm, and where runs of
// hazard columns end.
type columns struct {
	band        int
	scale, norm extremes
	exits       []int // sorted: first column after each run of hazard columns
	hazards     []int // hazards[j] counts the hazard columns before j
}

func newColumns(s *side, band int) columns {
	l, m := len(s.inv), s.w.m
	norm := make([]float64, l) // +Inf for constant windows, which have no scale to compare with
	for j, nrm := range s.w.norm {
		norm[j] = nrm
		if s.w.constant[j] {
			norm[j] = math.Inf(1)
		}
	}
	local := newExtremes(norm, 2*m+1, math.Min)
	sqrtM := math.Sqrt(float64(m))
	scale := make([]float64, l)
	hazard := make([]bool, l)
	c := columns{band: band, hazards: make([]int, l+1)}
	for j := range l {
		scale[j] = max(math.Abs(s.df[j]), math.Abs(s.dg[j]))
		if scale[j]*sqrtM > hazardRatio*local.over(max(0, j-m), min(l, j+m+1)) {
			hazard[j], scale[j] = true, 0
		}
		if j > 0 && hazard[j-1] && !hazard[j] {
			c.exits = append(c.exits, j)
		}
		c.hazards[j+1] = c.hazards[j]
		if hazard[j] {
			c.hazards[j+1]++
		}
	}
	c.scale, c.norm = newExtremes(scale, band, math.Max), newExtremes(norm, band, math.Min)
	return c
}

// calm reports whether columns lo..hi-1 hold no hazard.
func (c *columns) calm(lo, hi int) bool {
	return c.hazards[hi] == c.hazards[lo]
}

// at returns the largest non-hazard update term and the smallest norm over the columns
// j0..j0+band-1.
func (c *columns) at(j0 int) (scale, norm float64) {
	hi := min(j0+c.band, len(c.scale.pre))
	return c.scale.over(j0, hi), c.norm.over(j0, hi)
}

// drift decides, row by row, when a band's covariances must all be reseeded (see above).
type drift struct {
	x, y          *side
	d0, rows      int
	reseed        int
	refill, sqrtM float64
	tokens, bound float64
	scale, norm   float64 // column bounds of the row decided next
}

func newDrift(t task, rows, reseed int) *drift {
	d := &drift{x: t.x, y: t.y, d0: t.d0, rows: rows, reseed: reseed, refill: 4 / float64(t.x.w.m),
		sqrtM: math.Sqrt(float64(t.x.w.m)), tokens: maxTokens}
	if rows > 0 {
		d.scale, d.norm = t.y.cols.at(t.d0)
	}
	return d
}

// next accounts for the update into row i and reports whether row i must be reseeded; it must
// be called once for each row, in order.
func (d *drift) next(i int) bool {
	x := d.x
	d.bound += (math.Abs(x.df[i]) + math.Abs(x.dg[i])) * d.scale
	allow := covTol / eps * x.w.norm[i] * d.norm
	d.tokens = min(d.tokens+d.refill, maxTokens)
	if i+1 < d.rows {
		d.scale, d.norm = d.y.cols.at(i + 1 + d.d0)
	}
	switch {
	case i%d.reseed == 0:
	case d.bound > allow && d.tokens >= 1 && !x.w.constant[i] && d.calm(i+1):
		d.tokens--
	default:
		return false
	}
	d.bound = 0
	return true
}

// calm reports whether the update into row i is ordinary for its window rather than a spike
// entering or leaving it. Past the last row it is calm.
func (d *drift) calm(i int) bool {
	if i >= d.rows {
		return true
	}
	x := d.x
	return (math.Abs(x.df[i])+math.Abs(x.dg[i]))*d.sqrtM <= hazardRatio*x.w.norm[i]
}
