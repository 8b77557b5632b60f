package labeledstream

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/tables"
)

// TestRuntime runs the function in the real runtime on embedded NATS: events published to the
// stream come out as labeled.batch events, in both arrival orders, and bad input is dead-lettered
// with its reason.
func TestRuntime(t *testing.T) {
	w := newWorld(t)
	w.register("netops", 1)
	dlq := make(chan *nats.Msg, 10)
	if _, err := w.bus.NC.ChanSubscribe(events.DeadLetterSubject(Name), dlq); err != nil {
		t.Fatal(err)
	}
	rt := &function.Runtime{
		Config: function.Config{Workers: 2, MaxDeliver: 3, AckWait: 2 * time.Second,
			BackoffBase: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond, DrainTimeout: time.Second},
		Bus: w.bus, Store: w.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: function.NewMetrics(),
	}
	fn, err := New(w.cfg, rt.Deps(Name))
	if err != nil {
		t.Fatal(err)
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
	d1, d2 := ticks(30, "netops", 1, 10, 0, 10), ticks(30, "netops", 1, 10, 10, 10)
	p1, p2 := w.predictionsEvent("pred-1", d1), w.predictionsEvent("pred-2", d2)
	for _, e := range []func() error{
		func() error { return w.bus.Publish(ctx, w.labelsEvent("lab-1", d1.labels)) },
		func() error { return w.bus.Publish(ctx, p1) }, // labels first
		func() error { return w.bus.Publish(ctx, p2) }, // predictions first
		func() error { return w.bus.Publish(ctx, w.labelsEvent("lab-2", d2.labels)) },
	} {
		if err := e(); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]data{events.DerivedID("pred-1", "labeled"): d1, events.DerivedID("pred-2", "labeled"): d2}
	for range 2 {
		select {
		case m := <-w.published:
			e, err := bus.FromMsg(m)
			if err != nil {
				t.Fatal(err)
			}
			d, ok := want[e.ID()]
			if !ok {
				t.Fatalf("unexpected labeled.batch %s", e.ID())
			}
			delete(want, e.ID())
			b, err := events.Decode[events.Batch](e)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := tables.Get[features.LabeledRow](ctx, w.store, b.Key)
			if err != nil {
				t.Fatal(err)
			}
			checkJoined(t, rows, d, d.labels)
		case <-time.After(15 * time.Second):
			t.Fatalf("labeled batches %v not published within 15s", want)
		}
	}

	bad := ticks(31, "netops", 1, 3, 40, 1)
	bad.preds[1].Probability = math.NaN()
	if err := w.bus.Publish(ctx, w.predictionsEvent("pred-bad", bad)); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-dlq:
		if r := m.Header.Get(function.HeaderDLQReason); !strings.Contains(r, "row 1") || !strings.Contains(r, "probability NaN") {
			t.Fatalf("dead-letter reason %q", r)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("bad predictions batch not dead-lettered within 15s")
	}
	if extra := w.received(); len(extra) != 0 {
		t.Fatalf("%d unexpected labeled batches", len(extra))
	}
}
