package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Bins is the number of equal-width bins of a reference histogram.
const Bins = 20

// Reference is the training-time distribution of one feature (or of the prediction), as the
// model card stores it: count, mean, sample std, min, max and a Bins-bin equal-width
// histogram over [Min, Max]. A bin holds the values v with Edges[i] ≤ v < Edges[i+1]; the
// last bin also holds v = Edges[Bins], so the maximum is counted in the last bin.
//
// The zero Reference is not valid; build one with NewReference or a ReferenceBuilder, or
// decode one from JSON (which validates it).
type Reference struct {
	// Count is the number of finite values.
	Count int64 `json:"count"`
	// Mean, Std (sample, n−1), Min and Max describe the finite values.
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	// Edges are the Bins+1 bin edges, strictly increasing (see ReferenceEdges).
	Edges []float64 `json:"edges"`
	// Counts are the Bins bin counts; they sum to Count.
	Counts []int64 `json:"counts"`
	// Invalid counts the NaN and ±Inf values that were left out.
	Invalid int64 `json:"invalid,omitempty"`
}

// ReferenceEdges returns the Bins+1 edges of Bins equal-width bins over [min, max], computed
// as numpy.linspace does (edge i = min + i·(max−min)/Bins, the last edge exactly max), so a
// reference built here and one built by numpy.histogram share their edges.
//
// When the range is too narrow for distinct edges, always so for a constant feature, it is
// widened by 0.5 on each side (numpy's rule for a constant), doubling the widening until the
// edges are distinct. A range wider than the largest float64 is an error.
func ReferenceEdges(min, max float64) ([]float64, error) {
	if !finite(min) || !finite(max) || min > max {
		return nil, fmt.Errorf("%w: range [%g, %g]", ErrInvalidReference, min, max)
	}
	lo, hi := min, max
	for half := 0.5; ; half *= 2 {
		if math.IsInf(hi-lo, 0) {
			return nil, fmt.Errorf("%w: range [%g, %g] is wider than float64", ErrInvalidReference, min, max)
		}
		if edges := linspace(lo, hi); checkEdges(edges) == nil {
			return edges, nil
		}
		lo, hi = min-half, max+half
	}
}

// linspace returns Bins+1 evenly spaced edges from lo to hi, exactly as numpy.linspace.
func linspace(lo, hi float64) []float64 {
	step := (hi - lo) / Bins
	edges := make([]float64, Bins+1)
	for i := range Bins {
		// The explicit conversion forbids a fused multiply-add, which numpy does not do either.
		edges[i] = float64(float64(i)*step) + lo
	}
	edges[Bins] = hi
	return edges
}

// checkEdges reports why edges cannot be the edges of a reference histogram.
func checkEdges(edges []float64) error {
	if len(edges) != Bins+1 {
		return fmt.Errorf("%d edges, want %d", len(edges), Bins+1)
	}
	for i, e := range edges {
		if !finite(e) {
			return fmt.Errorf("edge %d is %g", i, e)
		}
		if i > 0 && e <= edges[i-1] {
			return fmt.Errorf("edge %d (%g) is not above edge %d (%g)", i, e, i-1, edges[i-1])
		}
	}
	if math.IsInf(edges[Bins]-edges[0], 0) {
		return fmt.Errorf("edges span [%g, %g], wider than float64", edges[0], edges[Bins])
	}
	return nil
}

// NewReference builds the reference of values in two passes over the slice: the first finds
// count, moments, min and max, the second bins the values on the edges those fix. NaN and ±Inf
// are left out and counted in Invalid; without a single finite value it fails with ErrNoValues.
func NewReference(values []float64) (Reference, error) {
	var first Summary
	for _, v := range values {
		first.Add(v)
	}
	b, err := NewReferenceBuilder(first)
	if err != nil {
		return Reference{}, err
	}
	for _, v := range values {
		b.Add(v)
	}
	return b.Reference()
}

// ReferenceBuilder builds a Reference from data too large to hold, in two streaming passes,
// because the bin edges depend on the minimum and maximum, which are known only after every
// value has been seen:
//
//	var first drift.Summary
//	for each value v { first.Add(v) }     // pass 1; per-batch Summaries may be merged
//	b, err := drift.NewReferenceBuilder(first)
//	for each value v { b.Add(v) }         // pass 2, over the same values
//	ref, err := b.Reference()
type ReferenceBuilder struct {
	first Summary
	hist  *Histogram
}

// NewReferenceBuilder starts the second pass over the values summarised by first. It fails
// with ErrNoValues when first saw no finite value.
func NewReferenceBuilder(first Summary) (*ReferenceBuilder, error) {
	if first.Count == 0 {
		return nil, fmt.Errorf("reference: %w (%d invalid)", ErrNoValues, first.Invalid)
	}
	if !first.valid() {
		return nil, fmt.Errorf("%w: first-pass summary %+v", ErrInvalidReference, first)
	}
	edges, err := ReferenceEdges(first.Min, first.Max)
	if err != nil {
		return nil, err
	}
	h, err := NewHistogram(edges)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	return &ReferenceBuilder{first: first, hist: h}, nil
}

// Add bins one value of the second pass.
func (b *ReferenceBuilder) Add(v float64) { b.hist.Add(v) }

// Reference returns the finished reference. It fails with ErrInvalidReference when the second
// pass did not see the same values as the first (another count, minimum or maximum).
func (b *ReferenceBuilder) Reference() (Reference, error) {
	f, s := b.first, b.hist.Stats
	if s.Count != f.Count || s.Invalid != f.Invalid || s.Min != f.Min || s.Max != f.Max {
		return Reference{}, fmt.Errorf(
			"%w: second pass saw %d values (%d invalid) in [%g, %g], first pass %d (%d invalid) in [%g, %g]",
			ErrInvalidReference, s.Count, s.Invalid, s.Min, s.Max, f.Count, f.Invalid, f.Min, f.Max)
	}
	return Reference{
		Count:   f.Count,
		Mean:    f.Mean,
		Std:     f.Std(),
		Min:     f.Min,
		Max:     f.Max,
		Edges:   slices.Clone(b.hist.Edges[1 : Bins+2]),
		Counts:  slices.Clone(b.hist.Counts[1 : Bins+1]),
		Invalid: f.Invalid,
	}, nil
}

// Validate reports whether r is a usable reference: at least one value, finite statistics,
// valid edges that contain [Min, Max], and Bins non-negative counts summing to Count.
func (r Reference) Validate() error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	return nil
}

func (r Reference) validate() error {
	if r.Count < 1 || r.Invalid < 0 {
		return fmt.Errorf("count %d, invalid %d", r.Count, r.Invalid)
	}
	for _, f := range []float64{r.Mean, r.Std, r.Min, r.Max} {
		if !finite(f) {
			return fmt.Errorf("non-finite statistic %g", f)
		}
	}
	if r.Std < 0 || r.Min > r.Max {
		return fmt.Errorf("std %g, min %g, max %g", r.Std, r.Min, r.Max)
	}
	if err := checkEdges(r.Edges); err != nil {
		return err
	}
	if r.Min < r.Edges[0] || r.Max > r.Edges[Bins] {
		return fmt.Errorf("[min, max] = [%g, %g] outside the edges [%g, %g]", r.Min, r.Max, r.Edges[0], r.Edges[Bins])
	}
	return checkCounts(r.Counts, Bins, r.Count)
}

// checkCounts reports why counts are not n non-negative counts summing to total.
func checkCounts(counts []int64, n int, total int64) error {
	if len(counts) != n {
		return fmt.Errorf("%d counts, want %d", len(counts), n)
	}
	var sum int64
	for i, c := range counts {
		if c < 0 {
			return fmt.Errorf("count %d is negative (%d)", i, c)
		}
		if c > total-sum {
			return fmt.Errorf("counts up to %d exceed the total %d", i, total)
		}
		sum += c
	}
	if sum != total {
		return fmt.Errorf("counts sum to %d, want %d", sum, total)
	}
	return nil
}

// UnmarshalJSON decodes a reference and validates it.
func (r *Reference) UnmarshalJSON(data []byte) error {
	type plain Reference
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidReference, err)
	}
	if err := Reference(p).Validate(); err != nil {
		return err
	}
	*r = Reference(p)
	return nil
}

// padded returns the reference counts with an empty bin on each side, on the edges of a
// Histogram of the reference.
func (r Reference) padded() []int64 {
	counts := make([]int64, Bins+2)
	copy(counts[1:], r.Counts)
	return counts
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
