package modelserver

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/registry"
)

// loaded is one model version ready to score: the classifier, its card, and where each of its
// features sits in the preprocessor's feature vector.
type loaded struct {
	name    string
	version int
	model   models.Classifier
	card    *registry.Card
	columns []int  // index in features.Names() of each model feature
	label   string // the version as a string, for responses and metric labels
	metrics *versionMetrics
}

// load reads a version from the registry and checks it against the feature vector.
func load(ctx context.Context, reg *registry.Registry, name string, version int) (*loaded, error) {
	card, err := reg.Card(ctx, name, version)
	if err != nil {
		return nil, err
	}
	data, err := reg.Model(ctx, name, version)
	if err != nil {
		return nil, err
	}
	m, err := models.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s v%d: %w", name, version, err)
	}
	names := features.Names()
	l := &loaded{name: name, version: version, model: m, card: card, label: strconv.Itoa(version)}
	for _, f := range m.FeatureNames() {
		j := slices.Index(names, f)
		if j < 0 {
			return nil, fmt.Errorf("%s v%d: feature %q is not one the preprocessor computes", name, version, f)
		}
		l.columns = append(l.columns, j)
	}
	return l, nil
}

// scoreRows is score for rows already in the model's feature order (inference requests).
func (l *loaded) scoreRows(rows [][]float64) ([]float64, []bool, error) {
	x := make([]float64, 0, len(rows)*len(l.columns))
	for _, r := range rows {
		x = append(x, r...)
	}
	return l.predict(x, len(rows))
}

// predict scores n rows of the row-major matrix x and applies the card's threshold. A few rows
// (single-row inference, the hot path) are scored one by one: the batch path's setup costs more
// than the trees for one row, and both give the same numbers.
func (l *loaded) predict(x []float64, n int) ([]float64, []bool, error) {
	p := make([]float64, n)
	if d := len(l.columns); n <= 4 && len(x) == n*d {
		for i := range p {
			p[i] = l.model.PredictProba(x[i*d : (i+1)*d])
		}
	} else if err := l.model.PredictBatch(x, p); err != nil {
		return nil, nil, err
	}
	decisions := make([]bool, len(p))
	for i, v := range p {
		decisions[i] = v >= l.card.Threshold
	}
	return p, decisions, nil
}

// reorder maps rows in from's feature order onto l's, for shadow scoring when the two versions
// take different features.
func (l *loaded) reorder(from *loaded, rows [][]float64) ([][]float64, error) {
	if slices.Equal(l.columns, from.columns) {
		return rows, nil
	}
	idx := make([]int, len(l.columns))
	for k, c := range l.columns {
		idx[k] = slices.Index(from.columns, c)
		if idx[k] < 0 {
			return nil, fmt.Errorf("%s v%d needs feature %q, which v%d's request rows lack", l.name, l.version, l.model.FeatureNames()[k], from.version)
		}
	}
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, len(idx))
		for k, j := range idx {
			out[i][k] = r[j]
		}
	}
	return out, nil
}
