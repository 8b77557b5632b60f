package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
)

// Function is one function's row of the overview: its counters since the process started, the
// rates since the previous poll, its consumer's lag and its dead letters.
type Function struct {
	Name   string `json:"name"`
	Health string `json:"health"` // ok, idle, retrying, dead-lettering, unknown
	// Received … InFlight are the runtime's counters, summed over event types.
	Received     float64 `json:"received"`
	Succeeded    float64 `json:"succeeded"`
	Failed       float64 `json:"failed"`
	DeadLettered float64 `json:"dead_lettered"`
	InFlight     float64 `json:"in_flight"`
	// EventsPerSecond is the rate of succeeded events, FailuresPerSecond that of failed and
	// dead-lettered ones, both over the interval since the previous sample (≥ 2s).
	EventsPerSecond   float64 `json:"events_per_second"`
	FailuresPerSecond float64 `json:"failures_per_second"`
	// Lag is the durable consumer's undelivered plus unacknowledged messages; nil without one.
	Lag *uint64 `json:"lag"`
	// DeadLetterStored counts the messages kept on the function's dead-letter subject.
	DeadLetterStored uint64 `json:"dead_letter_stored"`
}

// Stream summarises the NETOPS stream.
type Stream struct {
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
}

// Overview is the overview page's data.
type Overview struct {
	Functions   []Function        `json:"functions"`
	Stream      *Stream           `json:"stream,omitempty"`
	Endpoints   []endpoint.Record `json:"endpoints"`
	GeneratedAt time.Time         `json:"generated_at"`
	// Notes explain missing parts (no bus, no metrics) instead of failing the page.
	Notes []string `json:"notes,omitempty"`
}

func (c *Console) overview(r *http.Request) (any, error) {
	ctx := r.Context()
	ov := &Overview{GeneratedAt: time.Now().UTC(), Functions: []Function{}, Endpoints: []endpoint.Record{}}
	counters, err := c.counters()
	if err != nil {
		ov.Notes = append(ov.Notes, "runtime metrics unavailable: "+err.Error())
	}
	if c.gatherer == nil {
		ov.Notes = append(ov.Notes, "no runtime metrics in this process: events/s and health need the function runtime")
	}
	dlq, stream, err := c.streamState(ctx)
	if err != nil {
		ov.Notes = append(ov.Notes, "stream state unavailable: "+err.Error())
	}
	ov.Stream = stream
	names := slices.Clone(c.functions)
	for n := range counters {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	rates := c.rates.update(counters, time.Now())
	for _, n := range names {
		ct := counters[n]
		f := Function{Name: n, Received: ct.received, Succeeded: ct.succeeded, Failed: ct.failed,
			DeadLettered: ct.deadLettered, InFlight: ct.inFlight, DeadLetterStored: dlq[events.DeadLetterSubject(n)]}
		f.EventsPerSecond, f.FailuresPerSecond = rates[n].ok, rates[n].failed+rates[n].dead
		f.Lag = c.lag(ctx, n)
		f.Health = health(f, rates[n], c.gatherer != nil)
		ov.Functions = append(ov.Functions, f)
	}
	eps, err := c.listEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	if eps != nil {
		ov.Endpoints = eps
	} else {
		ov.Notes = append(ov.Notes, "no NATS connection: model endpoints unavailable")
	}
	return ov, nil
}

// health is a function's state at a glance: dead-lettering or retrying when events failed since
// the previous sample (or, before a second sample, when none has succeeded yet), idle before its
// first event, ok otherwise.
func health(f Function, r rate, haveMetrics bool) string {
	switch {
	case !haveMetrics:
		return "unknown"
	case r.dead > 0 || (f.Succeeded == 0 && f.DeadLettered > 0):
		return "dead-lettering"
	case r.failed > 0 || (f.Succeeded == 0 && f.Failed > 0):
		return "retrying"
	case f.Received == 0:
		return "idle"
	}
	return "ok"
}

func (c *Console) endpointList(r *http.Request) (any, error) {
	eps, err := c.listEndpoints(r.Context())
	if eps == nil && err == nil {
		eps = []endpoint.Record{}
	}
	return eps, err
}

// listEndpoints returns the endpoint records (nil without a bus) and samples their serving
// rates for the model page's charts.
func (c *Console) listEndpoints(ctx context.Context) ([]endpoint.Record, error) {
	st, err := c.endpointStore(ctx)
	if err != nil || st == nil {
		return nil, err
	}
	eps, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	if eps == nil {
		eps = []endpoint.Record{}
	}
	c.samples.add(eps, time.Now())
	return eps, nil
}

// counts are one function's runtime counters.
type counts struct{ received, succeeded, failed, deadLettered, inFlight float64 }

// counters reads the runtime's counters per function from the gatherer.
func (c *Console) counters() (map[string]counts, error) {
	out := map[string]counts{}
	if c.gatherer == nil {
		return out, nil
	}
	mfs, err := c.gatherer.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			fn := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "function" {
					fn = l.GetValue()
				}
			}
			if fn == "" {
				continue
			}
			ct := out[fn]
			switch mf.GetName() {
			case "netops_events_received_total":
				ct.received += m.GetCounter().GetValue()
			case "netops_events_succeeded_total":
				ct.succeeded += m.GetCounter().GetValue()
			case "netops_events_failed_total":
				ct.failed += m.GetCounter().GetValue()
			case "netops_events_dead_lettered_total":
				ct.deadLettered += m.GetCounter().GetValue()
			case "netops_events_in_flight":
				ct.inFlight += m.GetGauge().GetValue()
			default:
				continue
			}
			out[fn] = ct
		}
	}
	return out, err
}

// lag is the pending and unacknowledged messages of a function's durable consumer.
func (c *Console) lag(ctx context.Context, fn string) *uint64 {
	if c.bus == nil {
		return nil
	}
	cons, err := c.bus.JS.Consumer(ctx, bus.StreamName, fn)
	if err != nil {
		return nil
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil
	}
	n := info.NumPending + uint64(max(info.NumAckPending, 0))
	return &n
}

// streamState returns the stored message count per dead-letter subject and the stream totals.
func (c *Console) streamState(ctx context.Context) (map[string]uint64, *Stream, error) {
	if c.bus == nil {
		return map[string]uint64{}, nil, nil
	}
	s, err := c.bus.JS.Stream(ctx, bus.StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return map[string]uint64{}, nil, nil
	}
	if err != nil {
		return map[string]uint64{}, nil, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(events.DeadLetterPrefix+">"))
	if err != nil {
		return map[string]uint64{}, nil, err
	}
	dlq := map[string]uint64{}
	for subj, n := range info.State.Subjects {
		if strings.HasPrefix(subj, events.DeadLetterPrefix) {
			dlq[subj] = n
		}
	}
	return dlq, &Stream{Messages: info.State.Msgs, Bytes: info.State.Bytes}, nil
}

// rateTracker turns counters into per-second rates between samples at least 2s apart; between
// them it repeats the last rates, so several open pages do not shorten the interval.
type rateTracker struct {
	mu    sync.Mutex
	at    time.Time
	prev  map[string]counts
	rates map[string]rate
}

// rate is a function's succeeded, failed (retried) and dead-lettered events per second.
type rate struct{ ok, failed, dead float64 }

func (t *rateTracker) update(cur map[string]counts, now time.Time) map[string]rate {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.prev == nil {
		t.at, t.prev, t.rates = now, cur, map[string]rate{}
		return t.rates
	}
	dt := now.Sub(t.at).Seconds()
	if dt < 2 {
		return t.rates
	}
	rates := map[string]rate{}
	for fn, c := range cur {
		p := t.prev[fn]
		rates[fn] = rate{ok: max(c.succeeded-p.succeeded, 0) / dt, failed: max(c.failed-p.failed, 0) / dt,
			dead: max(c.deadLettered-p.deadLettered, 0) / dt}
	}
	t.at, t.prev, t.rates = now, cur, rates
	return rates
}
