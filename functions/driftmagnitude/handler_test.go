package driftmagnitude

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// minutes returns rows of netops v1 spread over [t0+from, t0+to) minutes.
func minutes(g *gen, from, to, n int) []features.LabeledRow {
	return g.rows("netops", 1, n, t0.Add(time.Duration(from)*time.Minute), time.Duration(to-from)*time.Minute)
}

// TestHandlerSchedule feeds ten-minute batches through the handler: reports come at the
// interval boundaries of event time, over the last hour, and the shifted hour drifts.
func TestHandlerSchedule(t *testing.T) {
	e := newEnv(t, testCard(t, "netops", 20_000, true))
	m := e.magnitude()
	stable, shifted := newGen(11, nil), newGen(12, map[string]float64{"latency": 4, "cpu_utilization": 4})
	var reports []*events.DriftReport
	for k := range 9 { // batches [0,5) [5,10) ... [40,45) minutes
		g := stable
		if k >= 6 {
			g = shifted
		}
		_, reps := e.handle(m, e.batch(minutes(g, 5*k, 5*k+5, 500)))
		reports = append(reports, reps...)
		wantReports := map[int]int{0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3, 7: 3, 8: 4}[k]
		if len(reports) != wantReports {
			t.Fatalf("after batch %d: %d reports, want %d", k, len(reports), wantReports)
		}
	}
	for i, r := range reports {
		end := t0.Add(time.Duration(10*(i+1)) * time.Minute)
		if !r.To.Equal(end) || !r.From.Equal(end.Add(-time.Hour)) || r.Model != "netops" || r.Version != 1 {
			t.Errorf("report %d: %s v%d [%s, %s), want window ending %s", i, r.Model, r.Version, r.From, r.To, end)
		}
		wr := e.readReport(r.Key)
		if wr.Rows != int64(1000*(i+1)) || wr.Trigger != TriggerSchedule {
			t.Errorf("report %d: %d rows by %s, want %d by schedule", i, wr.Rows, wr.Trigger, 1000*(i+1))
		}
		// The last window holds shifted rows: latency and cpu move a quarter of their mass by
		// 4 std, a Wasserstein distance of about 1 std, so they drifted by themselves and the
		// window is POSSIBLE_DRIFT while MLRun's general verdict stays NO_DRIFT.
		want, drifted := events.NoDrift, []string(nil)
		if i == 3 {
			want, drifted = events.PossibleDrift, []string{"cpu_utilization", "latency"}
		}
		if r.Status != want || wr.GeneralStatus != drift.StatusNoDrift || !slices.Equal(wr.Drifted, drifted) {
			t.Errorf("report %d: %s (general %s, drifted %v), want %s (general NO_DRIFT, drifted %v)", i, r.Status, wr.GeneralStatus, wr.Drifted, want, drifted)
		}
	}
	// The last report's window [t0-20m, t0+40m) holds 3000 stable and 1000 shifted rows.
	last := e.readReport(reports[3].Key)
	lat := featureDrift(t, &last.Report, "latency")
	if lat.Measures.TVD < 0.2 || lat.Measures.TVD > 0.3 {
		t.Errorf("latency TVD %g with a quarter of the window shifted, want ~0.25", lat.Measures.TVD)
	}
	if cpu := featureDrift(t, &last.Report, "packet_loss"); cpu.Measures.TVD > 0.06 {
		t.Errorf("packet_loss TVD %g, want near 0", cpu.Measures.TVD)
	}
	if last.WeightedDrift == nil || *last.WeightedDrift <= last.GeneralDrift {
		t.Errorf("weighted drift %v, want above the general %g (the shifted features weigh most)", last.WeightedDrift, last.GeneralDrift)
	}
	// The Parquet report: a row per feature and the prediction.
	rows, err := tables.Get[ReportRow](context.Background(), e.store, strings.TrimSuffix(reports[3].Key, ".json")+".parquet")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(names)+1 || rows[0].Feature != names[0] || !rows[len(rows)-1].IsPrediction || rows[1].TVD != lat.Measures.TVD {
		t.Errorf("report rows: %d, first %+v", len(rows), rows[0])
	}
	// The endpoint record and the gauges hold the latest report.
	eps, err := endpoint.Open(context.Background(), e.bus)
	if err != nil {
		t.Fatal(err)
	}
	rec, found, err := eps.Get(context.Background(), "netops", 1)
	if err != nil || !found || rec.Drift == nil {
		t.Fatalf("endpoint record %+v, %v, %v", rec, found, err)
	}
	if !rec.Drift.To.Equal(reports[3].To) || rec.Drift.Possible != 0.5 || rec.Drift.Features["latency"].TVD != lat.Measures.TVD ||
		rec.Drift.Report != reports[3].Key || rec.Drift.Status != string(last.Status) {
		t.Errorf("endpoint drift %+v", rec.Drift)
	}
	if got := gauge(t, e, "netops_drift_feature", map[string]string{"feature": "latency", "measure": "tvd"}); got != lat.Measures.TVD {
		t.Errorf("latency tvd gauge %g, want %g", got, lat.Measures.TVD)
	}
	if got := gauge(t, e, "netops_drift_general", nil); got != last.GeneralDrift {
		t.Errorf("general drift gauge %g, want %g", got, last.GeneralDrift)
	}
}

// TestHandlerShiftDetected: a fully shifted hour is DRIFT_DETECTED; thresholds per model apply.
func TestHandlerShiftDetected(t *testing.T) {
	all := map[string]float64{}
	for _, n := range names {
		all[n] = 4
	}
	e := newEnv(t, testCard(t, "netops", 5000, false))
	e.cfg.ModelThresholds = []string{"netops=0.8:1"}
	m := e.magnitude()
	g := newGen(13, all)
	e.handle(m, e.batch(minutes(g, 0, 10, 2000)))
	_, reps := e.handle(m, e.batch(minutes(g, 10, 12, 100)))
	if len(reps) != 1 || reps[0].Status != events.PossibleDrift || reps[0].GeneralDrift < 0.8 {
		t.Fatalf("reports %+v, want one POSSIBLE_DRIFT under thresholds 0.8/1", reps)
	}
	e.cfg.ModelThresholds = nil
	e.reg = prometheus.NewRegistry()
	m2 := e.magnitude()
	_, reps = e.handle(m2, e.batch(minutes(g, 20, 22, 100)))
	if len(reps) != 1 || reps[0].Status != events.DriftFound {
		t.Fatalf("reports %+v, want one DRIFT_DETECTED", reps)
	}
}

// TestHandlerAfterRows: with magnitude-rows, a report comes before the boundary.
func TestHandlerAfterRows(t *testing.T) {
	e := newEnv(t, testCard(t, "netops", 5000, false))
	e.cfg.Rows = 1000
	m := e.magnitude()
	g := newGen(14, nil)
	if _, reps := e.handle(m, e.batch(minutes(g, 0, 1, 600))); len(reps) != 0 {
		t.Fatalf("%d reports after 600 rows", len(reps))
	}
	_, reps := e.handle(m, e.batch(minutes(g, 1, 2, 600)))
	if len(reps) != 1 || !reps[0].To.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("reports %+v, want one for the window ending at +10m", reps)
	}
	if wr := e.readReport(reps[0].Key); wr.Trigger != TriggerRows || wr.Rows != 1200 {
		t.Errorf("report by %s of %d rows, want rows of 1200", wr.Trigger, wr.Rows)
	}
	// The boundary still gets its scheduled report, replacing the early one.
	_, reps = e.handle(m, e.batch(minutes(g, 10, 11, 10)))
	if len(reps) != 1 || !reps[0].To.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("reports %+v, want the scheduled one ending at +10m", reps)
	}
	if wr := e.readReport(reps[0].Key); wr.Trigger != TriggerSchedule || wr.Rows != 1200 {
		t.Errorf("report by %s of %d rows, want schedule of 1200", wr.Trigger, wr.Rows)
	}
}

// TestRedelivery: handling the same event twice writes the same objects, emits the same
// event id (which JetStream's duplicate window drops) and counts its rows once.
func TestRedelivery(t *testing.T) {
	e := newEnv(t, testCard(t, "netops", 5000, false))
	e.cfg.Rows = 1000
	m := e.magnitude()
	g := newGen(15, nil)
	first := e.batch(minutes(g, 0, 5, 600))
	e.handle(m, first)
	e.handle(m, first) // counted once: 600 rows, below the limit
	trigger := e.batch(minutes(g, 11, 12, 100))
	outs1, reps1 := e.handle(m, trigger)
	if len(reps1) != 1 || reps1[0].To != t0.Add(10*time.Minute) {
		t.Fatalf("reports %+v, want one scheduled at +10m", reps1)
	}
	before, err := blob.GetBytes(context.Background(), e.store, reps1[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	outs2, reps2 := e.handle(m, trigger)
	after, err := blob.GetBytes(context.Background(), e.store, reps1[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs2) != 1 || outs2[0].ID() != outs1[0].ID() || *reps2[0] != *reps1[0] || !bytes.Equal(before, after) {
		t.Errorf("redelivery: %v / %+v, first %v / %+v", outs2, reps2, outs1, reps1)
	}
	if wr := e.readReport(reps1[0].Key); wr.Rows != 600 || wr.Partials != 1 {
		t.Errorf("window of %d rows in %d partials, want 600 in 1", wr.Rows, wr.Partials)
	}
	// A fresh instance (a restart) reads the schedule from KV and decides the same.
	outs3, _ := e.handle(e.magnitudeShared(), trigger)
	if len(outs3) != 1 || outs3[0].ID() != outs1[0].ID() {
		t.Errorf("after restart: %v, want id %s", outs3, outs1[0].ID())
	}
}

// magnitudeShared builds another instance on the same registry (as a restart in one process).
func (e *env) magnitudeShared() *magnitude { return e.magnitude() }

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	card := testCard(t, "netops", 5000, false)
	// A constant feature in the reference.
	cst, err := drift.NewReference([]float64{3, 3, 3})
	if err != nil {
		t.Fatal(err)
	}
	card.Reference["country_B"] = cst
	e := newEnv(t, card)
	m := e.magnitude()
	g := newGen(16, nil)

	rows := minutes(g, 0, 5, 400)
	for i := range rows {
		rows[i].CountryB = 3
		rows[i].PacketLoss = math.NaN() // every value invalid: NO_DATA
		if i%2 == 0 {
			rows[i].Latency = math.Inf(1) // half invalid: compared on the rest
		}
	}
	e.handle(m, e.batch(rows))
	// A gap of two hours: the window before the next batch is empty (NO_DATA, no event).
	outs, reps := e.handle(m, e.batch(minutes(g, 125, 126, 10)))
	if len(outs) != 0 || len(reps) != 0 {
		t.Fatalf("empty window: events %+v", reps)
	}
	empty := e.readReport(ReportKey("netops", 1, t0.Add(120*time.Minute)) + ".json")
	if empty.Status != drift.StatusNoData || empty.Rows != 0 || empty.GeneralDrift != 0 {
		t.Errorf("empty window report %s rows %d drift %g", empty.Status, empty.Rows, empty.GeneralDrift)
	}
	rec, _, err := endpointGet(e)
	if err != nil || rec.Drift == nil || rec.Drift.Status != string(drift.StatusNoData) {
		t.Errorf("endpoint after an empty window: %+v %v", rec.Drift, err)
	}

	// A batch without most feature columns, alone in the window [200m, 260m).
	type thin struct {
		Timestamp      time.Time `parquet:"timestamp,timestamp(millisecond)"`
		Model          string    `parquet:"model,dict"`
		Version        int32     `parquet:"version"`
		CPUUtilization float64   `parquet:"cpu_utilization"`
	}
	var th []thin
	for i := range 50 {
		th = append(th, thin{Timestamp: t0.Add(200*time.Minute + time.Duration(i)*time.Second), Model: "netops", Version: 1, CPUUtilization: 2})
	}
	key := "labeled/model=netops/thin.parquet"
	if err := tables.Put(ctx, e.store, key, th); err != nil {
		t.Fatal(err)
	}
	ev, _ := events.New(events.LabeledBatch, "/test", "thin", &events.Batch{Key: key, Rows: 50, From: th[0].Timestamp, To: th[49].Timestamp, SchemaVersion: 1, Model: "netops", Version: 1})
	if _, err := m.handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	_, reps = e.handle(m, e.batch(minutes(g, 261, 262, 10)))
	if len(reps) != 1 {
		t.Fatalf("%d reports after the thin batch", len(reps))
	}
	wr := e.readReport(reps[0].Key)
	for _, fd := range wr.Features {
		want := drift.StatusNoData
		if fd.Name == "cpu_utilization" {
			want = fd.Status // compared
			if fd.Measures == nil || fd.Actual.Count != 50 {
				t.Errorf("cpu_utilization: %+v", fd)
			}
		}
		if fd.Status != want || math.IsNaN(fd.Drift) {
			t.Errorf("%s: status %s drift %g, want %s", fd.Name, fd.Status, fd.Drift, want)
		}
	}
	if wr.Compared != 1 || wr.Status == drift.StatusNoData || math.IsNaN(wr.GeneralDrift) {
		t.Errorf("thin window: compared %d, status %s, drift %g", wr.Compared, wr.Status, wr.GeneralDrift)
	}

	// The first window, with NaNs, infinities and the constant feature, read back via LoadWindow.
	p, n, err := LoadWindow(ctx, e.store, "netops", 1, t0, t0.Add(10*time.Minute), 10*time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("load window: %d partials, %v", n, err)
	}
	base, _ := CardBaseline(card)
	r, err := base.Analyze(p, drift.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pl := featureDrift(t, r, "packet_loss"); pl.Status != drift.StatusNoData || pl.Actual.Invalid != 400 {
		t.Errorf("all-NaN packet_loss: %+v", pl)
	}
	if lat := featureDrift(t, r, "latency"); lat.Actual.Count != 200 || lat.Actual.Invalid != 200 || lat.Status != drift.StatusNoDrift {
		t.Errorf("half-invalid latency: count %d invalid %d status %s", lat.Actual.Count, lat.Actual.Invalid, lat.Status)
	}
	if cb := featureDrift(t, r, "country_B"); cb.Drift != 0 || cb.Status != drift.StatusNoDrift || cb.Measures.Wasserstein != 0 {
		t.Errorf("constant country_B: %+v", cb)
	}

	// Rows of a model version without a card are skipped, not failed.
	other := g.rows("unknown-model", 3, 20, t0, time.Minute)
	if _, err := m.handle(ctx, e.batch(other)); err != nil {
		t.Errorf("unknown model: %v", err)
	}
	// A corrupt object and a missing one.
	if err := blob.PutBytes(ctx, e.store, "labeled/model=netops/bad.parquet", []byte("PAR1 not parquet PAR1")); err != nil {
		t.Fatal(err)
	}
	bad, _ := events.New(events.LabeledBatch, "/test", "bad", &events.Batch{Key: "labeled/model=netops/bad.parquet", SchemaVersion: 1, Model: "netops", Version: 1})
	if _, err := m.handle(ctx, bad); err == nil || !fault.IsPermanent(err) {
		t.Errorf("corrupt batch: %v, want a permanent error", err)
	}
	missing, _ := events.New(events.LabeledBatch, "/test", "missing", &events.Batch{Key: "labeled/model=netops/none.parquet", SchemaVersion: 1, Model: "netops", Version: 1})
	if _, err := m.handle(ctx, missing); err == nil || fault.IsPermanent(err) || !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("missing batch: %v, want a retryable not-found", err)
	}
	// A batch naming another table's object: dead-lettered, the object never read.
	outside, _ := events.New(events.LabeledBatch, "/test", "outside", &events.Batch{Key: "models/netops/v1/card.json", SchemaVersion: 1, Model: "netops", Version: 1})
	if _, err := m.handle(ctx, outside); err == nil || !fault.IsPermanent(err) || !strings.Contains(err.Error(), "outside labeled/model=netops/") {
		t.Errorf("batch outside its table: %v, want a permanent error naming the prefix", err)
	}
}

func endpointGet(e *env) (endpoint.Record, bool, error) {
	eps, err := endpoint.Open(context.Background(), e.bus)
	if err != nil {
		return endpoint.Record{}, false, err
	}
	return eps.Get(context.Background(), "netops", 1)
}

// gauge returns the value of the metric with the given labels (model netops, version 1 implied).
func gauge(t *testing.T, e *env, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}
