package labeledstream

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

// world is a labeled stream's environment: an embedded NATS server, a file store, and the
// configuration and metrics registry every instance built on them shares.
type world struct {
	t     testing.TB
	bus   *bus.Bus
	store blob.Store
	cfg   Config
	reg   *prometheus.Registry
	log   *slog.Logger
	// published receives the labeled.batch events that reach the stream.
	published chan *nats.Msg
}

// t0 is the start of the test data: 13:00:00 UTC, so an hour boundary is near.
var t0 = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

const interval = 5 * time.Second

func newWorld(t testing.TB) *world {
	t.Helper()
	var cfg Config
	if err := config.Defaults(&cfg); err != nil {
		t.Fatal(err)
	}
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, bus: testenv.Bus(t), store: store, cfg: cfg, reg: prometheus.NewRegistry(),
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), published: make(chan *nats.Msg, 1000)}
	if _, err := w.bus.NC.ChanSubscribe(events.Subject(events.LabeledBatch), w.published); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) deps() function.Deps {
	return function.Deps{Bus: w.bus, Store: w.store, Log: w.log, Metrics: w.reg}
}

// instance builds a new labeled stream on the world, as a restarted process would.
func (w *world) instance() *stream {
	w.t.Helper()
	s, err := newStream(w.cfg, w.deps())
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// register registers versions 1..n of a model.
func (w *world) register(model string, n int) {
	w.t.Helper()
	for range n {
		if _, err := registry.New(w.store).Register(context.Background(), &registry.Card{Name: model}, []byte("{}"), nil); err != nil {
			w.t.Fatal(err)
		}
	}
}

// data is the rows of a range of ticks of a fleet: features, predictions and labels, row i of each
// being the same device and timestamp.
type data struct {
	feats  []features.Row
	preds  []tables.Prediction
	labels []tables.Label
}

func device(i int) string { return fmt.Sprintf("%013d", 4915550000000+i) }

// ticks simulates devices devices over ticks [first, first+n) for a model version: random
// features, probabilities and labels (about 30% positive), deterministic in seed.
func ticks(seed uint64, model string, version int32, devices, first, n int) data {
	rng := rand.New(rand.NewPCG(seed, uint64(first)))
	var d data
	for k := first; k < first+n; k++ {
		ts := t0.Add(time.Duration(k) * interval)
		for i := range devices {
			v := make([]float64, features.NumFeatures)
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			row, err := features.FromVector(ts, device(i), v)
			if err != nil {
				panic(err)
			}
			p := rng.Float64()
			d.feats = append(d.feats, row)
			d.preds = append(d.preds, tables.Prediction{Timestamp: ts, Device: device(i), Model: model, Version: version, Probability: p, Prediction: p > 0.5})
			d.labels = append(d.labels, tables.Label{Timestamp: ts, Device: device(i), IsError: rng.Float64() < 0.3})
		}
	}
	return d
}

// span returns the first and last timestamps of rows.
func span[T any](rows []T, ts func(*T) time.Time) (from, to time.Time) {
	for i := range rows {
		t := ts(&rows[i])
		if i == 0 || t.Before(from) {
			from = t
		}
		if i == 0 || t.After(to) {
			to = t
		}
	}
	return from, to
}

// predictionsEvent writes the features and predictions objects of d and returns the
// predictions.batch event announcing them, as the model server would.
func (w *world) predictionsEvent(id string, d data) cloudevents.Event {
	w.t.Helper()
	from, to := span(d.preds, func(p *tables.Prediction) time.Time { return p.Timestamp })
	model, version := d.preds[0].Model, int(d.preds[0].Version)
	src := tables.Key("features", from, "f-"+id)
	key := tables.Key("predictions/model="+model, from, id)
	w.put(src, d.feats)
	w.put(key, d.preds)
	return w.event(events.PredictionsBatch, id, &events.Batch{Key: key, Rows: int64(len(d.preds)), From: from, To: to,
		SchemaVersion: events.SchemaVersion, Model: model, Version: version, Source: src})
}

// labelsEvent writes a labels object and returns the labels.batch event announcing it.
func (w *world) labelsEvent(id string, rows []tables.Label) cloudevents.Event {
	w.t.Helper()
	from, to := span(rows, func(l *tables.Label) time.Time { return l.Timestamp })
	key := tables.Key("labels", from, id)
	w.put(key, rows)
	return w.event(events.LabelsBatch, id, &events.Batch{Key: key, Rows: int64(len(rows)), From: from, To: to, SchemaVersion: events.SchemaVersion})
}

func put[T any](t testing.TB, store blob.Store, key string, rows []T) {
	t.Helper()
	if err := tables.Put(context.Background(), store, key, rows); err != nil {
		t.Fatal(err)
	}
}

func (w *world) put(key string, rows any) {
	w.t.Helper()
	switch r := rows.(type) {
	case []features.Row:
		put(w.t, w.store, key, r)
	case []tables.Prediction:
		put(w.t, w.store, key, r)
	case []tables.Label:
		put(w.t, w.store, key, r)
	default:
		w.t.Fatalf("put %T", rows)
	}
}

func (w *world) event(typ, id string, b *events.Batch) cloudevents.Event {
	w.t.Helper()
	e, err := events.New(typ, "/test", id, b)
	if err != nil {
		w.t.Fatal(err)
	}
	return e
}

// handle runs an event through s and fails the test on error.
func (w *world) handle(s *stream, e cloudevents.Event) []cloudevents.Event {
	w.t.Helper()
	outs, err := s.handle(context.Background(), e)
	if err != nil {
		w.t.Fatalf("handle %s %s: %v", e.Type(), e.ID(), err)
	}
	return outs
}

// output returns the labeled batch of predictions event id, its raw bytes, and whether it exists.
func (w *world) output(pred cloudevents.Event) ([]features.LabeledRow, []byte, bool) {
	w.t.Helper()
	b, err := events.Decode[events.Batch](pred)
	if err != nil {
		w.t.Fatal(err)
	}
	key := OutputKey(b.Model, b.From, events.DerivedID(pred.ID(), "labeled"))
	ok, err := blob.Exists(context.Background(), w.store, key)
	if err != nil || !ok {
		return nil, nil, false
	}
	raw, err := blob.GetBytes(context.Background(), w.store, key)
	if err != nil {
		w.t.Fatal(err)
	}
	rows, err := tables.Decode[features.LabeledRow](raw)
	if err != nil {
		w.t.Fatal(err)
	}
	return rows, raw, true
}

// labeledObjects counts the objects under labeled/.
func (w *world) labeledObjects() int {
	w.t.Helper()
	infos, err := w.store.List(context.Background(), "labeled/")
	if err != nil {
		w.t.Fatal(err)
	}
	return len(infos)
}

// received returns the labeled.batch events published so far, after waiting briefly for stragglers.
func (w *world) received() []cloudevents.Event {
	w.t.Helper()
	var out []cloudevents.Event
	timeout := time.After(300 * time.Millisecond)
	for {
		select {
		case m := <-w.published:
			e, err := bus.FromMsg(m)
			if err != nil {
				w.t.Fatal(err)
			}
			out = append(out, e)
		case <-timeout:
			return out
		}
	}
}

// endpoint returns the endpoint record of a model version.
func (w *world) endpoint(model string, version int) (endpoint.Record, bool) {
	w.t.Helper()
	eps, err := endpoint.Open(context.Background(), w.bus)
	if err != nil {
		w.t.Fatal(err)
	}
	r, found, err := eps.Get(context.Background(), model, version)
	if err != nil {
		w.t.Fatal(err)
	}
	return r, found
}

// metric returns the value of a counter or gauge on the world's registry (labels as name, value
// pairs).
func (w *world) metric(name string, labels ...string) float64 {
	w.t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
				}
				if !found {
					continue metric
				}
			}
			if g := m.GetGauge(); g != nil {
				return g.GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// checkJoined fails unless rows are d joined with the labels in have (by device and timestamp),
// rows absent from have being unlabeled.
func checkJoined(t testing.TB, rows []features.LabeledRow, d data, have []tables.Label) {
	t.Helper()
	truth := map[string]bool{}
	for _, l := range have {
		truth[l.Device+l.Timestamp.String()] = l.IsError
	}
	if len(rows) != len(d.preds) {
		t.Fatalf("%d labeled rows, want %d", len(rows), len(d.preds))
	}
	for i, r := range rows {
		p, f := d.preds[i], d.feats[i]
		label, ok := truth[p.Device+p.Timestamp.String()]
		want := features.LabeledRow{Row: f, Model: p.Model, Version: p.Version, Probability: p.Probability, Prediction: p.Prediction,
			Labeled: ok, Label: ok && label, Error: ok && label != p.Prediction}
		if !r.Timestamp.Equal(want.Timestamp) {
			t.Fatalf("row %d: timestamp %s, want %s", i, r.Timestamp, want.Timestamp)
		}
		r.Timestamp = want.Timestamp
		if r != want {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, r, want)
		}
	}
}

func mustContain(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}
