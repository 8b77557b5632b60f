package function_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

// doubler is the small function of these tests: it reads a telemetry batch, doubles the CPU
// column, writes the result and announces it as a features batch. Keys steer its failures.
type doubler struct {
	store    blob.Store
	mu       sync.Mutex
	attempts map[string]int
	calls    atomic.Int64
	block    chan struct{} // closed when a "slow" handler has started
}

func (d *doubler) fn() *function.Function {
	return &function.Function{Name: "doubler", Consumes: []string{events.TelemetryBatch}, Handle: d.handle}
}

func (d *doubler) handle(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	d.calls.Add(1)
	in, err := events.Decode[events.Batch](e)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.attempts[in.Key]++
	n := d.attempts[in.Key]
	d.mu.Unlock()
	switch {
	case strings.Contains(in.Key, "flaky") && n <= 2:
		return nil, fmt.Errorf("store briefly unavailable (attempt %d)", n)
	case strings.Contains(in.Key, "bad"):
		return nil, fault.Permanent(errors.New("row 3: cpu_utilization is NaN"))
	case strings.Contains(in.Key, "slow") && n == 1:
		close(d.block)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	rows, err := tables.Get[tables.Telemetry](ctx, d.store, in.Key)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].CPUUtilization *= 2
	}
	outKey := "out/" + events.DerivedID(e.ID()) + ".parquet"
	if err := tables.Put(ctx, d.store, outKey, rows); err != nil {
		return nil, err
	}
	out, err := events.New(events.FeaturesBatch, "/netops/doubler", events.DerivedID(e.ID()),
		&events.Batch{Key: outKey, Rows: int64(len(rows)), From: in.From, To: in.To, SchemaVersion: events.SchemaVersion})
	if err != nil {
		return nil, err
	}
	return []cloudevents.Event{out}, nil
}

type harness struct {
	t     *testing.T
	bus   *bus.Bus
	store blob.Store
	d     *doubler
	outs  chan *nats.Msg
	dlq   chan *nats.Msg
}

func newHarness(t *testing.T, store blob.Store) *harness {
	b := testenv.Bus(t)
	h := &harness{t: t, bus: b, store: store,
		d:    &doubler{store: store, attempts: map[string]int{}, block: make(chan struct{})},
		outs: make(chan *nats.Msg, 100), dlq: make(chan *nats.Msg, 100)}
	if _, err := b.NC.ChanSubscribe(events.Subject(events.FeaturesBatch), h.outs); err != nil {
		t.Fatal(err)
	}
	if _, err := b.NC.ChanSubscribe(events.DeadLetterSubject("doubler"), h.dlq); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) runtime() *function.Runtime {
	return &function.Runtime{
		Config: function.Config{Workers: 2, MaxDeliver: 4, AckWait: 2 * time.Second,
			BackoffBase: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond, DrainTimeout: 200 * time.Millisecond},
		Bus: h.bus, Store: h.store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: function.NewMetrics(),
	}
}

// start runs the doubler until the returned stop function is called.
func (h *harness) start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.runtime().Run(ctx, h.d.fn()) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("runtime: %v", err)
		}
	}
}

func (h *harness) batch(key string, rows int) cloudevents.Event {
	h.t.Helper()
	ts := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	data := make([]tables.Telemetry, rows)
	for i := range data {
		data[i] = tables.Telemetry{Timestamp: ts, Device: fmt.Sprintf("%013d", i), CPUUtilization: float64(i)}
	}
	if !strings.Contains(key, "missing") {
		if err := tables.Put(context.Background(), h.store, key, data); err != nil {
			h.t.Fatal(err)
		}
	}
	e, err := events.New(events.TelemetryBatch, "/test", "in-"+key, &events.Batch{Key: key, Rows: int64(rows), From: ts, To: ts, SchemaVersion: events.SchemaVersion})
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

func (h *harness) publish(e cloudevents.Event) {
	h.t.Helper()
	if err := h.bus.Publish(context.Background(), e); err != nil {
		h.t.Fatal(err)
	}
}

func recv(t *testing.T, ch chan *nats.Msg, what string) *nats.Msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(15 * time.Second):
		t.Fatalf("no %s within 15s", what)
		return nil
	}
}

func quiet(t *testing.T, ch chan *nats.Msg, what string) {
	t.Helper()
	select {
	case m := <-ch:
		t.Fatalf("unexpected %s: %s %q", what, m.Header.Get("ce-id"), m.Header.Get(function.HeaderDLQReason))
	case <-time.After(500 * time.Millisecond):
	}
}

// checkOutput decodes an output event and reads its Parquet object back.
func (h *harness) checkOutput(m *nats.Msg, wantRows int) {
	h.t.Helper()
	e, err := bus.FromMsg(m)
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := events.Decode[events.Batch](e)
	if err != nil {
		h.t.Fatal(err)
	}
	rows, err := tables.Get[tables.Telemetry](context.Background(), h.store, b.Key)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(rows) != wantRows || int64(len(rows)) != b.Rows {
		h.t.Fatalf("output %s has %d rows (event says %d), want %d", b.Key, len(rows), b.Rows, wantRows)
	}
	for i, r := range rows {
		if r.CPUUtilization != 2*float64(i) {
			h.t.Fatalf("row %d cpu = %v, want %v", i, r.CPUUtilization, 2*float64(i))
		}
	}
}

func TestEndToEnd(t *testing.T) {
	for name, store := range testenv.Stores(t) {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, store)
			stop := h.start()
			defer stop()

			t.Run("events flow", func(t *testing.T) {
				h.publish(h.batch("in/ok.parquet", 5))
				h.checkOutput(recv(t, h.outs, "output"), 5)
			})
			t.Run("retryable error succeeds on third delivery", func(t *testing.T) {
				h.publish(h.batch("in/flaky.parquet", 3))
				h.checkOutput(recv(t, h.outs, "output"), 3)
				h.d.mu.Lock()
				n := h.d.attempts["in/flaky.parquet"]
				h.d.mu.Unlock()
				if n != 3 {
					t.Fatalf("handled %d times, want 3", n)
				}
			})
			t.Run("permanent error is dead-lettered with reason", func(t *testing.T) {
				h.publish(h.batch("in/bad.parquet", 3))
				m := recv(t, h.dlq, "dead letter")
				if r := m.Header.Get(function.HeaderDLQReason); !strings.Contains(r, "cpu_utilization is NaN") {
					t.Fatalf("reason %q", r)
				}
				if m.Header.Get("ce-id") != "in-in/bad.parquet" || m.Header.Get(function.HeaderDLQSubject) != "netops.telemetry.batch" {
					t.Fatalf("dead letter lost the original headers: %v", m.Header)
				}
				quiet(t, h.outs, "output")
			})
			t.Run("duplicate publish produces one output", func(t *testing.T) {
				e := h.batch("in/dup.parquet", 2)
				h.publish(e)
				h.publish(e)
				h.checkOutput(recv(t, h.outs, "output"), 2)
				quiet(t, h.outs, "second output")
			})
			t.Run("unknown type and invalid payload are dead-lettered", func(t *testing.T) {
				e := h.batch("in/ok2.parquet", 1)
				m, _ := bus.ToMsg(e)
				m.Header.Set("ce-type", "io.netops.nonsense")
				m.Header.Set(nats.MsgIdHdr, "nonsense")
				m.Subject = events.Subject(events.TelemetryBatch)
				if err := h.bus.PublishMsg(context.Background(), m); err != nil {
					t.Fatal(err)
				}
				if r := recv(t, h.dlq, "dead letter").Header.Get(function.HeaderDLQReason); !strings.Contains(r, `unknown event type "io.netops.nonsense"`) {
					t.Fatalf("reason %q", r)
				}
				bad := e.Clone()
				bad.SetID("bad-payload")
				_ = bad.SetData("application/json", map[string]any{"key": "", "rows": -1})
				h.publish(bad)
				r := recv(t, h.dlq, "dead letter").Header.Get(function.HeaderDLQReason)
				if !strings.Contains(r, "invalid payload") || !strings.Contains(r, "key: required") {
					t.Fatalf("reason %q", r)
				}
				raw := nats.NewMsg(events.Subject(events.TelemetryBatch))
				raw.Data = []byte("hello")
				if err := h.bus.PublishMsg(context.Background(), raw); err != nil {
					t.Fatal(err)
				}
				if r := recv(t, h.dlq, "dead letter").Header.Get(function.HeaderDLQReason); !strings.Contains(r, "not a CloudEvent") {
					t.Fatalf("reason %q", r)
				}
			})
			t.Run("missing object is retried then dead-lettered naming the key", func(t *testing.T) {
				h.publish(h.batch("in/missing.parquet", 1))
				m := recv(t, h.dlq, "dead letter")
				r := m.Header.Get(function.HeaderDLQReason)
				if !strings.Contains(r, "in/missing.parquet") || !strings.Contains(r, "not found") || m.Header.Get(function.HeaderDLQDeliveries) != "4" {
					t.Fatalf("reason %q after %s deliveries", r, m.Header.Get(function.HeaderDLQDeliveries))
				}
			})
			t.Run("corrupt parquet is a permanent error naming the key", func(t *testing.T) {
				e := h.batch("in/corrupt.parquet", 1)
				if err := blob.PutBytes(context.Background(), store, "in/corrupt.parquet", []byte("PAR1 this is not parquet PAR1")); err != nil {
					t.Fatal(err)
				}
				h.publish(e)
				m := recv(t, h.dlq, "dead letter")
				r := m.Header.Get(function.HeaderDLQReason)
				if !strings.Contains(r, "in/corrupt.parquet") || !strings.Contains(r, "corrupt parquet") || m.Header.Get(function.HeaderDLQDeliveries) != "1" {
					t.Fatalf("reason %q after %s deliveries", r, m.Header.Get(function.HeaderDLQDeliveries))
				}
			})
			quiet(t, h.dlq, "dead letter")
		})
	}
}

func TestStoppedMidHandlerIsRedelivered(t *testing.T) {
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, store)
	stop := h.start()
	h.publish(h.batch("in/slow.parquet", 4))
	select {
	case <-h.d.block:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never started")
	}
	stop() // shutdown: the drain timeout cancels the blocked handler, which returns without ack
	quiet(t, h.outs, "output from the stopped process")

	stop = h.start() // a new process on the same durable consumer
	defer stop()
	h.checkOutput(recv(t, h.outs, "output after restart"), 4)
	quiet(t, h.outs, "second output")
	if n := h.d.calls.Load(); n != 2 {
		t.Fatalf("handler called %d times, want 2", n)
	}
}

// TestPushDeliveryStartsNoConsumer: with --delivery=push the function only takes events over HTTP,
// so a Knative Trigger or the OpenFaaS connector is not doubled by a pull consumer.
func TestPushDeliveryStartsNoConsumer(t *testing.T) {
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, store)
	rt := h.runtime()
	rt.Config.Delivery = "push"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx, h.d.fn()) }()
	h.publish(h.batch("telemetry/push.parquet", 3))
	time.Sleep(500 * time.Millisecond)
	if n := h.d.calls.Load(); n != 0 {
		t.Fatalf("push mode handled %d events from NATS", n)
	}
	if _, err := h.bus.JS.Consumer(context.Background(), "NETOPS", "doubler"); err == nil {
		t.Fatal("push mode created the durable consumer")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The same runtime in pull mode takes the event from the stream.
	stop := h.start()
	defer stop()
	for deadline := time.Now().Add(10 * time.Second); h.d.calls.Load() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("pull mode did not handle the published event")
		}
	}
}
