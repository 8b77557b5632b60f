package models

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParamsValidation(t *testing.T) {
	lr := func(f func(*LogisticParams)) Params { p := DefaultLogisticParams(); f(&p); return p }
	rf := func(f func(*ForestParams)) Params { p := DefaultForestParams(); f(&p); return p }
	gbt := func(f func(*BoostedParams)) Params { p := DefaultBoostedParams(); f(&p); return p }
	tests := []struct {
		params Params
		field  string // "" means valid
	}{
		{DefaultLogisticParams(), ""},
		{DefaultForestParams(), ""},
		{DefaultBoostedParams(), ""},
		{lr(func(p *LogisticParams) { p.C = 0 }), "c"},
		{lr(func(p *LogisticParams) { p.C = math.Inf(1) }), "c"},
		{lr(func(p *LogisticParams) { p.C = math.NaN() }), "c"},
		{lr(func(p *LogisticParams) { p.Penalty = "elasticnet" }), "penalty"},
		{lr(func(p *LogisticParams) { p.ClassWeight = "auto" }), "class_weight"},
		{lr(func(p *LogisticParams) { p.MaxIter = 0 }), "max_iter"},
		{lr(func(p *LogisticParams) { p.Tol = -1 }), "tol"},
		{rf(func(p *ForestParams) { p.NTrees = 0 }), "n_estimators"},
		{rf(func(p *ForestParams) { p.NTrees = 1 << 40 }), "n_estimators"},
		{rf(func(p *ForestParams) { p.MinSamplesLeaf = 1 << 40 }), "min_samples_leaf"},
		{gbt(func(p *BoostedParams) { p.MinSamplesLeaf = 1 << 40 }), "min_samples_leaf"},
		{rf(func(p *ForestParams) { p.Criterion = "mse" }), "criterion"},
		{rf(func(p *ForestParams) { p.MaxDepth = -1 }), "max_depth"},
		{rf(func(p *ForestParams) { p.MinSamplesSplit = 1 }), "min_samples_split"},
		{rf(func(p *ForestParams) { p.MinSamplesLeaf = 0 }), "min_samples_leaf"},
		{rf(func(p *ForestParams) { p.MaxFeatures = "most" }), "max_features"},
		{rf(func(p *ForestParams) { p.MaxFeatures = "0" }), "max_features"},
		{rf(func(p *ForestParams) { p.MaxFeatures = "1.5" }), "max_features"},
		{rf(func(p *ForestParams) { p.MaxFeatures = "7" }), ""},
		{rf(func(p *ForestParams) { p.MaxFeatures = "0.3" }), ""},
		{rf(func(p *ForestParams) { p.MaxSamples = 0 }), "max_samples"},
		{rf(func(p *ForestParams) { p.Bootstrap, p.MaxSamples = false, 0.5 }), "max_samples"},
		{rf(func(p *ForestParams) { p.ClassWeight = "Balanced" }), "class_weight"},
		{rf(func(p *ForestParams) { p.MaxBins = 256 }), "max_bins"},
		{rf(func(p *ForestParams) { p.MaxBins = 1 }), "max_bins"},
		{gbt(func(p *BoostedParams) { p.MaxIter = 0 }), "max_iter"},
		{gbt(func(p *BoostedParams) { p.LearningRate = 0 }), "learning_rate"},
		{gbt(func(p *BoostedParams) { p.LearningRate = 1.5 }), "learning_rate"},
		{gbt(func(p *BoostedParams) { p.MaxLeafNodes = 1 }), "max_leaf_nodes"},
		{gbt(func(p *BoostedParams) { p.MaxLeafNodes = 0 }), ""},
		{gbt(func(p *BoostedParams) { p.MaxDepth = -2 }), "max_depth"},
		{gbt(func(p *BoostedParams) { p.MinSamplesLeaf = 0 }), "min_samples_leaf"},
		{gbt(func(p *BoostedParams) { p.L2 = -0.1 }), "l2_regularization"},
		{gbt(func(p *BoostedParams) { p.L2 = math.NaN() }), "l2_regularization"},
		{gbt(func(p *BoostedParams) { p.Subsample = 0 }), "subsample"},
		{gbt(func(p *BoostedParams) { p.MaxBins = 300 }), "max_bins"},
		{gbt(func(p *BoostedParams) { p.EarlyStopping = "yes" }), "early_stopping"},
		{gbt(func(p *BoostedParams) { p.ValidationFraction = 1 }), "validation_fraction"},
		{gbt(func(p *BoostedParams) { p.NIterNoChange = 0 }), "n_iter_no_change"},
		{gbt(func(p *BoostedParams) { p.Tol = math.Inf(1) }), "tol"},
		{gbt(func(p *BoostedParams) { p.ClassWeight = "x" }), "class_weight"},
	}
	ds := rareData(100, 4, 1)
	for _, tc := range tests {
		err := tc.params.Validate()
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s %+v: unexpected error %v", tc.params.Kind(), tc.params, err)
			}
			continue
		}
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Field != tc.field || pe.Kind != tc.params.Kind() {
			t.Errorf("%s: error %v, want a ParamError on %q", tc.params.Kind(), err, tc.field)
			continue
		}
		if want := "models: " + tc.params.Kind() + " params: " + tc.field + ": "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("message %q does not start with %q", err, want)
		}
		// Fit checks parameters before touching data.
		if _, err := Fit(ds, tc.params); !errors.As(err, &pe) {
			t.Errorf("Fit with invalid %s: error %v, want a ParamError", tc.field, err)
		}
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		kind, json string
		check      func(Params) bool
		errMsg     string
	}{
		{KindLogistic, `{"c": 10}`, func(p Params) bool {
			q := p.(LogisticParams)
			return q.C == 10 && q.Penalty == PenaltyL2 && q.MaxIter == 1000
		}, ""},
		{KindForest, `{"n_estimators": 7, "max_features": "log2"}`, func(p Params) bool {
			q := p.(ForestParams)
			return q.NTrees == 7 && q.MaxFeatures == "log2" && q.Bootstrap
		}, ""},
		{KindBoosted, `{}`, func(p Params) bool { return p.(BoostedParams) == DefaultBoostedParams() }, ""},
		{KindBoosted, `{"learning_rate": 2}`, nil, "learning_rate"},
		{KindBoosted, `{"learning_rat": 0.2}`, nil, `unknown field "learning_rat"`},
		{KindBoosted, `{"workers": 2}`, nil, `unknown field "workers"`},
		{KindForest, `{} {}`, nil, "trailing data"},
		{"svm", `{}`, nil, `unknown model kind "svm"`},
	}
	for _, tc := range tests {
		p, err := ParseParams(tc.kind, []byte(tc.json))
		if tc.errMsg != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errMsg) {
				t.Errorf("ParseParams(%s, %s): error %v, want one mentioning %q", tc.kind, tc.json, err, tc.errMsg)
			}
			continue
		}
		if err != nil || !tc.check(p) {
			t.Errorf("ParseParams(%s, %s) = %+v, %v", tc.kind, tc.json, p, err)
		}
	}
	for _, k := range Kinds {
		p, err := DefaultParams(k)
		if err != nil || p.Kind() != k || p.Validate() != nil {
			t.Errorf("DefaultParams(%s) = %v, %v", k, p, err)
		}
	}
	if _, err := DefaultParams("knn"); err == nil {
		t.Error("DefaultParams(knn) succeeded")
	}
	if _, err := Fit(rareData(50, 4, 1), nil); err == nil {
		t.Error("Fit with nil params succeeded")
	}
}

func TestDatasetValidation(t *testing.T) {
	good := func() Dataset {
		return Dataset{Features: []string{"a", "b"}, X: []float64{1, 2, 3, 4, 5, 6}, Y: []bool{true, false, false}}
	}
	with := func(f func(*Dataset)) Dataset { ds := good(); f(&ds); return ds }
	tests := []struct {
		name string
		ds   Dataset
		err  error
		msg  string
	}{
		{"valid", good(), nil, ""},
		{"no rows", with(func(d *Dataset) { d.X, d.Y = nil, nil }), ErrNoData, ""},
		{"no features", with(func(d *Dataset) { d.Features = nil }), ErrNoData, ""},
		{"short matrix", with(func(d *Dataset) { d.X = d.X[:5] }), ErrShape, "5 values for 3 rows × 2 features"},
		{"NaN", with(func(d *Dataset) { d.X[3] = math.NaN() }), ErrNotFinite, `row 1, feature "b" is NaN`},
		{"infinity", with(func(d *Dataset) { d.X[4] = math.Inf(-1) }), ErrNotFinite, `row 2, feature "a" is -Inf`},
		{"all negative", with(func(d *Dataset) { d.Y[0] = false }), ErrOneClass, "0 of 3 rows positive"},
		{"all positive", with(func(d *Dataset) { d.Y = []bool{true, true, true} }), ErrOneClass, "3 of 3"},
		{"empty name", with(func(d *Dataset) { d.Features[1] = "" }), ErrFeatureNames, "feature 1"},
		{"repeated name", with(func(d *Dataset) { d.Features[1] = "a" }), ErrFeatureNames, `"a" appears twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ds.Validate()
			if !errors.Is(err, tc.err) || (err != nil && !strings.Contains(err.Error(), tc.msg)) {
				t.Fatalf("Validate() = %v, want %v mentioning %q", err, tc.err, tc.msg)
			}
			if tc.err == nil {
				return
			}
			// Every model refuses the dataset with the same error.
			for _, p := range allKinds() {
				if _, err := Fit(tc.ds, p); !errors.Is(err, tc.err) {
					t.Errorf("Fit %s: error %v, want %v", p.Kind(), err, tc.err)
				}
			}
		})
	}
}

func TestDatasetHelpers(t *testing.T) {
	ds, err := FromRows([]string{"a", "b"}, [][]float64{{1, 2}, {3, 4}}, []bool{true, false})
	if err != nil || len(ds.X) != 4 || ds.Row(1)[0] != 3 || ds.Rows() != 2 {
		t.Errorf("FromRows = %+v, %v", ds, err)
	}
	if _, err := FromRows([]string{"a", "b"}, [][]float64{{1, 2}, {3}}, []bool{true, false}); !errors.Is(err, ErrShape) {
		t.Errorf("ragged rows: error %v, want ErrShape", err)
	}
	if got := DefaultNames(3); strings.Join(got, ",") != "f0,f1,f2" {
		t.Errorf("DefaultNames(3) = %v", got)
	}
	y, err := LabelsFromFloats([]float64{0, 1, 1})
	if err != nil || y[0] || !y[1] || !y[2] {
		t.Errorf("LabelsFromFloats = %v, %v", y, err)
	}
	for _, bad := range []float64{0.5, -1, math.NaN()} {
		if _, err := LabelsFromFloats([]float64{0, bad}); err == nil || !strings.Contains(err.Error(), "label 1") {
			t.Errorf("LabelsFromFloats with %v: error %v", bad, err)
		}
	}
}

func TestPredictBatchShape(t *testing.T) {
	ds := rareData(500, 4, 2)
	for _, p := range allKinds() {
		m, err := Fit(ds, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.PredictBatch(make([]float64, 7), make([]float64, 2)); err == nil {
			t.Errorf("%s: PredictBatch with 7 values for 2 rows succeeded", p.Kind())
		}
		if err := m.PredictBatch(nil, nil); err != nil {
			t.Errorf("%s: empty batch: %v", p.Kind(), err)
		}
		if m.NumFeatures() != 4 || m.Params().Kind() != p.Kind() {
			t.Errorf("%s: NumFeatures %d, Params kind %s", p.Kind(), m.NumFeatures(), m.Params().Kind())
		}
	}
}
