package projectrunner

import (
	"context"
	"fmt"
	"slices"

	"github.com/netopsfn/netops/internal/evaluate"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/registry"
)

// judge scores a registered version on the hold-out rows at the version's own decision threshold.
func judge(ctx context.Context, reg *registry.Registry, model string, version int, rows []features.TrainingRow) (*Evaluation, error) {
	card, err := reg.Card(ctx, model, version)
	if err != nil {
		return nil, err
	}
	data, err := reg.Model(ctx, model, version)
	if err != nil {
		return nil, err
	}
	m, err := models.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s v%d: %w", model, version, err)
	}
	names := features.Names()
	cols := make([]int, 0, m.NumFeatures())
	for _, f := range m.FeatureNames() {
		j := slices.Index(names, f)
		if j < 0 {
			return nil, fmt.Errorf("%s v%d: feature %q is not one the preprocessor computes", model, version, f)
		}
		cols = append(cols, j)
	}
	x := make([]float64, 0, len(rows)*len(cols))
	labels := make([]bool, len(rows))
	var v [features.NumFeatures]float64
	for i := range rows {
		full := rows[i].AppendVector(v[:0])
		for _, j := range cols {
			x = append(x, full[j])
		}
		labels[i] = rows[i].IsError
	}
	scores := make([]float64, len(rows))
	if err := m.PredictBatch(x, scores); err != nil {
		return nil, fmt.Errorf("%s v%d: %w", model, version, err)
	}
	rep, err := evaluate.Evaluate(labels, scores, card.Threshold)
	if err != nil {
		return nil, fmt.Errorf("%s v%d: %w", model, version, err)
	}
	ev := &Evaluation{Version: version, Kind: card.Kind, Threshold: card.Threshold, Metrics: map[string]float64{}}
	for _, name := range evaluate.MetricNames() {
		if val, err := evaluate.Metric(rep, name); err == nil {
			ev.Metrics[name] = val
		}
	}
	return ev, nil
}

// better reports whether the candidate beats the champion on metric by at least margin.
func better(metric string, margin float64, candidate, champion *Evaluation) (bool, string) {
	c, okc := candidate.Metrics[metric]
	h, okh := champion.Metrics[metric]
	if !okc || !okh {
		return false, fmt.Sprintf("%s is undefined on the hold-out rows", metric)
	}
	gain := c - h
	if !evaluate.HigherIsBetter(metric) {
		gain = h - c
	}
	if gain >= margin {
		return true, fmt.Sprintf("candidate v%d %s %.4f vs champion v%d %.4f: better by %.4f (margin %.4f)", candidate.Version, metric, c, champion.Version, h, gain, margin)
	}
	return false, fmt.Sprintf("candidate v%d %s %.4f vs champion v%d %.4f: gain %.4f is below the margin %.4f", candidate.Version, metric, c, champion.Version, h, gain, margin)
}
