// Package driftmagnitude is the drift-magnitude function (SPEC §7): it compares each served
// model version's recent data with the training reference on its model card, feature by
// feature and for the predicted probability, and reports how far it drifted.
//
// On every labeled.batch it streams the batch in chunks of rows and bins each model version's
// rows, per event-time interval, into a small mergeable partial (internal/drift.Partial) stored
// at monitoring/<model>/v<N>/partials/<interval start>/<batch id>.json. When a batch's event
// time reaches the next interval boundary (or enough new rows arrived), it merges the partials
// of the last window, computes the report with internal/drift, writes it as JSON and Parquet to
// monitoring/<model>/v<N>/reports/<window end>, sets the drift fields of the model endpoint
// record, exports Prometheus gauges and publishes drift.report. Raw rows are read once, when
// their batch arrives; a window of any length costs only its partials.
//
// It is not a streaming detector: the error-rate detectors (DDM, EDDM, Page-Hinkley) are
// drift-detectors.
package driftmagnitude

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
)

// Name is the function's target name and durable consumer.
const Name = "drift-magnitude"

// Source is the CloudEvents source of the events it publishes.
const Source = "/netops/drift-magnitude"

// PredictionColumn is the labeled batch column compared with the card's prediction reference.
const PredictionColumn = "probability"

// magnitude is the function's state.
type magnitude struct {
	cfg       Config
	store     blob.Store
	reg       *registry.Registry
	state     jetstream.KeyValue
	endpoints *endpoint.Store
	log       *slog.Logger
	m         *metrics

	mu    sync.Mutex
	cards map[string]*baseline // by model/version; cards never change once registered
}

// baseline is a model version's reference with its options.
type baseline struct {
	drift.Baseline
	thresholds   drift.Thresholds
	drifted      int     // drift.Options.DriftedFeatures
	wasserstein  float64 // drift.Options.Wasserstein
	importances  map[string]float64
	unreferenced []string
}

// CardBaseline is what a model card compares windows with: its features (in card order) and
// the predicted probability (PredictionColumn), and the card features without a reference.
func CardBaseline(c *registry.Card) (drift.Baseline, []string) {
	return drift.NewBaseline(c.Features, c.Reference, PredictionColumn, c.Prediction)
}

// New returns the drift-magnitude function. It creates its KV bucket and opens the endpoint
// records.
func New(cfg Config, d function.Deps) (*function.Function, error) {
	m, err := newMagnitude(cfg, d)
	if err != nil {
		return nil, err
	}
	return &function.Function{Name: Name, Consumes: []string{events.LabeledBatch}, Handle: m.handle, Serial: true}, nil
}

func newMagnitude(cfg Config, d function.Deps) (*magnitude, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: invalid configuration: %w", Name, err)
	}
	if d.Bus == nil || d.Store == nil {
		return nil, fmt.Errorf("%s: needs a bus and a store", Name)
	}
	d = d.Defaults()
	log, reg := d.Log, d.Metrics
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("%s: metrics: %w", Name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	state, err := d.Bus.KV(ctx, cfg.StateBucket)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	eps, err := endpoint.Open(ctx, d.Bus)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return &magnitude{cfg: cfg, store: d.Store, reg: registry.New(d.Store), state: state, endpoints: eps,
		log: log, m: m, cards: map[string]*baseline{}}, nil
}

// handle bins one labeled batch into partials and makes the reports it triggers.
func (m *magnitude) handle(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	in, err := events.DecodeBatch(e)
	if err != nil {
		return nil, err
	}
	id := events.DerivedID(e.ID())
	groups, skipped, err := m.bin(ctx, in.Key)
	if err != nil {
		return nil, fmt.Errorf("labeled batch %s: %w", in.Key, err)
	}
	if skipped > 0 {
		m.m.skipped.Add(float64(skipped))
		m.log.Warn("rows of model versions without a usable card skipped", "key", in.Key, "rows", skipped)
	}
	type version struct {
		model   string
		version int
	}
	var order []version
	latest := map[version]time.Time{}
	rows := map[version]int64{}
	for _, g := range groups {
		key := PartialKey(g.key.model, g.key.version, time.UnixMilli(g.key.bucket).UTC(), id)
		data, err := json.Marshal(g.partial)
		if err != nil {
			return nil, fault.Permanent(fmt.Errorf("encode partial %s: %w", key, err))
		}
		if err := blob.PutBytes(ctx, m.store, key, data); err != nil {
			return nil, fmt.Errorf("write partial %s: %w", key, err)
		}
		v := version{g.key.model, g.key.version}
		if _, ok := rows[v]; !ok {
			order = append(order, v)
		}
		rows[v] += g.partial.Rows
		if t := time.UnixMilli(int64(g.maxMs)).UTC(); t.After(latest[v]) {
			latest[v] = t
		}
		m.m.rows.WithLabelValues(v.model, strconv.Itoa(v.version)).Add(float64(g.partial.Rows))
	}
	var outs []cloudevents.Event
	for _, v := range order {
		out, err := m.advance(ctx, v.model, v.version, id, rows[v], latest[v])
		if err != nil {
			return nil, err
		}
		if out != nil {
			outs = append(outs, *out)
		}
	}
	return outs, nil
}

// bin streams a labeled batch and returns its partials per model version and bucket, and the
// number of rows of model versions without a usable card.
func (m *magnitude) bin(ctx context.Context, key string) ([]*group, int64, error) {
	o, err := m.store.Open(ctx, key)
	if errors.Is(err, blob.ErrInvalidKey) {
		return nil, 0, fault.Permanent(err)
	}
	if err != nil {
		return nil, 0, err
	}
	defer o.Close()
	src := tables.NewSource(o, o.Size())
	f, err := src.Open()
	if err != nil {
		return nil, 0, err
	}
	g := newGrouper(f, m.cfg.Interval, func(model string, version int) (*drift.Baseline, error) {
		b, err := m.baseline(ctx, model, version)
		if b == nil {
			return nil, err
		}
		return &b.Baseline, err
	})
	if err := scan(f, g.cols, m.cfg.ChunkRows, g.chunk); err != nil {
		if ioErr := src.Err(); ioErr != nil { // the store failed mid-read: retry, the data is fine
			return nil, 0, fmt.Errorf("read parquet: %w", ioErr)
		}
		return nil, 0, err
	}
	return g.sorted(), g.skipped, nil
}

// baseline returns a model version's baseline from its card, cached; nil when the version has
// no card or the card no reference.
func (m *magnitude) baseline(ctx context.Context, model string, version int) (*baseline, error) {
	k := model + "/" + strconv.Itoa(version)
	m.mu.Lock()
	b, ok := m.cards[k]
	m.mu.Unlock()
	if ok {
		return b, nil
	}
	if registry.ValidName(model) != nil || version < 1 {
		return nil, nil
	}
	card, err := m.reg.Card(ctx, model, version)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil // not cached: the card may be registered later
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, drift.ErrInvalidReference) {
			m.log.Error("unusable model card", "model", model, "version", version, "err", err)
			return nil, nil
		}
		return nil, fmt.Errorf("card of %s v%d: %w", model, version, err)
	}
	base, unref := CardBaseline(card)
	if len(base.Features) == 0 && base.PredictionRef == nil {
		m.log.Warn("model card has no reference statistics", "model", model, "version", version)
		return nil, nil
	}
	b = &baseline{Baseline: base, thresholds: m.cfg.Thresholds(model), drifted: m.cfg.DriftedFeatures, wasserstein: m.cfg.Wasserstein, importances: base.Importances(card.Importances),
		unreferenced: unref}
	m.mu.Lock()
	m.cards[k] = b
	m.mu.Unlock()
	return b, nil
}

// advance applies a batch to a model version's schedule and, when it triggers a report, makes
// the report. The schedule is written last, so a failure before it repeats the same decision.
func (m *magnitude) advance(ctx context.Context, model string, version int, batch string, rows int64, t time.Time) (*cloudevents.Event, error) {
	key := endpoint.Key(model, version)
	s, rev, found, err := bus.GetJSON[schedule](ctx, m.state, key)
	if err != nil {
		return nil, err
	}
	f := s.apply(batch, rows, t, m.cfg.Interval, m.cfg.Rows)
	var out *cloudevents.Event
	if f != nil {
		if out, err = m.report(ctx, model, version, *f); err != nil {
			return nil, err
		}
	}
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	if found {
		_, err = m.state.Update(ctx, key, data, rev)
	} else {
		_, err = m.state.Create(ctx, key, data)
	}
	if err != nil {
		return nil, fmt.Errorf("schedule of %s v%d: %w", model, version, err) // a conflict retries the batch
	}
	return out, nil
}

// report makes the report of the window ending at f.End: merge the partials, compare, write,
// update the endpoint record and the gauges, and return the drift.report event (none for a
// NO_DATA window, which drift.report cannot carry).
func (m *magnitude) report(ctx context.Context, model string, version int, f firing) (*cloudevents.Event, error) {
	b, err := m.baseline(ctx, model, version)
	if err != nil || b == nil {
		return nil, err
	}
	from := f.End.Add(-m.cfg.Window)
	p, n, err := LoadWindow(ctx, m.store, model, version, from, f.End, m.cfg.Interval)
	if err != nil {
		return nil, err
	}
	dr, err := analyze(b, p)
	if err != nil {
		return nil, fmt.Errorf("report of %s v%d: %w", model, version, err)
	}
	wr := &WindowReport{Model: model, Version: version, From: from, To: f.End, Trigger: f.Trigger, Rows: p.Rows,
		Partials: n, Unreferenced: b.unreferenced, Report: *dr}
	key := ReportKey(model, version, f.End)
	if err := writeReport(ctx, m.store, key, wr, b.importances); err != nil {
		return nil, err
	}
	if err := m.updateEndpoint(ctx, wr, key+".json"); err != nil {
		return nil, err
	}
	m.m.export(wr)
	m.log.Info("drift report", "model", model, "version", version, "from", from, "to", f.End, "trigger", f.Trigger,
		"rows", p.Rows, "status", dr.Status, "general_drift", dr.GeneralDrift, "drifted", dr.Drifted)
	if dr.Status == drift.StatusNoData {
		return nil, nil
	}
	id := events.DerivedID("drift.report", model, strconv.Itoa(version), f.End.Format(time.RFC3339), f.Trigger, strconv.FormatInt(p.Rows, 10))
	e, err := events.New(events.DriftReportType, Source, id, &events.DriftReport{Model: model, Version: version,
		Key: key + ".json", From: from, To: f.End, Status: string(dr.Status), GeneralDrift: dr.GeneralDrift})
	if err != nil {
		return nil, fault.Permanent(err)
	}
	return &e, nil
}

// updateEndpoint sets the drift fields of the model endpoint record, unless it already holds a
// later window.
func (m *magnitude) updateEndpoint(ctx context.Context, wr *WindowReport, key string) error {
	_, err := m.endpoints.Update(ctx, wr.Model, wr.Version, func(r *endpoint.Record) error {
		if r.Drift != nil && r.Drift.To.After(wr.To) {
			return nil
		}
		d := &endpoint.Drift{Status: string(wr.Status), GeneralStatus: string(wr.GeneralStatus), Drifted: wr.Drifted, Measure: wr.GeneralDrift, Possible: wr.Thresholds.Possible,
			Detected: wr.Thresholds.Detected, From: wr.From, To: wr.To, Report: key,
			TVDMean: wr.TVDMean, HellingerMean: wr.HellingerMean, KLDMean: wr.KLDMean,
			Features: make(map[string]endpoint.FeatureDrift, len(wr.Features)+1)}
		for _, fd := range append(wr.Features[:len(wr.Features):len(wr.Features)], predictionOf(wr)...) {
			efd := endpoint.FeatureDrift{Status: string(fd.Status)}
			if fd.Measures != nil {
				efd.TVD, efd.Hellinger, efd.KLD = fd.Measures.TVD, fd.Measures.Hellinger, fd.Measures.KLD
			}
			d.Features[fd.Name] = efd
		}
		r.Drift = d
		return nil
	})
	return err
}

func predictionOf(wr *WindowReport) []drift.FeatureDrift {
	if wr.Prediction == nil {
		return nil
	}
	return []drift.FeatureDrift{*wr.Prediction}
}
