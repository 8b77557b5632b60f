package matrixprofile

import (
	"math"
	"math/bits"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
)

// minBlock is the smallest FFT block used for sliding dot products. Blocks of a few thousand points
// keep the transform in cache and its rounding error proportional to the local, not the global,
// magnitude of the series.
const minBlock = 2048

// polishAbove is the correlation above which MASS recomputes a distance directly: there
// sqrt(2m(1−ρ)) amplifies the rounding error of ρ by more than sqrt(50m).
const polishAbove = 0.99

// MASS returns the z-normalised Euclidean distance from query to every subsequence of series of the
// same length (Mueen's Algorithm for Similarity Search): element i compares query with
// series[i:i+len(query)]. It runs in O(n log n) using FFT sliding dot products (O(n·m) direct
// sums for queries of up to directMax = 192 points, which are faster there), spread over
// GOMAXPROCS goroutines; the result does not depend on GOMAXPROCS.
//
// There is no exclusion zone: if query is itself a subsequence of series, the distance at its own
// position is (to rounding) zero. Distances of close matches (correlation above 0.99) are
// recomputed directly from the values, so they keep their relative precision near 0.
func MASS(query, series []float64) ([]float64, error) {
	if err := checkSeries("query", query); err != nil {
		return nil, err
	}
	if err := checkSeries("series", series); err != nil {
		return nil, err
	}
	m := len(query)
	if err := checkWindow("query", m, "series", len(series)); err != nil {
		return nil, err
	}
	q := newWindows(rescale(query), m)
	x := rescale(series)
	out := make([]float64, len(x)-m+1)
	if q.constant[0] {
		constantQuery(x, m, out)
		return out, nil
	}
	qc := make([]float64, m)
	for k := range qc {
		qc[k] = q.dev(k, 0)
	}
	newCorrelator(qc, len(x)).run(x, func(dots []float64, w *windows, dotErr float64) {
		for k, dot := range dots {
			dots[k] = q.distanceFrom(dot, dotErr, w, k)
		}
	}, out)
	return out, nil
}

// distanceFrom turns the dot product of q's centred single window with window k of w, computed
// with an error of at most dotErr, into their distance, following the conventions for constant
// windows. It computes the distance directly instead when the correlation is close to 1 (where
// the correlation form loses precision) or when dotErr could move the correlation by more than
// rhoTol (a window with far less spread than the block around it).
func (q *windows) distanceFrom(dot, dotErr float64, w *windows, k int) float64 {
	if w.constant[k] {
		return math.Sqrt(float64(q.m))
	}
	den := q.norm[0] * w.norm[k]
	rho := dot / den
	if rho > polishAbove || dotErr > rhoTol*den {
		return q.distanceTo(0, w, k)
	}
	return distance(rho, q.m)
}

// rhoTol is the largest error in a correlation MASS accepts from the FFT.
const rhoTol = 1e-11

// constantQuery fills out for a constant query: 0 against constant windows, sqrt(m) otherwise.
func constantQuery(x []float64, m int, out []float64) {
	w := newWindows(x, m)
	for i, c := range w.constant {
		out[i] = math.Sqrt(float64(m))
		if c {
			out[i] = 0
		}
	}
}

// distance converts a Pearson correlation between two length-m subsequences into their
// z-normalised Euclidean distance; -Inf (no neighbour) maps to +Inf.
func distance(rho float64, m int) float64 {
	if math.IsInf(rho, -1) {
		return math.Inf(1)
	}
	rho = min(max(rho, -1), 1)
	return math.Sqrt(2 * float64(m) * (1 - rho))
}

// correlator computes sliding dot products Σ_k q[k]·x[i+k] of a zero-mean query by overlap-save
// FFT correlation over blocks of size points, each yielding step = size-m+1 outputs.
//
// Because q has zero mean, the result does not change when a constant is subtracted from x, so
// each block is centred on its own mean first; this keeps the FFT's rounding error relative to
// the block's local spread instead of the series' offset.
type correlator struct {
	m, size, step int
	q             []float64    // the zero-mean query, for direct sums
	qf            []complex128 // conjugated spectrum of the zero-padded query; nil for direct sums
	errScale      float64      // bound on an output's error per unit norm of the centred block
}

// directMax is the longest query whose sliding dot products are summed directly instead of by
// FFT: m multiply-adds per output cost less than a forward and inverse FFT per block up to about
// this length (measured with gonum's FFT), and the direct sums are more accurate.
const directMax = 192

func newCorrelator(q []float64, n int) *correlator {
	m := len(q)
	var qq float64
	for _, v := range q {
		qq += v * v
	}
	if m <= directMax {
		// Each output sums m products of the centred block (itself rounded once) in one
		// accumulator: error at most γ_{m+1}·‖q‖·‖window‖; the factor 2 is a margin.
		size := min(minBlock, n)
		errScale := 2 * float64(m+2) * eps * math.Sqrt(qq)
		return &correlator{m: m, size: size, step: size - m + 1, q: q, errScale: errScale}
	}
	size := min(max(minBlock, ceilPow2(8*m)), ceilPow2(n))
	fft := fourier.NewFFT(size)
	pad := make([]float64, size)
	copy(pad, q)
	qf := fft.Coefficients(nil, pad)
	for k, c := range qf {
		qf[k] = complex(real(c), -imag(c))
	}
	// FFT correlation errors grow like eps·log2(size)·‖q‖·‖block‖; the factor 8 is a margin over
	// the usual constant.
	errScale := 8 * eps * float64(bits.Len(uint(size))) * math.Sqrt(qq)
	return &correlator{m: m, size: size, step: size - m + 1, qf: qf, errScale: errScale}
}

// run computes the dot products of all len(x)-m+1 windows block by block on GOMAXPROCS goroutines.
// For each block it hands finish the block's dot products (a slice of out, which finish
// overwrites with distances), the statistics of its windows and a bound on the dots' error.
func (cr *correlator) run(x []float64, finish func(dots []float64, w *windows, dotErr float64), out []float64) {
	blocks := (len(out) + cr.step - 1) / cr.step
	workers := min(runtime.GOMAXPROCS(0), blocks)
	var wg sync.WaitGroup
	for wk := range workers {
		lo, hi := wk*blocks/workers, (wk+1)*blocks/workers
		wg.Go(func() {
			var f *fourier.FFT
			var coef []complex128
			if cr.qf != nil {
				f = fourier.NewFFT(cr.size)
				coef = make([]complex128, len(cr.qf))
			}
			buf := make([]float64, cr.size)
			var w windows
			for b := lo; b < hi; b++ {
				start := b * cr.step
				dots := out[start:min(start+cr.step, len(out))]
				seg := x[start:min(start+cr.size, len(x))]
				var spread float64
				if f == nil {
					spread = centre(seg, buf)
					slideDots(cr.q, buf[:len(seg)], dots)
				} else {
					spread = cr.block(f, seg, buf, coef)
					scale := 1 / float64(cr.size)
					for k := range dots {
						dots[k] = buf[k] * scale
					}
				}
				finish(dots, w.reset(x[start:start+len(dots)+cr.m-1], cr.m), cr.errScale*spread)
			}
		})
	}
	wg.Wait()
}

// block leaves in buf the unnormalised circular correlation of the mean-centred, zero-padded seg
// with the query; its first len(seg)-m+1 values are the block's sliding dot products. It returns
// the norm of the centred seg.
func (cr *correlator) block(f *fourier.FFT, seg, buf []float64, coef []complex128) float64 {
	spread := centre(seg, buf)
	clear(buf[len(seg):])
	f.Coefficients(coef, buf)
	for k, c := range coef {
		coef[k] = c * cr.qf[k]
	}
	f.Sequence(buf, coef)
	return spread
}

// centre writes seg minus its mean to buf and returns the norm of the result.
func centre(seg, buf []float64) float64 {
	var r, ss float64
	for _, v := range seg {
		r += v
	}
	r /= float64(len(seg))
	buf = buf[:len(seg)]
	for k, v := range seg {
		d := v - r
		buf[k] = d
		ss += d * d
	}
	return math.Sqrt(ss)
}

// slideDots sets dots[k] = Σ_t q[t]·y[k+t] for k < len(dots), with len(y) ≥ len(dots)+len(q)-1.
// Four outputs share each load of q[t]; each output is summed in t order in its own accumulator.
func slideDots(q, y, dots []float64) {
	m, n := len(q), len(dots)
	k := 0
	for ; k+4 <= n; k += 4 {
		y0, y1, y2, y3 := y[k:k+m], y[k+1:k+1+m], y[k+2:k+2+m], y[k+3:k+3+m]
		var s0, s1, s2, s3 float64
		for t, qt := range q {
			s0 += qt * y0[t]
			s1 += qt * y1[t]
			s2 += qt * y2[t]
			s3 += qt * y3[t]
		}
		d := dots[k : k+4 : k+4]
		d[0], d[1], d[2], d[3] = s0, s1, s2, s3
	}
	for ; k < n; k++ {
		yk := y[k : k+m]
		var s float64
		for t, qt := range q {
			s += qt * yk[t]
		}
		dots[k] = s
	}
}

// ceilPow2 returns the smallest power of two ≥ n, for n ≥ 1.
func ceilPow2(n int) int {
	return 1 << bits.Len(uint(n-1))
}
