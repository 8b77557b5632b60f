package describe

import (
	"math"
	"slices"
)

// hugeValue is the magnitude above which values are scaled down before summing squares, so
// that no sum of squares can overflow.
const hugeValue = 1e100

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// finiteSorted returns the finite values of col in increasing order, in a new slice.
func finiteSorted(col []float64) []float64 {
	vals := make([]float64, 0, len(col))
	for _, v := range col {
		if finite(v) {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	return vals
}

// scaleFor returns the power of two by which values up to magnitude m are divided before
// summing their squares: 1 for ordinary values, and exact (no rounding) in any case.
func scaleFor(m float64) float64 {
	if m <= hugeValue {
		return 1
	}
	return math.Ldexp(1, math.Ilogb(m)+1)
}

// meanStd returns the mean and sample standard deviation of finite, sorted, non-empty vals,
// in two passes with a correction of the mean (as numpy's two-pass variance is accurate).
func meanStd(vals []float64) (mean, std float64) {
	scale := scaleFor(math.Max(math.Abs(vals[0]), math.Abs(vals[len(vals)-1])))
	n := float64(len(vals))
	for _, v := range vals {
		mean += v / scale
	}
	mean /= n
	var dev, ss float64
	for _, v := range vals {
		d := v/scale - mean
		dev += d
		ss += d * d
	}
	// dev is the rounding error of the first pass: the corrected sum of squares is
	// ss − dev²/n (the "corrected two-pass algorithm" of Chan, Golub and LeVeque).
	mean += dev / n
	if len(vals) > 1 {
		std = math.Sqrt(math.Max(ss-dev*dev/n, 0)/(n-1)) * scale
	}
	if vals[0] == vals[len(vals)-1] {
		// A constant has exactly its value as mean and no spread, whatever the rounding.
		return vals[0], 0
	}
	return mean * scale, std
}

// quantile returns the q-quantile of finite, sorted, non-empty vals by linear interpolation,
// numpy's default method, including its interpolation formula for the upper half.
func quantile(vals []float64, q float64) float64 {
	h := float64(len(vals)-1) * q
	k := int(math.Floor(h))
	if k >= len(vals)-1 {
		return vals[len(vals)-1]
	}
	a, b, t := vals[k], vals[k+1], h-float64(k)
	diff := b - a
	if !finite(diff) {
		return a*(1-t) + b*t
	}
	if t >= 0.5 {
		return b - diff*(1-t)
	}
	return a + diff*t
}

// correlation returns the Pearson correlation matrix of the columns over pairwise-complete
// rows, 0 for pairs without variance and 1 on the diagonal (see the package documentation).
func correlation(cols [][]float64) [][]float64 {
	p := len(cols)
	r := make([][]float64, p)
	for i := range r {
		r[i] = make([]float64, p)
		r[i][i] = 1
	}
	// Columns without a missing value, the usual case, share their rows with each other:
	// their cross products accumulate together in one pass of blocks. Pairs involving a
	// column with missing values take their own pass over the rows both have.
	var full []int
	constant := make([]bool, p)
	for j, c := range cols {
		lo, hi, missing := bounds(c)
		switch {
		case missing:
		case lo == hi:
			constant[j] = true
		default:
			full = append(full, j)
		}
	}
	s := crossProducts(cols, full)
	isFull := make(map[int]int, len(full))
	for a, j := range full {
		isFull[j] = a
	}
	for i := range p {
		for j := i + 1; j < p; j++ {
			a, okI := isFull[i]
			b, okJ := isFull[j]
			var v float64
			switch {
			case constant[i] || constant[j]:
			case okI && okJ:
				v = ratio(s[a][b], s[a][a], s[b][b])
			default:
				v = pairwise(cols[i], cols[j])
			}
			r[i][j], r[j][i] = v, v
		}
	}
	return r
}

// bounds returns the extremes of the finite values of c and whether any value is missing.
func bounds(c []float64) (lo, hi float64, missing bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range c {
		if !finite(v) {
			missing = true
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi, missing
}

// ratio returns sxy / sqrt(sxx·syy) clamped to [−1, 1], or 0 when either sum is 0.
func ratio(sxy, sxx, syy float64) float64 {
	d := math.Sqrt(sxx) * math.Sqrt(syy)
	if d == 0 || !finite(d) {
		return 0
	}
	return math.Max(-1, math.Min(1, sxy/d))
}

// crossProducts returns the matrix of sums of products of deviations from the mean of the
// columns idx (all finite), s[a][b] for columns idx[a] and idx[b], accumulated over blocks of
// rows so that the working set stays in cache and no copy of the data is made.
func crossProducts(cols [][]float64, idx []int) [][]float64 {
	k := len(idx)
	s := make([][]float64, k)
	for a := range s {
		s[a] = make([]float64, k)
	}
	if k == 0 {
		return s
	}
	n := len(cols[0])
	means, scales := make([]float64, k), make([]float64, k)
	for a, j := range idx {
		lo, hi, _ := bounds(cols[j])
		scales[a] = scaleFor(math.Max(math.Abs(lo), math.Abs(hi)))
		for _, v := range cols[j] {
			means[a] += v / scales[a]
		}
		means[a] /= float64(n)
	}
	const block = 2048
	buf := make([][]float64, k)
	for a := range buf {
		buf[a] = make([]float64, block)
	}
	for start := 0; start < n; start += block {
		end := min(start+block, n)
		for a, j := range idx {
			for i, v := range cols[j][start:end] {
				buf[a][i] = v/scales[a] - means[a]
			}
		}
		for a := range k {
			x := buf[a][:end-start]
			for b := a; b < k; b++ {
				s[a][b] += dot(x, buf[b][:end-start])
			}
		}
	}
	for a := range k {
		for b := a + 1; b < k; b++ {
			s[b][a] = s[a][b]
		}
	}
	return s
}

// dot returns the dot product of x and y[:len(x)], with four accumulators for speed.
func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// pairwise returns the correlation of x and y over the rows where both are finite; 0 with
// fewer than two such rows or when either is constant over them.
func pairwise(x, y []float64) float64 {
	var n int
	var mx, my float64
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i := range x {
		if finite(x[i]) && finite(y[i]) {
			n++
			xlo, xhi = math.Min(xlo, x[i]), math.Max(xhi, x[i])
			ylo, yhi = math.Min(ylo, y[i]), math.Max(yhi, y[i])
		}
	}
	if n < 2 || xlo == xhi || ylo == yhi {
		return 0
	}
	sx := scaleFor(math.Max(math.Abs(xlo), math.Abs(xhi)))
	sy := scaleFor(math.Max(math.Abs(ylo), math.Abs(yhi)))
	for i := range x {
		if finite(x[i]) && finite(y[i]) {
			mx += x[i] / sx
			my += y[i] / sy
		}
	}
	mx, my = mx/float64(n), my/float64(n)
	var sxx, syy, sxy float64
	for i := range x {
		if finite(x[i]) && finite(y[i]) {
			dx, dy := x[i]/sx-mx, y[i]/sy-my
			sxx += dx * dx
			syy += dy * dy
			sxy += dx * dy
		}
	}
	return ratio(sxy, sxx, syy)
}
