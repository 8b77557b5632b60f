package labeledstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"golang.org/x/sync/errgroup"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
)

// Name is the function's target name and durable consumer.
const Name = "labeled-stream"

// Source is the CloudEvents source of the events it publishes.
const Source = "/netops/labeled-stream"

// stream is the function's state: its stores, caches and metrics.
type stream struct {
	cfg       Config
	store     blob.Store
	bus       *bus.Bus
	log       *slog.Logger
	st        *state
	endpoints *endpoint.Store
	registry  *registry.Registry
	labels    *labelCache
	m         *metrics

	mu    sync.Mutex
	known map[string]bool // model versions found in the registry

	// afterJoin, when set (by tests), runs between a predictions batch's join and its entry into
	// the pending list: the window a concurrent labels batch can fall into.
	afterJoin func()
}

// New returns the labeled-stream function. It creates its KV bucket and the endpoint records'
// bucket if needed.
func New(cfg Config, d function.Deps) (*function.Function, error) {
	s, err := newStream(cfg, d)
	if err != nil {
		return nil, err
	}
	return &function.Function{Name: Name, Consumes: []string{events.PredictionsBatch, events.LabelsBatch},
		Handle: s.handle, Serial: true}, nil
}

func newStream(cfg Config, d function.Deps) (*stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("labeled-stream: invalid configuration: %w", err)
	}
	if d.Bus == nil {
		return nil, errors.New("labeled-stream: needs NATS KV (a bus) for its join state")
	}
	if d.Store == nil {
		return nil, errors.New("labeled-stream: needs an object store")
	}
	d = d.Defaults()
	log, reg := d.Log, d.Metrics
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("labeled-stream: metrics: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := d.Bus.KV(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("labeled-stream: %w", err)
	}
	eps, err := endpoint.Open(ctx, d.Bus)
	if err != nil {
		return nil, fmt.Errorf("labeled-stream: %w", err)
	}
	return &stream{cfg: cfg, store: d.Store, bus: d.Bus, log: log, st: &state{kv: kv}, endpoints: eps,
		registry: registry.New(d.Store), labels: newLabelCache(d.Store, labelCacheRows), m: m, known: map[string]bool{}}, nil
}

// OutputKey is the object key of the labeled batch of model whose derived event id is id,
// partitioned by the predictions batch's start time in UTC.
func OutputKey(model string, from time.Time, id string) string {
	return tables.Key("labeled/model="+model, from, id)
}

func (s *stream) handle(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	if e.Type() == events.LabelsBatch {
		return nil, s.handleLabels(ctx, e)
	}
	return s.handlePredictions(ctx, e)
}

// handlePredictions joins a predictions batch with the labels that have arrived. Complete (or
// already past the horizon), it is written and its event returned; otherwise it waits in the
// pending list.
func (s *stream) handlePredictions(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	in, err := events.DecodeBatch(e)
	if err != nil {
		return nil, err
	}
	if err := checkPredictionsEvent(in); err != nil {
		return nil, fault.Permanent(fmt.Errorf("event %s: %w", e.ID(), err))
	}
	if err := checkSpan("predictions", in); err != nil {
		return nil, err
	}
	p := pendingEntry{ID: e.ID(), Batch: *in}
	j, err := s.joinBatch(ctx, &p.Batch)
	if err != nil {
		return nil, err
	}
	wm, err := s.st.watermark(ctx)
	if err != nil {
		return nil, err
	}
	if s.afterJoin != nil {
		s.afterJoin()
	}
	if outcome := s.outcome(&p.Batch, j, wm, false); outcome != "" {
		out, err := s.finalize(ctx, p, j, outcome)
		if err != nil {
			return nil, err
		}
		list, err := s.st.removePending(ctx, p.ID) // an earlier delivery may have left it pending
		if err != nil {
			return nil, err
		}
		s.m.setPending(list)
		return []cloudevents.Event{out}, nil
	}
	list, err := s.st.addPending(ctx, p)
	if err != nil {
		return nil, err
	}
	// A labels batch handled meanwhile (push mode, or another replica) indexed itself before this
	// batch was pending and so did not release it: look again now that it is.
	refs, err := s.st.labels(ctx, p.Batch.From, p.Batch.To)
	if err != nil {
		return nil, err
	}
	wm2, err := s.st.watermark(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(refs, j.refs) || !wm2.Equal(wm) {
		if list, err = s.settle(ctx, p, false); err != nil {
			return nil, err
		}
	}
	for len(list) > s.cfg.MaxPending {
		if list, err = s.settle(ctx, list[0], true); err != nil {
			return nil, err
		}
	}
	s.m.setPending(list)
	return nil, nil
}

// handleLabels checks and indexes a labels batch, advances the watermark and settles the pending
// batches it overlaps or has pushed past the horizon.
func (s *stream) handleLabels(ctx context.Context, e cloudevents.Event) error {
	in, err := events.DecodeBatch(e)
	if err != nil {
		return err
	}
	if err := checkSpan("labels", in); err != nil {
		return err
	}
	rows, err := tables.Get[tables.Label](ctx, s.store, in.Key)
	if err != nil {
		return fmt.Errorf("labels batch: %w", err)
	}
	if err := checkLabels(in, rows); err != nil {
		return fault.Permanent(err)
	}
	s.labels.put(in.Key, rows)
	if err := s.st.index(ctx, labelRef{Key: in.Key, From: in.From, To: in.To}); err != nil {
		return err
	}
	before, wm, err := s.st.advance(ctx, in.To)
	if err != nil {
		return err
	}
	if !before.IsZero() && before.Sub(in.To) > s.cfg.Horizon {
		s.m.late.Inc()
		s.log.Warn("labels batch arrived after the horizon: predictions it would have completed may already be written unlabeled",
			"key", in.Key, "to", in.To, "watermark", before)
	}
	list, err := s.st.pending(ctx)
	if err != nil {
		return err
	}
	for _, p := range list {
		overlaps := !p.Batch.From.After(in.To) && !p.Batch.To.Before(in.From)
		if overlaps || wm.Sub(p.Batch.To) > s.cfg.Horizon {
			if _, err := s.settle(ctx, p, false); err != nil {
				return err
			}
		}
	}
	if list, err = s.st.pending(ctx); err != nil {
		return err
	}
	s.m.setPending(list)
	if !before.IsZero() && wm.After(before) {
		from, to := before.Add(-s.cfg.Retention), wm.Add(-s.cfg.Retention)
		if lo := to.Add(-maxSpan); from.Before(lo) {
			from = lo
		}
		return s.st.forget(ctx, from, to)
	}
	return nil
}

// checkSpan rejects a batch whose range is longer than maxSpan: the index is kept per hour.
func checkSpan(what string, b *events.Batch) error {
	if b.To.Sub(b.From) > maxSpan {
		return fault.Permanent(fmt.Errorf("%s batch %s spans %s, more than the %s the labeled stream indexes", what, b.Key, b.To.Sub(b.From), maxSpan))
	}
	return nil
}

// joined is a predictions batch joined with the labels that have arrived.
type joined struct {
	rows    []features.LabeledRow
	matched int
	refs    []labelRef // the labels batches it was joined with
}

// joinBatch reads a predictions batch, its features batch and the indexed labels batches
// overlapping it, checks them and joins them.
func (s *stream) joinBatch(ctx context.Context, b *events.Batch) (*joined, error) {
	var (
		preds []tables.Prediction
		feats []features.Row
		refs  []labelRef
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if preds, err = tables.Get[tables.Prediction](gctx, s.store, b.Key); err != nil {
			err = fmt.Errorf("predictions batch: %w", err)
		}
		return err
	})
	g.Go(func() (err error) {
		if feats, err = tables.Get[features.Row](gctx, s.store, b.Source); err != nil {
			err = fmt.Errorf("source of predictions batch %s: %w", b.Key, err)
		}
		return err
	})
	g.Go(func() (err error) {
		refs, err = s.st.labels(gctx, b.From, b.To)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := checkPredictions(b, preds, feats); err != nil {
		return nil, fault.Permanent(err)
	}
	set := newLabelSet(b.From, b.To)
	for _, r := range refs {
		rows, err := s.labels.get(ctx, r.Key)
		if errors.Is(err, blob.ErrNotFound) {
			// It was read when it was indexed, so it has been deleted since: its rows stay unlabeled.
			s.log.Warn("indexed labels batch is gone; joining without it", "key", r.Key, "predictions", b.Key)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("labels for predictions batch %s: %w", b.Key, err)
		}
		set.add(rows, r.From, r.To)
	}
	j := &joined{rows: make([]features.LabeledRow, len(preds)), refs: refs}
	j.matched = join(preds, feats, set, j.rows)
	if set.conflicts > 0 {
		s.m.conflicts.WithLabelValues(b.Model).Add(float64(set.conflicts))
		s.log.Warn("labels batches disagree; the one with the smaller key wins", "predictions", b.Key, "conflicts", set.conflicts)
	}
	return j, nil
}

// outcome decides whether a joined batch is written now, and why; "" means it waits.
func (s *stream) outcome(b *events.Batch, j *joined, wm time.Time, evict bool) string {
	switch {
	case j.matched == len(j.rows):
		return outcomeComplete
	case !wm.IsZero() && wm.Sub(b.To) > s.cfg.Horizon:
		return outcomeHorizon
	case evict:
		return outcomeEvicted
	}
	return ""
}

// settle joins a pending batch again and, when it is complete, past the horizon or evicted,
// writes it, publishes its labeled.batch event and removes it from the pending list. It publishes
// the event itself, before the removal, because the event being handled (a labels batch) is not
// this batch's: were the runtime to publish it after the removal and fail, a redelivery would
// no longer find the batch pending and its event would be lost. It returns the pending list.
func (s *stream) settle(ctx context.Context, p pendingEntry, evict bool) ([]pendingEntry, error) {
	j, err := s.joinBatch(ctx, &p.Batch)
	if err != nil {
		if !fault.IsPermanent(err) && !errors.Is(err, blob.ErrNotFound) {
			return nil, err
		}
		// It was readable and valid when it became pending, so its objects have since been
		// deleted or replaced; keeping it would fail every later event.
		s.log.Error("pending predictions batch dropped: its objects are no longer readable", "key", p.Batch.Key, "event", p.ID, "err", err)
		s.m.dropped.Inc()
		return s.st.removePending(ctx, p.ID)
	}
	wm, err := s.st.watermark(ctx)
	if err != nil {
		return nil, err
	}
	outcome := s.outcome(&p.Batch, j, wm, evict)
	if outcome == "" {
		return s.st.pending(ctx)
	}
	out, err := s.finalize(ctx, p, j, outcome)
	if err != nil {
		return nil, err
	}
	if err := s.bus.Publish(ctx, out); err != nil {
		return nil, fmt.Errorf("publish labeled batch of %s: %w", p.Batch.Key, err)
	}
	return s.st.removePending(ctx, p.ID)
}

// finalize writes a joined batch, adds it to its model version's metric window and returns its
// labeled.batch event. Key and id derive from the predictions event id, so doing it again writes
// the same object and an event the stream drops as a duplicate.
func (s *stream) finalize(ctx context.Context, p pendingEntry, j *joined, outcome string) (cloudevents.Event, error) {
	b := &p.Batch
	id := events.DerivedID(p.ID, "labeled")
	key := OutputKey(b.Model, b.From, id)
	if err := tables.Put(ctx, s.store, key, j.rows); err != nil {
		return cloudevents.Event{}, fmt.Errorf("write labeled batch: %w", err)
	}
	if err := s.record(ctx, id, b.Model, b.Version, j.rows, b.To); err != nil {
		return cloudevents.Event{}, err
	}
	unlabeled := len(j.rows) - j.matched
	s.m.rows.WithLabelValues(b.Model, "true").Add(float64(j.matched))
	s.m.rows.WithLabelValues(b.Model, "false").Add(float64(unlabeled))
	s.m.batches.WithLabelValues(b.Model, outcome).Inc()
	attrs := []any{"key", key, "predictions", b.Key, "model", b.Model, "version", b.Version, "rows", len(j.rows), "unlabeled", unlabeled, "outcome", outcome}
	if unlabeled > 0 {
		s.log.Warn("labeled batch written with unlabeled rows", attrs...)
	} else {
		s.log.Debug("labeled batch written", attrs...)
	}
	return events.New(events.LabeledBatch, Source, id, &events.Batch{Key: key, Rows: int64(len(j.rows)), From: b.From, To: b.To,
		SchemaVersion: events.SchemaVersion, Model: b.Model, Version: b.Version, Source: b.Key})
}

// isKnown reports whether the registry holds a model version; found versions are remembered.
func (s *stream) isKnown(ctx context.Context, model string, version int) (bool, error) {
	k := endpoint.Key(model, version)
	s.mu.Lock()
	ok := s.known[k]
	s.mu.Unlock()
	if ok {
		return true, nil
	}
	versions, err := s.registry.Versions(ctx, model)
	if err != nil {
		return false, fmt.Errorf("registry: versions of %s: %w", model, err)
	}
	if !slices.Contains(versions, version) {
		return false, nil
	}
	s.mu.Lock()
	s.known[k] = true
	s.mu.Unlock()
	return true, nil
}
