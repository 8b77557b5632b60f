package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/functions/driftmagnitude"
	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
)

// TestDriftMagnitudeUp is drift magnitude as a user of `netops up` sees it: a simulated day with
// no scenario, in which every hourly report says NO_DRIFT, then a covariate drift (cpu
// utilisation's mean 70 → 85) that the first report whose window lies wholly after the onset
// flags — the cpu features far off, every other feature near zero.
func TestDriftMagnitudeUp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole system over a simulated day")
	}
	if raceEnabled {
		t.Skip("runs without the race detector, in the test command's own pass (scripts/test.sh)")
	}
	dir := t.TempDir()
	// The live clock starts at the wall-clock now; the scenario starts a simulated day later,
	// on the hour, so that windows (10-minute steps, 1 hour long) line up with it.
	onset := time.Now().UTC().Truncate(time.Hour).Add(25 * time.Hour)
	sim := fmt.Sprintf(`deployment:
  device: {num_items: 50}
scenarios:
  - name: cpu-up
    at: %s
    covariate_drift: {metric: cpu_utilization, mu: 85}
`, onset.Format(time.RFC3339))
	t.Setenv("NETOPS_TICKS_PER_BATCH", "60")    // 5 minutes of event time per batch
	t.Setenv("NETOPS_POLICY_EVENTS", "1000000") // no drift-triggered retraining: v1 serves throughout
	t.Setenv("NETOPS_LOG_LEVEL", "error")
	up := startUp(t, dir, sim, "--bootstrap-hours=6", "--speed=240")
	want := onset.Add(time.Hour) // the first window wholly after the onset ends here
	deadline := time.Now().Add(10 * time.Minute)
	var reports []*driftmagnitude.WindowReport
	for ; ; time.Sleep(2 * time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("no drift report for the window ending %s within 10 minutes (%d reports)\n%s", want.Format(time.RFC3339), len(reports), up.out.String())
		}
		up.failIfExited(t)
		if reports = windowReports(t, up.store, "netops", 1); len(reports) > 0 && !reports[len(reports)-1].To.Before(want) {
			break
		}
	}
	up.stop(t)

	// The simulated day before the onset: every window NO_DRIFT, general and per feature.
	var day []*driftmagnitude.WindowReport
	var after *driftmagnitude.WindowReport
	for _, r := range reports {
		switch {
		case !r.To.After(onset):
			day = append(day, r)
		case r.To.Equal(want):
			after = r
		}
	}
	maxGeneral, maxFeature, maxName, maxW, maxWName := 0.0, 0.0, "", 0.0, ""
	for _, r := range day {
		if r.Status != drift.StatusNoDrift || r.GeneralStatus != drift.StatusNoDrift {
			t.Errorf("window %s → %s without a scenario: %s (general drift %.3f %s, drifted %v)", r.From.Format(time.RFC3339),
				r.To.Format(time.RFC3339), r.Status, r.GeneralDrift, r.GeneralStatus, r.Drifted)
		}
		maxGeneral = max(maxGeneral, r.GeneralDrift)
		for _, fd := range r.Features {
			if fd.Drift > maxFeature {
				maxFeature, maxName = fd.Drift, fd.Name
			}
			if fd.Measures != nil && fd.Measures.Wasserstein > maxW {
				maxW, maxWName = fd.Measures.Wasserstein, fd.Name
			}
		}
	}
	span := time.Duration(0)
	if len(day) > 0 {
		span = day[len(day)-1].To.Sub(day[0].From)
	}
	t.Logf("before the onset: %d reports over %s of event time; largest general drift %.3f, largest feature drift %.3f (%s), largest Wasserstein %.3f std (%s)",
		len(day), span, maxGeneral, maxFeature, maxName, maxW, maxWName)
	if span < 24*time.Hour {
		t.Errorf("the reports before the onset cover %s of event time, want a day", span)
	}

	// The first window after the onset.
	if after == nil {
		t.Fatalf("no report for the window ending %s", want.Format(time.RFC3339))
	}
	if after.Status != drift.StatusPossibleDrift && after.Status != drift.StatusDriftDetected {
		t.Errorf("window ending %s: status %s (general drift %.3f), want POSSIBLE_DRIFT or DRIFT_DETECTED", want.Format(time.RFC3339), after.Status, after.GeneralDrift)
	}
	var moved []string
	for _, fd := range after.Features {
		if fd.Measures == nil {
			t.Errorf("%s: no data", fd.Name)
			continue
		}
		m := fd.Measures
		t.Logf("%-28s tvd %.3f hellinger %.3f kld %.3f wasserstein %.3f → %s, drifted %v", fd.Name, m.TVD, m.Hellinger, m.KLD, m.Wasserstein, fd.Status, fd.Drifted)
		switch cpu := strings.HasPrefix(fd.Name, "cpu_utilization"); {
		case cpu && fd.Drifted:
			moved = append(moved, fd.Name)
		case !cpu && (m.TVD > 0.25 || m.Hellinger > 0.25):
			t.Errorf("%s, untouched by the scenario, moved: tvd %.3f, hellinger %.3f", fd.Name, m.TVD, m.Hellinger)
		}
	}
	t.Logf("window %s → %s: %s, general drift %.3f (%s), drifted %v", after.From.Format(time.RFC3339), after.To.Format(time.RFC3339),
		after.Status, after.GeneralDrift, after.GeneralStatus, after.Drifted)
	if len(moved) == 0 || !slices.Equal(moved, after.Drifted) {
		t.Errorf("cpu features that drifted %v, the report's drifted %v: want the same, at least one", moved, after.Drifted)
	}
	if cpu := featureByName(after, "cpu_utilization"); cpu == nil || cpu.Measures == nil || cpu.Measures.TVD < 0.2 || cpu.Measures.Hellinger < 0.2 {
		t.Errorf("cpu_utilization's TVD and Hellinger did not move: %+v", cpu)
	}
}

// featureByName returns a report's feature, or nil.
func featureByName(r *driftmagnitude.WindowReport, name string) *drift.FeatureDrift {
	for i := range r.Features {
		if r.Features[i].Name == name {
			return &r.Features[i]
		}
	}
	return nil
}

// windowReports reads a model version's stored drift reports in time order.
func windowReports(t *testing.T, store blob.Store, model string, version int) []*driftmagnitude.WindowReport {
	t.Helper()
	ctx := context.Background()
	infos, err := store.List(ctx, driftmagnitude.Prefix(model, version)+"reports/")
	if err != nil {
		return nil
	}
	var out []*driftmagnitude.WindowReport
	for _, in := range infos {
		if !strings.HasSuffix(in.Key, ".json") {
			continue
		}
		data, err := blob.GetBytes(ctx, store, in.Key)
		if err != nil {
			t.Fatal(err)
		}
		var r driftmagnitude.WindowReport
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", in.Key, err)
		}
		out = append(out, &r)
	}
	slices.SortFunc(out, func(a, b *driftmagnitude.WindowReport) int { return a.To.Compare(b.To) })
	return out
}
