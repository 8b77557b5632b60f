// Package models trains and runs the binary classifiers of the training workflow (SPEC §3):
// logistic regression, a random forest and gradient-boosted trees, written in Go for a
// device-failure problem where about one row in ten is positive.
//
// Every model is fitted from a Dataset (feature names, a row-major float64 matrix and bool
// labels) and a typed parameter struct (LogisticParams, ForestParams, BoostedParams) whose
// exported, JSON-tagged fields are what a hyperparameter search enumerates. A fitted model is
// a Classifier: it predicts the probability of the positive class for one row or a batch, and
// reports feature importances. Marshal and Unmarshal convert a Classifier to and from a
// versioned JSON document; a loaded model predicts bit for bit what the trained one did.
//
// Fitting is deterministic: the same data, parameters and seed give the same model bytes,
// whatever GOMAXPROCS is and however goroutines are scheduled. Training data must be finite
// and contain both classes; anything else is rejected with an error, never a panic or a
// silent NaN model. Models are immutable after fitting and safe for concurrent use.
//
// The two tree ensembles share one histogram-based tree learner: each feature is cut once
// into at most 255 quantile bins (as LightGBM and scikit-learn's HistGradientBoosting do) and
// splits are searched on per-node histograms of those bins. Split thresholds are stored as
// raw feature values, so prediction needs no binning.
//
// The package is pure computation: no I/O, no logging, no clocks. Splitting data into
// train/validation/test sets, metrics, hyperparameter search and the model registry belong to
// the training workflow, not here.
package models
