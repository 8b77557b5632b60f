// Package evaluate scores a binary classifier on held-out data: the test metrics of the
// training workflow (SPEC §3) from labels and predicted probabilities, the ROC,
// precision–recall and calibration curves, the selection of a metric by name for choosing
// between models, and the SVG plots of the curves and the confusion matrix.
//
// # Definitions
//
// A row is predicted positive when its score is at least the threshold (DefaultThreshold is
// 0.5). From the confusion matrix: accuracy = (TP+TN)/n, precision = TP/(TP+FP), recall =
// TP/(TP+FN), F1 = 2·TP/(2·TP+FP+FN); a ratio with a zero denominator is 0, as scikit-learn's
// zero_division=0 makes it. (scikit-learn's predict calls a score of exactly 0.5 negative; a
// threshold taken from a curve point must include its own score, hence "at least".)
//
// The threshold-free metrics do not depend on the threshold:
//
//	ROC AUC   = U / (n₁·n₀), the Mann–Whitney U of the scores of the n₁ positives against the
//	            n₀ negatives, a tied pair counting ½ — the trapezoidal area under the ROC curve
//	PR AUC    = average precision, Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the distinct scores in decreasing
//	            order, Rₙ and Pₙ the recall and precision at threshold n (scikit-learn's
//	            average_precision_score; no interpolation)
//	Brier     = mean of (p − y)²
//	log loss  = −mean of y·ln p + (1 − y)·ln(1 − p), p clipped to [1e−15, 1 − 1e−15]
//
// Scores must be probabilities in [0, 1]; NaN, ±Inf or anything outside fails. When the data
// hold only one class the AUCs are undefined and Report stores them as nil (JSON null) rather
// than as NaN or a made-up number: ROC AUC needs both classes, PR AUC at least one positive.
// Every other field is defined for any non-empty input, so a Report never holds NaN.
//
// # Curves
//
// ROCCurve and PRCurve have one point per distinct score, in decreasing order of threshold,
// after a first point (FPR 0, TPR 0) or (recall 0, precision 1) whose threshold is 1 + the
// largest score, since JSON has no infinity (scikit-learn before 1.3 did the same). A point's
// rates count the rows with score ≥ its threshold. A Report keeps at most MaxCurvePoints
// points of each curve, evenly spaced along it with both ends kept, so its JSON and plots
// stay small; the AUCs are always computed from every point. CalibrationCurve splits [0, 1]
// into CalibrationBins equal-width bins and reports the non-empty ones.
//
// The package is pure computation and drawing: no I/O, no logging.
package evaluate
