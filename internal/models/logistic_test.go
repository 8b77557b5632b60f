package models

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestLogisticRecoversCoefficients(t *testing.T) {
	tests := []struct {
		name          string
		coef          []float64
		intercept     float64
		means, scales []float64
	}{
		{"standard features", []float64{1.5, -2, 0.5, 0}, -1, []float64{0, 0, 0, 0}, []float64{1, 1, 1, 1}},
		{"shifted and scaled", []float64{0.02, -3, 0.8}, 2, []float64{70, 0.5, -4}, []float64{10, 0.2, 2}},
		{"rare positives", []float64{1, 1}, -3, []float64{0, 0}, []float64{1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := logisticData(40000, tc.coef, tc.intercept, tc.means, tc.scales, 7)
			p := DefaultLogisticParams()
			p.C = 1e6 // effectively unpenalised
			m, err := FitLogistic(ds, p)
			if err != nil {
				t.Fatal(err)
			}
			if ok, it := m.Converged(); !ok {
				t.Errorf("did not converge in %d iterations", it)
			}
			coef, b := m.Coefficients()
			for j, want := range tc.coef {
				// A tolerance of about four standard errors on standardised features.
				if tol := 0.1 / tc.scales[j]; math.Abs(coef[j]-want) > tol {
					t.Errorf("coef[%d] = %.4f, want %.4f ± %.4f", j, coef[j], want, tol)
				}
			}
			if tol := 0.1 + 0.1*math.Abs(tc.intercept); math.Abs(b-tc.intercept) > tol {
				t.Errorf("intercept = %.4f, want %.4f ± %.2f", b, tc.intercept, tol)
			}
		})
	}
}

// newtonLogistic solves the same penalised objective as FitLogistic by Newton's method on
// explicitly standardised features, as an independent reference.
func newtonLogistic(t *testing.T, lp *logProblem, l2 float64) []float64 {
	t.Helper()
	dim := lp.d + 1
	z := make([]float64, lp.n*dim) // standardised design with a leading 1
	for i := range lp.n {
		z[i*dim] = 1
		for j := range lp.d {
			z[i*dim+1+j] = (lp.x[i*lp.d+j] - lp.means[j]) / lp.scales[j]
		}
	}
	theta := make([]float64, dim)
	for range 50 {
		grad := make([]float64, dim)
		hess := mat.NewSymDense(dim, nil)
		for i := range lp.n {
			row := z[i*dim : (i+1)*dim]
			eta := 0.0
			for k, v := range row {
				eta += theta[k] * v
			}
			p, w := sigmoid(eta), lp.wts(i)
			for a := range dim {
				grad[a] += w * (p - b2f(lp.y[i])) * row[a] / lp.sumW
				for b := a; b < dim; b++ {
					hess.SetSym(a, b, hess.At(a, b)+w*p*(1-p)*row[a]*row[b]/lp.sumW)
				}
			}
		}
		for k := 1; k < dim; k++ {
			grad[k] += l2 * theta[k]
			hess.SetSym(k, k, hess.At(k, k)+l2)
		}
		var step mat.VecDense
		if err := step.SolveVec(hess, mat.NewVecDense(dim, grad)); err != nil {
			t.Fatal(err)
		}
		for k := range theta {
			theta[k] -= step.AtVec(k)
		}
	}
	return theta
}

func TestLogisticMatchesNewton(t *testing.T) {
	tests := []struct {
		name        string
		c           float64
		classWeight string
	}{
		{"strong penalty", 0.01, ""},
		{"default penalty", 1, ""},
		{"balanced classes", 0.5, ClassWeightBalanced},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := logisticData(600, []float64{1, -0.5, 0.25}, -1.5, []float64{5, 0, -1}, []float64{3, 1, 0.5}, 11)
			p := DefaultLogisticParams()
			p.C, p.ClassWeight, p.Tol = tc.c, tc.classWeight, 1e-10
			m, err := FitLogistic(ds, p)
			if err != nil {
				t.Fatal(err)
			}
			lp := newLogProblem(ds, p)
			want := newtonLogistic(t, lp, 1/(tc.c*lp.sumW))
			if d := math.Abs(m.intercept - want[0]); d > 1e-6 {
				t.Errorf("intercept %.9f, Newton %.9f", m.intercept, want[0])
			}
			for j, b := range m.coef {
				if math.Abs(b-want[j+1]) > 1e-6 {
					t.Errorf("coef[%d] %.9f, Newton %.9f", j, b, want[j+1])
				}
			}
		})
	}
}

func TestLogisticGradientFiniteDifferences(t *testing.T) {
	ds := logisticData(300, []float64{0.7, -1.2, 0.1}, 0.3, []float64{2, -1, 0}, []float64{1, 4, 0.1}, 5)
	for _, cw := range []string{"", ClassWeightBalanced} {
		p := DefaultLogisticParams()
		p.ClassWeight = cw
		lp := newLogProblem(ds, p)
		rng := rand.New(rand.NewPCG(9, 9))
		theta := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		const l2 = 0.37
		grad := make([]float64, len(theta))
		lp.objective(theta, grad, l2)
		scratch := make([]float64, len(theta))
		for k := range theta {
			const h = 1e-6
			tp := append([]float64(nil), theta...)
			tm := append([]float64(nil), theta...)
			tp[k] += h
			tm[k] -= h
			fd := (lp.objective(tp, scratch, l2) - lp.objective(tm, scratch, l2)) / (2 * h)
			if math.Abs(fd-grad[k]) > 1e-7*max(1, math.Abs(fd)) {
				t.Errorf("class_weight %q: d/dθ%d analytic %.10f, finite difference %.10f", cw, k, grad[k], fd)
			}
		}
	}
}

func TestLogisticConstantFeature(t *testing.T) {
	ds := logisticData(2000, []float64{1, 0}, 0, []float64{0, 0}, []float64{1, 1}, 3)
	for i := range ds.Y {
		ds.X[i*2+1] = 42 // constant column
	}
	m, err := FitLogistic(ds, DefaultLogisticParams())
	if err != nil {
		t.Fatal(err)
	}
	if m.scales[1] != 1 || m.coef[1] != 0 {
		t.Errorf("constant feature: scale %v, coef %v; want 1 and 0", m.scales[1], m.coef[1])
	}
	if p := m.PredictProba([]float64{0.5, 42}); !(p > 0.5 && p < 1) {
		t.Errorf("PredictProba = %v, want in (0.5, 1)", p)
	}
}

func TestLogisticL1(t *testing.T) {
	// Three informative features and seven of noise.
	coef := []float64{1.5, -1, 0.8, 0, 0, 0, 0, 0, 0, 0}
	zeros := make([]float64, len(coef))
	ones := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	ds := logisticData(3000, coef, -1, zeros, ones, 21)
	p := DefaultLogisticParams()
	p.Penalty, p.C, p.Tol = PenaltyL1, 0.02, 1e-8
	m, err := FitLogistic(ds, p)
	if err != nil {
		t.Fatal(err)
	}
	if ok, it := m.Converged(); !ok {
		t.Fatalf("FISTA did not converge in %d iterations", it)
	}
	for j := range 3 {
		if m.coef[j] == 0 {
			t.Errorf("informative coef[%d] is zero", j)
		}
	}
	nonzero := 0
	for _, b := range m.coef[3:] {
		if b != 0 {
			nonzero++
		}
	}
	if nonzero > 2 {
		t.Errorf("%d of 7 noise coefficients non-zero: %v", nonzero, m.coef[3:])
	}
	// Optimality (KKT): |∂L/∂βj| <= λ where βj = 0, ∂L/∂βj = −λ·sign(βj) elsewhere.
	lp := newLogProblem(ds, p)
	lambda := 1 / (p.C * lp.sumW)
	theta := append([]float64{m.intercept}, m.coef...)
	grad := make([]float64, len(theta))
	lp.objective(theta, grad, 0)
	if math.Abs(grad[0]) > 1e-6 {
		t.Errorf("intercept gradient %v, want 0", grad[0])
	}
	for j, b := range m.coef {
		g := grad[j+1]
		if b == 0 && math.Abs(g) > lambda+1e-6 {
			t.Errorf("coef[%d] = 0 but |gradient| %v > λ %v", j, math.Abs(g), lambda)
		}
		if b != 0 && math.Abs(g+lambda*math.Copysign(1, b)) > 1e-6 {
			t.Errorf("coef[%d] = %v: gradient %v, want %v", j, b, g, -lambda*math.Copysign(1, b))
		}
	}
}

func TestLogisticPenaltiesAgreeWhenWeak(t *testing.T) {
	ds := logisticData(2000, []float64{1, -1}, 0.5, []float64{0, 0}, []float64{1, 1}, 8)
	var coefs [][]float64
	for _, pen := range []string{PenaltyL2, PenaltyL1, PenaltyNone} {
		p := DefaultLogisticParams()
		p.Penalty, p.C, p.Tol = pen, 1e8, 1e-7
		m, err := FitLogistic(ds, p)
		if err != nil {
			t.Fatalf("%s: %v", pen, err)
		}
		coefs = append(coefs, append([]float64{m.intercept}, m.coef...))
	}
	for k := range coefs[0] {
		for i := 1; i < len(coefs); i++ {
			if math.Abs(coefs[i][k]-coefs[0][k]) > 1e-4 {
				t.Errorf("parameter %d: penalties disagree: %v", k, []float64{coefs[0][k], coefs[1][k], coefs[2][k]})
			}
		}
	}
}

func TestLogisticBalancedRaisesPositiveRate(t *testing.T) {
	ds := rareData(5000, 6, 4)
	plain, err := FitLogistic(ds, DefaultLogisticParams())
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultLogisticParams()
	p.ClassWeight = ClassWeightBalanced
	bal, err := FitLogistic(ds, p)
	if err != nil {
		t.Fatal(err)
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	mp, mb := mean(predictAll(t, plain, ds)), mean(predictAll(t, bal, ds))
	if !(mp < 0.2 && mb > 0.35) {
		t.Errorf("mean prediction unweighted %.3f, balanced %.3f; want < 0.2 and > 0.35", mp, mb)
	}
}
