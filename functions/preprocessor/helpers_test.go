package preprocessor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

// env is a preprocessor's world: an embedded NATS server, a store, and the configuration and
// metrics registry every instance built on them shares.
type env struct {
	t     testing.TB
	bus   *bus.Bus
	store blob.Store
	cfg   Config
	reg   *prometheus.Registry
	log   *slog.Logger
}

func newEnv(t testing.TB, store blob.Store) *env {
	t.Helper()
	var cfg Config
	if err := config.Defaults(&cfg); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, bus: testenv.Bus(t), store: store, cfg: cfg, reg: prometheus.NewRegistry(),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// fileEnv is an env on a file store in a temporary directory.
func fileEnv(t testing.TB) *env {
	t.Helper()
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, store)
}

func (e *env) deps() function.Deps {
	return function.Deps{Bus: e.bus, Store: e.store, Log: e.log, Metrics: e.reg}
}

// instance builds a new preprocessor on the env, as a restarted process would.
func (e *env) instance() *preprocessor {
	e.t.Helper()
	p, err := newPreprocessor(e.cfg, e.deps())
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// putDevices writes the device table.
func (e *env) putDevices(devs []tables.Device) {
	e.t.Helper()
	if err := tables.Put(context.Background(), e.store, e.cfg.DevicesKey, devs); err != nil {
		e.t.Fatal(err)
	}
}

// batch is one telemetry batch of a history.
type batch struct {
	id       string
	from, to time.Time
	rows     []tables.Telemetry
}

// key is where the batch's telemetry object lives.
func (b *batch) key() string {
	return "telemetry/" + b.from.UTC().Format("date=2006-01-02/hour=15") + "/" + b.id + ".parquet"
}

// put writes the batch's telemetry object and returns its event.
func (e *env) put(b *batch) cloudevents.Event {
	e.t.Helper()
	if err := tables.Put(context.Background(), e.store, b.key(), b.rows); err != nil {
		e.t.Fatal(err)
	}
	return e.event(b.id, &events.Batch{Key: b.key(), Rows: int64(len(b.rows)), From: b.from, To: b.to, SchemaVersion: events.SchemaVersion})
}

// event builds a telemetry.batch event.
func (e *env) event(id string, p *events.Batch) cloudevents.Event {
	e.t.Helper()
	ev, err := events.New(events.TelemetryBatch, "/test/generator", id, p)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// handle runs one event through p and returns its output batch and the rows of its object.
func (e *env) handle(p *preprocessor, in cloudevents.Event) (*events.Batch, []features.Row) {
	e.t.Helper()
	outs, err := p.handle(context.Background(), in)
	if err != nil {
		e.t.Fatalf("handle %s: %v", in.ID(), err)
	}
	return e.output(in.ID(), outs)
}

// output checks the events a handler returned for input id and reads the features batch.
func (e *env) output(id string, outs []cloudevents.Event) (*events.Batch, []features.Row) {
	e.t.Helper()
	if len(outs) != 1 {
		e.t.Fatalf("%d output events, want 1", len(outs))
	}
	out := outs[0]
	if out.Type() != events.FeaturesBatch || out.Source() != Source || out.ID() != events.DerivedID(id) {
		e.t.Fatalf("output event %s %s %s, want %s %s %s", out.Type(), out.Source(), out.ID(), events.FeaturesBatch, Source, events.DerivedID(id))
	}
	b, err := events.Decode[events.Batch](out)
	if err != nil {
		e.t.Fatal(err)
	}
	rows, err := tables.Get[features.Row](context.Background(), e.store, b.Key)
	if err != nil {
		e.t.Fatal(err)
	}
	if int64(len(rows)) != b.Rows {
		e.t.Fatalf("%s holds %d rows, its event says %d", b.Key, len(rows), b.Rows)
	}
	return b, rows
}

// history simulates a fleet with internal/sim: devices devices at a 30-second interval for the
// given duration, cut into batches of ticksPerBatch ticks, with grow devices joining joinAfter
// the start (grow 0: none). tables holds the device table the generator would have written after
// each batch.
type history struct {
	batches []batch
	tables  [][]tables.Device
}

func simulate(t testing.TB, seed uint64, devices, grow int, joinAfter, d time.Duration, ticksPerBatch int) history {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.Deployment.Device.NumItems = devices
	cfg.Timestamps.Interval = 30 * time.Second
	start := time.Date(2026, 11, 22, 9, 3, 0, 0, time.UTC)
	if grow > 0 {
		cfg.Scenarios = []sim.Scenario{{Name: "growth", At: start.Add(joinAfter), FleetGrowth: &sim.FleetGrowth{NumItems: grow}}}
	}
	f, err := sim.NewFleet(cfg, seed, start)
	if err != nil {
		t.Fatal(err)
	}
	var h history
	err = f.Run(start.Add(d), ticksPerBatch, func(tel []tables.Telemetry, _ []tables.Label) error {
		n := len(h.batches)
		h.batches = append(h.batches, batch{id: fmt.Sprintf("tel-%d-%03d", seed, n),
			from: tel[0].Timestamp, to: tel[len(tel)-1].Timestamp, rows: slices.Clone(tel)})
		h.tables = append(h.tables, f.Devices())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// all returns the rows of every batch, in order.
func (h *history) all() []tables.Telemetry {
	var rows []tables.Telemetry
	for _, b := range h.batches {
		rows = append(rows, b.rows...)
	}
	return rows
}

// offline computes the features of rows in one pass, as the training-set builder does.
func offline(t testing.TB, devs []tables.Device, rows []tables.Telemetry) []features.Row {
	t.Helper()
	out, err := features.Compute(map[string]*features.State{}, features.NewStatics(devs), rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRows fails unless got and want are identical, features compared bit for bit.
func sameRows(t testing.TB, got, want []features.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	names := features.Names()
	for i := range want {
		g, w := &got[i], &want[i]
		if !g.Timestamp.Equal(w.Timestamp) || g.Device != w.Device {
			t.Fatalf("row %d: got %s %s, want %s %s", i, g.Device, g.Timestamp, w.Device, w.Timestamp)
		}
		gv, wv := g.Vector(), w.Vector()
		for k := range wv {
			if math.Float64bits(gv[k]) != math.Float64bits(wv[k]) {
				t.Fatalf("row %d (%s %s): %s = %v, want %v", i, w.Device, w.Timestamp, names[k], gv[k], wv[k])
			}
		}
	}
}

// snapshot returns every key's value in a bucket.
func (e *env) snapshot(bucket string) map[string][]byte {
	e.t.Helper()
	ctx := context.Background()
	kv, err := e.bus.JS.KeyValue(ctx, bucket) // the bucket as the function created it
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]byte{}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for k := range keys.Keys() {
		en, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		out[k] = en.Value()
	}
	return out
}

// restore puts values into a bucket.
func (e *env) restore(bucket string, values map[string][]byte) {
	e.t.Helper()
	ctx := context.Background()
	kv, err := e.bus.JS.KeyValue(ctx, bucket) // the bucket as the function created it
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range values {
		if _, err := kv.Put(ctx, k, v); err != nil {
			e.t.Fatal(err)
		}
	}
}

// sameValues fails unless two bucket snapshots are equal.
func sameValues(t testing.TB, what string, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d keys, want %d", what, len(got), len(want))
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || string(g) != string(w) {
			t.Fatalf("%s: key %s differs", what, k)
		}
	}
}

// counter returns the value of a counter on the env's registry (labels as name, value pairs).
func (e *env) counter(name string, labels ...string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatal(err)
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
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
