package driftdetectors

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// TestBadInput: every bad batch is an error of the documented kind, naming the cause, and never
// a panic; a rejected batch writes no state.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	v := e.card("netops", []float64{0, 1, 0, 0})
	badCard := e.card("badcard", nil)
	// A card whose test errors are not 0/1.
	if err := blob.PutBytes(context.Background(), e.store, "models/badcard/v1/card.json", []byte(`{"name":"badcard","version":1,"test_errors":[0,2]}`)); err != nil {
		t.Fatal(err)
	}
	f := e.instance(testConfig(t))
	rows := e.batch("x", "netops", v, 0, []float64{1, 0}, nil)
	wrongCount := rows.Clone()
	if err := wrongCount.SetData(cloudevents.ApplicationJSON, &events.Batch{Key: "labeled/model=netops/x.parquet", Rows: 5, From: t0, To: t0, SchemaVersion: events.SchemaVersion, Model: "netops", Version: v}); err != nil {
		t.Fatal(err)
	}
	missing := rows.Clone()
	if err := missing.SetData(cloudevents.ApplicationJSON, &events.Batch{Key: "labeled/model=netops/none.parquet", Rows: 2, From: t0, To: t0, SchemaVersion: events.SchemaVersion, Model: "netops", Version: v}); err != nil {
		t.Fatal(err)
	}
	invalid := rows.Clone()
	if err := invalid.SetData(cloudevents.ApplicationJSON, map[string]any{"key": "", "rows": -1}); err != nil {
		t.Fatal(err)
	}
	corrupt := e.batch("corrupt", "netops", v, 0, []float64{1}, nil)
	if err := blob.PutBytes(context.Background(), e.store, "labeled/model=netops/corrupt.parquet", []byte("not parquet")); err != nil {
		t.Fatal(err)
	}
	wrongSchema := e.put("schema", "netops", v, nil)
	if err := tables.Put(context.Background(), e.store, "labeled/model=netops/schema.parquet", []tables.Label{{Timestamp: t0}}); err != nil {
		t.Fatal(err)
	}
	cs := e.card("corruptstate", []float64{0, 1})
	if _, err := f.kv.Put(context.Background(), "corruptstate.v1", []byte(`{"model": 3}`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		ev        cloudevents.Event
		permanent bool
		msg       string
	}{
		{"no registry card", e.batch("nocard", "ghost", 3, 0, []float64{1, 0}, nil), true, "model ghost v3, which has no registry card"},
		{"card test errors not 0/1", e.batch("badcard", "badcard", badCard, 0, []float64{1}, nil), true, "test_errors[1] = 2"},
		{"row count differs from event", wrongCount, true, "holds 2 rows, its event"},
		{"invalid payload", invalid, true, "invalid payload"},
		{"corrupt object", corrupt, true, "corrupt.parquet"},
		{"wrong schema", wrongSchema, true, "schema.parquet"},
		{"missing object", missing, false, "none.parquet"},
		{"corrupt state", e.batch("cs", "corruptstate", cs, 0, []float64{1}, nil), true, "state of corruptstate v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outs, err := f.handle(context.Background(), tt.ev)
			if err == nil {
				t.Fatalf("no error, %d events", len(outs))
			}
			if fault.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v (permanent %v), want permanent=%v naming %q", err, fault.IsPermanent(err), tt.permanent, tt.msg)
			}
		})
	}
	for _, key := range []string{"ghost.v3", "badcard.v1"} {
		if _, _, found, _ := bus.GetJSON[record](context.Background(), f.kv, key); found {
			t.Errorf("state %s written for a rejected batch", key)
		}
	}
}

// TestNoLabeledRows: a batch of unlabeled rows, or rows naming no valid model, feeds nothing,
// publishes nothing and is counted.
func TestNoLabeledRows(t *testing.T) {
	e := newEnv(t)
	v := e.card("netops", []float64{0, 1})
	f := e.instance(testConfig(t))
	rows := []features.LabeledRow{
		{Row: features.Row{Timestamp: t0}, Model: "netops", Version: int32(v), Labeled: false, Prediction: true},
		{Row: features.Row{Timestamp: t0}, Model: "Not A Model", Version: 1, Labeled: true, Error: true},
		{Row: features.Row{Timestamp: t0}, Model: "netops", Version: -2, Labeled: true, Error: true},
	}
	for _, ev := range []cloudevents.Event{e.put("unlabeled", "netops", v, rows), e.put("empty", "netops", v, nil)} {
		outs, err := f.handle(context.Background(), ev)
		if err != nil || len(outs) != 0 {
			t.Errorf("%s: %d events, error %v; want none", ev.ID(), len(outs), err)
		}
	}
	if _, _, found, _ := bus.GetJSON[record](context.Background(), f.kv, endpoint.Key("netops", v)); found {
		t.Error("state written for a batch with nothing to feed")
	}
	for reason, want := range map[string]float64{reasonUnlabeled: 1, reasonNoModel: 2} {
		if got := counterValue(t, f.m.skipped.WithLabelValues(reason)); got != want {
			t.Errorf("skipped %s = %v, want %v", reason, got, want)
		}
	}
}

// TestOutOfOrderRows: batches whose rows arrive shuffled publish what the sorted ones do; rows
// older than rows fed before (late labels) are fed and counted.
func TestOutOfOrderRows(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	e := newEnv(t)
	v := e.card("netops", xs[:300])
	cfg := testConfig(t)
	f := e.instance(cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	got := sigs{}
	const n = 170
	for i := 300; i < len(xs); i += n {
		live := xs[i:min(i+n, len(xs))]
		outs, err := f.handle(context.Background(), e.batch(fmt.Sprint("s", i), "netops", v, i-300, live, rng.Perm(len(live))))
		if err != nil {
			t.Fatal(err)
		}
		got.add(t, outs)
	}
	if ref := reference(t, cfg.plan.base, xs[:300], xs[300:]); !equal(got, ref) {
		t.Errorf("shuffled batches: %v\nin order: %v", got, ref)
	}
	// A late batch: rows from before the newest row fed.
	late := e.batch("late", "netops", v, 10, []float64{1, 1, 0}, nil)
	if _, err := f.handle(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	if got := counterValue(t, f.m.late); got != 3 {
		t.Errorf("late rows = %v, want 3", got)
	}
	rec, _, _, err := bus.GetJSON[record](context.Background(), f.kv, endpoint.Key("netops", v))
	if err != nil || rec.Next != int64(len(xs)-300+3) {
		t.Errorf("next index %d (err %v), want %d: late rows are fed", rec.Next, err, len(xs)-300+3)
	}
}

// TestEndpointAndLog checks the endpoint record's detector flags and the Parquet log of flag
// changes against the events published.
func TestEndpointAndLog(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	e := newEnv(t)
	v := e.card("netops", nil)
	f := e.instance(testConfig(t))
	ctx := context.Background()
	got := sigs{}
	logRows := 0
	for _, ev := range e.batches("b", "netops", v, xs, 500) {
		outs, err := f.handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		got.add(t, outs)
		infos, err := e.store.List(ctx, "monitoring/netops/detectors/")
		if err != nil {
			t.Fatal(err)
		}
		logRows = 0
		signalsInLog := 0
		for _, in := range infos {
			rows, err := tables.Get[LogRow](ctx, e.store, in.Key)
			if err != nil {
				t.Fatal(err)
			}
			logRows += len(rows)
			for _, r := range rows {
				if r.Signal != "" {
					signalsInLog++
				}
			}
		}
		n := 0
		for _, kinds := range got {
			n += len(kinds[signalWarning]) + len(kinds[signalChange])
		}
		if signalsInLog != n {
			t.Errorf("after %s: %d signals in the log, %d published", ev.ID(), signalsInLog, n)
		}
	}
	if logRows == 0 {
		t.Error("no flag changes logged")
	}
	eps, err := endpoint.Open(ctx, e.bus)
	if err != nil {
		t.Fatal(err)
	}
	r, found, err := eps.Get(ctx, "netops", v)
	if err != nil || !found {
		t.Fatalf("endpoint record: found %v, err %v", found, err)
	}
	for _, d := range []string{"ddm", "eddm", "page_hinkley", "adwin"} {
		s, ok := r.Detectors[d]
		if !ok {
			t.Errorf("endpoint record has no %s", d)
			continue
		}
		if s.Changes != int64(len(got[d][signalChange])) || s.Warnings != int64(len(got[d][signalWarning])) || s.Index != int64(len(xs)-1) {
			t.Errorf("%s: endpoint %+v, published %d changes %d warnings", d, s, len(got[d][signalChange]), len(got[d][signalWarning]))
		}
		if c := counterValue(t, f.m.changes.WithLabelValues("netops", "1", d)); c != float64(s.Changes) {
			t.Errorf("%s: changes metric %v, endpoint %d", d, c, s.Changes)
		}
	}
}
