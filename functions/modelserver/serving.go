package modelserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

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
	columns []int // index in features.Names() of each model feature
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
	l := &loaded{name: name, version: version, model: m, card: card}
	for _, f := range m.FeatureNames() {
		j := slices.Index(names, f)
		if j < 0 {
			return nil, fmt.Errorf("%s v%d: feature %q is not one the preprocessor computes", name, version, f)
		}
		l.columns = append(l.columns, j)
	}
	return l, nil
}

// score returns the probability and the decision for each vector of the preprocessor's 45
// features, projected onto the model's features.
func (l *loaded) score(vectors [][]float64) ([]float64, []bool, error) {
	x := make([]float64, 0, len(vectors)*len(l.columns))
	for _, v := range vectors {
		for _, j := range l.columns {
			x = append(x, v[j])
		}
	}
	return l.predict(x, len(vectors))
}

// scoreRows is score for rows already in the model's feature order (inference requests).
func (l *loaded) scoreRows(rows [][]float64) ([]float64, []bool, error) {
	x := make([]float64, 0, len(rows)*len(l.columns))
	for _, r := range rows {
		x = append(x, r...)
	}
	return l.predict(x, len(rows))
}

// predict scores n rows of the row-major matrix x and applies the card's threshold.
func (l *loaded) predict(x []float64, n int) ([]float64, []bool, error) {
	p := make([]float64, n)
	if err := l.model.PredictBatch(x, p); err != nil {
		return nil, nil, err
	}
	decisions := make([]bool, len(p))
	for i, v := range p {
		decisions[i] = v >= l.card.Threshold
	}
	return p, decisions, nil
}

// serving holds the champion version of each served model, swapped atomically on reload so
// requests in flight finish on the version they started with.
type serving struct {
	reg    *registry.Registry
	alias  string
	mu     sync.RWMutex
	models map[string]*loaded
}

var errNoModel = errors.New("model not loaded")

// get returns the serving version of a model.
func (s *serving) get(name string) (*loaded, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.models[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q (no %s version registered yet)", errNoModel, name, s.alias)
	}
	return l, nil
}

// list returns the loaded models sorted by name.
func (s *serving) list() []*loaded {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*loaded, 0, len(s.models))
	for _, l := range s.models {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *loaded) int { return strings.Compare(a.name, b.name) })
	return out
}

// reload loads the version the alias points at, if it is not the one already serving.
func (s *serving) reload(ctx context.Context, name string) error {
	v, err := s.reg.Resolve(ctx, name, s.alias)
	if errors.Is(err, registry.ErrNotFound) {
		return nil // nothing to serve yet
	}
	if err != nil {
		return err
	}
	if cur, err := s.get(name); err == nil && cur.version == v {
		return nil
	}
	l, err := load(ctx, s.reg, name, v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.models[name] = l
	s.mu.Unlock()
	return nil
}
