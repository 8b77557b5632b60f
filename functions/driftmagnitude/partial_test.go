package driftmagnitude

import (
	"encoding/json"
	"io"
	"math"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/features"
)

// reportOf bins rows in one pass (chunks of chunkRows) and analyzes them against card's baseline.
func reportOf(t *testing.T, base drift.Baseline, rows []features.LabeledRow, chunkRows int) (*drift.Partial, *drift.Report) {
	t.Helper()
	r := parquetOf(t, rows)
	p, err := PartialOf([]io.ReaderAt{r}, []int64{r.Size()}, base, chunkRows)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := base.Analyze(p, drift.Options{Importances: base.Importances(map[string]float64{"latency": 1, "packet_loss": 1})})
	if err != nil {
		t.Fatal(err)
	}
	return p, rep
}

func featureDrift(t *testing.T, r *drift.Report, name string) drift.FeatureDrift {
	t.Helper()
	for _, fd := range r.Features {
		if fd.Name == name {
			return fd
		}
	}
	t.Fatalf("no feature %q in the report", name)
	return drift.FeatureDrift{}
}

func TestCovariateShift(t *testing.T) {
	base, _ := CardBaseline(testCard(t, "netops", 20_000, false))
	all := map[string]float64{}
	for _, n := range names {
		all[n] = 4
	}
	tests := []struct {
		name       string
		shift      map[string]float64
		moved      []string
		wantStatus drift.Status
	}{
		{"stationary", nil, nil, drift.StatusNoDrift},
		{"one feature by 3 sd", map[string]float64{"latency": 3}, []string{"latency"}, drift.StatusNoDrift},
		{"two features by -3 sd", map[string]float64{"latency": -3, "packet_loss_max_6h": -3}, []string{"latency", "packet_loss_max_6h"}, drift.StatusNoDrift},
		{"every feature by 4 sd", all, names, drift.StatusDriftDetected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := newGen(5, tt.shift).rows("netops", 1, 10_000, t0, time.Hour)
			_, r := reportOf(t, base, rows, 4096)
			if r.Status != tt.wantStatus {
				t.Errorf("status %s (general drift %.3f), want %s", r.Status, r.GeneralDrift, tt.wantStatus)
			}
			for _, fd := range r.Features {
				m := fd.Measures
				if m == nil {
					t.Fatalf("%s: no measures", fd.Name)
				}
				if contains(tt.moved, fd.Name) {
					if m.TVD < 0.8 || m.Hellinger < 0.8 || fd.Status != drift.StatusDriftDetected || m.KS < 0.8 || m.Wasserstein < 2 {
						t.Errorf("%s moved: tvd %.3f hellinger %.3f ks %.3f wasserstein %.3f status %s", fd.Name, m.TVD, m.Hellinger, m.KS, m.Wasserstein, fd.Status)
					}
					continue
				}
				if m.TVD > 0.05 || m.Hellinger > 0.05 || fd.Status != drift.StatusNoDrift || m.PSI > 0.02 {
					t.Errorf("%s untouched: tvd %.3f hellinger %.3f psi %.4f status %s", fd.Name, m.TVD, m.Hellinger, m.PSI, fd.Status)
				}
			}
			if r.Prediction == nil || r.Prediction.Measures == nil || r.Prediction.Measures.TVD > 0.05 {
				t.Errorf("prediction drift %+v, want near 0", r.Prediction)
			}
			if r.WeightedDrift == nil {
				t.Fatal("no weighted drift with importances")
			}
			want := (featureDrift(t, r, "latency").Drift + featureDrift(t, r, "packet_loss").Drift) / 2
			if math.Abs(*r.WeightedDrift-want) > 1e-12 {
				t.Errorf("weighted drift %g, want %g", *r.WeightedDrift, want)
			}
		})
	}
}

// TestMergedPartialsEqualSinglePass bins the same rows in one pass and as batches of uneven
// sizes whose partials go through JSON and are merged in shuffled order: counts, ranges and
// every measure are identical; the moments agree to rounding.
func TestMergedPartialsEqualSinglePass(t *testing.T) {
	base, _ := CardBaseline(testCard(t, "netops", 5_000, false))
	rows := newGen(8, map[string]float64{"latency": 0.7}).rows("netops", 1, 12_345, t0, time.Hour)
	for i := 0; i < len(rows); i += 97 {
		rows[i].Latency = math.NaN() // invalid values must merge too
	}
	single, want := reportOf(t, base, rows, 1<<20)
	bounds := []int{0, 1, 2, 1000, 4097, 9000, 12_344, len(rows)}
	var parts []*drift.Partial
	for i := len(bounds) - 1; i > 0; i-- { // merge in reverse order
		p, _ := reportOf(t, base, rows[bounds[i-1]:bounds[i]], 333)
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back drift.Partial
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, &back)
	}
	merged := &drift.Partial{}
	for _, p := range parts {
		if err := merged.Merge(p); err != nil {
			t.Fatal(err)
		}
	}
	if merged.Rows != single.Rows || len(merged.Columns) != len(single.Columns) {
		t.Fatalf("merged %d rows, %d columns; single pass %d, %d", merged.Rows, len(merged.Columns), single.Rows, len(single.Columns))
	}
	for name, h := range single.Columns {
		m := merged.Columns[name]
		s1, s2 := h.Stats, m.Stats
		if s1.Count != s2.Count || s1.Invalid != s2.Invalid || s1.Min != s2.Min || s1.Max != s2.Max {
			t.Errorf("%s: merged stats %+v, single pass %+v", name, s2, s1)
		}
		for i := range h.Counts {
			if h.Counts[i] != m.Counts[i] {
				t.Fatalf("%s: bin %d: merged %d, single pass %d", name, i, m.Counts[i], h.Counts[i])
			}
		}
		if math.Abs(s1.Mean-s2.Mean) > 1e-12*math.Max(1, math.Abs(s1.Mean)) || math.Abs(s1.M2-s2.M2) > 1e-10*s1.M2 {
			t.Errorf("%s: merged mean %.17g m2 %.17g, single pass %.17g %.17g", name, s2.Mean, s2.M2, s1.Mean, s1.M2)
		}
	}
	got, err := base.Analyze(merged, drift.Options{Importances: base.Importances(map[string]float64{"latency": 1, "packet_loss": 1})})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != want.Status || got.GeneralDrift != want.GeneralDrift || got.KLDSum != want.KLDSum {
		t.Errorf("merged report %s %.17g, single pass %s %.17g", got.Status, got.GeneralDrift, want.Status, want.GeneralDrift)
	}
	for i, fd := range want.Features {
		if *fd.Measures != *got.Features[i].Measures {
			t.Errorf("%s: merged measures %+v, single pass %+v", fd.Name, *got.Features[i].Measures, *fd.Measures)
		}
	}
	if lat := featureDrift(t, got, "latency"); lat.Actual.Invalid != int64((len(rows)+96)/97) {
		t.Errorf("latency invalid %d, want %d", lat.Actual.Invalid, (len(rows)+96)/97)
	}
}

// TestReferencesFromParquet builds references from a file and compares the file with itself
// (drift exactly 0) and with a shifted sample.
func TestReferencesFromParquet(t *testing.T) {
	rows := newGen(3, nil).rows("netops", 1, 3000, t0, time.Hour)
	for i := range rows {
		rows[i].CountryA = 1 // a constant column
	}
	ref := parquetOf(t, rows)
	refs, order, skipped, err := References([]io.ReaderAt{ref}, []int64{ref.Size()}, []string{"version"}, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 || len(order) != len(names)+1 || order[0] != "cpu_utilization" {
		t.Fatalf("order %v, skipped %v", order, skipped)
	}
	base, _ := drift.NewBaseline(order[:len(order)-1], refs, PredictionColumn, ptr(refs[PredictionColumn]))
	for _, tc := range []struct {
		name  string
		shift map[string]float64
		zero  bool
	}{{"itself", nil, true}, {"shifted", map[string]float64{"cpu_utilization": 5}, false}} {
		cur := rows
		if !tc.zero {
			cur = newGen(4, tc.shift).rows("netops", 1, 3000, t0, time.Hour)
			for i := range cur {
				cur[i].CountryA = 1
			}
		}
		_, r := reportOf(t, base, cur, 700)
		for _, fd := range r.Features {
			if math.IsNaN(fd.Drift) || fd.Measures == nil {
				t.Fatalf("%s %s: %+v", tc.name, fd.Name, fd)
			}
			if tc.zero && fd.Drift != 0 {
				t.Errorf("%s: %s drift %g, want 0", tc.name, fd.Name, fd.Drift)
			}
		}
		if !tc.zero && featureDrift(t, r, "cpu_utilization").Status != drift.StatusDriftDetected {
			t.Errorf("shifted cpu_utilization: %+v", featureDrift(t, r, "cpu_utilization"))
		}
		if fd := featureDrift(t, r, "country_A"); fd.Drift != 0 || fd.Status != drift.StatusNoDrift {
			t.Errorf("constant country_A: %+v", fd)
		}
	}
}

func ptr[T any](v T) *T { return &v }
