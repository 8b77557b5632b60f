package models

import (
	"math"
	"runtime"
)

// logChunk is the number of rows per partial sum of the logistic objective. Partial sums are
// added in chunk order, so the result does not depend on how many goroutines computed them.
const logChunk = 4096

// logProblem is the logistic-regression objective on standardised features. Features are
// standardised on the fly, (x − mean)·invScale, rather than copied.
type logProblem struct {
	x        []float64
	y        []bool
	n, d     int
	means    []float64
	scales   []float64
	inv      []float64 // 1/scale
	wNeg     float64   // class weights
	wPos     float64
	sumW     float64
	partials [][]float64 // per chunk: f, then the gradient
}

// newLogProblem standardises ds (mean and population standard deviation per feature; a
// constant feature gets scale 1 so it standardises to 0 and keeps a zero coefficient).
func newLogProblem(ds Dataset, p LogisticParams) *logProblem {
	n, d := len(ds.Y), len(ds.Features)
	lp := &logProblem{x: ds.X, y: ds.Y, n: n, d: d,
		means: make([]float64, d), scales: make([]float64, d), inv: make([]float64, d)}
	for i := range n {
		row := ds.X[i*d : (i+1)*d]
		for j, v := range row {
			lp.means[j] += v
		}
	}
	for j := range lp.means {
		lp.means[j] /= float64(n)
	}
	for i := range n {
		row := ds.X[i*d : (i+1)*d]
		for j, v := range row {
			dv := v - lp.means[j]
			lp.scales[j] += dv * dv
		}
	}
	for j := range lp.scales {
		s := math.Sqrt(lp.scales[j] / float64(n))
		// Below this, the spread is rounding noise in the mean (scikit-learn's rule).
		if s == 0 || s < 10*2.220446049250313e-16*math.Abs(lp.means[j]) {
			s = 1
		}
		lp.scales[j] = s
		lp.inv[j] = 1 / s
	}
	lp.wNeg, lp.wPos = classWeights(p.ClassWeight, ds.Y, nil)
	for _, y := range ds.Y {
		if y {
			lp.sumW += lp.wPos
		} else {
			lp.sumW += lp.wNeg
		}
	}
	chunks := (n + logChunk - 1) / logChunk
	lp.partials = make([][]float64, chunks)
	for c := range lp.partials {
		lp.partials[c] = make([]float64, d+2)
	}
	return lp
}

// wts returns the weight of row i.
func (lp *logProblem) wts(i int) float64 {
	if lp.y[i] {
		return lp.wPos
	}
	return lp.wNeg
}

// objective returns the mean weighted log-loss plus l2/2·‖β‖² at theta = (b, β) and stores
// its gradient in grad.
func (lp *logProblem) objective(theta, grad []float64, l2 float64) float64 {
	d := lp.d
	b, beta := theta[0], theta[1:]
	parallelFor(len(lp.partials), runtime.GOMAXPROCS(0), func(c int) {
		part := lp.partials[c]
		clear(part)
		g := part[1:]
		lo, hi := c*logChunk, min((c+1)*logChunk, lp.n)
		for i := lo; i < hi; i++ {
			row := lp.x[i*d : (i+1)*d]
			z := b
			for j, v := range row {
				z += beta[j] * (v - lp.means[j]) * lp.inv[j]
			}
			w, y := lp.wts(i), b2f(lp.y[i])
			part[0] += w * (softplus(z) - y*z)
			r := w * (sigmoid(z) - y)
			g[0] += r
			for j, v := range row {
				g[j+1] += r * (v - lp.means[j]) * lp.inv[j]
			}
		}
	})
	clear(grad)
	f := 0.0
	for _, part := range lp.partials {
		f += part[0]
		for k, v := range part[1:] {
			grad[k] += v
		}
	}
	f /= lp.sumW
	for k := range grad {
		grad[k] /= lp.sumW
	}
	for j, v := range beta {
		f += 0.5 * l2 * v * v
		grad[j+1] += l2 * v
	}
	return f
}

// fistaL1 minimises the mean log-loss plus lambda·‖β‖₁ with FISTA (accelerated proximal
// gradient) with backtracking and a restart of the momentum whenever the objective rises. It
// stops when the largest component of the gradient mapping falls below tol.
func (lp *logProblem) fistaL1(theta []float64, lambda float64, maxIter int, tol float64) ([]float64, int, bool) {
	dim := len(theta)
	x := append([]float64(nil), theta...)
	y := append([]float64(nil), theta...)
	xn := make([]float64, dim)
	gy := make([]float64, dim)
	scratch := make([]float64, dim)
	l1 := func(v []float64) float64 {
		s := 0.0
		for _, b := range v[1:] {
			s += math.Abs(b)
		}
		return lambda * s
	}
	fx := lp.objective(x, scratch, 0) + l1(x)
	lip, t := 1.0, 1.0
	for it := 1; it <= maxIter; it++ {
		fy := lp.objective(y, gy, 0)
		lip *= 0.8 // let the step grow again when the curvature allows it
		var fxn float64
		for {
			for k := range xn {
				v := y[k] - gy[k]/lip
				if k > 0 { // the intercept is not penalised
					v = math.Copysign(max(math.Abs(v)-lambda/lip, 0), v)
				}
				xn[k] = v
			}
			fxn = lp.objective(xn, scratch, 0)
			quad := fy
			for k := range xn {
				dk := xn[k] - y[k]
				quad += gy[k]*dk + 0.5*lip*dk*dk
			}
			if fxn <= quad+1e-15*math.Abs(quad) || lip > 1e12 {
				break
			}
			lip *= 2
		}
		gmap := 0.0
		for k := range xn {
			gmap = max(gmap, lip*math.Abs(y[k]-xn[k]))
		}
		fxn += l1(xn)
		tn := (1 + math.Sqrt(1+4*t*t)) / 2
		if fxn > fx { // momentum overshot: restart from the last iterate
			t, tn = 1, 1
			copy(y, x)
			continue
		}
		for k := range y {
			y[k] = xn[k] + (t-1)/tn*(xn[k]-x[k])
		}
		copy(x, xn)
		fx, t = fxn, tn
		if gmap < tol {
			return x, it, true
		}
	}
	return x, maxIter, false
}
