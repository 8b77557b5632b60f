package projectrunner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/trainset"
)

// assembled is a run's data: the rows to train on and the most recent rows held out to judge the
// candidate against the champion.
type assembled struct {
	train, holdout []features.TrainingRow
	summary        DataSummary
}

// assemble gathers the window's rows: the labeled stream's rows of the model (each (device, time)
// once, whichever version scored it), or offline features joined with labels, and splits off the
// most recent fraction as the hold-out.
func assemble(ctx context.Context, store blob.Store, model string, p Params, end time.Time, runDir string, log io.Writer) (*assembled, error) {
	from := end.Add(-time.Duration(p.Window))
	var rows []features.TrainingRow
	var objects int
	var err error
	switch p.Data {
	case "features":
		rows, objects, err = offlineRows(ctx, store, from, end, runDir, log)
	default:
		rows, objects, err = labeledRows(ctx, store, model, from, end)
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "%d rows from %d objects in [%s, %s]\n", len(rows), objects, from.Format(time.RFC3339), end.Format(time.RFC3339))
	if len(rows) < p.MinRows {
		return nil, fmt.Errorf("only %d %s rows in the last %s of event time, want at least %d (min_rows)", len(rows), p.Data, time.Duration(p.Window), p.MinRows)
	}
	slices.SortStableFunc(rows, func(a, b features.TrainingRow) int { return a.Timestamp.Compare(b.Timestamp) })
	cut := len(rows) - int(float64(len(rows))*p.Holdout)
	a := &assembled{train: rows[:cut], holdout: rows[cut:], summary: DataSummary{Source: p.Data, From: from, To: end, Objects: objects,
		TrainRows: cut, HoldoutRows: len(rows) - cut}}
	for _, r := range rows {
		if r.IsError {
			a.summary.Positives++
		}
	}
	for name, part := range map[string][]features.TrainingRow{"training": a.train, "hold-out": a.holdout} {
		if err := bothClasses(part); err != nil {
			return nil, fmt.Errorf("%s rows: %w", name, err)
		}
	}
	return a, nil
}

func bothClasses(rows []features.TrainingRow) error {
	var pos int
	for _, r := range rows {
		if r.IsError {
			pos++
		}
	}
	if pos == 0 || pos == len(rows) {
		return fmt.Errorf("%d rows, %d positive: both classes are needed", len(rows), pos)
	}
	return nil
}

// labeledRows reads the labeled rows of a model in [from, to], skipping partitions outside it.
func labeledRows(ctx context.Context, store blob.Store, model string, from, to time.Time) ([]features.TrainingRow, int, error) {
	objs, err := store.List(ctx, "labeled/model="+model+"/")
	if err != nil {
		return nil, 0, fmt.Errorf("list labeled rows: %w", err)
	}
	type key struct {
		device string
		t      int64
	}
	seen := map[key]bool{}
	var rows []features.TrainingRow
	objects := 0
	for _, o := range objs {
		if h, ok := tables.KeyHour(o.Key); ok && (h.Add(time.Hour).Before(from) || h.After(to)) {
			continue
		}
		batch, err := tables.Get[features.LabeledRow](ctx, store, o.Key)
		if err != nil {
			if errors.Is(err, blob.ErrNotFound) {
				continue
			}
			return nil, 0, err
		}
		objects++
		for _, r := range batch {
			k := key{r.Device, r.Timestamp.UnixMilli()}
			if !r.Labeled || r.Timestamp.Before(from) || r.Timestamp.After(to) || seen[k] {
				continue
			}
			seen[k] = true
			rows = append(rows, features.TrainingRow{Row: r.Row, IsError: r.Label})
		}
	}
	return rows, objects, nil
}

// offlineRows builds the window's training set from the telemetry history, as `netops features`
// does.
func offlineRows(ctx context.Context, store blob.Store, from, to time.Time, runDir string, log io.Writer) ([]features.TrainingRow, int, error) {
	key := runDir + "/features.parquet"
	res, err := trainset.Build(ctx, store, trainset.Options{Telemetry: "telemetry/", Labels: "labels/", Devices: tables.DevicesKey,
		Out: key, From: from, To: to, Progress: log})
	if err != nil {
		return nil, 0, fmt.Errorf("offline features: %w", err)
	}
	rows, err := tables.Get[features.TrainingRow](ctx, store, key)
	return rows, res.Objects, err
}
