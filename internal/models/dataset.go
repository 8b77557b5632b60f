package models

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Errors about training data. They are permanent: the same data fails the same way again.
var (
	// ErrNoData marks a dataset without rows or without features.
	ErrNoData = errors.New("models: dataset has no rows or no features")
	// ErrShape marks a dataset whose matrix, labels and feature names disagree in size.
	ErrShape = errors.New("models: dataset shape mismatch")
	// ErrNotFinite marks a NaN or ±Inf feature value in training data.
	ErrNotFinite = errors.New("models: feature value is not finite")
	// ErrOneClass marks training labels that are all positive or all negative.
	ErrOneClass = errors.New("models: labels contain only one class")
	// ErrFeatureNames marks an empty or repeated feature name.
	ErrFeatureNames = errors.New("models: invalid feature names")
)

// maxRows bounds the number of training rows; row indices are int32 inside the tree learner.
const maxRows = math.MaxInt32

// Dataset is a labelled training set of n rows and d features.
//
// X is row-major: row i is X[i*d : (i+1)*d], with d = len(Features) and n = len(Y). A flat
// matrix rather than [][]float64 keeps rows contiguous and lets the learners stream through
// memory; FromRows converts the other layout.
type Dataset struct {
	// Features names the columns in order. Names must be non-empty and unique; they are
	// stored with the model so that serving can check its input.
	Features []string
	// X holds the feature values, row-major, n*d of them. All must be finite.
	X []float64
	// Y holds the labels; true is the positive class (a device failure).
	Y []bool
}

// FromRows builds a Dataset from one slice per row. Every row must have len(features) values.
func FromRows(features []string, rows [][]float64, y []bool) (Dataset, error) {
	d := len(features)
	x := make([]float64, 0, len(rows)*d)
	for i, r := range rows {
		if len(r) != d {
			return Dataset{}, fmt.Errorf("%w: row %d has %d values, want %d", ErrShape, i, len(r), d)
		}
		x = append(x, r...)
	}
	return Dataset{Features: features, X: x, Y: y}, nil
}

// DefaultNames returns the names "f0", "f1", … "f<d-1>", for data without column names.
func DefaultNames(d int) []string {
	names := make([]string, d)
	for i := range names {
		names[i] = "f" + strconv.Itoa(i)
	}
	return names
}

// LabelsFromFloats converts 0/1 labels to bools; any other value (including NaN) is an error
// naming its index, because a label of 0.5 is a bug upstream, not a class.
func LabelsFromFloats(y []float64) ([]bool, error) {
	out := make([]bool, len(y))
	for i, v := range y {
		switch v {
		case 0:
		case 1:
			out[i] = true
		default:
			return nil, fmt.Errorf("models: label %d is %v, want 0 or 1", i, v)
		}
	}
	return out, nil
}

// Rows reports the number of rows.
func (ds Dataset) Rows() int { return len(ds.Y) }

// Row returns row i of the matrix, sharing memory with X.
func (ds Dataset) Row(i int) []float64 {
	d := len(ds.Features)
	return ds.X[i*d : (i+1)*d : (i+1)*d]
}

// Validate checks that the dataset can be trained on: non-empty, consistent shapes, valid
// names, finite values and both classes present.
func (ds Dataset) Validate() error {
	n, d := len(ds.Y), len(ds.Features)
	if n == 0 || d == 0 {
		return ErrNoData
	}
	if n > maxRows {
		return fmt.Errorf("%w: %d rows, at most %d supported", ErrShape, n, maxRows)
	}
	if len(ds.X) != n*d {
		return fmt.Errorf("%w: %d values for %d rows × %d features", ErrShape, len(ds.X), n, d)
	}
	if err := checkNames(ds.Features); err != nil {
		return err
	}
	for k, v := range ds.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: row %d, feature %q is %v", ErrNotFinite, k/d, ds.Features[k%d], v)
		}
	}
	pos := 0
	for _, y := range ds.Y {
		if y {
			pos++
		}
	}
	if pos == 0 || pos == n {
		return fmt.Errorf("%w: %d of %d rows positive", ErrOneClass, pos, n)
	}
	return nil
}

// checkNames rejects empty and repeated feature names.
func checkNames(names []string) error {
	seen := make(map[string]bool, len(names))
	for i, s := range names {
		if s == "" {
			return fmt.Errorf("%w: feature %d has an empty name", ErrFeatureNames, i)
		}
		if seen[s] {
			return fmt.Errorf("%w: %q appears twice", ErrFeatureNames, s)
		}
		seen[s] = true
	}
	return nil
}

// classWeights returns the weight of negative and positive rows: 1 and 1, or for
// "balanced" n/(2·n_class) as in scikit-learn, over the rows listed (all rows when nil).
func classWeights(mode string, y []bool, rows []int32) (neg, pos float64) {
	if mode != ClassWeightBalanced {
		return 1, 1
	}
	var n, np int
	if rows == nil {
		n = len(y)
		for _, v := range y {
			if v {
				np++
			}
		}
	} else {
		n = len(rows)
		for _, r := range rows {
			if y[r] {
				np++
			}
		}
	}
	if np == 0 || np == n {
		return 1, 1
	}
	return float64(n) / (2 * float64(n-np)), float64(n) / (2 * float64(np))
}

// sigmoid is the logistic function, computed without overflow for large |z|.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// softplus is log(1+e^z), computed without overflow; the log-loss of raw score z for label y
// is softplus(z) - y·z.
func softplus(z float64) float64 {
	return max(z, 0) + math.Log1p(math.Exp(-math.Abs(z)))
}

// b2f converts a label to 0 or 1.
func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
