package evaluate

import (
	"fmt"

	"github.com/netopsfn/netops/internal/plot"
)

// Plots draws the charts of r as SVG documents keyed by file name: "roc.svg" (the ROC curve
// with the chance diagonal), "pr.svg" (the precision–recall curve as the staircase whose
// area is the average precision, with the no-skill line at the positive rate),
// "calibration.svg" (mean predicted against fraction positive per bin, with the ideal
// diagonal) and "confusion.svg" (the confusion matrix at r.Threshold).
func Plots(r Report) map[string][]byte {
	unit := plot.Range{Min: 0, Max: 1}
	square := plot.LineOptions{XRange: unit, YRange: unit, Diagonal: true}

	roc := plot.Series{Name: "model"}
	for _, p := range r.ROC {
		roc.X, roc.Y = append(roc.X, p.FPR), append(roc.Y, p.TPR)
	}
	pr := plot.Series{Name: "model (AP " + optional(r.PRAUC) + ")"}
	for _, p := range r.PR {
		pr.X, pr.Y = append(pr.X, p.Recall), append(pr.Y, p.Precision)
	}
	chance := plot.Series{
		Name: fmt.Sprintf("no skill (%.3f)", r.PositiveRate),
		X:    []float64{0, 1}, Y: []float64{r.PositiveRate, r.PositiveRate},
	}
	cal := plot.Series{Name: "model"}
	for _, b := range r.Calibration {
		cal.X, cal.Y = append(cal.X, b.MeanPredicted), append(cal.Y, b.FractionPositive)
	}
	withMarkers := square
	withMarkers.Markers = true

	c := r.Confusion
	names := []string{"negative", "positive"}
	return map[string][]byte{
		"roc.svg": plot.Lines("ROC curve (AUC "+optional(r.ROCAUC)+")",
			"false positive rate", "true positive rate", []plot.Series{roc}, square),
		"pr.svg": plot.Lines("Precision–recall curve", "recall", "precision",
			[]plot.Series{pr, chance}, plot.LineOptions{XRange: unit, YRange: unit, Step: true}),
		"calibration.svg": plot.Lines("Calibration curve", "mean predicted probability",
			"fraction of positives", []plot.Series{cal}, withMarkers),
		"confusion.svg": plot.HeatmapWith(fmt.Sprintf("Confusion matrix at threshold %.3g", r.Threshold),
			[][]float64{{float64(c.TN), float64(c.FP)}, {float64(c.FN), float64(c.TP)}},
			plot.HeatmapOptions{RowLabels: names, ColLabels: names, XLabel: "predicted", YLabel: "actual",
				Min: 0, Max: float64(max(c.TN, c.FP, c.FN, c.TP)), Sequential: true}),
	}
}

// optional formats an AUC to three decimals, or "undefined" when nil.
func optional(v *float64) string {
	if v == nil {
		return "undefined"
	}
	return fmt.Sprintf("%.3f", *v)
}
