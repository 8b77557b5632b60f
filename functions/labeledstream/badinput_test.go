package labeledstream

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/tables"
)

// badPrediction is a predictions table whose prediction column is an integer, not a 0/1 BOOLEAN.
type badPrediction struct {
	Timestamp   time.Time `parquet:"timestamp,timestamp(millisecond)"`
	Device      string    `parquet:"device,dict"`
	Model       string    `parquet:"model,dict"`
	Version     int32     `parquet:"version"`
	Probability float64   `parquet:"probability"`
	Prediction  int32     `parquet:"prediction"`
}

// badLabel is a labels table whose is_error column is an integer.
type badLabel struct {
	Timestamp             time.Time `parquet:"timestamp,timestamp(millisecond)"`
	Device                string    `parquet:"device,dict"`
	CPUUtilizationIsError bool      `parquet:"cpu_utilization_is_error"`
	LatencyIsError        bool      `parquet:"latency_is_error"`
	PacketLossIsError     bool      `parquet:"packet_loss_is_error"`
	ThroughputIsError     bool      `parquet:"throughput_is_error"`
	IsError               int32     `parquet:"is_error"`
}

// predictionsBatch returns the event payload predictionsEvent would give d.
func predictionsBatch(id string, d data) *events.Batch {
	from, to := span(d.preds, func(p *tables.Prediction) time.Time { return p.Timestamp })
	return &events.Batch{Key: tables.Key("predictions/model="+d.preds[0].Model, from, id), Rows: int64(len(d.preds)), From: from, To: to,
		SchemaVersion: events.SchemaVersion, Model: d.preds[0].Model, Version: int(d.preds[0].Version), Source: tables.Key("features", from, "f-"+id)}
}

func TestBadPredictions(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(w *world, d *data, b *events.Batch)
		want []string
	}{
		{"probability NaN", func(_ *world, d *data, _ *events.Batch) { d.preds[3].Probability = math.NaN() }, []string{"row 3", device(3), "probability NaN"}},
		{"probability above 1", func(_ *world, d *data, _ *events.Batch) { d.preds[5].Probability = 1.5 }, []string{"row 5", "probability 1.5", "[0, 1]"}},
		{"probability +Inf", func(_ *world, d *data, _ *events.Batch) { d.preds[0].Probability = math.Inf(1) }, []string{"row 0", "probability +Inf"}},
		{"negative probability", func(_ *world, d *data, _ *events.Batch) { d.preds[1].Probability = -0.25 }, []string{"row 1", "probability -0.25"}},
		{"prediction not 0/1", func(w *world, d *data, b *events.Batch) {
			rows := make([]badPrediction, len(d.preds))
			for i, p := range d.preds {
				rows[i] = badPrediction{p.Timestamp, p.Device, p.Model, p.Version, p.Probability, 2}
			}
			put(w.t, w.store, b.Key, rows)
		}, []string{"schema mismatch", `column "prediction"`}},
		{"source does not line up", func(_ *world, d *data, _ *events.Batch) { d.feats[2].Device = device(99) }, []string{"row 2", device(99), "do not line up"}},
		{"source timestamp differs", func(_ *world, d *data, _ *events.Batch) {
			d.feats[4].Timestamp = d.feats[4].Timestamp.Add(time.Millisecond)
		},
			[]string{"row 4", "do not line up"}},
		{"source row count", func(_ *world, d *data, _ *events.Batch) { d.feats = d.feats[:len(d.feats)-1] }, []string{"do not line up"}},
		{"source corrupt", func(w *world, _ *data, b *events.Batch) {
			if err := blob.PutBytes(context.Background(), w.store, b.Source, []byte("PAR1 not parquet PAR1")); err != nil {
				w.t.Fatal(err)
			}
		}, []string{"corrupt parquet", "features/"}},
		{"row count differs from event", func(_ *world, _ *data, b *events.Batch) { b.Rows++ }, []string{"its event says"}},
		{"no model", func(_ *world, _ *data, b *events.Batch) { b.Model = "" }, []string{"model: required"}},
		{"invalid model name", func(_ *world, _ *data, b *events.Batch) { b.Model = "Bad Model" }, []string{"outside predictions/model=Bad Model/"}},
		{"version 0", func(_ *world, _ *data, b *events.Batch) { b.Version = 0 }, []string{"version 0"}},
		{"no source", func(_ *world, _ *data, b *events.Batch) { b.Source = "" }, []string{"source", "empty"}},
		{"row of another model", func(_ *world, d *data, _ *events.Batch) { d.preds[1].Model = "other" }, []string{"row 1", "model other v1"}},
		{"row of another version", func(_ *world, d *data, _ *events.Batch) { d.preds[6].Version = 2 }, []string{"row 6", "netops v2"}},
		{"row outside the range", func(_ *world, _ *data, b *events.Batch) { b.To = b.To.Add(-interval) }, []string{"outside the batch's range"}},
		{"span too long", func(_ *world, _ *data, b *events.Batch) { b.To = b.From.Add(8 * 24 * time.Hour) }, []string{"spans", "more than"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.register("netops", 1)
			s := w.instance()
			d := ticks(11, "netops", 1, 4, 0, 3)
			w.handle(s, w.labelsEvent("lab-1", d.labels))
			b := predictionsBatch("pred-1", d)
			w.put(b.Source, d.feats)
			w.put(b.Key, d.preds)
			tc.mod(w, &d, b)
			if tc.name != "source corrupt" && b.Source != "" {
				w.put(b.Source, d.feats)
			}
			if tc.name != "prediction not 0/1" {
				w.put(b.Key, d.preds)
			}
			_, err := s.handle(context.Background(), w.event(events.PredictionsBatch, "pred-1", b))
			mustContain(t, err, tc.want...)
			if !fault.IsPermanent(err) {
				t.Fatalf("error %q is not permanent", err)
			}
			if n := w.labeledObjects(); n != 0 {
				t.Fatalf("%d labeled objects written for bad input", n)
			}
			if list, _ := s.st.pending(context.Background()); len(list) != 0 {
				t.Fatal("bad predictions batch left pending")
			}
		})
	}
}

func TestBadLabels(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(w *world, rows *[]tables.Label, b *events.Batch)
		want []string
	}{
		{"row outside the range", func(_ *world, _ *[]tables.Label, b *events.Batch) { b.From = b.From.Add(interval) },
			[]string{"row 0", device(0), "outside the batch's range"}},
		{"duplicate row", func(_ *world, rows *[]tables.Label, b *events.Batch) {
			*rows = append(*rows, (*rows)[2])
			b.Rows++
		}, []string{"rows 2 and 8 both label", device(2)}},
		{"row count differs from event", func(_ *world, _ *[]tables.Label, b *events.Batch) { b.Rows = 3 }, []string{"holds 8 rows", "says 3"}},
		{"label not 0/1", func(w *world, rows *[]tables.Label, b *events.Batch) {
			bad := make([]badLabel, len(*rows))
			for i, l := range *rows {
				bad[i] = badLabel{Timestamp: l.Timestamp, Device: l.Device, IsError: 1}
			}
			put(w.t, w.store, b.Key, bad)
			*rows = nil
		}, []string{"schema mismatch", `column "is_error"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			s := w.instance()
			rows := ticks(12, "netops", 1, 4, 0, 2).labels
			e := w.labelsEvent("lab-1", rows)
			b, err := events.Decode[events.Batch](e)
			if err != nil {
				t.Fatal(err)
			}
			tc.mod(w, &rows, b)
			if rows != nil {
				w.put(b.Key, rows)
			}
			_, err = s.handle(context.Background(), w.event(events.LabelsBatch, "lab-1", b))
			mustContain(t, err, tc.want...)
			if !fault.IsPermanent(err) {
				t.Fatalf("error %q is not permanent", err)
			}
			if refs, _ := s.st.labels(context.Background(), b.From.Add(-time.Hour), b.To.Add(time.Hour)); len(refs) != 0 {
				t.Fatal("a bad labels batch was indexed")
			}
		})
	}
}

// TestMissingObjectsAreRetryable: an object not visible yet is a retryable error.
func TestMissingObjectsAreRetryable(t *testing.T) {
	w := newWorld(t)
	s := w.instance()
	d := ticks(13, "netops", 1, 2, 0, 2)
	b := predictionsBatch("pred-1", d)
	w.put(b.Key, d.preds) // its features batch is missing
	_, err := s.handle(context.Background(), w.event(events.PredictionsBatch, "pred-1", b))
	mustContain(t, err, b.Source, "not found")
	if fault.IsPermanent(err) {
		t.Fatalf("missing source is permanent: %v", err)
	}
	_, err = s.handle(context.Background(), w.event(events.LabelsBatch, "lab-x", &events.Batch{Key: "labels/date=2026-11-22/hour=13/none.parquet",
		Rows: 1, From: t0, To: t0, SchemaVersion: events.SchemaVersion}))
	mustContain(t, err, "none.parquet", "not found")
	if fault.IsPermanent(err) {
		t.Fatalf("missing labels object is permanent: %v", err)
	}
}
