package workflow

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/evaluate"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/registry"
)

// dataset turns training rows into a model dataset over features.Names(), rejecting non-finite
// values with the row and feature that hold them.
func dataset(rows []features.TrainingRow) (models.Dataset, []time.Time, error) {
	names := features.Names()
	d := len(names)
	ds := models.Dataset{Features: names, X: make([]float64, 0, len(rows)*d), Y: make([]bool, len(rows))}
	times := make([]time.Time, len(rows))
	for i := range rows {
		before := len(ds.X)
		ds.X = rows[i].Row.AppendVector(ds.X)
		for j, v := range ds.X[before:] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return models.Dataset{}, nil, fmt.Errorf("row %d (device %s, %s): feature %s is %v", i, rows[i].Device, rows[i].Timestamp.Format(time.RFC3339), names[j], v)
			}
		}
		ds.Y[i] = rows[i].IsError
		times[i] = rows[i].Timestamp
	}
	if len(rows) == 0 {
		return models.Dataset{}, nil, fmt.Errorf("no rows")
	}
	return ds, times, nil
}

func subset(ds models.Dataset, idx []int) models.Dataset {
	d := len(ds.Features)
	out := models.Dataset{Features: ds.Features, X: make([]float64, 0, len(idx)*d), Y: make([]bool, len(idx))}
	for k, i := range idx {
		out.X = append(out.X, ds.X[i*d:(i+1)*d]...)
		out.Y[k] = ds.Y[i]
	}
	return out
}

// project keeps the named features, in the given order.
func project(ds models.Dataset, keep []string) models.Dataset {
	cols := make([]int, len(keep))
	for k, name := range keep {
		cols[k] = slices.Index(ds.Features, name)
	}
	d, n := len(ds.Features), len(ds.Y)
	out := models.Dataset{Features: slices.Clone(keep), X: make([]float64, 0, n*len(keep)), Y: ds.Y}
	for i := range n {
		for _, j := range cols {
			out.X = append(out.X, ds.X[i*d+j])
		}
	}
	return out
}

func column(ds models.Dataset, j int) []float64 {
	d, n := len(ds.Features), len(ds.Y)
	out := make([]float64, n)
	for i := range n {
		out[i] = ds.X[i*d+j]
	}
	return out
}

// makeCard assembles the model card: data, metrics, threshold, importances, the monitoring
// reference of every model feature and of the predicted probability (on the training rows), and
// the test error stream in time order for the drift detectors' warm-up.
func makeCard(o Options, m models.Classifier, train, valid, test models.Dataset, res *Result, times []time.Time, testScores []float64) (*registry.Card, error) {
	card := &registry.Card{Name: o.Name, Kind: m.Kind(), RunID: o.RunID, Features: m.FeatureNames(), Threshold: res.Threshold,
		Metrics: map[string]float64{}, Importances: map[string]float64{}, Reference: map[string]drift.Reference{}}
	card.Params, _ = json.Marshal(m.Params())
	first, last := times[0], times[0]
	for _, t := range times {
		first, last = minTime(first, t), maxTime(last, t)
	}
	card.Training = registry.Training{Source: o.Data, Rows: len(times), TrainRows: len(train.Y), ValidRows: len(valid.Y),
		TestRows: len(test.Y), PositiveRate: positiveRate(train.Y), Split: o.Split, From: first, To: last}
	for _, name := range []string{"accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "brier", "log_loss"} {
		if v, err := evaluate.Metric(res.Test, name); err == nil {
			card.Metrics[name] = v
		}
	}
	importances := m.Importances()
	for j, name := range card.Features {
		card.Importances[name] = importances[j]
		ref, err := drift.NewReference(column(train, j))
		if err != nil {
			return nil, fmt.Errorf("reference of %s: %w", name, err)
		}
		card.Reference[name] = ref
	}
	pred, err := drift.NewReference(predict(m, train))
	if err != nil {
		return nil, fmt.Errorf("reference of the prediction: %w", err)
	}
	card.Prediction = &pred
	card.TestErrors = make([]uint8, len(test.Y))
	for i, y := range test.Y {
		if (testScores[i] >= res.Threshold) != y {
			card.TestErrors[i] = 1
		}
	}
	return card, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// stepper prints numbered progress lines and records step durations.
type stepper struct {
	w     io.Writer
	res   *Result
	name  string
	start time.Time
	n     int
}

func newStepper(w io.Writer, res *Result) *stepper { return &stepper{w: w, res: res} }

func (s *stepper) startStep(name string) {
	s.n++
	s.name, s.start = name, time.Now()
	if s.w != nil {
		fmt.Fprintf(s.w, "[%d/7] %s ...\n", s.n, name)
	}
}

func (s *stepper) note(msg string) {
	if s.w != nil {
		fmt.Fprintf(s.w, "      %s\n", msg)
	}
}

func (s *stepper) done(msg string) {
	secs := time.Since(s.start).Seconds()
	s.res.Steps = append(s.res.Steps, Step{Name: s.name, Seconds: secs})
	if s.w != nil {
		fmt.Fprintf(s.w, "      %s (%.1fs)\n", msg, secs)
	}
}
