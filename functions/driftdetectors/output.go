package driftdetectors

import (
	"context"
	"fmt"
	"strconv"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/tables"
)

// LogRow is one flag change of a detector, as written to the detectors' Parquet log
// (monitoring/<model>/detectors/date=YYYY-MM-DD/hour=HH/<id>.parquet): a row on which a
// detector's warning or change flag differs from the row before it.
type LogRow struct {
	EventTime  time.Time `parquet:"event_time,timestamp(millisecond)"`
	Model      string    `parquet:"model,dict"`
	Version    int32     `parquet:"version"`
	Detector   string    `parquet:"detector,dict"`
	Index      int64     `parquet:"index"`
	Warning    bool      `parquet:"warning"`
	Change     bool      `parquet:"change"`
	Estimation float64   `parquet:"estimation"`
	// Signal is the event the row published: "warning", "change" or "" (a flag went off).
	Signal string `parquet:"signal,dict"`
	// Batch is the id of the labeled.batch event whose rows caused it.
	Batch string `parquet:"batch"`
}

// LogKey is the object key of the flag changes a batch (derived id id) caused in a model's
// detectors, partitioned by the event time of the first of them.
func LogKey(model string, t time.Time, id string) string {
	return tables.Key("monitoring/"+model+"/detectors", t, id)
}

// SignalID is the event id of a detector's signal: derived from the input event id, the model
// version, the detector, the signal kind and the stream index, so a redelivery re-publishes the
// same ids.
func SignalID(inputID, model string, version int, detector, signal string, index int64) string {
	return events.DerivedID(inputID, model, strconv.Itoa(version), detector, signal, strconv.FormatInt(index, 10))
}

// publish writes a model version's outputs for a batch — the Parquet log of its flag changes and
// the endpoint record's detector flags — and returns its drift.warning and drift.detected events.
// It writes the same bytes and returns the same events when the batch is redelivered.
func (f *detectors) publish(ctx context.Context, inputID string, res *result) ([]cloudevents.Event, error) {
	rec := &res.rec
	if len(res.flags) > 0 {
		rows := make([]LogRow, len(res.flags))
		for i, fl := range res.flags {
			rows[i] = LogRow{EventTime: fl.EventTime, Model: rec.Model, Version: int32(rec.Version), Detector: fl.Detector,
				Index: fl.Index, Warning: fl.Warning, Change: fl.Change, Estimation: fl.Estimation, Signal: fl.Signal, Batch: inputID}
		}
		key := LogKey(rec.Model, res.flags[0].EventTime, events.DerivedID(inputID, rec.Model, strconv.Itoa(rec.Version)))
		if err := tables.Put(ctx, f.store, key, rows); err != nil {
			return nil, fmt.Errorf("detector log: %w", err)
		}
	}
	if _, err := f.endpoints.Update(ctx, rec.Model, rec.Version, func(r *endpoint.Record) error {
		r.Detectors = signals(rec)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("endpoint record of %s v%d: %w", rec.Model, rec.Version, err)
	}
	var outs []cloudevents.Event
	for _, fl := range res.flags {
		typ := events.DriftWarning
		switch fl.Signal {
		case signalChange:
			typ = events.DriftDetected
		case signalWarning:
		default:
			continue
		}
		e, err := events.New(typ, Source, SignalID(inputID, rec.Model, rec.Version, fl.Detector, fl.Signal, fl.Index),
			&events.DriftSignal{Model: rec.Model, Version: rec.Version, Detector: fl.Detector, Index: fl.Index,
				EventTime: fl.EventTime, Statistic: fl.Estimation})
		if err != nil {
			return nil, err
		}
		outs = append(outs, e)
	}
	if !res.replay {
		f.log.Info("labeled batch fed", "model", rec.Model, "version", rec.Version, "next_index", rec.Next, "signals", len(outs))
	}
	return outs, nil
}

// signals is the endpoint record's view of a model version's detectors.
func signals(rec *record) map[string]endpoint.Signal {
	out := make(map[string]endpoint.Signal, len(rec.Detectors))
	for _, d := range rec.Detectors {
		out[d.Kind] = endpoint.Signal{Warning: d.Warning, Change: d.Change, Index: d.Index, Changes: d.Changes,
			Warnings: d.Warnings, LastChange: d.LastChange, EventTime: d.EventTime}
	}
	return out
}
