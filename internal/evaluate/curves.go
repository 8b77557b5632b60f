package evaluate

import (
	"cmp"
	"math"
	"slices"
)

// MaxCurvePoints bounds the points of each curve kept in a Report.
const MaxCurvePoints = 1000

// CalibrationBins is the number of equal-width bins of a calibration curve.
const CalibrationBins = 10

// ROCPoint is one point of a ROC curve: the false and true positive rates of predicting
// positive every row with a score at least Threshold.
type ROCPoint struct {
	FPR       float64 `json:"fpr"`
	TPR       float64 `json:"tpr"`
	Threshold float64 `json:"threshold"`
}

// PRPoint is one point of a precision–recall curve: the recall and precision of predicting
// positive every row with a score at least Threshold.
type PRPoint struct {
	Recall    float64 `json:"recall"`
	Precision float64 `json:"precision"`
	Threshold float64 `json:"threshold"`
}

// CalibrationBin is one bin of a calibration curve: the rows whose score p satisfies
// Lower ≤ p < Upper (the last bin also holds p = 1).
type CalibrationBin struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	// MeanPredicted is the mean score and FractionPositive the fraction labelled positive;
	// for a calibrated model they are about equal.
	MeanPredicted    float64 `json:"mean_predicted"`
	FractionPositive float64 `json:"fraction_positive"`
	// Count is the number of rows in the bin, never 0.
	Count int `json:"count"`
}

// ROCCurve returns the full ROC curve of scores against labels: the point (0, 0) and then one
// point per distinct score, from the highest to the lowest, the last being (1, 1). A rate
// whose class is absent is 0. Input is validated as by Evaluate.
func ROCCurve(labels []bool, scores []float64) ([]ROCPoint, error) {
	if err := validate(labels, scores); err != nil {
		return nil, err
	}
	return newSweep(labels, scores).roc(), nil
}

// PRCurve returns the full precision–recall curve of scores against labels: the point
// (recall 0, precision 1) and then one point per distinct score, from the highest to the
// lowest, so recall never decreases along it. Recall without positives is 0. Input is
// validated as by Evaluate.
func PRCurve(labels []bool, scores []float64) ([]PRPoint, error) {
	if err := validate(labels, scores); err != nil {
		return nil, err
	}
	return newSweep(labels, scores).pr(), nil
}

// CalibrationCurve returns the non-empty bins of the calibration curve of scores against
// labels over CalibrationBins equal-width bins of [0, 1], in increasing order, as
// scikit-learn's calibration_curve(strategy="uniform") does, except that a score exactly on an
// inner edge falls in the bin above it rather than below. Input is validated as by Evaluate.
func CalibrationCurve(labels []bool, scores []float64) ([]CalibrationBin, error) {
	if err := validate(labels, scores); err != nil {
		return nil, err
	}
	return calibration(labels, scores), nil
}

// cut is one distinct score of a sweep and the cumulative counts of the rows scoring at least
// as high.
type cut struct {
	threshold float64
	tp, fp    int
}

// sweep holds the distinct scores of valid input in decreasing order with their cumulative
// counts, from which every curve and AUC follows in one pass.
type sweep struct {
	cuts     []cut
	pos, neg int
}

// newSweep sorts the rows by decreasing score and accumulates the counts per distinct score.
func newSweep(labels []bool, scores []float64) sweep {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	var s sweep
	for k, i := range order {
		if labels[i] {
			s.pos++
		} else {
			s.neg++
		}
		// A cut closes at the last row of a run of equal scores.
		if k == len(order)-1 || scores[order[k+1]] != scores[i] {
			s.cuts = append(s.cuts, cut{threshold: scores[i], tp: s.pos, fp: s.neg})
		}
	}
	return s
}

// start is the threshold of the first curve point, above every score.
func (s sweep) start() float64 { return s.cuts[0].threshold + 1 }

// roc returns the ROC curve.
func (s sweep) roc() []ROCPoint {
	pts := make([]ROCPoint, 0, len(s.cuts)+1)
	pts = append(pts, ROCPoint{Threshold: s.start()})
	for _, c := range s.cuts {
		pts = append(pts, ROCPoint{FPR: ratio(c.fp, s.neg), TPR: ratio(c.tp, s.pos), Threshold: c.threshold})
	}
	return pts
}

// pr returns the precision–recall curve.
func (s sweep) pr() []PRPoint {
	pts := make([]PRPoint, 0, len(s.cuts)+1)
	pts = append(pts, PRPoint{Precision: 1, Threshold: s.start()})
	for _, c := range s.cuts {
		pts = append(pts, PRPoint{Recall: ratio(c.tp, s.pos), Precision: ratio(c.tp, c.tp+c.fp), Threshold: c.threshold})
	}
	return pts
}

// rocAUC returns the Mann–Whitney U over n₁·n₀; false when a class is absent. Each negative
// counts the positives scoring above it plus half of those tied with it. The doubled sum is
// an exact integer (below 2·n₁·n₀), so the only rounding is the final division.
func (s sweep) rocAUC() (float64, bool) {
	if s.pos == 0 || s.neg == 0 {
		return 0, false
	}
	var twiceU, tp, fp int64
	for _, c := range s.cuts {
		dtp, dfp := int64(c.tp)-tp, int64(c.fp)-fp
		twiceU += dfp * (2*tp + dtp)
		tp, fp = int64(c.tp), int64(c.fp)
	}
	return float64(twiceU) / (2 * float64(s.pos) * float64(s.neg)), true
}

// averagePrecision returns Σ (Rₙ − Rₙ₋₁)·Pₙ; false without positives.
func (s sweep) averagePrecision() (float64, bool) {
	if s.pos == 0 {
		return 0, false
	}
	ap, tp := 0.0, 0
	for _, c := range s.cuts {
		if c.tp > tp {
			ap += float64(c.tp-tp) / float64(s.pos) * float64(c.tp) / float64(c.tp+c.fp)
		}
		tp = c.tp
	}
	return math.Min(ap, 1), true
}

// calibration bins valid input into CalibrationBins bins of [0, 1] and returns the non-empty ones.
func calibration(labels []bool, scores []float64) []CalibrationBin {
	var sum [CalibrationBins]float64
	var count, positive [CalibrationBins]int
	for i, p := range scores {
		b := min(int(p*CalibrationBins), CalibrationBins-1)
		sum[b] += p
		count[b]++
		if labels[i] {
			positive[b]++
		}
	}
	var bins []CalibrationBin
	for b := range CalibrationBins {
		if count[b] == 0 {
			continue
		}
		bins = append(bins, CalibrationBin{
			Lower:            float64(b) / CalibrationBins,
			Upper:            float64(b+1) / CalibrationBins,
			MeanPredicted:    sum[b] / float64(count[b]),
			FractionPositive: float64(positive[b]) / float64(count[b]),
			Count:            count[b],
		})
	}
	return bins
}

// thin returns at most m of the points, evenly spaced by index with the first and last kept.
func thin[P any](pts []P, m int) []P {
	if len(pts) <= m || m < 2 {
		return pts
	}
	out := make([]P, m)
	last := len(pts) - 1
	for k := range out {
		out[k] = pts[k*last/(m-1)]
	}
	return out
}
