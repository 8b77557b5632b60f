package models

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// Penalties of logistic regression.
const (
	PenaltyL2   = "l2"
	PenaltyL1   = "l1"
	PenaltyNone = "none"
)

// LogisticParams configures logistic regression. The objective, on standardised features, is
// scikit-learn's: C·Σ wᵢ·logloss(i) + penalty(β), with penalty ½‖β‖² (L2) or ‖β‖₁ (L1); the
// intercept is not penalised. Larger C means weaker regularisation.
type LogisticParams struct {
	// C is the inverse regularisation strength, > 0 (default 1).
	C float64 `json:"c"`
	// Penalty is "l2" (default, fitted with L-BFGS), "l1" (fitted with FISTA, for feature
	// selection) or "none".
	Penalty string `json:"penalty"`
	// ClassWeight is "" (unweighted) or "balanced".
	ClassWeight string `json:"class_weight"`
	// MaxIter bounds the optimiser's iterations (default 1000).
	MaxIter int `json:"max_iter"`
	// Tol stops the optimiser when the largest component of the gradient (for L1, of the
	// proximal gradient mapping) of the mean objective falls below it (default 1e-6).
	Tol float64 `json:"tol"`
}

// DefaultLogisticParams returns scikit-learn's LogisticRegression defaults, with more
// iterations and a tighter tolerance.
func DefaultLogisticParams() LogisticParams {
	return LogisticParams{C: 1, Penalty: PenaltyL2, MaxIter: 1000, Tol: 1e-6}
}

// Kind implements Params.
func (LogisticParams) Kind() string { return KindLogistic }

// Validate implements Params.
func (p LogisticParams) Validate() error {
	const k = KindLogistic
	switch {
	case !(p.C > 0) || math.IsInf(p.C, 1):
		return paramErr(k, "c", "must be a positive finite number, got %v", p.C)
	case p.Penalty != PenaltyL2 && p.Penalty != PenaltyL1 && p.Penalty != PenaltyNone:
		return paramErr(k, "penalty", "must be %q, %q or %q, got %q", PenaltyL2, PenaltyL1, PenaltyNone, p.Penalty)
	case p.ClassWeight != "" && p.ClassWeight != ClassWeightBalanced:
		return paramErr(k, "class_weight", "must be empty or %q, got %q", ClassWeightBalanced, p.ClassWeight)
	case p.MaxIter < 1:
		return paramErr(k, "max_iter", "must be at least 1, got %d", p.MaxIter)
	case !(p.Tol > 0) || math.IsInf(p.Tol, 1):
		return paramErr(k, "tol", "must be a positive finite number, got %v", p.Tol)
	}
	return nil
}

// Logistic is a fitted logistic regression: p(x) = σ(b + Σ βⱼ·(xⱼ − meanⱼ)/scaleⱼ).
type Logistic struct {
	params    LogisticParams
	features  []string
	means     []float64 // training mean per feature
	scales    []float64 // training standard deviation per feature, 1 for constant features
	coef      []float64 // β, on standardised features
	intercept float64   // b
	iters     int       // optimiser iterations used
	converged bool      // whether the optimiser met Tol

	// Derived from the fields above by prepare, so a loaded model computes what the
	// trained one did: z = w0 + Σ wⱼ·xⱼ.
	w  []float64
	w0 float64
}

// FitLogistic fits logistic regression to ds.
func FitLogistic(ds Dataset, p LogisticParams) (*Logistic, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := ds.Validate(); err != nil {
		return nil, err
	}
	prob := newLogProblem(ds, p)
	theta := make([]float64, prob.d+1)
	// Start from the log-odds of the weighted base rate: the optimum when β = 0.
	var sp, sn float64
	for i, y := range ds.Y {
		if y {
			sp += prob.wts(i)
		} else {
			sn += prob.wts(i)
		}
	}
	theta[0] = math.Log(sp / sn)

	var iters int
	var converged bool
	var err error
	if p.Penalty == PenaltyL1 {
		theta, iters, converged = prob.fistaL1(theta, 1/(p.C*prob.sumW), p.MaxIter, p.Tol)
	} else {
		theta, iters, converged, err = prob.lbfgs(theta, p)
		if err != nil {
			return nil, err
		}
	}
	for _, v := range theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("models: logistic regression diverged to a non-finite coefficient")
		}
	}
	m := &Logistic{
		params: p, features: slices.Clone(ds.Features),
		means: prob.means, scales: prob.scales,
		coef: theta[1:], intercept: theta[0], iters: iters, converged: converged,
	}
	m.prepare()
	return m, nil
}

// lbfgs minimises the L2-penalised (or unpenalised) mean objective with gonum's L-BFGS.
func (lp *logProblem) lbfgs(theta []float64, p LogisticParams) ([]float64, int, bool, error) {
	l2 := 0.0
	if p.Penalty == PenaltyL2 {
		l2 = 1 / (p.C * lp.sumW)
	}
	// Func and Grad are called at the same points; one pass computes both.
	cacheX := make([]float64, len(theta))
	cacheG := make([]float64, len(theta))
	cacheF := math.NaN()
	eval := func(x []float64) {
		if !math.IsNaN(cacheF) && slices.Equal(x, cacheX) {
			return
		}
		copy(cacheX, x)
		cacheF = lp.objective(x, cacheG, l2)
	}
	problem := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return cacheF },
		Grad: func(g, x []float64) { eval(x); copy(g, cacheG) },
	}
	settings := &optimize.Settings{GradientThreshold: p.Tol, MajorIterations: p.MaxIter}
	res, err := optimize.Minimize(problem, theta, settings, &optimize.LBFGS{})
	if res == nil {
		return nil, 0, false, fmt.Errorf("models: logistic regression: %w", err)
	}
	// A line search that cannot improve further near the optimum is not a failure: the
	// result is still the best point found, and finiteness is checked by the caller.
	converged := err == nil && res.Status == optimize.GradientThreshold
	return res.X, res.MajorIterations, converged, nil
}

// prepare derives the raw-feature weights used for prediction.
func (m *Logistic) prepare() {
	m.w = make([]float64, len(m.coef))
	m.w0 = m.intercept
	for j, b := range m.coef {
		m.w[j] = b / m.scales[j]
		m.w0 -= m.w[j] * m.means[j]
	}
}

// Kind implements Classifier.
func (m *Logistic) Kind() string { return KindLogistic }

// FeatureNames implements Classifier.
func (m *Logistic) FeatureNames() []string { return m.features }

// NumFeatures implements Classifier.
func (m *Logistic) NumFeatures() int { return len(m.features) }

// Params implements Classifier.
func (m *Logistic) Params() Params { return m.params }

// PredictProba implements Classifier.
func (m *Logistic) PredictProba(x []float64) float64 {
	if len(x) != len(m.w) {
		panic(fmt.Sprintf("models: row of %d values, model has %d features", len(x), len(m.w)))
	}
	z := m.w0
	for j, w := range m.w {
		z += w * x[j]
	}
	return sigmoid(z)
}

// PredictBatch implements Classifier.
func (m *Logistic) PredictBatch(x, out []float64) error {
	return predictBatch(len(m.features), x, out, m.PredictProba)
}

// Importances implements Classifier: |βⱼ| on standardised features, comparable across
// features whatever their units.
func (m *Logistic) Importances() []float64 {
	imp := make([]float64, len(m.coef))
	for j, b := range m.coef {
		imp[j] = math.Abs(b)
	}
	return imp
}

// Coefficients returns the model in raw feature units: p(x) = σ(intercept + Σ coefⱼ·xⱼ).
func (m *Logistic) Coefficients() (coef []float64, intercept float64) {
	return slices.Clone(m.w), m.w0
}

// Converged reports whether the optimiser met its tolerance, and how many iterations it
// took. A model that did not converge is still the best point found within max_iter.
func (m *Logistic) Converged() (ok bool, iterations int) { return m.converged, m.iters }
