// Package function is the runtime every netops function runs in: it receives CloudEvents from a
// durable JetStream consumer (pull) or over HTTP (push, as Knative and the OpenFaaS connector
// deliver them), calls the function's handler, publishes what it returns, and owns the plumbing —
// ack only after success, retry with exponential backoff, dead-lettering with the reason, metrics,
// health endpoints and graceful draining. Handlers only read like the step they implement.
package function

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/fault"
)

// Handler processes one event and returns the events to publish. It may be called more than once
// for the same event (redelivery), so it must be idempotent: derive output keys and ids from the
// input. Return an error marked fault.Permanent for input no retry can fix.
type Handler func(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error)

// Function is one deployable unit: what it consumes, its handler, and optionally its own HTTP API
// and background work.
type Function struct {
	// Name is the target name (`netops run --target=<name>`), the durable consumer's name and the
	// suffix of the dead-letter subject.
	Name string
	// Consumes lists the event types the handler accepts.
	Consumes []string
	// Handle is called for each consumed event. Nil for functions driven only by HTTP or Run.
	Handle Handler
	// Serial makes the function handle one event at a time across all its replicas, in stream
	// order, for handlers whose state must advance in order (e.g. per-device windows).
	Serial bool
	// Routes registers the function's own HTTP API on mux (optional).
	Routes func(mux *http.ServeMux)
	// Run is background work that lasts as long as the function, e.g. a clock (optional). It
	// returns when ctx is done.
	Run func(ctx context.Context) error
}

// Deps is what the runtime hands a function's constructor.
type Deps struct {
	Bus     *bus.Bus
	Store   blob.Store
	Log     *slog.Logger
	Metrics prometheus.Registerer
}

// Config is the runtime configuration shared by every function.
type Config struct {
	Port         int           `flag:"port" env:"PORT" rawenv:"PORT" default:"8080" help:"HTTP port"`
	NATS         string        `flag:"nats" env:"NATS_URL" default:"nats://127.0.0.1:4222" help:"NATS server URL (JetStream enabled)"`
	Store        string        `flag:"store" env:"STORE" default:"file://./.netops/data" help:"object store URL: file:///dir or s3://bucket?endpoint=host:port"`
	Workers      int           `flag:"workers" env:"WORKERS" default:"4" help:"events handled concurrently per function"`
	MaxDeliver   int           `flag:"max-deliver" env:"MAX_DELIVER" default:"5" help:"deliveries before an event is dead-lettered"`
	AckWait      time.Duration `flag:"ack-wait" env:"ACK_WAIT" default:"30s" help:"redelivery timeout of an unacknowledged event (extended while the handler runs)"`
	BackoffBase  time.Duration `flag:"backoff" env:"BACKOFF" default:"1s" help:"first retry delay; doubles per delivery"`
	BackoffMax   time.Duration `flag:"backoff-max" env:"BACKOFF_MAX" default:"1m" help:"largest retry delay"`
	Delivery     string        `flag:"delivery" env:"DELIVERY" default:"pull" help:"how events arrive: pull (a durable JetStream consumer) or push (only POST /, as Knative Triggers and the OpenFaaS NATS connector deliver; outputs are still published to NATS)"`
	DrainTimeout time.Duration `flag:"drain-timeout" env:"DRAIN_TIMEOUT" default:"30s" help:"time in-flight events get to finish on shutdown"`
}

// Validate checks the runtime configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("port: %d, want 0..65535", c.Port))
	}
	if c.NATS == "" {
		errs = append(errs, errors.New("nats: required"))
	}
	if c.Store == "" {
		errs = append(errs, errors.New("store: required"))
	}
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers: %d, want >= 1", c.Workers))
	}
	if c.MaxDeliver < 1 {
		errs = append(errs, fmt.Errorf("max-deliver: %d, want >= 1", c.MaxDeliver))
	}
	if c.AckWait < time.Second {
		errs = append(errs, fmt.Errorf("ack-wait: %s, want >= 1s", c.AckWait))
	}
	if c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase {
		errs = append(errs, fmt.Errorf("backoff: %s / backoff-max: %s, want 0 < backoff <= backoff-max", c.BackoffBase, c.BackoffMax))
	}
	if c.Delivery != "pull" && c.Delivery != "push" {
		errs = append(errs, fmt.Errorf("delivery: %q, want pull or push", c.Delivery))
	}
	if c.DrainTimeout < 0 {
		errs = append(errs, fmt.Errorf("drain-timeout: %s is negative", c.DrainTimeout))
	}
	return errors.Join(errs...)
}

// Backoff is the delay before delivery n+1 after delivery n failed: base·2^(n−1), capped.
func (c *Config) Backoff(n int) time.Duration {
	d := c.BackoffBase
	for i := 1; i < n && d < c.BackoffMax; i++ {
		d *= 2
	}
	return min(d, c.BackoffMax)
}

// Runtime runs functions against a bus and a store.
type Runtime struct {
	Config
	Bus     *bus.Bus
	Store   blob.Store
	Log     *slog.Logger
	Metrics *Metrics
}

// Deps returns the dependencies to construct a function with.
func (rt *Runtime) Deps(name string) Deps {
	return Deps{Bus: rt.Bus, Store: rt.Store, Log: rt.Log.With("function", name), Metrics: rt.Metrics.Registry}
}

// errUnknownType is returned for an event the function does not consume.
var errUnknownType = errors.New("unknown event type")

// handle runs the handler for one event and publishes its outputs. The error is nil on success;
// otherwise permanent (dead-letter) or retryable.
func (rt *Runtime) handle(ctx context.Context, fn *Function, e cloudevents.Event) (err error) {
	if fn.Handle == nil || !slices.Contains(fn.Consumes, e.Type()) {
		return fault.Permanent(fmt.Errorf("%w %q for function %s (consumes %v)", errUnknownType, e.Type(), fn.Name, fn.Consumes))
	}
	m := rt.Metrics
	m.inFlight.WithLabelValues(fn.Name).Inc()
	start := time.Now()
	defer func() {
		m.inFlight.WithLabelValues(fn.Name).Dec()
		m.duration.WithLabelValues(fn.Name, e.Type()).Observe(time.Since(start).Seconds())
	}()
	outs, err := safeCall(ctx, fn.Handle, e)
	if err != nil {
		return err
	}
	for _, out := range outs {
		if err := rt.Bus.Publish(ctx, out); err != nil {
			return fmt.Errorf("publish %s: %w", out.Type(), err)
		}
	}
	return nil
}

// safeCall turns a handler panic into a permanent error: input that crashes a handler would crash
// it again on every redelivery.
func safeCall(ctx context.Context, h Handler, e cloudevents.Event) (outs []cloudevents.Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			slog.Error("handler panic", "event", e.ID(), "type", e.Type(), "panic", p)
			outs, err = nil, fault.Permanent(fmt.Errorf("handler panic: %v", p))
		}
	}()
	return h(ctx, e)
}

// Defaults returns d with a discarding logger and a private metrics registry where d has none, so
// a function built outside the runtime (tests, tools) needs neither.
func (d Deps) Defaults() Deps {
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	return d
}
