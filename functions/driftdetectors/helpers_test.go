package driftdetectors

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/detect"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

// readStream reads a detector test vector of internal/detect/testdata: one number per line.
func readStream(t testing.TB, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "internal", "detect", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var xs []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			x, err := strconv.ParseFloat(line, 64)
			if err != nil {
				t.Fatal(err)
			}
			xs = append(xs, x)
		}
	}
	return xs
}

// t0 is the event time of stream index 0; row i is 5 seconds after row i-1.
var t0 = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

func rowTime(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Second) }

// env is a bus and a store the function instances of a test share.
type env struct {
	t     *testing.T
	bus   *bus.Bus
	store blob.Store
	reg   *prometheus.Registry
}

func newEnv(t *testing.T) *env {
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, bus: testenv.Bus(t), store: store, reg: prometheus.NewRegistry()}
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// testConfig returns the default configuration with args applied as flags.
func testConfig(t testing.TB, args ...string) Config {
	t.Helper()
	var c Config
	if err := config.Parse(newFlagSet(), &c, args); err != nil {
		t.Fatal(err)
	}
	return c
}

// instance starts a function instance on the env, as a restarted process would.
func (e *env) instance(cfg Config) *detectors {
	e.t.Helper()
	f, err := newDetectors(cfg, function.Deps{Bus: e.bus, Store: e.store, Metrics: e.reg})
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// card registers a version of model with the given warm-up stream and returns its number.
func (e *env) card(model string, testErrors []float64) int {
	e.t.Helper()
	errs := make([]uint8, len(testErrors))
	for i, x := range testErrors {
		errs[i] = uint8(x)
	}
	v, err := registry.New(e.store).Register(context.Background(), &registry.Card{Name: model, TestErrors: errs}, []byte("{}"), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// batch writes rows first..first+len(xs)-1 of a model version's stream as a labeled batch and
// returns its event; rows are written in the order of perm when given (a permutation of xs).
func (e *env) batch(id, model string, version, first int, xs []float64, perm []int) cloudevents.Event {
	e.t.Helper()
	rows := make([]features.LabeledRow, len(xs))
	for i, x := range xs {
		rows[i] = features.LabeledRow{Row: features.Row{Timestamp: rowTime(first + i), Device: fmt.Sprintf("%013d", i%7)},
			Model: model, Version: int32(version), Labeled: true, Label: x == 1, Error: x == 1}
	}
	if perm != nil {
		shuffled := make([]features.LabeledRow, len(rows))
		for i, p := range perm {
			shuffled[i] = rows[p]
		}
		rows = shuffled
	}
	return e.put(id, model, version, rows)
}

// put writes rows as a labeled batch object and returns its event.
func (e *env) put(id, model string, version int, rows []features.LabeledRow) cloudevents.Event {
	e.t.Helper()
	key := "labeled/model=" + model + "/" + id + ".parquet"
	if err := tables.Put(context.Background(), e.store, key, rows); err != nil {
		e.t.Fatal(err)
	}
	ev, err := events.New(events.LabeledBatch, "/test", id, &events.Batch{Key: key, Rows: int64(len(rows)), From: t0, To: t0,
		SchemaVersion: events.SchemaVersion, Model: model, Version: version})
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

// batches splits a stream into labeled batches of the given sizes, cycled.
func (e *env) batches(prefix, model string, version int, xs []float64, sizes ...int) []cloudevents.Event {
	var out []cloudevents.Event
	for i, k := 0, 0; i < len(xs); k++ {
		n := min(sizes[k%len(sizes)], len(xs)-i)
		out = append(out, e.batch(fmt.Sprintf("%s-%d", prefix, k), model, version, i, xs[i:i+n], nil))
		i += n
	}
	return out
}

// sigs are the published indices per detector and signal kind ("warning", "change").
type sigs map[string]map[string][]int64

func (s sigs) add(t testing.TB, outs []cloudevents.Event) {
	t.Helper()
	for _, o := range outs {
		d, err := events.Decode[events.DriftSignal](o)
		if err != nil {
			t.Fatal(err)
		}
		kind := signalWarning
		if o.Type() == events.DriftDetected {
			kind = signalChange
		}
		if s[d.Detector] == nil {
			s[d.Detector] = map[string][]int64{}
		}
		s[d.Detector][kind] = append(s[d.Detector][kind], d.Index)
		if want := rowTime(int(d.Index)); !d.EventTime.Equal(want) {
			t.Errorf("%s %s at %d: event time %s, want %s", d.Detector, kind, d.Index, d.EventTime, want)
		}
	}
}

// run handles evs in order on f and returns the signals published.
func run(t testing.TB, f *detectors, evs []cloudevents.Event) sigs {
	t.Helper()
	s := sigs{}
	for _, ev := range evs {
		outs, err := f.handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("batch %s: %v", ev.ID(), err)
		}
		s.add(t, outs)
	}
	return s
}

// reference runs the library directly: each detector of cfgs over xs after warm-up on base,
// with warnings reduced to entries into the warning zone as the function publishes them.
func reference(t testing.TB, cfgs []detect.Config, base, xs []float64) sigs {
	t.Helper()
	s := sigs{}
	for _, c := range cfgs {
		d, err := start(c, base)
		if err != nil {
			t.Fatal(err)
		}
		w, ch, err := detect.Run(d, xs)
		if err != nil {
			t.Fatal(err)
		}
		s[c.Kind] = map[string][]int64{}
		for _, i := range w {
			if !slices.Contains(w, i-1) {
				s[c.Kind][signalWarning] = append(s[c.Kind][signalWarning], int64(i))
			}
		}
		for _, i := range ch {
			s[c.Kind][signalChange] = append(s[c.Kind][signalChange], int64(i))
		}
	}
	return s
}

// equal compares two signal sets, ignoring empty lists.
func equal(a, b sigs) bool {
	norm := func(s sigs) map[string][]int64 {
		m := map[string][]int64{}
		for d, kinds := range s {
			for k, idx := range kinds {
				if len(idx) > 0 {
					m[d+"/"+k] = idx
				}
			}
		}
		return m
	}
	na, nb := norm(a), norm(b)
	if len(na) != len(nb) {
		return false
	}
	for k, v := range na {
		if !slices.Equal(v, nb[k]) {
			return false
		}
	}
	return true
}

func ints(xs []int) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}

// counterValue reads a counter or gauge.
func counterValue(t testing.TB, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}
