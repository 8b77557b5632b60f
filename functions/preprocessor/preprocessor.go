package preprocessor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"golang.org/x/sync/errgroup"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/tables"
)

// Name is the function's target name and durable consumer.
const Name = "preprocessor"

// Source is the CloudEvents source of the events it publishes.
const Source = "/netops/preprocessor"

// preprocessor is the function's state: its buckets, the device table cache and metrics.
type preprocessor struct {
	store   blob.Store
	log     *slog.Logger
	kv      *kvStore
	devices *deviceTable
	m       *metrics
}

// New returns the preprocessor function. It creates the KV buckets if needed; the device table
// is read when the first batch arrives.
func New(cfg Config, d function.Deps) (*function.Function, error) {
	p, err := newPreprocessor(cfg, d)
	if err != nil {
		return nil, err
	}
	return &function.Function{Name: Name, Consumes: []string{events.TelemetryBatch}, Handle: p.handle, Serial: true}, nil
}

func newPreprocessor(cfg Config, d function.Deps) (*preprocessor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("preprocessor: invalid configuration: %w", err)
	}
	if d.Bus == nil || d.Store == nil {
		return nil, errors.New("preprocessor: needs a bus and a store")
	}
	d = d.Defaults()
	log, reg := d.Log, d.Metrics
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("preprocessor: metrics: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := openKV(ctx, d.Bus, cfg)
	if err != nil {
		return nil, fmt.Errorf("preprocessor: %w", err)
	}
	return &preprocessor{store: d.Store, log: log, kv: kv, m: m,
		devices: &deviceTable{store: d.Store, key: cfg.DevicesKey, loads: m.loads.Inc}}, nil
}

// OutputKey is the object key of the features batch made from the input event whose derived id
// is id, partitioned by the batch's start time in UTC.
func OutputKey(from time.Time, id string) string {
	return tables.Key("features", from, id)
}

// handle turns one telemetry batch into a features batch.
func (p *preprocessor) handle(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	in, err := events.DecodeBatch(e)
	if err != nil {
		return nil, err
	}
	b, err := p.compute(ctx, e.ID(), in)
	if err != nil {
		return nil, err
	}
	id := events.DerivedID(e.ID())
	key := OutputKey(in.From, id)
	n, err := p.write(ctx, key, b)
	if err != nil {
		return nil, err
	}
	p.record(in.Key, len(b.rows), b.stats)
	out, err := events.New(events.FeaturesBatch, Source, id,
		&events.Batch{Key: key, Rows: n, From: in.From, To: in.To, SchemaVersion: events.SchemaVersion})
	if err != nil {
		return nil, err
	}
	return []cloudevents.Event{out}, nil
}

// result is a computed batch: its feature rows in input order and its devices with their new
// records and vectors.
type result struct {
	rows []features.Row
	devs []*device
	stats
}

// compute reads the telemetry batch of the input event id and computes its features from the
// devices' stored states. It writes nothing.
func (p *preprocessor) compute(ctx context.Context, id string, in *events.Batch) (*result, error) {
	rows, err := tables.Get[tables.Telemetry](ctx, p.store, in.Key)
	if err != nil {
		return nil, fmt.Errorf("telemetry batch: %w", err)
	}
	if int64(len(rows)) != in.Rows {
		return nil, fault.Permanent(fmt.Errorf("telemetry batch %s holds %d rows, its event %s says %d", in.Key, len(rows), id, in.Rows))
	}
	devs, badID, err := plan(in.Key, rows)
	if err != nil {
		return nil, err
	}
	if err := p.devices.lookup(ctx, devs); err != nil {
		return nil, err
	}
	if err := p.kv.load(ctx, devs); err != nil {
		return nil, err
	}
	out := make([]features.Row, len(rows))
	if err := compute(id, rows, devs, out); err != nil {
		return nil, fmt.Errorf("telemetry batch %s: %w", in.Key, err)
	}
	feats := out[:0]
	for i := range out {
		if out[i].Device != "" { // valid device ids are never empty; skipped rows stay zero
			feats = append(feats, out[i])
		}
	}
	return &result{rows: feats, devs: devs, stats: summarize(devs, badID)}, nil
}

// write stores a computed batch: the features object under key, the vectors and the states. They
// are independent, so they go concurrently: a crash between any of them is repaired by the
// redelivery, which writes the same bytes (see the package doc). It returns the object's rows.
func (p *preprocessor) write(ctx context.Context, key string, b *result) (int64, error) {
	var n int64
	var conflicts int
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		n, err = p.writeOutput(gctx, key, b.rows, b.late > 0)
		return err
	})
	g.Go(func() error { return p.kv.saveOnline(gctx, b.devs) })
	g.Go(func() (err error) {
		conflicts, err = p.kv.saveStates(gctx, b.devs)
		return err
	})
	err := g.Wait()
	p.m.conflicts.Add(float64(conflicts))
	return n, err
}

// writeOutput writes the features batch. When rows were skipped as late the input may be an old
// batch replayed after newer ones; then an object already written for it is kept, since it was
// computed when those rows were not late, and its row count is announced.
func (p *preprocessor) writeOutput(ctx context.Context, key string, rows []features.Row, late bool) (int64, error) {
	if late {
		n, ok, err := p.existingRows(ctx, key)
		if err != nil {
			return 0, err
		}
		if ok {
			p.log.Warn("features batch exists and this delivery skipped late rows; keeping it", "key", key, "rows", n)
			return n, nil
		}
	}
	if err := tables.Put(ctx, p.store, key, rows); err != nil {
		return 0, fmt.Errorf("write features batch: %w", err)
	}
	return int64(len(rows)), nil
}

// existingRows returns the row count of the features batch under key, if there is a readable one.
func (p *preprocessor) existingRows(ctx context.Context, key string) (int64, bool, error) {
	o, err := p.store.Open(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("features batch %s: %w", key, err)
	}
	defer o.Close()
	r, err := tables.NewReader[features.Row](o, o.Size())
	if err != nil {
		return 0, false, nil // unreadable: overwrite it
	}
	defer r.Close()
	return r.NumRows(), true, nil
}

// stats sums what a batch did per device.
type stats struct {
	devices, unknown, late, invalid, badID int
	example                                error // the first invalid row's reason
}

func summarize(devs []*device, badID int) stats {
	s := stats{devices: len(devs), badID: badID}
	for _, d := range devs {
		s.late += d.late
		s.invalid += d.invalid
		if !d.known {
			s.unknown++
		}
		if s.example == nil {
			s.example = d.invalidErr
		}
	}
	return s
}

// record updates the metrics and logs a batch that skipped rows or met unknown devices.
func (p *preprocessor) record(key string, rows int, s stats) {
	p.m.rows.Add(float64(rows))
	p.m.skipped.WithLabelValues(reasonLate).Add(float64(s.late))
	p.m.skipped.WithLabelValues(reasonInvalidValue).Add(float64(s.invalid))
	p.m.skipped.WithLabelValues(reasonInvalidDevice).Add(float64(s.badID))
	p.m.unknown.Add(float64(s.unknown))
	attrs := []any{"key", key, "rows", rows, "devices", s.devices}
	if s.late+s.invalid+s.badID+s.unknown == 0 {
		p.log.Debug("telemetry batch processed", attrs...)
		return
	}
	attrs = append(attrs, "skipped_late", s.late, "skipped_invalid_value", s.invalid,
		"skipped_invalid_device", s.badID, "unknown_devices", s.unknown)
	if s.example != nil {
		attrs = append(attrs, "example", s.example.Error())
	}
	p.log.Warn("telemetry batch processed with skipped rows or unknown devices", attrs...)
}
