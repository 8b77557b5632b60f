package driftdetectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

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
const Name = "drift-detectors"

// Source is the CloudEvents source of the events it publishes.
const Source = "/netops/drift-detectors"

// casAttempts bounds the compare-and-set retries of one model version's state per delivery.
const casAttempts = 20

// detectors is the function's state: its configuration, stores and metrics.
type detectors struct {
	cfg       Config
	store     blob.Store
	reg       *registry.Registry
	kv        jetstream.KeyValue
	endpoints *endpoint.Store
	log       *slog.Logger
	m         *metrics
	// beforeSave, when set (tests only), runs between computing a state and writing it.
	beforeSave func(model string, version int)
}

// New returns the drift-detectors function. It creates its KV bucket and the endpoint bucket if
// needed.
func New(cfg Config, d function.Deps) (*function.Function, error) {
	f, err := newDetectors(cfg, d)
	if err != nil {
		return nil, err
	}
	return &function.Function{Name: Name, Consumes: []string{events.LabeledBatch}, Handle: f.handle, Serial: true}, nil
}

func newDetectors(cfg Config, d function.Deps) (*detectors, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("drift-detectors: invalid configuration: %w", err)
	}
	if d.Bus == nil || d.Store == nil {
		return nil, errors.New("drift-detectors: needs a bus and a store")
	}
	d = d.Defaults()
	log, reg := d.Log, d.Metrics
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("drift-detectors: metrics: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := d.Bus.KV(ctx, cfg.StateBucket)
	if err != nil {
		return nil, fmt.Errorf("drift-detectors: %w", err)
	}
	eps, err := endpoint.Open(ctx, d.Bus)
	if err != nil {
		return nil, fmt.Errorf("drift-detectors: %w", err)
	}
	return &detectors{cfg: cfg, store: d.Store, reg: registry.New(d.Store), kv: kv, endpoints: eps, log: log, m: m}, nil
}

// group is the labeled rows of one model version in a batch, in the order they are fed.
type group struct {
	model   string
	version int
	rows    []features.LabeledRow
}

// result is one model version's state after a batch and the flag changes the batch caused.
type result struct {
	rec    record
	flags  []flagChange
	replay bool // the batch had been applied before: nothing was fed
}

// handle feeds one labeled batch to the detectors of the model versions it holds.
func (f *detectors) handle(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	in, err := events.DecodeBatch(e)
	if err != nil {
		return nil, err
	}
	rows, err := tables.Get[features.LabeledRow](ctx, f.store, in.Key)
	if err != nil {
		return nil, fmt.Errorf("labeled batch: %w", err)
	}
	if int64(len(rows)) != in.Rows {
		return nil, fault.Permanent(fmt.Errorf("labeled batch %s holds %d rows, its event %s says %d", in.Key, len(rows), e.ID(), in.Rows))
	}
	groups, skipped := groupRows(in, rows)
	for reason, n := range skipped {
		f.m.skipped.WithLabelValues(reason).Add(float64(n))
	}
	if len(groups) == 0 {
		f.log.Info("labeled batch has no labeled rows to feed", "key", in.Key, "rows", len(rows), "skipped", skipped)
		return nil, nil
	}
	// Everything that can reject the batch (a missing card, a bad saved state) is checked for
	// every model version before any state is written, so a rejected batch changes nothing.
	bases := make([]func() ([]float64, error), len(groups))
	for i, g := range groups {
		bases[i] = f.baseOnce(ctx, g.model, g.version)
		if err := f.check(ctx, e.ID(), g, bases[i]); err != nil {
			return nil, err
		}
	}
	var outs []cloudevents.Event
	for i, g := range groups {
		res, err := f.apply(ctx, e.ID(), g, bases[i])
		if err != nil {
			return nil, err
		}
		evs, err := f.publish(ctx, e.ID(), res)
		if err != nil {
			return nil, err
		}
		outs = append(outs, evs...)
	}
	return outs, nil
}

// groupRows splits the labeled rows by model version (a row's own model and version, else the
// event's) and sorts each group by event time, then device; rows equal in both keep their
// order. It returns the rows skipped by reason.
func groupRows(in *events.Batch, rows []features.LabeledRow) ([]*group, map[string]int) {
	skipped := map[string]int{}
	byKey := map[string]*group{}
	for _, r := range rows {
		if !r.Labeled {
			skipped[reasonUnlabeled]++
			continue
		}
		model, version := r.Model, int(r.Version)
		if model == "" {
			model = in.Model
		}
		if version == 0 {
			version = in.Version
		}
		if registry.ValidName(model) != nil || version < 1 {
			skipped[reasonNoModel]++
			continue
		}
		k := endpoint.Key(model, version)
		g := byKey[k]
		if g == nil {
			g = &group{model: model, version: version}
			byKey[k] = g
		}
		g.rows = append(g.rows, r)
	}
	groups := make([]*group, 0, len(byKey))
	for _, g := range byKey {
		slices.SortStableFunc(g.rows, func(a, b features.LabeledRow) int {
			if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
				return c
			}
			return strings.Compare(a.Device, b.Device)
		})
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *group) int {
		if c := strings.Compare(a.model, b.model); c != 0 {
			return c
		}
		return a.version - b.version
	})
	return groups, skipped
}

// baseOnce returns a function that reads the warm-up stream of a model version once: its card's
// test-set errors, or nothing when warm-up is off.
func (f *detectors) baseOnce(ctx context.Context, model string, version int) func() ([]float64, error) {
	var xs []float64
	var err error
	done := false
	return func() ([]float64, error) {
		if !done {
			xs, err = f.base(ctx, model, version)
			done = err == nil || fault.IsPermanent(err)
		}
		return xs, err
	}
}

// base reads the warm-up stream of a model version. A version without a card is a permanent
// error: its detectors could only start cold, and would then never be warmed up.
func (f *detectors) base(ctx context.Context, model string, version int) ([]float64, error) {
	if !f.cfg.Warmup {
		return nil, nil
	}
	card, err := f.reg.Card(ctx, model, version)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return nil, fault.Permanent(fmt.Errorf("labeled batch for model %s v%d, which has no registry card: cannot warm its detectors up (%w)", model, version, err))
	case isDecodeError(err):
		return nil, fault.Permanent(fmt.Errorf("model %s v%d: %w", model, version, err))
	case err != nil:
		return nil, fmt.Errorf("model %s v%d: read card: %w", model, version, err)
	}
	xs := make([]float64, len(card.TestErrors))
	for i, v := range card.TestErrors {
		if v > 1 {
			return nil, fault.Permanent(fmt.Errorf("model %s v%d: card test_errors[%d] = %d, want 0 or 1", model, version, i, v))
		}
		xs[i] = float64(v)
	}
	if len(xs) == 0 {
		f.log.Warn("model card has no test errors; detectors start cold", "model", model, "version", version)
	}
	return xs, nil
}

// check reads a model version's state and makes sure its detectors can be restored or started,
// so that a batch is rejected before anything is written. A batch the state has applied (id)
// needs nothing: it is not fed again.
func (f *detectors) check(ctx context.Context, id string, g *group, base func() ([]float64, error)) error {
	rec, _, found, err := f.load(ctx, g)
	if err != nil {
		return err
	}
	if _, ok := rec.find(id); ok {
		return nil
	}
	if !found {
		rec = record{Model: g.model, Version: g.version}
	}
	_, err = prepare(&rec, f.cfg.plan.forModel(g.model), base, f.log)
	return err
}

// load reads a model version's state.
func (f *detectors) load(ctx context.Context, g *group) (record, uint64, bool, error) {
	rec, rev, found, err := bus.GetJSON[record](ctx, f.kv, endpoint.Key(g.model, g.version))
	if err != nil {
		if isDecodeError(err) {
			return rec, 0, false, fault.Permanent(fmt.Errorf("drift-detectors state of %s v%d: %w (delete the key to start over)", g.model, g.version, err))
		}
		return rec, 0, false, fmt.Errorf("drift-detectors state: %w", err)
	}
	return rec, rev, found, nil
}

// apply feeds a group to its model version's detectors and saves the state with compare-and-set,
// recomputing from the fresh state when another writer got there first. A batch the state has
// already applied is not fed again: its stored flag changes are returned for re-publishing.
func (f *detectors) apply(ctx context.Context, id string, g *group, base func() ([]float64, error)) (*result, error) {
	key := endpoint.Key(g.model, g.version)
	for range casAttempts {
		rec, rev, found, err := f.load(ctx, g)
		if err != nil {
			return nil, err
		}
		if a, ok := rec.find(id); ok {
			f.m.skipped.WithLabelValues(reasonReplayed).Add(float64(len(g.rows)))
			f.m.gauges(&rec)
			return &result{rec: rec, flags: a.Flags, replay: true}, nil
		}
		if !found {
			rec = record{Model: g.model, Version: g.version}
		}
		dets, err := prepare(&rec, f.cfg.plan.forModel(g.model), base, f.log)
		if err != nil {
			return nil, err
		}
		late := 0
		for i := range g.rows {
			if g.rows[i].Timestamp.Before(rec.LastEventTime) {
				late++
			}
		}
		flags, err := feed(&rec, dets, g.rows)
		if err != nil {
			return nil, err
		}
		rec.remember(id, flags, f.cfg.History)
		data, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("drift-detectors state of %s v%d: %w", g.model, g.version, err)
		}
		if f.beforeSave != nil {
			f.beforeSave(g.model, g.version)
		}
		if found {
			_, err = f.kv.Update(ctx, key, data, rev)
		} else {
			_, err = f.kv.Create(ctx, key, data)
		}
		if err == nil {
			f.m.observe(&rec, flags, len(g.rows))
			f.m.late.Add(float64(late))
			if late > 0 {
				f.log.Warn("labeled rows older than rows already fed; fed in batch order", "model", g.model, "version", g.version, "late", late, "newest_fed", rec.LastEventTime)
			}
			return &result{rec: rec, flags: flags}, nil
		}
		if !bus.IsConflict(err) {
			return nil, fmt.Errorf("drift-detectors state %s/%s: %w", f.cfg.StateBucket, key, err)
		}
		f.m.conflicts.Inc()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("drift-detectors state %s/%s: still conflicting after %d attempts", f.cfg.StateBucket, key, casAttempts)
}

// isDecodeError reports whether err is malformed JSON, which no retry can fix.
func isDecodeError(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syntax) || errors.As(err, &typ)
}
