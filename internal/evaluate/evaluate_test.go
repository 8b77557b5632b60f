package evaluate

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/netopsfn/netops/internal/golden"
)

// The hand-computed case: three positives (0.9, 0.6, 0.4) and three negatives (0.9, 0.4, 0.1),
// with a tie across the classes at 0.9 and at 0.4.
var (
	handLabels = []bool{true, false, true, false, true, false}
	handScores = []float64{0.9, 0.9, 0.6, 0.4, 0.4, 0.1}
)

const tol = 1e-12

func near(a, b float64) bool { return math.Abs(a-b) <= tol }

func ptr(v float64) *float64 { return &v }

func TestEvaluateHand(t *testing.T) {
	r, err := Evaluate(handLabels, handScores, DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Confusion{TP: 2, FP: 1, TN: 2, FN: 1}); r.Confusion != want {
		t.Errorf("confusion %+v, want %+v", r.Confusion, want)
	}
	// Pairs (positive, negative): 0.9 beats 0.4 and 0.1 and ties 0.9 (2.5); 0.6 beats two (2);
	// 0.4 beats 0.1 and ties 0.4 (1.5). U = 6 of 9 pairs.
	// AP = ⅓·½ + ⅓·⅔ + ⅓·⅗ over the cuts 0.9, 0.6 and 0.4.
	logLoss := -(math.Log(0.9) + math.Log(0.1) + math.Log(0.6) + math.Log(0.6) + math.Log(0.4) + math.Log(0.9)) / 6
	checks := []struct {
		name      string
		got, want float64
	}{
		{"accuracy", r.Accuracy, 4.0 / 6},
		{"precision", r.Precision, 2.0 / 3},
		{"recall", r.Recall, 2.0 / 3},
		{"f1", r.F1, 2.0 / 3},
		{"roc_auc", *r.ROCAUC, 6.0 / 9},
		{"pr_auc", *r.PRAUC, 1.0/6 + 2.0/9 + 1.0/5},
		{"brier", r.Brier, 1.51 / 6},
		{"log_loss", r.LogLoss, logLoss},
		{"positive_rate", r.PositiveRate, 0.5},
		{"predicted_positive_rate", r.PredictedPositiveRate, 0.5},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %.15g, want %.15g", c.name, c.got, c.want)
		}
		if m, err := Metric(r, c.name); err == nil && m != c.got {
			t.Errorf("Metric(%s) = %g, field %g", c.name, m, c.got)
		}
	}
	wantROC := []ROCPoint{{0, 0, 1.9}, {1.0 / 3, 1.0 / 3, 0.9}, {1.0 / 3, 2.0 / 3, 0.6}, {2.0 / 3, 1, 0.4}, {1, 1, 0.1}}
	if !slices.EqualFunc(r.ROC, wantROC, func(a, b ROCPoint) bool {
		return near(a.FPR, b.FPR) && near(a.TPR, b.TPR) && near(a.Threshold, b.Threshold)
	}) {
		t.Errorf("ROC %v, want %v", r.ROC, wantROC)
	}
	wantPR := []PRPoint{{0, 1, 1.9}, {1.0 / 3, 0.5, 0.9}, {2.0 / 3, 2.0 / 3, 0.6}, {1, 0.6, 0.4}, {1, 0.5, 0.1}}
	if !slices.EqualFunc(r.PR, wantPR, func(a, b PRPoint) bool {
		return near(a.Recall, b.Recall) && near(a.Precision, b.Precision) && near(a.Threshold, b.Threshold)
	}) {
		t.Errorf("PR %v, want %v", r.PR, wantPR)
	}
	wantCal := []CalibrationBin{{0.1, 0.2, 0.1, 0, 1}, {0.4, 0.5, 0.4, 0.5, 2}, {0.6, 0.7, 0.6, 1, 1}, {0.9, 1, 0.9, 0.5, 2}}
	if !slices.EqualFunc(r.Calibration, wantCal, func(a, b CalibrationBin) bool {
		return near(a.Lower, b.Lower) && near(a.Upper, b.Upper) && near(a.MeanPredicted, b.MeanPredicted) &&
			near(a.FractionPositive, b.FractionPositive) && a.Count == b.Count
	}) {
		t.Errorf("calibration %v, want %v", r.Calibration, wantCal)
	}
}

func TestEvaluateEdgeCases(t *testing.T) {
	tests := []struct {
		name      string
		labels    []bool
		scores    []float64
		threshold float64
		confusion Confusion
		f1        float64
		rocAUC    *float64
		prAUC     *float64
		logLoss   float64
	}{
		{"perfect", []bool{false, false, true, true}, []float64{0.1, 0.2, 0.8, 0.9}, 0.5,
			Confusion{TP: 2, TN: 2}, 1, ptr(1), ptr(1), -(math.Log(0.9) + math.Log(0.8)) / 2},
		{"inverted", []bool{true, true, false, false}, []float64{0, 0, 1, 1}, 0.5,
			Confusion{FP: 2, FN: 2}, 0, ptr(0), ptr(0.5), -math.Log(1e-15)},
		{"all scores equal", []bool{true, false, false, false}, []float64{0.3, 0.3, 0.3, 0.3}, 0.5,
			Confusion{FN: 1, TN: 3}, 0, ptr(0.5), ptr(0.25), -(math.Log(0.3) + 3*math.Log(0.7)) / 4},
		{"threshold takes ties in", []bool{true, false}, []float64{0.5, 0.5}, 0.5,
			Confusion{TP: 1, FP: 1}, 2.0 / 3, ptr(0.5), ptr(0.5), math.Ln2},
		{"threshold 0 predicts all positive", []bool{true, false}, []float64{0, 0}, 0,
			Confusion{TP: 1, FP: 1}, 2.0 / 3, ptr(0.5), ptr(0.5), -(math.Log(1e-15) + math.Log1p(-1e-15)) / 2},
		{"only positives", []bool{true, true}, []float64{0.2, 0.7}, 0.5,
			Confusion{TP: 1, FN: 1}, 2.0 / 3, nil, ptr(1), -(math.Log(0.2) + math.Log(0.7)) / 2},
		{"only negatives", []bool{false, false, false}, []float64{0.2, 0.7, 0}, 0.5,
			Confusion{FP: 1, TN: 2}, 0, nil, nil, -(math.Log(0.8) + math.Log(0.3) + math.Log1p(-1e-15)) / 3},
		{"one row", []bool{true}, []float64{1}, 0.5,
			Confusion{TP: 1}, 1, nil, ptr(1), -math.Log1p(-1e-15)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Evaluate(tt.labels, tt.scores, tt.threshold)
			if err != nil {
				t.Fatal(err)
			}
			if r.Confusion != tt.confusion {
				t.Errorf("confusion %+v, want %+v", r.Confusion, tt.confusion)
			}
			if !near(r.F1, tt.f1) {
				t.Errorf("f1 = %g, want %g", r.F1, tt.f1)
			}
			for _, auc := range []struct {
				name      string
				got, want *float64
			}{{"roc_auc", r.ROCAUC, tt.rocAUC}, {"pr_auc", r.PRAUC, tt.prAUC}} {
				switch {
				case (auc.got == nil) != (auc.want == nil):
					t.Errorf("%s = %v, want %v", auc.name, auc.got, auc.want)
				case auc.got != nil && !near(*auc.got, *auc.want):
					t.Errorf("%s = %g, want %g", auc.name, *auc.got, *auc.want)
				case auc.got == nil:
					if _, err := Metric(r, auc.name); !errors.Is(err, ErrUndefined) {
						t.Errorf("Metric(%s) error %v, want ErrUndefined", auc.name, err)
					}
				}
			}
			if math.Abs(r.LogLoss-tt.logLoss) > 1e-9 {
				t.Errorf("log loss = %.12g, want %.12g", r.LogLoss, tt.logLoss)
			}
			js, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if bytes.Contains(js, []byte("NaN")) || bytes.Contains(js, []byte("Inf")) {
				t.Errorf("JSON holds NaN or Inf: %s", js)
			}
			if tt.rocAUC == nil && !bytes.Contains(js, []byte(`"roc_auc":null`)) {
				t.Errorf("undefined ROC AUC is not null in JSON: %s", js)
			}
			checkPlots(t, r)
		})
	}
}

func TestEvaluateErrors(t *testing.T) {
	tests := []struct {
		name      string
		labels    []bool
		scores    []float64
		threshold float64
		want      error
	}{
		{"lengths differ", []bool{true}, []float64{0.1, 0.2}, 0.5, ErrLength},
		{"empty", nil, nil, 0.5, ErrEmpty},
		{"NaN score", []bool{true, false}, []float64{0.1, math.NaN()}, 0.5, ErrScore},
		{"infinite score", []bool{true}, []float64{math.Inf(1)}, 0.5, ErrScore},
		{"negative score", []bool{true}, []float64{-0.01}, 0.5, ErrScore},
		{"score above 1", []bool{true}, []float64{1.01}, 0.5, ErrScore},
		{"NaN threshold", []bool{true}, []float64{0.5}, math.NaN(), ErrThreshold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Evaluate(tt.labels, tt.scores, tt.threshold); !errors.Is(err, tt.want) {
				t.Errorf("Evaluate error %v, want %v", err, tt.want)
			}
			if tt.want == ErrThreshold {
				return
			}
			if _, err := ROCCurve(tt.labels, tt.scores); !errors.Is(err, tt.want) {
				t.Errorf("ROCCurve error %v, want %v", err, tt.want)
			}
			if _, err := PRCurve(tt.labels, tt.scores); !errors.Is(err, tt.want) {
				t.Errorf("PRCurve error %v, want %v", err, tt.want)
			}
			if _, err := CalibrationCurve(tt.labels, tt.scores); !errors.Is(err, tt.want) {
				t.Errorf("CalibrationCurve error %v, want %v", err, tt.want)
			}
		})
	}
}

// randomData returns n labels and scores with the given prevalence, scores rounded to
// `levels` distinct values so that ties are common, positives scoring higher on average.
func randomData(seed uint64, n int, prevalence float64, levels int) ([]bool, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	labels, scores := make([]bool, n), make([]float64, n)
	for i := range n {
		labels[i] = rng.Float64() < prevalence
		p := rng.Float64()
		if labels[i] {
			p = math.Sqrt(p)
		}
		scores[i] = math.Round(p*float64(levels)) / float64(levels)
	}
	return labels, scores
}

// bruteAUC compares every positive with every negative.
func bruteAUC(labels []bool, scores []float64) float64 {
	var u, pairs float64
	for i, yi := range labels {
		for j, yj := range labels {
			if !yi || yj {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				u++
			case scores[i] == scores[j]:
				u += 0.5
			}
		}
	}
	return u / pairs
}

// bruteAP averages, over the positives, the precision among rows scoring at least as high.
func bruteAP(labels []bool, scores []float64) float64 {
	var sum, pos float64
	for i, yi := range labels {
		if !yi {
			continue
		}
		pos++
		var tp, all float64
		for j, yj := range labels {
			if scores[j] >= scores[i] {
				all++
				if yj {
					tp++
				}
			}
		}
		sum += tp / all
	}
	return sum / pos
}

func TestAUCAgainstBruteForce(t *testing.T) {
	tests := []struct {
		seed       uint64
		n          int
		prevalence float64
		levels     int
	}{
		{1, 400, 0.1, 20},
		{2, 400, 0.5, 5},
		{3, 300, 0.1, 1 << 30},
		{4, 50, 0.3, 2},
		{5, 600, 0.03, 100},
	}
	for _, tt := range tests {
		labels, scores := randomData(tt.seed, tt.n, tt.prevalence, tt.levels)
		r, err := Evaluate(labels, scores, DefaultThreshold)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteAUC(labels, scores); math.Abs(*r.ROCAUC-want) > 1e-12 {
			t.Errorf("seed %d: roc_auc %.15g, brute force %.15g", tt.seed, *r.ROCAUC, want)
		}
		if want := bruteAP(labels, scores); math.Abs(*r.PRAUC-want) > 1e-12 {
			t.Errorf("seed %d: pr_auc %.15g, brute force %.15g", tt.seed, *r.PRAUC, want)
		}
		if trap := trapezoid(r.ROC); math.Abs(trap-*r.ROCAUC) > 1e-12 {
			t.Errorf("seed %d: area under the ROC points %.15g, roc_auc %.15g", tt.seed, trap, *r.ROCAUC)
		}
	}
}

// trapezoid integrates TPR over FPR along the ROC points.
func trapezoid(pts []ROCPoint) float64 {
	a := 0.0
	for i := 1; i < len(pts); i++ {
		a += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
	}
	return a
}

func TestCurveThinning(t *testing.T) {
	labels, scores := randomData(7, 5000, 0.2, 1<<30)
	full, err := ROCCurve(labels, scores)
	if err != nil {
		t.Fatal(err)
	}
	fullPR, err := PRCurve(labels, scores)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(labels, scores, DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) <= MaxCurvePoints || len(r.ROC) != MaxCurvePoints || len(r.PR) != MaxCurvePoints {
		t.Fatalf("full curve %d points, report ROC %d and PR %d, want %d", len(full), len(r.ROC), len(r.PR), MaxCurvePoints)
	}
	if r.ROC[0] != full[0] || r.ROC[len(r.ROC)-1] != full[len(full)-1] || r.PR[len(r.PR)-1] != fullPR[len(fullPR)-1] {
		t.Error("thinning lost an end point")
	}
	if last := full[len(full)-1]; last.FPR != 1 || last.TPR != 1 {
		t.Errorf("ROC ends at %+v, want (1, 1)", last)
	}
	for i := 1; i < len(r.ROC); i++ {
		if r.ROC[i].Threshold >= r.ROC[i-1].Threshold || r.ROC[i].TPR < r.ROC[i-1].TPR || r.ROC[i].FPR < r.ROC[i-1].FPR {
			t.Fatalf("ROC not monotone at %d: %+v after %+v", i, r.ROC[i], r.ROC[i-1])
		}
	}
}

func TestMetric(t *testing.T) {
	r, err := Evaluate(handLabels, handScores, DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accuracy", "brier", "f1", "log_loss", "pr_auc", "precision", "recall", "roc_auc"}
	if got := MetricNames(); !slices.Equal(got, want) {
		t.Errorf("MetricNames() = %v, want %v", got, want)
	}
	for _, name := range want {
		if _, err := Metric(r, name); err != nil {
			t.Errorf("Metric(%q): %v", name, err)
		}
		lower := name == "brier" || name == "log_loss"
		if HigherIsBetter(name) == lower {
			t.Errorf("HigherIsBetter(%q) = %v", name, !lower)
		}
	}
	if _, err := Metric(r, "auc"); !errors.Is(err, ErrUnknownMetric) {
		t.Errorf("Metric(auc) error %v, want ErrUnknownMetric", err)
	}
}

func TestReportGolden(t *testing.T) {
	r, err := Evaluate(handLabels, handScores, DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, "report.json", got)
	var back Report
	if err := json.Unmarshal(got, &back); err != nil || *back.ROCAUC != *r.ROCAUC || back.Confusion != r.Confusion {
		t.Errorf("round trip: %v, %+v", err, back)
	}
}

func TestPlots(t *testing.T) {
	labels, scores := randomData(9, 2000, 0.1, 1<<30)
	r, err := Evaluate(labels, scores, DefaultThreshold)
	if err != nil {
		t.Fatal(err)
	}
	checkPlots(t, r)
}

// checkPlots asserts that Plots returns the four charts, each well-formed XML without NaN.
func checkPlots(t *testing.T, r Report) {
	t.Helper()
	plots := Plots(r)
	for _, name := range []string{"roc.svg", "pr.svg", "calibration.svg", "confusion.svg"} {
		svg, ok := plots[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		dec := xml.NewDecoder(bytes.NewReader(svg))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if bytes.Contains(svg, []byte("NaN")) || bytes.Contains(svg, []byte("Inf")) {
			t.Errorf("%s holds NaN or Inf", name)
		}
	}
	if len(plots) != 4 {
		t.Errorf("%d plots, want 4", len(plots))
	}
}
