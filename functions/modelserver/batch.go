package modelserver

import (
	"context"
	"errors"
	"fmt"
	"slices"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/tables"
)

const source = "/netops/model-server"

// handle routes the consumed events: features batches are scored, deployments reload.
func (s *server) handle(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	switch e.Type() {
	case events.ModelDeployed:
		d, err := events.Decode[events.Deployment](e)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(s.cfg.Models, d.Model) {
			return nil, nil
		}
		if d.Alias == s.cfg.CanaryAlias && d.Traffic > 0 && d.Traffic < 100 {
			s.router.setShare(d.Model, d.Traffic)
		}
		// Every alias is reloaded, not only the one announced: the registry is the truth.
		if err := s.router.reload(ctx, d.Model); err != nil {
			return nil, fmt.Errorf("reload %s after deployment of v%d as %s: %w", d.Model, d.Version, d.Alias, err)
		}
		s.metrics.publishTable(s.router.table())
		s.log.Info("model reloaded", "model", d.Model, "alias", d.Alias, "version", d.Version, "serving", s.router.table().models[d.Model].describe())
		return nil, nil
	default:
		return s.scoreBatch(ctx, e)
	}
}

// scoreBatch scores a features batch with every serving version of every model — champion,
// canary and shadow — and writes one predictions batch per version to
// predictions/model=<name>/date=…/hour=…/<id>.parquet, so the labeled stream and the drift
// detectors watch each version separately (the traffic split applies to HTTP requests only).
func (s *server) scoreBatch(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	in, err := events.DecodeBatch(e)
	if err != nil {
		return nil, err
	}
	var serving []*loaded
	var names []string
	for _, rt := range s.router.table().list() {
		for _, l := range rt.scorers() {
			serving = append(serving, l)
			for _, f := range l.model.FeatureNames() {
				if !slices.Contains(names, f) {
					names = append(names, f)
				}
			}
		}
	}
	if len(serving) == 0 {
		s.log.Warn("features batch not scored: no model is serving yet", "key", in.Key)
		return nil, nil
	}
	cols, err := readColumns(ctx, s.store, in.Key, names)
	if err != nil {
		return nil, err
	}
	var outs []cloudevents.Event
	for _, l := range serving {
		p, decision, err := l.predict(cols.matrix(l.model.FeatureNames()), cols.n)
		if err != nil {
			return nil, fmt.Errorf("score %s with %s v%d: %w", in.Key, l.name, l.version, err)
		}
		preds := make([]tables.Prediction, cols.n)
		for i := range preds {
			preds[i] = tables.Prediction{Timestamp: cols.times[i], Device: cols.devices[i], Model: l.name, Version: int32(l.version),
				Probability: p[i], Prediction: decision[i]}
		}
		id := events.DerivedID(e.ID(), l.name, fmt.Sprint(l.version))
		key := tables.Key("predictions/model="+l.name, in.From, id)
		if err := tables.Put(ctx, s.store, key, preds); err != nil {
			return nil, err
		}
		s.stats.addBatch(l.name, l.version, len(preds))
		if l.metrics != nil {
			l.metrics.rows.Add(float64(len(preds)))
		}
		out, err := events.New(events.PredictionsBatch, source, id, &events.Batch{Key: key, Rows: int64(len(preds)), From: in.From, To: in.To,
			SchemaVersion: events.SchemaVersion, Model: l.name, Version: l.version, Source: in.Key})
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// reloadAll loads the serving version of every configured model; a model without one is skipped.
func (s *server) reloadAll(ctx context.Context) error {
	var errs []error
	for _, name := range s.cfg.Models {
		if err := s.router.reload(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("load %s: %w", name, err))
		}
	}
	s.metrics.publishTable(s.router.table())
	return errors.Join(errs...)
}
