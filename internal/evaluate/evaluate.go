package evaluate

import (
	"errors"
	"fmt"
	"math"
)

// DefaultThreshold is the decision threshold of a probability when none has been chosen.
const DefaultThreshold = 0.5

// logLossEps clips probabilities away from 0 and 1 in the log loss, as scikit-learn did
// before 1.5 (it now uses the float64 machine epsilon), so a confident mistake costs about
// 34.5 rather than infinity.
const logLossEps = 1e-15

// Errors about the input. They are permanent: the same input fails the same way again.
var (
	// ErrEmpty marks an evaluation without a single row.
	ErrEmpty = errors.New("evaluate: no rows")
	// ErrLength marks labels and scores of different lengths.
	ErrLength = errors.New("evaluate: labels and scores differ in length")
	// ErrScore marks a score that is not a probability: NaN, ±Inf, below 0 or above 1.
	ErrScore = errors.New("evaluate: score is not a probability in [0, 1]")
	// ErrThreshold marks a NaN decision threshold.
	ErrThreshold = errors.New("evaluate: threshold is NaN")
)

// Confusion is the confusion matrix at a threshold: how many rows fall in each combination of
// actual and predicted class.
type Confusion struct {
	// TP counts positives predicted positive, FP negatives predicted positive,
	// TN negatives predicted negative and FN positives predicted negative.
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
}

// Report is the evaluation of a classifier on one data set, as stored in a model's artifacts
// and card. See the package documentation for the definitions.
type Report struct {
	// Threshold is the decision threshold of the threshold metrics and Confusion.
	Threshold float64 `json:"threshold"`
	// Count is the number of rows, Positives and Negatives how many have each label.
	Count     int `json:"count"`
	Positives int `json:"positives"`
	Negatives int `json:"negatives"`
	// PositiveRate is the fraction of rows labelled positive (the prevalence, and the PR AUC
	// of a classifier without skill); PredictedPositiveRate the fraction predicted positive.
	PositiveRate          float64 `json:"positive_rate"`
	PredictedPositiveRate float64 `json:"predicted_positive_rate"`
	// Accuracy, Precision, Recall and F1 are computed from Confusion.
	Accuracy  float64 `json:"accuracy"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// ROCAUC is the area under the ROC curve; nil unless both classes are present.
	ROCAUC *float64 `json:"roc_auc"`
	// PRAUC is the average precision; nil when there is no positive row.
	PRAUC *float64 `json:"pr_auc"`
	// Brier is the mean squared error of the probabilities (lower is better).
	Brier float64 `json:"brier"`
	// LogLoss is the mean negative log-likelihood, clipped (lower is better).
	LogLoss float64 `json:"log_loss"`
	// Confusion is the confusion matrix at Threshold.
	Confusion Confusion `json:"confusion"`
	// ROC and PR are the curves, thinned to at most MaxCurvePoints points each.
	ROC []ROCPoint `json:"roc"`
	PR  []PRPoint  `json:"pr"`
	// Calibration holds the non-empty bins of the calibration curve.
	Calibration []CalibrationBin `json:"calibration"`
}

// Evaluate computes the Report of scores (predicted probabilities of the positive class)
// against labels at the decision threshold. It fails on empty input, lengths that differ, a
// score that is not a probability, or a NaN threshold.
func Evaluate(labels []bool, scores []float64, threshold float64) (Report, error) {
	if math.IsNaN(threshold) {
		return Report{}, ErrThreshold
	}
	if err := validate(labels, scores); err != nil {
		return Report{}, err
	}
	s := newSweep(labels, scores)
	r := Report{
		Threshold: threshold,
		Count:     len(labels),
		Positives: s.pos,
		Negatives: s.neg,
		Confusion: confusion(labels, scores, threshold),
		ROC:       thin(s.roc(), MaxCurvePoints),
		PR:        thin(s.pr(), MaxCurvePoints),
	}
	c, n := r.Confusion, float64(r.Count)
	r.PositiveRate = float64(s.pos) / n
	r.PredictedPositiveRate = float64(c.TP+c.FP) / n
	r.Accuracy = float64(c.TP+c.TN) / n
	r.Precision = ratio(c.TP, c.TP+c.FP)
	r.Recall = ratio(c.TP, c.TP+c.FN)
	r.F1 = ratio(2*c.TP, 2*c.TP+c.FP+c.FN)
	if auc, ok := s.rocAUC(); ok {
		r.ROCAUC = &auc
	}
	if ap, ok := s.averagePrecision(); ok {
		r.PRAUC = &ap
	}
	r.Brier, r.LogLoss = brierLogLoss(labels, scores)
	r.Calibration = calibration(labels, scores)
	return r, nil
}

// validate checks that labels and scores are a non-empty pair of equal length with every
// score a probability.
func validate(labels []bool, scores []float64) error {
	if len(labels) != len(scores) {
		return fmt.Errorf("%w: %d labels, %d scores", ErrLength, len(labels), len(scores))
	}
	if len(scores) == 0 {
		return ErrEmpty
	}
	for i, p := range scores {
		// The negated comparison also rejects NaN.
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("%w: row %d has %g", ErrScore, i, p)
		}
	}
	return nil
}

// confusion counts the rows of each cell, a score at least threshold predicting positive.
func confusion(labels []bool, scores []float64, threshold float64) Confusion {
	var c Confusion
	for i, y := range labels {
		switch hit := scores[i] >= threshold; {
		case y && hit:
			c.TP++
		case y:
			c.FN++
		case hit:
			c.FP++
		default:
			c.TN++
		}
	}
	return c
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// brierLogLoss returns the Brier score and the clipped log loss of valid input.
func brierLogLoss(labels []bool, scores []float64) (brier, logLoss float64) {
	// The probability of the actual class is clipped rather than p itself, so that a
	// confident mistake costs the same whichever class it is on (1 − 1e−15 is not exact in
	// float64, but 1 − p is for p ≥ ½).
	clip := func(q float64) float64 { return math.Min(math.Max(q, logLossEps), 1-logLossEps) }
	for i, y := range labels {
		p := scores[i]
		if y {
			brier += (1 - p) * (1 - p)
			logLoss -= math.Log(clip(p))
		} else {
			brier += p * p
			logLoss -= math.Log(clip(1 - p))
		}
	}
	n := float64(len(labels))
	return brier / n, logLoss / n
}
