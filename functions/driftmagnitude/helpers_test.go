package driftmagnitude

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

// t0 is the start of the synthetic event time, on a 10-minute boundary.
var t0 = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

// gen makes synthetic labeled rows: feature i ~ N(i, 1+i%5), the probability ~ U(0, 1);
// shift moves the named features by that many of their standard deviations.
type gen struct {
	r     *rand.Rand
	shift map[string]float64
}

func newGen(seed uint64, shift map[string]float64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 7)), shift: shift}
}

var names = features.Names()

func (g *gen) vector(dst []float64) []float64 {
	dst = dst[:0]
	for i, name := range names {
		sd := 1 + float64(i%5)
		dst = append(dst, float64(i)+sd*(g.r.NormFloat64()+g.shift[name]))
	}
	return dst
}

// rows returns n labeled rows of model version mv, evenly spread over [from, from+span).
func (g *gen) rows(model string, version int, n int, from time.Time, span time.Duration) []features.LabeledRow {
	out := make([]features.LabeledRow, n)
	var v []float64
	for i := range out {
		v = g.vector(v)
		ts := from.Add(time.Duration(int64(span) * int64(i) / int64(max(n, 1)))).Truncate(time.Millisecond)
		row, err := features.FromVector(ts, fmt.Sprintf("dev-%04d", i%500), v)
		if err != nil {
			panic(err)
		}
		p := g.r.Float64()
		if s := g.shift[PredictionColumn]; s != 0 {
			p = math.Min(1, p*p*s)
		}
		out[i] = features.LabeledRow{Row: row, Model: model, Version: int32(version), Probability: p,
			Prediction: p > 0.5, Labeled: true, Label: g.r.IntN(2) == 1}
		out[i].Error = out[i].Prediction != out[i].Label
	}
	return out
}

// testCard builds a card whose references come from n stationary rows.
func testCard(t testing.TB, model string, n int, importances bool) *registry.Card {
	t.Helper()
	rows := newGen(1, nil).rows(model, 1, n, t0.Add(-24*time.Hour), time.Hour)
	card := &registry.Card{Name: model, Kind: "lr", Features: names, Reference: map[string]drift.Reference{}}
	cols := make([][]float64, len(names))
	var probs []float64
	for i := range rows {
		for j, v := range rows[i].Vector() {
			cols[j] = append(cols[j], v)
		}
		probs = append(probs, rows[i].Probability)
	}
	for j, name := range names {
		ref, err := drift.NewReference(cols[j])
		if err != nil {
			t.Fatal(err)
		}
		card.Reference[name] = ref
	}
	pref, err := drift.NewReference(probs)
	if err != nil {
		t.Fatal(err)
	}
	card.Prediction = &pref
	if importances {
		card.Importances = map[string]float64{}
		for j, name := range names {
			card.Importances[name] = float64(len(names) - j)
		}
	}
	return card
}

// env is drift-magnitude's world: an embedded NATS server, a file store with a registered card.
type env struct {
	t     testing.TB
	bus   *bus.Bus
	store blob.Store
	cfg   Config
	reg   *prometheus.Registry
	seq   int
}

func newEnv(t testing.TB, card *registry.Card) *env {
	t.Helper()
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := config.Defaults(&cfg); err != nil {
		t.Fatal(err)
	}
	if card != nil {
		if _, err := registry.New(store).Register(context.Background(), card, []byte("{}"), nil); err != nil {
			t.Fatal(err)
		}
	}
	return &env{t: t, bus: testenv.Bus(t), store: store, cfg: cfg, reg: prometheus.NewRegistry()}
}

func (e *env) deps() function.Deps {
	return function.Deps{Bus: e.bus, Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: e.reg}
}

func (e *env) magnitude() *magnitude {
	e.t.Helper()
	m, err := newMagnitude(e.cfg, e.deps())
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// batch writes rows as a labeled batch and returns its event.
func (e *env) batch(rows []features.LabeledRow) cloudevents.Event {
	e.t.Helper()
	e.seq++
	from, to := t0, t0
	if len(rows) > 0 {
		from, to = rows[0].Timestamp, rows[len(rows)-1].Timestamp
	}
	key := tables.Key("labeled/model=netops", from, fmt.Sprintf("b%04d", e.seq))
	if err := tables.Put(context.Background(), e.store, key, rows); err != nil {
		e.t.Fatal(err)
	}
	ev, err := events.New(events.LabeledBatch, "/test", fmt.Sprintf("in-%04d", e.seq),
		&events.Batch{Key: key, Rows: int64(len(rows)), From: from, To: to, SchemaVersion: events.SchemaVersion, Model: "netops", Version: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// handle runs the handler on ev and decodes the drift.report events it returns.
func (e *env) handle(m *magnitude, ev cloudevents.Event) ([]cloudevents.Event, []*events.DriftReport) {
	e.t.Helper()
	outs, err := m.handle(context.Background(), ev)
	if err != nil {
		e.t.Fatal(err)
	}
	var reps []*events.DriftReport
	for _, o := range outs {
		r, err := events.Decode[events.DriftReport](o)
		if err != nil {
			e.t.Fatal(err)
		}
		reps = append(reps, r)
	}
	return outs, reps
}

// readReport reads a stored JSON report.
func (e *env) readReport(key string) *WindowReport {
	e.t.Helper()
	data, err := blob.GetBytes(context.Background(), e.store, key)
	if err != nil {
		e.t.Fatal(err)
	}
	var r WindowReport
	if err := json.Unmarshal(data, &r); err != nil {
		e.t.Fatal(err)
	}
	return &r
}

// parquetOf encodes rows in memory, with small row groups so scans cross them.
func parquetOf(t testing.TB, rows []features.LabeledRow) *bytes.Reader {
	t.Helper()
	var buf bytes.Buffer
	w := tables.NewWriter[features.LabeledRow](&buf)
	for i := 0; i < len(rows); i += 1000 {
		if err := w.Write(rows[i:min(i+1000, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(buf.Bytes())
}
