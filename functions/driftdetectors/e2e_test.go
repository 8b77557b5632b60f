package driftdetectors

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
)

// TestRuntimeEndToEnd runs the function in the real runtime on embedded NATS: labeled batches
// published to the stream come out as drift.detected events at the vector's indices, and a
// batch for a model without a card is dead-lettered with a reason naming it.
func TestRuntimeEndToEnd(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	e := newEnv(t)
	v := e.card("netops", nil) // no test errors: cold, as the vector was made
	detected := make(chan *nats.Msg, 64)
	dlq := make(chan *nats.Msg, 4)
	if _, err := e.bus.NC.ChanSubscribe(events.Subject(events.DriftDetected), detected); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bus.NC.ChanSubscribe(events.DeadLetterSubject(Name), dlq); err != nil {
		t.Fatal(err)
	}
	fn, err := New(testConfig(t, "--detectors=ddm"), function.Deps{Bus: e.bus, Store: e.store, Metrics: e.reg})
	if err != nil {
		t.Fatal(err)
	}
	rt := &function.Runtime{
		Config: function.Config{Workers: 2, MaxDeliver: 3, AckWait: 2 * time.Second,
			BackoffBase: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond, DrainTimeout: time.Second},
		Bus: e.bus, Store: e.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: function.NewMetrics(),
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
	for _, ev := range e.batches("b", "netops", v, xs, 300) {
		if err := e.bus.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.bus.Publish(ctx, e.batch("ghost", "ghost", 1, 0, []float64{1}, nil)); err != nil {
		t.Fatal(err)
	}
	var got []int64
	for len(got) < 2 {
		select {
		case m := <-detected:
			ev, err := bus.FromMsg(m)
			if err != nil {
				t.Fatal(err)
			}
			s, err := events.Decode[events.DriftSignal](ev)
			if err != nil {
				t.Fatal(err)
			}
			if s.Model != "netops" || s.Version != v || s.Detector != "ddm" {
				t.Errorf("signal %+v", s)
			}
			got = append(got, s.Index)
		case <-time.After(20 * time.Second):
			t.Fatalf("drift.detected so far %v, want [103 1060]", got)
		}
	}
	if !slices.Equal(got, []int64{103, 1060}) {
		t.Errorf("drift.detected at %v, want [103 1060]", got)
	}
	select {
	case m := <-dlq:
		if r := m.Header.Get(function.HeaderDLQReason); !strings.Contains(r, "model ghost v1, which has no registry card") {
			t.Errorf("dead-letter reason %q", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("batch for a model without a card was not dead-lettered")
	}
}
