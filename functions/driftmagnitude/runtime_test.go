package driftmagnitude

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
)

// TestThroughRuntime runs drift-magnitude in the real runtime on an embedded NATS server:
// labeled.batch events in, one drift.report out at the event-time boundary. Handling the
// trigger again (a redelivery to another replica) publishes the same event id, which the
// stream stores once.
func TestThroughRuntime(t *testing.T) {
	e := newEnv(t, testCard(t, "netops", 5000, false))
	reports := make(chan *nats.Msg, 10)
	if _, err := e.bus.NC.ChanSubscribe(events.Subject(events.DriftReportType), reports); err != nil {
		t.Fatal(err)
	}
	rt := &function.Runtime{
		Config: function.Config{Workers: 2, MaxDeliver: 3, AckWait: 5 * time.Second, BackoffBase: 20 * time.Millisecond,
			BackoffMax: 100 * time.Millisecond, DrainTimeout: time.Second},
		Bus: e.bus, Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: function.NewMetrics(),
	}
	fn, err := New(e.cfg, rt.Deps(Name))
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
	g := newGen(21, map[string]float64{"latency": 5})
	first, trigger := e.batch(minutes(g, 0, 9, 800)), e.batch(minutes(g, 10, 11, 50))
	for _, ev := range []cloudevents.Event{first, trigger} {
		if err := e.bus.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	var msg *nats.Msg
	select {
	case msg = <-reports:
	case <-time.After(20 * time.Second):
		t.Fatal("no drift.report within 20s")
	}
	out, err := bus.FromMsg(msg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := events.Decode[events.DriftReport](out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "netops" || r.Version != 1 || !r.To.Equal(t0.Add(10*time.Minute)) || r.Status != events.PossibleDrift {
		t.Errorf("report %+v", r)
	}
	if wr := e.readReport(r.Key); wr.Rows != 800 || featureDrift(t, &wr.Report, "latency").Status != "DRIFT_DETECTED" {
		t.Errorf("report of %d rows, latency %+v", wr.Rows, featureDrift(t, &wr.Report, "latency"))
	}
	again, err := e.magnitude().handle(ctx, trigger)
	if err != nil || len(again) != 1 || again[0].ID() != out.ID() {
		t.Fatalf("handled again: %v, %v; want the id %s", again, err, out.ID())
	}
	if err := e.bus.Publish(ctx, again[0]); err != nil {
		t.Fatal(err)
	}
	stream, err := e.bus.JS.Stream(ctx, bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(events.Subject(events.DriftReportType)))
	if err != nil {
		t.Fatal(err)
	}
	if n := info.State.Subjects[events.Subject(events.DriftReportType)]; n != 1 {
		t.Errorf("%d drift.report events stored, want 1", n)
	}
}
