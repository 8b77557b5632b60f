package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// The JSON model format. Every document starts with
//
//	{"format": "netops-model", "version": 1, "kind": "lr"|"rf"|"gbt",
//	 "params": {…}, "features": ["name", …], …}
//
// followed by the kind's state:
//
//	lr:  "means", "scales", "coef" (one per feature, coef on standardised features),
//	     "intercept", "iterations", "converged"
//	rf:  "importances", "trees"
//	gbt: "importances", "baseline" (raw score before any tree), "trees",
//	     "validation_loss" (only with early stopping)
//
// A tree is {"feature", "threshold", "left", "value", "count"}, one array element per node;
// node 0 is the root, feature -1 marks a leaf, a row goes to left[i] when
// x[feature[i]] <= threshold[i] and to left[i]+1 otherwise, and a leaf outputs value[i]
// (the positive fraction for rf, the shrunk Newton step for gbt).
const (
	// Format is the value of the "format" field.
	Format = "netops-model"
	// Version is the format version this package writes and reads.
	Version = 1
)

// ErrFormat marks bytes that are not a model document this package can read.
var ErrFormat = errors.New("models: invalid model document")

// header is the part common to every kind.
type header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Kind    string `json:"kind"`
}

type logisticDoc struct {
	header
	Params     LogisticParams `json:"params"`
	Features   []string       `json:"features"`
	Means      []float64      `json:"means"`
	Scales     []float64      `json:"scales"`
	Coef       []float64      `json:"coef"`
	Intercept  float64        `json:"intercept"`
	Iterations int            `json:"iterations"`
	Converged  bool           `json:"converged"`
}

type forestDoc struct {
	header
	Params      ForestParams `json:"params"`
	Features    []string     `json:"features"`
	Importances []float64    `json:"importances"`
	Trees       []treeJSON   `json:"trees"`
}

type boostedDoc struct {
	header
	Params         BoostedParams `json:"params"`
	Features       []string      `json:"features"`
	Importances    []float64     `json:"importances"`
	Baseline       float64       `json:"baseline"`
	Trees          []treeJSON    `json:"trees"`
	ValidationLoss []float64     `json:"validation_loss,omitempty"`
}

// Marshal encodes a model fitted by this package as a JSON document.
func Marshal(c Classifier) ([]byte, error) {
	switch m := c.(type) {
	case *Logistic:
		return json.Marshal(logisticDoc{
			header: header{Format, Version, KindLogistic}, Params: m.params, Features: m.features,
			Means: m.means, Scales: m.scales, Coef: m.coef, Intercept: m.intercept,
			Iterations: m.iters, Converged: m.converged,
		})
	case *Forest:
		return json.Marshal(forestDoc{
			header: header{Format, Version, KindForest}, Params: m.params, Features: m.features,
			Importances: m.importances, Trees: treesJSON(m.trees),
		})
	case *Boosted:
		return json.Marshal(boostedDoc{
			header: header{Format, Version, KindBoosted}, Params: m.params, Features: m.features,
			Importances: m.importances, Baseline: m.baseline, Trees: treesJSON(m.trees),
			ValidationLoss: m.valLoss,
		})
	}
	return nil, fmt.Errorf("models: cannot marshal %T", c)
}

// treesJSON converts trees to their serialised form.
func treesJSON(trees []tree) []treeJSON {
	out := make([]treeJSON, len(trees))
	for i := range trees {
		out[i] = trees[i].toJSON()
	}
	return out
}

// Unmarshal decodes a model document written by Marshal. Any other input, including an
// unknown format, version or kind, unknown fields, or state inconsistent with itself, is an
// error wrapping ErrFormat; Unmarshal never panics and a model it returns is safe to run.
func Unmarshal(data []byte) (Classifier, error) {
	var h header
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if h.Format != Format {
		return nil, fmt.Errorf("%w: format is %q, want %q", ErrFormat, h.Format, Format)
	}
	if h.Version != Version {
		return nil, fmt.Errorf("%w: version %d is not supported (this build reads version %d)", ErrFormat, h.Version, Version)
	}
	var c Classifier
	var err error
	switch h.Kind {
	case KindLogistic:
		c, err = unmarshalLogistic(data)
	case KindForest:
		c, err = unmarshalForest(data)
	case KindBoosted:
		c, err = unmarshalBoosted(data)
	default:
		return nil, fmt.Errorf("%w: unknown kind %q (want one of %v)", ErrFormat, h.Kind, Kinds)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, h.Kind, err)
	}
	return c, nil
}

// checkCommon validates what every kind has: parameters and feature names.
func checkCommon(p Params, features []string) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(features) == 0 {
		return errors.New("no features")
	}
	return checkNames(features)
}

func unmarshalLogistic(data []byte) (*Logistic, error) {
	doc := logisticDoc{Params: DefaultLogisticParams()}
	if err := decodeStrict(data, &doc); err != nil {
		return nil, err
	}
	if err := checkCommon(doc.Params, doc.Features); err != nil {
		return nil, err
	}
	d := len(doc.Features)
	if len(doc.Means) != d || len(doc.Scales) != d || len(doc.Coef) != d {
		return nil, fmt.Errorf("means, scales and coef must have %d values each", d)
	}
	for j, s := range doc.Scales {
		if !(s > 0) {
			return nil, fmt.Errorf("scale %d is %v, want > 0", j, s)
		}
	}
	m := &Logistic{
		params: doc.Params, features: doc.Features, means: doc.Means, scales: doc.Scales,
		coef: doc.Coef, intercept: doc.Intercept, iters: doc.Iterations, converged: doc.Converged,
	}
	m.prepare()
	if !finite(m.w0) || !allFinite(m.w) {
		return nil, errors.New("coefficients overflow in raw feature units")
	}
	return m, nil
}

func unmarshalForest(data []byte) (*Forest, error) {
	doc := forestDoc{Params: DefaultForestParams()}
	if err := decodeStrict(data, &doc); err != nil {
		return nil, err
	}
	if err := checkCommon(doc.Params, doc.Features); err != nil {
		return nil, err
	}
	if len(doc.Trees) == 0 {
		return nil, errors.New("no trees")
	}
	d := len(doc.Features)
	if err := checkImportances(doc.Importances, d); err != nil {
		return nil, err
	}
	trees, err := loadTrees(doc.Trees, d, 0, 1)
	if err != nil {
		return nil, err
	}
	return &Forest{params: doc.Params, features: doc.Features, trees: trees, importances: doc.Importances}, nil
}

func unmarshalBoosted(data []byte) (*Boosted, error) {
	doc := boostedDoc{Params: DefaultBoostedParams()}
	if err := decodeStrict(data, &doc); err != nil {
		return nil, err
	}
	if err := checkCommon(doc.Params, doc.Features); err != nil {
		return nil, err
	}
	d := len(doc.Features)
	if err := checkImportances(doc.Importances, d); err != nil {
		return nil, err
	}
	if doc.Trees == nil {
		return nil, errors.New("no trees array")
	}
	trees, err := loadTrees(doc.Trees, d, -math.MaxFloat64, math.MaxFloat64)
	if err != nil {
		return nil, err
	}
	return &Boosted{params: doc.Params, features: doc.Features, baseline: doc.Baseline,
		trees: trees, importances: doc.Importances, valLoss: doc.ValidationLoss}, nil
}

// loadTrees checks and converts serialised trees.
func loadTrees(js []treeJSON, d int, lo, hi float64) ([]tree, error) {
	trees := make([]tree, len(js))
	for i, j := range js {
		t, err := j.toTree(d, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("tree %d: %w", i, err)
		}
		trees[i] = t
	}
	return trees, nil
}

// checkImportances requires d non-negative importances.
func checkImportances(imp []float64, d int) error {
	if len(imp) != d {
		return fmt.Errorf("%d importances for %d features", len(imp), d)
	}
	for j, v := range imp {
		if !(v >= 0) {
			return fmt.Errorf("importance %d is %v, want ≥ 0", j, v)
		}
	}
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// allFinite reports whether every value is finite.
func allFinite(v []float64) bool {
	for _, x := range v {
		if !finite(x) {
			return false
		}
	}
	return true
}
