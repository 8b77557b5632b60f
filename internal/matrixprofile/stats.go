package matrixprofile

import "math"

// statsChunk is the most windows the sliding update runs before it restarts from an exact
// two-pass computation, which bounds how far it can drift on benign data.
const statsChunk = 512

// driftLimit is the relative error the sliding variance update may accumulate before the window is
// recomputed exactly. Rounding adds about eps·(|S|+|ΔS|) per step, so the check is cheap and only
// fires where the variance collapses (a spike leaving the window, a loud stretch turning quiet).
const driftLimit = 1e-11

// minNorm is the smallest window norm treated as a spread. With values rescaled below 2⁶⁴, products
// of two norms and of two inverse norms then stay normal floats, so correlations never hit 0·Inf.
const minNorm = 0x1p-460

// rescale returns x, or a copy multiplied by a power of two so that its largest magnitude lies in
// [0.5, 1) when it was outside [2⁻⁶⁴, 2⁶⁴], so that squares and products neither overflow nor
// underflow. Z-normalised distances do not change under any scaling, and scaling by a power of two
// is exact.
func rescale(x []float64) []float64 {
	var hi float64
	for _, v := range x {
		hi = max(hi, math.Abs(v))
	}
	if hi == 0 || (hi <= 0x1p64 && hi >= 0x1p-64) {
		return x
	}
	_, e := math.Frexp(hi)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Ldexp(v, -e)
	}
	return out
}

// windows holds the statistics of every length-m subsequence ("window") of one series.
//
// Means are stored relative to a reference value taken from the series near the window (within
// refSpread standard deviations of its mean), so that a window keeps the precision of its own
// spread whatever the offset or the magnitude of the values around it: x[k]-ref is exact when
// both are close (Sterbenz), and every later difference stays small.
type windows struct {
	x        []float64 // the series, possibly rescaled
	m        int
	ref      []float64 // reference of window i
	mu       []float64 // mean of window i minus its reference
	norm     []float64 // sqrt(Σ(x-mean)²) of window i; 0 when constant
	constant []bool    // window i has no spread: all values equal, or norm below minNorm
}

// newWindows computes the statistics of all len(x)-m+1 windows in O(n) plus an O(m) exact restart
// per chunk; it requires MinWindow ≤ m ≤ len(x).
func newWindows(x []float64, m int) *windows {
	return new(windows).reset(x, m)
}

// reset recomputes w for the windows of x, reusing w's storage where it is large enough.
func (w *windows) reset(x []float64, m int) *windows {
	l := len(x) - m + 1
	w.x, w.m = x, m
	w.ref = resize(w.ref, l)
	w.mu = resize(w.mu, l)
	w.norm = resize(w.norm, l)
	w.constant = resize(w.constant, l)
	markConstant(x, m, w.constant)
	for lo := 0; lo < l; lo += statsChunk {
		w.chunk(lo, min(lo+statsChunk, l))
	}
	return w
}

// resize returns s with length n, reusing its array when the capacity allows; contents are
// unspecified.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// markConstant flags the windows whose values are all exactly equal, from run lengths in O(n).
func markConstant(x []float64, m int, constant []bool) {
	run := 0
	for k, v := range x {
		if k > 0 && v == x[k-1] {
			run++
		} else {
			run = 1
		}
		if k >= m-1 {
			constant[k-m+1] = run >= m
		}
	}
}

// refSpread is how many standard deviations a window's mean may move away from its reference
// before the sliding update restarts on a new one.
const refSpread = 8

// chunk fills windows lo..hi-1 with the sliding (Welford-style) update
//
//	μ' = μ + (xn-xo)/m,  S' = S + (xn-xo)·((xn-μ') + (xo-μ)),
//
// which never subtracts two large sums. It restarts from an exact computation, with the window's
// first value as reference, at lo, whenever the tracked rounding bound exceeds driftLimit relative
// to S, and whenever the mean has moved more than refSpread standard deviations from the
// reference.
func (w *windows) chunk(lo, hi int) {
	x, m := w.x, w.m
	inv := 1 / float64(m)
	r := x[lo]
	mu, s := w.exact(lo, r)
	bound := s
	w.store(lo, r, mu, s)
	for i := lo + 1; i < hi; i++ {
		if w.constant[i] {
			r, mu, s, bound = x[i], 0, 0, 0
			w.store(i, r, mu, s)
			continue
		}
		xo, xn := x[i-1]-r, x[i+m-1]-r
		d := xn - xo
		next := mu + d*inv
		prod := d * ((xn - next) + (xo - mu))
		mu, s = next, s+prod
		bound += math.Abs(prod) + math.Abs(s)
		if !(s*driftLimit > bound*eps) || mu*mu*float64(m) > refSpread*refSpread*s {
			r = x[i]
			mu, s = w.exact(i, r)
			bound = s
		}
		w.store(i, r, mu, s)
	}
}

// exact returns the mean (minus r) and the sum of squared deviations of window i by the corrected
// two-pass algorithm, whose error does not grow with the offset of the data.
func (w *windows) exact(i int, r float64) (mu, s float64) {
	win := w.x[i : i+w.m]
	var sum float64
	for _, v := range win {
		sum += v - r
	}
	mu = sum / float64(w.m)
	var c float64
	for _, v := range win {
		d := (v - r) - mu
		s += d * d
		c += d
	}
	mu += c / float64(w.m)
	return mu, max(s-c*c/float64(w.m), 0)
}

// store records window i, flagging it constant when its spread is not representable.
func (w *windows) store(i int, r, mu, s float64) {
	w.ref[i], w.mu[i] = r, mu
	if w.constant[i] {
		return
	}
	nrm := math.Sqrt(s)
	if !(nrm >= minNorm) {
		w.constant[i] = true
		nrm = 0
	}
	w.norm[i] = nrm
}

// dev returns x[k] minus the mean of window i, computed in the window's local frame.
func (w *windows) dev(k, i int) float64 {
	return (w.x[k] - w.ref[i]) - w.mu[i]
}

// distanceTo returns the z-normalised distance between window i of w and window j of v computed
// directly from the values, sqrt(m)·‖u_i − u_j‖ with u the unit-norm centred windows. Unlike the
// correlation form sqrt(2m(1−ρ)) it keeps full relative precision near 0. Both windows must be
// non-constant.
func (w *windows) distanceTo(i int, v *windows, j int) float64 {
	m := w.m
	xa, xb := w.x[i:i+m], v.x[j:j+m]
	ra, rb := w.ref[i], v.ref[j]
	ma, mb := w.mu[i], v.mu[j]
	ia, ib := 1/w.norm[i], 1/v.norm[j]
	var s float64
	for t, a := range xa {
		d := ((a-ra)-ma)*ia - ((xb[t]-rb)-mb)*ib
		s += d * d
	}
	return math.Sqrt(float64(m) * min(s, 4)) // ‖u_i − u_j‖ ≤ 2 for unit vectors; clip rounding
}
