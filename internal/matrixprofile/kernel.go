package matrixprofile

import (
	"math"
	"sort"
)

// This file holds the MPX band sweep. A task sweeps a band of adjacent diagonals of the distance
// matrix row by row: on row i it visits cells (i, j0..j0+len(c)-1), so every array it touches is a
// contiguous slice that slides by one element per row and stays in L1 cache. c[k] carries the
// running covariance of diagonal j0-i+k from row to row. Each cell offers its correlation to the
// profile of its row's series and to that of its column's series (for a self-join, the same).
//
// Correlations (larger is closer) are turned into distances once at the end.

// row is what a sweep needs of its row's window: the update terms and the inverse norm.
type row struct{ df, dg, inv float64 }

// Ties: every profile keeps, of two equal correlations, the one with the smaller neighbour index
// (better(rho, j, rhoOld, jOld)), whatever order the cells arrive in. Each cell's correlation
// depends only on its band, not on which goroutine sweeps it or when, so with this rule a join's
// output is the same for any number of goroutines.

// better reports whether correlation rho at neighbour j beats rhoOld at jOld.
func better(rho float64, j int, rhoOld float64, jOld int) bool {
	return rho > rhoOld || (rho == rhoOld && j < jOld)
}

// sweepOne advances a band by one row i and offers each cell's correlation to its column
// (colRho, colIdx at the column's offset). It returns the row's best correlation; argBest finds
// where, which is needed rarely enough that tracking it here would cost more than it saves.
// It uses the AVX2 kernel where available for all but the last len(c)%4 cells.
func sweepOne(c, dfY, dgY, invY, colRho []float64, colIdx []int, r row, i int) float64 {
	n := len(c)
	dfY, dgY, invY, colRho, colIdx = dfY[:n], dgY[:n], invY[:n], colRho[:n], colIdx[:n]
	best := -2.0
	if useAVX2 && n >= 4 {
		n4 := n &^ 3
		best = sweepRowAVX2(&c[0], &dfY[0], &dgY[0], &invY[0], &colRho[0], &colIdx[0], n4, r.df, r.dg, r.inv, i)
		if n4 == n {
			return best
		}
		c, dfY, dgY, invY, colRho, colIdx = c[n4:], dfY[n4:], dgY[n4:], invY[n4:], colRho[n4:], colIdx[n4:]
	}
	return max(best, sweepOneGo(c, dfY, dgY, invY, colRho, colIdx, r, i))
}

// sweepOneGo is sweepOne in Go. The conversions to float64 forbid fused multiply-adds, so it
// rounds exactly like the AVX2 kernel.
func sweepOneGo(c, dfY, dgY, invY, colRho []float64, colIdx []int, r row, i int) float64 {
	n := len(c)
	dfY, dgY, invY, colRho, colIdx = dfY[:n], dgY[:n], invY[:n], colRho[:n], colIdx[:n]
	best := -2.0
	for k := range n {
		v := float64(dgY[k]*r.df) + float64(dfY[k]*r.dg) + c[k]
		c[k] = v
		rho := float64(invY[k]*r.inv) * v
		if rho > colRho[k] || (rho == colRho[k] && i < colIdx[k]) {
			colRho[k] = rho
			colIdx[k] = i
		}
		if rho > best {
			best = rho
		}
	}
	return best
}

// sweepPair advances a band by rows i and i+1 in one pass, so each covariance is loaded and stored
// once for two cells and each column term is loaded once for both rows. The band's n diagonals
// are c[:n] (c[n] is scratch) and its columns j0..j0+n are the other slices, all of length n+1:
// row i sees columns k-1 and row i+1 columns k. (Indexing k-1 and k from one base keeps every
// pointer in a register, and equal lengths let the compiler drop all bounds checks.)
func sweepPair(c, dfY, dgY, invY, colRho []float64, colIdx []int, r0, r1 row, i int) (float64, float64) {
	n := len(c)
	dfY, dgY, invY, colRho, colIdx = dfY[:n], dgY[:n], invY[:n], colRho[:n], colIdx[:n]
	best0, best1 := -2.0, -2.0
	for k := 1; k < n; k++ {
		a := float64(dgY[k-1]*r0.df) + float64(dfY[k-1]*r0.dg) + c[k-1]
		p := float64(invY[k-1]*r0.inv) * a
		b := float64(dgY[k]*r1.df) + float64(dfY[k]*r1.dg) + a
		c[k-1] = b
		q := float64(invY[k]*r1.inv) * b
		if p > colRho[k-1] || (p == colRho[k-1] && i < colIdx[k-1]) {
			colRho[k-1] = p
			colIdx[k-1] = i
		}
		if q > colRho[k] || (q == colRho[k] && i+1 < colIdx[k]) {
			colRho[k] = q
			colIdx[k] = i + 1
		}
		if p > best0 {
			best0 = p
		}
		if q > best1 {
			best1 = q
		}
	}
	return best0, best1
}

// argBest returns the k maximising the correlation c[k]·inv·invY[k] of a row just swept.
// Recomputed correlations can differ from the sweep's in the last bit, so a near-tie may resolve
// to the other neighbour; final distances are recomputed from the chosen indices, so P and I
// always agree.
func argBest(c, invY []float64, inv float64) int {
	invY = invY[:len(c)]
	arg, best := 0, math.Inf(-1)
	for k, v := range c {
		if r := float64(invY[k]*inv) * v; r > best {
			arg, best = k, r
		}
	}
	return arg
}

// argBestFirst is argBest for the first row of a pair, whose covariances it recovers by
// subtracting the second row's update from c; dfY, dgY and invY are the pair's column slices.
func argBestFirst(c, dfY, dgY, invY []float64, r0, r1 row) int {
	n := len(c)
	dfY, dgY, invY = dfY[:n+1], dgY[:n+1], invY[:n+1]
	arg, best := 0, math.Inf(-1)
	for k, v := range c {
		a := v - (float64(dgY[k+1]*r1.df) + float64(dfY[k+1]*r1.dg))
		if r := float64(invY[k]*r0.inv) * a; r > best {
			arg, best = k, r
		}
	}
	return arg
}

// profiles is one worker's correlation profiles, indexed by side id.
type profiles struct {
	rho [2][]float64
	idx [2][]int
}

// sweep walks the task's band, two rows at a time where no reseed intervenes.
func (t task) sweep(pr *profiles, c, dev []float64, reseed int) {
	x, y := t.x, t.y
	rowRho, rowIdx := pr.rho[x.id], pr.idx[x.id]
	colRho, colIdx := pr.rho[y.id], pr.idx[y.id]
	ly := len(y.inv)
	rows := min(len(x.inv), ly-t.d0)
	exits := y.cols.exits
	dr := newDrift(t, rows, reseed)
	re := dr.next(0)
	for i := 0; i < rows; {
		j0 := i + t.d0
		n := min(t.width, ly-j0)
		cc := c[:n]
		exits = exits[sort.SearchInts(exits, j0):]
		r0 := row{x.df[i], x.dg[i], x.inv[i]}
		if re {
			rowDev(x, i, dev)
			for k := range cc {
				cc[k] = covAt(dev, y, j0+k)
			}
			r0.df, r0.dg = 0, 0
		} else if exitIn(exits, j0, j0+n) {
			// Diagonals leaving a run of hazard columns on this row get their exact covariance,
			// less the step the sweep below adds.
			rowDev(x, i, dev)
			for _, e := range exits {
				if e >= j0+n {
					break
				}
				cc[e-j0] = covAt(dev, y, e) - (y.dg[e]*r0.df + y.df[e]*r0.dg)
			}
		}
		// Pair rows unless row i+1 needs a reseed, or a hazard in the pair's columns or row i+1's
		// step would make argBestFirst's recovery of row i's covariances imprecise. The AVX2
		// kernel sweeps one row at a time, four diagonals at once.
		reNext := i+1 < rows && dr.next(i+1)
		if !useAVX2 && i+1 < rows && !reNext && j0+n < ly && !exitIn(exits, j0+1, j0+1+n) &&
			y.cols.calm(j0, j0+n+1) && dr.calm(i+1) {
			r1 := row{x.df[i+1], x.dg[i+1], x.inv[i+1]}
			hi := j0 + n + 1
			dfY, dgY, invY := y.df[j0:hi], y.dg[j0:hi], y.inv[j0:hi]
			b0, b1 := sweepPair(c[:n+1], dfY, dgY, invY, colRho[j0:hi], colIdx[j0:hi], r0, r1, i)
			if b0 >= rowRho[i] {
				offer(rowRho, rowIdx, i, b0, j0+argBestFirst(cc, dfY, dgY, invY, r0, r1))
			}
			if b1 >= rowRho[i+1] {
				offer(rowRho, rowIdx, i+1, b1, j0+1+argBest(cc, invY[1:], r1.inv))
			}
			i += 2
			re = i < rows && dr.next(i)
			continue
		}
		hi := j0 + n
		if b := sweepOne(cc, y.df[j0:hi], y.dg[j0:hi], y.inv[j0:hi], colRho[j0:hi], colIdx[j0:hi], r0, i); b >= rowRho[i] {
			offer(rowRho, rowIdx, i, b, j0+argBest(cc, y.inv[j0:hi], r0.inv))
		}
		i++
		re = reNext
	}
}

// offer records correlation rho at neighbour j for row i if it beats what the row has.
func offer(rho []float64, idx []int, i int, r float64, j int) {
	if better(r, j, rho[i], idx[i]) {
		rho[i], idx[i] = r, j
	}
}

// exitIn reports whether the sorted exits hold a column in [lo, hi).
func exitIn(exits []int, lo, hi int) bool {
	k := sort.SearchInts(exits, lo)
	return k < len(exits) && exits[k] < hi
}

// rowDev sets dev to the deviations of x's window i from its mean.
func rowDev(x *side, i int, dev []float64) {
	dev = dev[:x.w.m]
	for t := range dev {
		dev[t] = x.w.dev(i+t, i)
	}
}

// covAt returns the exact covariance of the window whose deviations are dev and y's window j.
func covAt(dev []float64, y *side, j int) float64 {
	r, mu := y.w.ref[j], y.w.mu[j]
	win := y.w.x[j : j+len(dev)]
	var s float64
	for t, v := range win {
		s += dev[t] * ((v - r) - mu)
	}
	return s
}
