package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/netopsfn/netops/internal/golden"
)

func TestThresholds(t *testing.T) {
	def := DefaultThresholds()
	tests := []struct {
		th    Thresholds
		drift float64
		want  Status
	}{
		{def, 0, StatusNoDrift},
		{def, 0.4999999, StatusNoDrift},
		{def, 0.5, StatusPossibleDrift},
		{def, 0.6999999, StatusPossibleDrift},
		{def, 0.7, StatusDriftDetected},
		{def, 1, StatusDriftDetected},
		{Thresholds{0.2, 0.2}, 0.2, StatusDriftDetected},
		{Thresholds{0.2, 0.2}, 0.19, StatusNoDrift},
		{Thresholds{0.1, 1}, 0.99, StatusPossibleDrift},
	}
	for _, tt := range tests {
		if got := tt.th.Status(tt.drift); got != tt.want {
			t.Errorf("%+v.Status(%g) = %s, want %s", tt.th, tt.drift, got, tt.want)
		}
	}
	valid := []Thresholds{def, {0.7, 0.7}, {1, 1}, {1e-9, 1}}
	invalid := []Thresholds{{0, 0.7}, {0.5, 0.4}, {0.5, 1.1}, {-0.1, 0.5}, {math.NaN(), 0.7}, {0.5, math.NaN()}}
	for _, th := range valid {
		if err := th.Validate(); err != nil {
			t.Errorf("%+v: %v", th, err)
		}
	}
	for _, th := range invalid {
		if err := th.Validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", th, err)
		}
	}
}

// testFeatures: "same" has its reference data as current data (drift 0), "moved" a
// constant reference and current values all above its maximum (TVD = Hellinger = 1),
// "missing" no current data, "nan" only NaNs.
func testFeatures(t *testing.T) []Feature {
	same := mustReference(t, []float64{1, 2, 2, 3, 3, 3, 4, 4, 5})
	moved := mustReference(t, []float64{5, 5, 5, 5})
	nan := mustReference(t, []float64{0, 1})
	return []Feature{
		{Name: "same", Reference: same, Current: histogramOf(t, same, []float64{1, 2, 2, 3, 3, 3, 4, 4, 5})},
		{Name: "moved", Reference: moved, Current: histogramOf(t, moved, []float64{7, 8})},
		{Name: "missing", Reference: same},
		{Name: "nan", Reference: nan, Current: histogramOf(t, nan, []float64{math.NaN(), math.NaN()})},
	}
}

func TestAnalyze(t *testing.T) {
	features := testFeatures(t)
	pred := Feature{Name: "prediction", Reference: features[1].Reference, Current: histogramOf(t, features[1].Reference, []float64{5})}
	r, err := Analyze(features, &pred, Options{Importances: map[string]float64{"same": 1, "moved": 3, "missing": 100}})
	if err != nil {
		t.Fatal(err)
	}
	// Two compared features: TVD and Hellinger 0 and 1; KLD 0 and KL(t‖u)+KL(u‖t) =
	// ln(1/1e-4) + ln(1/1e-4), both sides being one full bin.
	kld := 2 * math.Log(1e4)
	checks := []struct {
		name      string
		got, want float64
	}{
		{"compared", float64(r.Compared), 2},
		{"tvd_sum", r.TVDSum, 1}, {"tvd_mean", r.TVDMean, 0.5},
		{"hellinger_sum", r.HellingerSum, 1}, {"hellinger_mean", r.HellingerMean, 0.5},
		{"kld_sum", r.KLDSum, kld}, {"kld_mean", r.KLDMean, kld / 2},
		{"general_drift", r.GeneralDrift, 0.5},
		{"weighted_drift", *r.WeightedDrift, 0.75}, // (1·0 + 3·1) / 4; "missing" has no data
	}
	for _, c := range checks {
		checkClose(t, c.name, c.got, c.want, 1e-15)
	}
	if r.Status != StatusPossibleDrift || r.Thresholds != DefaultThresholds() {
		t.Errorf("status %s with %+v, want POSSIBLE_DRIFT with the defaults", r.Status, r.Thresholds)
	}
	statuses := []Status{StatusNoDrift, StatusDriftDetected, StatusNoData, StatusNoData}
	for i, fd := range r.Features {
		if fd.Name != features[i].Name || fd.Status != statuses[i] {
			t.Errorf("feature %d: %s %s, want %s %s", i, fd.Name, fd.Status, features[i].Name, statuses[i])
		}
		if (fd.Measures == nil) != (fd.Status == StatusNoData) {
			t.Errorf("%s: measures %v with status %s", fd.Name, fd.Measures, fd.Status)
		}
	}
	// Features analysis: both histograms on the padded edges, the statistics of both sides.
	moved := r.Features[1]
	if !slices.Equal(moved.Expected.Counts, []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) ||
		!slices.Equal(moved.Actual.Counts, []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}) {
		t.Errorf("moved histograms: %v, %v", moved.Expected.Counts, moved.Actual.Counts)
	}
	wantExp := Stats{Count: 4, Mean: 5, Std: 0, Min: 5, Max: 5, Counts: moved.Expected.Counts}
	wantAct := Stats{Count: 2, Mean: 7.5, Std: math.Sqrt(0.5), Min: 7, Max: 8, Counts: moved.Actual.Counts}
	if !statsEqual(moved.Expected, wantExp) || !statsEqual(moved.Actual, wantAct) {
		t.Errorf("moved stats: %+v, %+v", moved.Expected, moved.Actual)
	}
	if len(moved.Edges) != Bins+3 || moved.Edges[0] != -math.MaxFloat64 || moved.Edges[1] != 4.5 || moved.Edges[Bins+1] != 5.5 {
		t.Errorf("moved edges %v", moved.Edges)
	}
	// The constant reference divides Wasserstein by its edges' width, 1: all mass moves from
	// the centre of bin 11 (5.025) to the maximum edge 5.5.
	checkClose(t, "moved wasserstein", moved.Measures.Wasserstein, 0.475, 1e-12)
	if nan := r.Features[3]; nan.Actual.Invalid != 2 || nan.Actual.Count != 0 {
		t.Errorf("nan feature: %+v", nan.Actual)
	}
	if r.Prediction == nil || r.Prediction.Status != StatusNoDrift || r.Prediction.Drift != 0 {
		t.Errorf("prediction %+v", r.Prediction)
	}

	// The same data under other thresholds.
	r, err = Analyze(features, nil, Options{Thresholds: Thresholds{Possible: 0.3, Detected: 0.5}})
	if err != nil || r.Status != StatusDriftDetected || r.WeightedDrift != nil || r.Prediction != nil {
		t.Errorf("thresholds 0.3/0.5: %v %+v", err, r)
	}
}

func statsEqual(a, b Stats) bool {
	return a.Count == b.Count && closeTo(a.Mean, b.Mean, 1e-15) && closeTo(a.Std, b.Std, 1e-15) &&
		a.Min == b.Min && a.Max == b.Max && a.Invalid == b.Invalid && slices.Equal(a.Counts, b.Counts)
}

// A window without any current value is a NO_DATA report with zero aggregates, never NaN.
func TestAnalyzeNoData(t *testing.T) {
	features := testFeatures(t)[2:]
	for _, fs := range [][]Feature{features, nil} {
		r, err := Analyze(fs, nil, Options{Importances: map[string]float64{}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != StatusNoData || r.Compared != 0 || r.GeneralDrift != 0 || r.TVDMean != 0 || r.WeightedDrift != nil {
			t.Errorf("%d features: %+v", len(fs), r)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Error(err)
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	features := testFeatures(t)
	other := histogramOf(t, mustReference(t, []float64{0, 100}), []float64{50})
	tests := []struct {
		name       string
		features   []Feature
		prediction *Feature
		opts       Options
		want       error
	}{
		{"duplicate", []Feature{features[0], features[0]}, nil, Options{}, ErrDuplicateFeature},
		{"edges differ", []Feature{{Name: "x", Reference: features[0].Reference, Current: other}}, nil, Options{}, ErrEdgeMismatch},
		{"zero reference", []Feature{{Name: "x"}}, nil, Options{}, ErrInvalidReference},
		{"bad current", []Feature{{Name: "x", Reference: features[0].Reference, Current: &Histogram{}}}, nil, Options{}, ErrInvalidHistogram},
		{"bad prediction", features, &Feature{Name: "p", Reference: features[0].Reference, Current: other}, Options{}, ErrEdgeMismatch},
		{"thresholds", features, nil, Options{Thresholds: Thresholds{0.8, 0.7}}, ErrInvalidOptions},
		{"only possible set", features, nil, Options{Thresholds: Thresholds{Possible: 0.5}}, ErrInvalidOptions},
		{"unknown importance", features, nil, Options{Importances: map[string]float64{"nope": 1}}, ErrInvalidOptions},
		{"negative importance", features, nil, Options{Importances: map[string]float64{"same": -1}}, ErrInvalidOptions},
		{"NaN importance", features, nil, Options{Importances: map[string]float64{"same": math.NaN()}}, ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Analyze(tt.features, tt.prediction, tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := Compare(features[0], Thresholds{Possible: 0.9, Detected: 0.1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Compare with bad thresholds: %v", err)
	}
	if fd, err := Compare(features[1], Thresholds{}); err != nil || fd.Status != StatusDriftDetected {
		t.Errorf("Compare with zero thresholds: %v %s, want the defaults' DRIFT_DETECTED", err, fd.Status)
	}
	// Huge importances still normalise.
	r, err := Analyze(features, nil, Options{Importances: map[string]float64{"same": math.MaxFloat64, "moved": math.MaxFloat64}})
	if err != nil || r.WeightedDrift == nil || *r.WeightedDrift != 0.5 {
		t.Errorf("huge importances: %v, %v", err, r.WeightedDrift)
	}
}

// The report's JSON is a wire format (stored reports, drift.report events): pinned by a
// golden file. Rewrite it with go test ./internal/drift/ -run TestReportGolden -update.
func TestReportGolden(t *testing.T) {
	features := testFeatures(t)[:3]
	r, err := Analyze(features, nil, Options{Importances: map[string]float64{"moved": 1}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, "report.golden.json", got)
}

// TestDriftedFeaturesRaiseTheStatus: one feature far off among several unchanged ones leaves
// MLRun's general drift low; Options.DriftedFeatures makes the window POSSIBLE_DRIFT anyway,
// never DRIFT_DETECTED, and never when fewer features drifted.
func TestDriftedFeaturesRaiseTheStatus(t *testing.T) {
	same := mustReference(t, []float64{1, 2, 2, 3, 3, 3, 4, 4, 5})
	moved := mustReference(t, []float64{5, 5, 5, 5})
	var fs []Feature
	for i := range 4 {
		fs = append(fs, Feature{Name: fmt.Sprintf("same%d", i), Reference: same, Current: histogramOf(t, same, []float64{1, 2, 2, 3, 3, 3, 4, 4, 5})})
	}
	fs = append(fs, Feature{Name: "moved", Reference: moved, Current: histogramOf(t, moved, []float64{7, 8})})
	tests := []struct {
		drifted     int
		status, gen Status
	}{
		{0, StatusNoDrift, StatusNoDrift},
		{1, StatusPossibleDrift, StatusNoDrift},
		{2, StatusNoDrift, StatusNoDrift},
	}
	for _, tt := range tests {
		r, err := Analyze(fs, nil, Options{DriftedFeatures: tt.drifted})
		if err != nil {
			t.Fatal(err)
		}
		checkClose(t, "general_drift", r.GeneralDrift, 0.2, 1e-15)
		if r.Status != tt.status || r.GeneralStatus != tt.gen || !slices.Equal(r.Drifted, []string{"moved"}) {
			t.Errorf("drifted features %d: status %s, general %s, drifted %v; want %s, %s, [moved]",
				tt.drifted, r.Status, r.GeneralStatus, r.Drifted, tt.status, tt.gen)
		}
	}
	// When the general drift is itself over a threshold, the rule changes nothing.
	r, err := Analyze(fs[3:], nil, Options{DriftedFeatures: 1})
	if err != nil || r.Status != StatusPossibleDrift || r.GeneralStatus != StatusPossibleDrift {
		t.Errorf("general drift 0.5: %v %+v", err, r)
	}
	r, err = Analyze(fs[4:], nil, Options{DriftedFeatures: 1})
	if err != nil || r.Status != StatusDriftDetected || r.GeneralStatus != StatusDriftDetected {
		t.Errorf("general drift 1: %v %+v", err, r)
	}
	if _, err := Analyze(fs, nil, Options{DriftedFeatures: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("negative drifted features: %v, want ErrInvalidOptions", err)
	}
	// No data: both statuses NO_DATA.
	r, err = Analyze([]Feature{{Name: "missing", Reference: same}}, nil, Options{DriftedFeatures: 1})
	if err != nil || r.Status != StatusNoData || r.GeneralStatus != StatusNoData {
		t.Errorf("no data: %v %+v", err, r)
	}
}

// TestWassersteinDrift: a mean shift of 0.3 standard deviations keeps TVD and Hellinger low
// (the feature's own status NO_DRIFT) but is 0.3 reference stds of Wasserstein distance: with
// Options.Wasserstein 0.1 the feature has drifted and raises the window, a fresh sample of the
// reference's distribution does not.
func TestWassersteinDrift(t *testing.T) {
	ref := mustReference(t, normals(1, 20000, 0, 1))
	fs := []Feature{
		{Name: "shifted", Reference: ref, Current: histogramOf(t, ref, normals(2, 20000, 0.3, 1))},
		{Name: "same", Reference: ref, Current: histogramOf(t, ref, normals(3, 20000, 0, 1))},
	}
	for _, w := range []float64{0, 0.1} {
		r, err := Analyze(fs, nil, Options{DriftedFeatures: 1, Wasserstein: w})
		if err != nil {
			t.Fatal(err)
		}
		sh, same := r.Features[0], r.Features[1]
		t.Logf("wasserstein %g: shifted tvd %.3f hellinger %.3f wasserstein %.3f; same wasserstein %.3f; status %s, general %s",
			w, sh.Measures.TVD, sh.Measures.Hellinger, sh.Measures.Wasserstein, same.Measures.Wasserstein, r.Status, r.GeneralStatus)
		if sh.Status != StatusNoDrift || r.GeneralStatus != StatusNoDrift || same.Drifted {
			t.Errorf("wasserstein %g: shifted %s, general %s, same drifted %v", w, sh.Status, r.GeneralStatus, same.Drifted)
		}
		if wantDrift := w > 0; sh.Drifted != wantDrift || (r.Status == StatusPossibleDrift) != wantDrift {
			t.Errorf("wasserstein %g: shifted drifted %v, status %s", w, sh.Drifted, r.Status)
		}
		if !closeTo(sh.Measures.Wasserstein, 0.3, 0.05) {
			t.Errorf("shifted wasserstein %.3f, want about 0.3", sh.Measures.Wasserstein)
		}
	}
	for _, bad := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		if _, err := Analyze(fs, nil, Options{Wasserstein: bad}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("wasserstein %g: %v, want ErrInvalidOptions", bad, err)
		}
	}
}
