package describe

import (
	"errors"
	"fmt"

	"github.com/netopsfn/netops/internal/drift"
)

// Errors about the input. They are permanent: the same input fails the same way again.
var (
	// ErrNoData marks a data set without a feature or without a row.
	ErrNoData = errors.New("describe: no features or no rows")
	// ErrShape marks names, columns and labels that disagree in size.
	ErrShape = errors.New("describe: shape mismatch")
	// ErrNames marks an empty or repeated feature name.
	ErrNames = errors.New("describe: invalid feature names")
)

// Description is the exploratory analysis of a data set.
type Description struct {
	// Rows is the number of rows.
	Rows int `json:"rows"`
	// Features describes each feature, in the order given.
	Features []Feature `json:"features"`
	// Classes is the balance of the labels; nil for unlabelled data.
	Classes *ClassBalance `json:"class_balance,omitempty"`
	// Correlation is the Pearson correlation matrix, rows and columns in the order of Features.
	Correlation [][]float64 `json:"correlation"`
}

// Feature holds the summary statistics of one feature (see the package documentation).
type Feature struct {
	Name string `json:"name"`
	// Count is the number of finite values, Missing the number of NaN and ±Inf values.
	Count   int `json:"count"`
	Missing int `json:"missing"`
	// Mean and Std (sample, n − 1) of the finite values.
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	// Min, the quartiles Q25, Q50 (the median) and Q75, and Max of the finite values.
	Min float64 `json:"min"`
	Q25 float64 `json:"q25"`
	Q50 float64 `json:"q50"`
	Q75 float64 `json:"q75"`
	Max float64 `json:"max"`
	// Histogram is the 20-bin equal-width histogram over [Min, Max]; nil without values.
	Histogram *Histogram `json:"histogram"`
}

// Histogram is a histogram with bin i spanning [Edges[i], Edges[i+1]), the last bin closed.
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts []int64   `json:"counts"`
}

// ClassBalance counts the labels of each class.
type ClassBalance struct {
	Negative int `json:"negative"`
	Positive int `json:"positive"`
	// NegativeRate and PositiveRate are the fractions of rows in each class.
	NegativeRate float64 `json:"negative_rate"`
	PositiveRate float64 `json:"positive_rate"`
}

// Describe analyses a data set given as one slice per feature (columns[j] holds feature
// names[j], one value per row) and the labels of the rows; labels may be nil for unlabelled
// data. Names must be non-empty and unique, all columns of the same length and labels, when
// given, as long as the columns. NaN and ±Inf count as missing values.
func Describe(names []string, columns [][]float64, labels []bool) (Description, error) {
	if err := check(names, columns, labels); err != nil {
		return Description{}, err
	}
	d := Description{Rows: len(columns[0]), Features: make([]Feature, len(names))}
	for j, name := range names {
		d.Features[j] = describeFeature(name, columns[j])
	}
	if labels != nil {
		var c ClassBalance
		for _, y := range labels {
			if y {
				c.Positive++
			} else {
				c.Negative++
			}
		}
		c.NegativeRate = float64(c.Negative) / float64(len(labels))
		c.PositiveRate = float64(c.Positive) / float64(len(labels))
		d.Classes = &c
	}
	d.Correlation = correlation(columns)
	return d, nil
}

// Columns splits a row-major matrix of d columns, such as models.Dataset.X, into one slice
// per column, the layout Describe takes.
func Columns(x []float64, d int) ([][]float64, error) {
	if d < 1 || len(x)%d != 0 {
		return nil, fmt.Errorf("%w: %d values do not make rows of %d columns", ErrShape, len(x), d)
	}
	n := len(x) / d
	cols := make([][]float64, d)
	for j := range cols {
		cols[j] = make([]float64, n)
		for i := range n {
			cols[j][i] = x[i*d+j]
		}
	}
	return cols, nil
}

// check validates the shape of Describe's input and the feature names.
func check(names []string, columns [][]float64, labels []bool) error {
	if len(names) == 0 || len(columns) == 0 || len(columns[0]) == 0 {
		return ErrNoData
	}
	if len(names) != len(columns) {
		return fmt.Errorf("%w: %d names, %d columns", ErrShape, len(names), len(columns))
	}
	seen := make(map[string]bool, len(names))
	for j, name := range names {
		if name == "" || seen[name] {
			return fmt.Errorf("%w: feature %d is %q", ErrNames, j, name)
		}
		seen[name] = true
		if len(columns[j]) != len(columns[0]) {
			return fmt.Errorf("%w: column %q has %d rows, column %q %d", ErrShape, name, len(columns[j]), names[0], len(columns[0]))
		}
	}
	if labels != nil && len(labels) != len(columns[0]) {
		return fmt.Errorf("%w: %d labels for %d rows", ErrShape, len(labels), len(columns[0]))
	}
	return nil
}

// describeFeature computes the statistics and histogram of one column.
func describeFeature(name string, col []float64) Feature {
	f := Feature{Name: name}
	vals := finiteSorted(col)
	f.Count, f.Missing = len(vals), len(col)-len(vals)
	if f.Count == 0 {
		return f
	}
	f.Mean, f.Std = meanStd(vals)
	f.Min, f.Max = vals[0], vals[len(vals)-1]
	f.Q25, f.Q50, f.Q75 = quantile(vals, 0.25), quantile(vals, 0.5), quantile(vals, 0.75)
	// NewReference fails only for values so large (beyond about 1e154) that their moments
	// overflow; such a feature goes without a histogram.
	if ref, err := drift.NewReference(vals); err == nil {
		f.Histogram = &Histogram{Edges: ref.Edges, Counts: ref.Counts}
	}
	return f
}
