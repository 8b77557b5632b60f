package preprocessor

import (
	"context"
	"slices"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

// TestOnlineEqualsOffline proves there is no train/serve skew: 8 simulated hours of a growing
// fleet go through the function batch by batch — a third through one instance, a third through
// a new instance on the same KV (a restart), the rest through a function.Runtime consuming from
// JetStream — and the feature objects it writes equal, bit for bit, the features computed offline
// in one pass. The latest vector of every device in the online bucket is its last feature row.
func TestOnlineEqualsOffline(t *testing.T) {
	// 20 devices, 3 more after 3h (found by rereading the device table), 30-second ticks, batches
	// of 10 minutes; 8h fills and slides the 6h window.
	h := simulate(t, 7, 20, 3, 3*time.Hour, 8*time.Hour, 20)
	final := h.tables[len(h.tables)-1]
	hidden := final[len(final)-1].Device // never in the table: all-zero one-hot features
	table := func(i int) []tables.Device {
		return slices.DeleteFunc(slices.Clone(h.tables[i]), func(d tables.Device) bool { return d.Device == hidden })
	}
	want := offline(t, table(len(h.tables)-1), h.all())

	for name, store := range testenv.Stores(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, store)
			n := len(h.batches)
			var got []features.Row
			for _, seg := range []struct{ from, to int }{{0, n / 3}, {n / 3, 2 * n / 3}} {
				p := e.instance()
				for i := seg.from; i < seg.to; i++ {
					if i == 0 || len(h.tables[i]) != len(h.tables[i-1]) {
						e.putDevices(table(i)) // as the generator does when devices join
					}
					_, rows := e.handle(p, e.put(&h.batches[i]))
					got = append(got, rows...)
				}
			}
			e.putDevices(table(n - 1))
			var evs []cloudevents.Event
			for i := 2 * n / 3; i < n; i++ {
				evs = append(evs, e.put(&h.batches[i]))
			}
			for _, rows := range runThrough(t, e, evs) {
				got = append(got, rows...)
			}
			sameRows(t, got, want)

			checkOnline(t, e, want)
			if v := e.counter("netops_preprocessor_unknown_devices_total"); v == 0 {
				t.Error("the device missing from the table was not counted")
			}
			if v := e.counter("netops_preprocessor_device_table_loads_total"); v < 3 {
				t.Errorf("device table read %v times, want one per instance and one when devices joined", v)
			}
			if v := e.counter("netops_preprocessor_rows_total"); v != float64(len(want)) {
				t.Errorf("rows_total %v, want %d", v, len(want))
			}
		})
	}
}

// checkOnline checks that the online bucket holds, for every device of want and nothing else, the
// vector of its last row.
func checkOnline(t *testing.T, e *env, want []features.Row) {
	t.Helper()
	last := map[string]features.Row{}
	for _, r := range want {
		last[r.Device] = r
	}
	online := e.snapshot(e.cfg.OnlineBucket)
	if len(online) != len(last) {
		t.Fatalf("online bucket has %d devices, want %d", len(online), len(last))
	}
	for dev, w := range last {
		o, err := features.UnmarshalOnline(online[dev])
		if err != nil {
			t.Fatalf("device %s: %v", dev, err)
		}
		r, err := o.Row(dev)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, []features.Row{r}, []features.Row{w})
	}
}

// runThrough publishes events to JetStream, runs the preprocessor in a function.Runtime until
// each has produced its features batch, and returns their rows in order.
func runThrough(t *testing.T, e *env, evs []cloudevents.Event) [][]features.Row {
	t.Helper()
	fn, err := New(e.cfg, e.deps())
	if err != nil {
		t.Fatal(err)
	}
	if !fn.Serial || fn.Name != Name || !slices.Equal(fn.Consumes, []string{events.TelemetryBatch}) {
		t.Fatalf("function %+v", fn)
	}
	outs, dlq := make(chan *nats.Msg, len(evs)), make(chan *nats.Msg, len(evs))
	for subj, ch := range map[string]chan *nats.Msg{events.Subject(events.FeaturesBatch): outs, events.DeadLetterSubject(Name): dlq} {
		sub, err := e.bus.NC.ChanSubscribe(subj, ch)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
	}
	rt := &function.Runtime{
		Config: function.Config{Workers: 4, MaxDeliver: 3, AckWait: 5 * time.Second,
			BackoffBase: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond, DrainTimeout: 5 * time.Second},
		Bus: e.bus, Store: e.store, Log: e.log, Metrics: function.NewMetrics(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx, fn) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runtime: %v", err)
		}
	}()
	for _, ev := range evs {
		if err := e.bus.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	var res [][]features.Row
	for _, in := range evs {
		select {
		case m := <-outs:
			out, err := bus.FromMsg(m)
			if err != nil {
				t.Fatal(err)
			}
			// Serial: outputs come in input order.
			_, rows := e.output(in.ID(), []cloudevents.Event{out})
			res = append(res, rows)
		case m := <-dlq:
			t.Fatalf("dead-lettered: %s", m.Header.Get(function.HeaderDLQReason))
		case <-time.After(30 * time.Second):
			t.Fatalf("no output for %s within 30s", in.ID())
		}
	}
	return res
}

// TestRestartContinues checks that a new instance on the same KV continues a device's windows
// exactly where the previous one left them, whichever batch it starts at.
func TestRestartContinues(t *testing.T) {
	h := simulate(t, 3, 5, 0, 0, 7*time.Hour, 40)
	devs := h.tables[len(h.tables)-1]
	want := offline(t, devs, h.all())
	e := fileEnv(t)
	e.putDevices(devs)
	var got []features.Row
	for i := range h.batches {
		// A new process for every batch: nothing may live in memory between batches.
		_, rows := e.handle(e.instance(), e.put(&h.batches[i]))
		got = append(got, rows...)
	}
	sameRows(t, got, want)
	checkOnline(t, e, want)
}

func TestOutputKey(t *testing.T) {
	tests := []struct {
		from time.Time
		want string
	}{
		{time.Date(2026, 11, 22, 13, 59, 59, 0, time.UTC), "features/date=2026-11-22/hour=13/x.parquet"},
		{time.Date(2026, 11, 23, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "features/date=2026-11-22/hour=23/x.parquet"},
	}
	for _, tt := range tests {
		if got := OutputKey(tt.from, "x"); got != tt.want {
			t.Errorf("OutputKey(%s) = %s, want %s", tt.from, got, tt.want)
		}
	}
}

// TestManyDevices runs a fleet large enough that the handler reads the state bucket with one
// watch instead of a get per device (kvStore.load: at least 256 devices, most of the bucket), with
// a redelivery in the middle, and checks the offline features.
func TestManyDevices(t *testing.T) {
	h := simulate(t, 13, 300, 0, 0, time.Hour, 20)
	devs := h.tables[len(h.tables)-1]
	want := offline(t, devs, h.all())
	e := fileEnv(t)
	e.putDevices(devs)
	p := e.instance()
	var got []features.Row
	for i := range h.batches {
		in := e.put(&h.batches[i])
		_, rows := e.handle(p, in)
		if i == 2 {
			_, again := e.handle(p, in)
			sameRows(t, again, rows)
		}
		got = append(got, rows...)
	}
	sameRows(t, got, want)
	checkOnline(t, e, want)
}
