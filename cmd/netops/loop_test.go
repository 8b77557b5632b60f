package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/netopsfn/netops/functions/driftdetectors"
	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/runs"
	"github.com/netopsfn/netops/internal/tables"
)

// TestClosedLoop is the closed loop as a user sees it in `netops up`: a concept drift starts at a
// known simulated time, the detectors fire after it (and not before), the runner retrains on
// post-drift rows, the candidate passes the gate and is deployed, and the error rate comes back.
func TestClosedLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("closed loop runs the whole system for a few minutes")
	}
	if raceEnabled {
		t.Skip("the closed loop runs without the race detector, in the test command's own pass (scripts/test.sh)")
	}
	dir := t.TempDir()
	onset := time.Now().UTC().Truncate(time.Minute).Add(60 * time.Minute)
	// At onset failures start to show through throughput and packet loss only, and latency reads
	// its maximum on every device (say, a firmware update): what the champion learned to look for
	// now means nothing, and rows it would flag are everywhere.
	sim := fmt.Sprintf(`deployment:
  device: {num_items: 20}
scenarios:
  - name: concept
    at: %[1]s
    concept_drift: {metrics: [throughput, packet_loss]}
  - name: latency-saturates
    at: %[1]s
    covariate_drift: {metric: latency, mu: 105, sigma: 5}
`, onset.Format(time.RFC3339))
	t.Setenv("NETOPS_DRIFT_DETECTORS", "ddm,adwin") // the detectors whose false-alarm rate is near zero
	t.Setenv("NETOPS_LOG_LEVEL", "error")
	up := startUp(t, dir, sim, "--bootstrap-hours=6", "--speed=60")
	store := up.store
	ctx := context.Background()

	// Wait for a drift-triggered deployment, then for an hour of event time served by it.
	var deployed *runs.Run
	deadline := time.Now().Add(8 * time.Minute)
	for ; ; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("no drift-triggered deployment with an hour of labeled rows after it within 8 minutes\n%s", up.out.String())
		}
		up.failIfExited(t)
		if deployed == nil {
			all, err := runs.List(ctx, store)
			if err != nil {
				continue
			}
			for _, r := range all {
				if r.Trigger.Kind == "drift" && r.Decision == runs.DecisionDeployed {
					deployed = r
				}
			}
			continue
		}
		if rows := labeledRows(t, store); len(rows) > 0 && rows[len(rows)-1].Timestamp.After(deployed.Data.To.Add(90*time.Minute)) {
			break
		}
	}
	up.stop(t)

	rows := labeledRows(t, store)
	changes := detectorChanges(t, store)
	for _, c := range changes {
		if c.EventTime.Before(onset) {
			t.Errorf("%s fired at %s (index %d), before the drift at %s", c.Detector, c.EventTime.Format(time.RFC3339), c.Index, onset.Format(time.RFC3339))
		}
	}
	if len(changes) == 0 {
		t.Fatal("no detector fired")
	}
	detected := changes[0].EventTime
	cand := deployed.Candidate.Version
	var delayRows int
	var pre, post, after quality
	for _, r := range rows {
		switch {
		case r.Version == 1 && r.Timestamp.Before(onset):
			pre.add(r)
		case r.Version == 1:
			post.add(r)
			if !r.Timestamp.After(detected) {
				delayRows++
			}
		case int(r.Version) == cand:
			after.add(r)
		}
	}
	t.Logf("drift onset %s; first detection %s by %s: %d labeled rows after onset (%s of event time)",
		onset.Format(time.RFC3339), detected.Format(time.RFC3339), changes[0].Detector, delayRows, detected.Sub(onset))
	t.Logf("run %s (trigger %s) trained on %s → %s and deployed v%d: %s; run took %.1fs; post-drift wait %s of event time",
		deployed.ID, deployed.Trigger.By, deployed.Data.From.Format(time.RFC3339), deployed.Data.To.Format(time.RFC3339), cand, deployed.Reason,
		deployed.Finished.Sub(deployed.Created).Seconds(), deployed.Data.To.Sub(detected))
	t.Logf("before drift (v1): %s", pre)
	t.Logf("after drift (v1):  %s", post)
	t.Logf("after retraining (v%d): %s", cand, after)
	if pre.n < 1000 || post.n < 1000 || after.n < 1000 {
		t.Fatalf("too few rows to compare: %d %d %d", pre.n, post.n, after.n)
	}
	// The champion stops seeing failures: its F1 collapses and its error stream changes, which is
	// what the detectors caught. The retrained model finds them again.
	if post.f1() > pre.f1()/2 {
		t.Errorf("the drift did not hurt: F1 %.3f → %.3f", pre.f1(), post.f1())
	}
	if after.f1() < pre.f1()-0.1 || after.errorRate() > pre.errorRate()+0.05 {
		t.Errorf("retraining did not bring the model back: before %s, after retraining %s", pre, after)
	}
	checkMagnitude(t, store, onset)
}

// checkMagnitude reads drift-magnitude's reports of v1: NO_DRIFT before the onset; after it, the
// saturated latency drifts past the possible threshold while packet loss and throughput, whose
// distributions did not change, stay near zero.
func checkMagnitude(t *testing.T, store blob.Store, onset time.Time) {
	t.Helper()
	var seenAfter bool
	for _, rep := range windowReports(t, store, "netops", 1) {
		tvd := map[string]float64{}
		for _, f := range rep.Features {
			if f.Measures != nil {
				tvd[f.Name] = f.Measures.TVD
			}
		}
		switch {
		case !rep.To.After(onset):
			if rep.Status != drift.StatusNoDrift || rep.GeneralDrift > 0.1 {
				t.Errorf("report to %s, before the drift: %s %.3f", rep.To.Format(time.RFC3339), rep.Status, rep.GeneralDrift)
			}
		case rep.To.Sub(onset) >= time.Hour: // a whole window after the onset
			seenAfter = true
			if l, ok := tvd["latency"]; ok && l < 0.5 {
				t.Errorf("report to %s: latency TVD %.3f, want >= 0.5 after it saturated", rep.To.Format(time.RFC3339), l)
			}
			for _, f := range []string{"packet_loss", "throughput"} {
				if v, ok := tvd[f]; ok && v > 0.1 {
					t.Errorf("report to %s: %s TVD %.3f, want near 0 (unchanged)", rep.To.Format(time.RFC3339), f, v)
				}
			}
		}
	}
	if !seenAfter {
		t.Error("no drift-magnitude report covers a whole window after the onset")
	}
}

// quality counts a model's labeled rows.
type quality struct{ n, errs, tp, fp, fn int }

func (q *quality) add(r features.LabeledRow) {
	q.n++
	switch {
	case r.Error && r.Prediction:
		q.errs++
		q.fp++
	case r.Error:
		q.errs++
		q.fn++
	case r.Prediction:
		q.tp++
	}
}
func (q quality) errorRate() float64 { return float64(q.errs) / float64(max(q.n, 1)) }
func (q quality) f1() float64        { return 2 * float64(q.tp) / float64(max(2*q.tp+q.fp+q.fn, 1)) }
func (q quality) String() string {
	return fmt.Sprintf("error rate %.4f, F1 %.3f (tp %d, fp %d, fn %d) over %d rows", q.errorRate(), q.f1(), q.tp, q.fp, q.fn, q.n)
}

// labeledRows reads every labeled row of the netops model, in event-time order.
func labeledRows(t *testing.T, store blob.Store) []features.LabeledRow {
	t.Helper()
	objs, err := store.List(context.Background(), "labeled/model=netops/")
	if err != nil {
		t.Fatal(err)
	}
	var rows []features.LabeledRow
	for _, o := range objs {
		b, err := tables.Get[features.LabeledRow](context.Background(), store, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b {
			if r.Labeled {
				rows = append(rows, r)
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b features.LabeledRow) int { return a.Timestamp.Compare(b.Timestamp) })
	return rows
}

// detectorChanges reads the detectors' flag-change log: every change, in event-time order.
func detectorChanges(t *testing.T, store blob.Store) []driftdetectors.LogRow {
	t.Helper()
	objs, err := store.List(context.Background(), "monitoring/netops/detectors/")
	if err != nil {
		t.Fatal(err)
	}
	var out []driftdetectors.LogRow
	for _, o := range objs {
		b, err := tables.Get[driftdetectors.LogRow](context.Background(), store, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b {
			if r.Signal == "change" {
				out = append(out, r)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b driftdetectors.LogRow) int { return a.EventTime.Compare(b.EventTime) })
	return out
}
