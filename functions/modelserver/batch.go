package modelserver

import (
	"context"
	"errors"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
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
		if d.Alias != s.serving.alias {
			return nil, nil
		}
		return nil, s.serving.reload(ctx, d.Model)
	default:
		return s.scoreBatch(ctx, e)
	}
}

// scoreBatch scores a features batch with every serving model and writes one predictions batch
// per model to predictions/model=<name>/date=…/hour=…/<id>.parquet.
func (s *server) scoreBatch(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	in, err := events.Decode[events.Batch](e)
	if err != nil {
		return nil, err
	}
	rows, err := tables.Get[features.Row](ctx, s.store, in.Key)
	if err != nil {
		return nil, err
	}
	vectors := make([][]float64, len(rows))
	for i := range rows {
		vectors[i] = rows[i].Vector()
	}
	serving := s.serving.list()
	if len(serving) == 0 {
		s.log.Warn("features batch not scored: no model is serving yet", "key", in.Key)
		return nil, nil
	}
	var outs []cloudevents.Event
	for _, l := range serving {
		p, decision, err := l.score(vectors)
		if err != nil {
			return nil, fmt.Errorf("score %s with %s v%d: %w", in.Key, l.name, l.version, err)
		}
		preds := make([]tables.Prediction, len(rows))
		for i, r := range rows {
			preds[i] = tables.Prediction{Timestamp: r.Timestamp, Device: r.Device, Model: l.name, Version: int32(l.version),
				Probability: p[i], Prediction: decision[i]}
		}
		id := events.DerivedID(e.ID(), l.name, fmt.Sprint(l.version))
		key := tables.Key("predictions/model="+l.name, in.From, id)
		if err := tables.Put(ctx, s.store, key, preds); err != nil {
			return nil, err
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
		if err := s.serving.reload(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("load %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
