package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Histogram counts a window of current values on a reference's edges, padded with one bin on
// each side, and keeps their Summary, so a window is the Merge of its batches' histograms and
// an hourly or daily view needs no re-read of raw data.
//
// Its Bins+2 bins are: bin 0 for v < Edges[1] (below the reference minimum), bins 1…Bins for
// the reference bins (Edges[i] ≤ v < Edges[i+1], the last one closed so that the reference
// maximum lands in it, exactly as in the Reference), and bin Bins+1 for v > Edges[Bins+1].
// The outer edges are ±math.MaxFloat64, as in MLRun, rather than ±Inf, which JSON cannot
// carry. NaN and ±Inf are not binned: they are counted in Stats.Invalid.
//
// Counts are integers, so merging is exact and independent of order. A Histogram is not safe
// for concurrent use; give each goroutine its own and Merge them. The zero Histogram has no
// bins: build one with NewHistogram, or decode one from JSON (which validates it).
type Histogram struct {
	// Edges are the Bins+3 edges: −MaxFloat64, the reference's Bins+1 edges, +MaxFloat64.
	Edges []float64 `json:"edges"`
	// Counts are the Bins+2 bin counts; they sum to Stats.Count.
	Counts []int64 `json:"counts"`
	// Stats summarises the binned values (and counts the invalid ones).
	Stats Summary `json:"stats"`

	scale float64 // Bins / (reference range), to guess a value's bin before checking edges
}

// NewHistogram returns an empty histogram on the given reference edges (Reference.Edges)
// padded on both sides. The edges must be Bins+1 finite, strictly increasing values.
func NewHistogram(edges []float64) (*Histogram, error) {
	if err := checkEdges(edges); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidHistogram, err)
	}
	padded := make([]float64, 0, Bins+3)
	padded = append(padded, -math.MaxFloat64)
	padded = append(padded, edges...)
	padded = append(padded, math.MaxFloat64)
	h := &Histogram{Edges: padded, Counts: make([]int64, Bins+2)}
	h.init()
	return h, nil
}

func (h *Histogram) init() { h.scale = Bins / (h.Edges[Bins+1] - h.Edges[1]) }

// Add adds one value.
func (h *Histogram) Add(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		h.Stats.Invalid++
		return
	}
	h.Counts[h.bin(v)]++
	h.Stats.add(v)
}

// bin returns the bin of a finite value. The arithmetic guess is at most one bin off for
// equal-width edges; the comparisons then make the edges, not the arithmetic, decide, as
// numpy.histogram does, so the reference data always lands in the reference's own bins.
func (h *Histogram) bin(v float64) int {
	e := h.Edges
	lo, hi := e[1], e[Bins+1]
	switch {
	case v < lo:
		return 0
	case v > hi:
		return Bins + 1
	}
	i := 1 + int((v-lo)*h.scale)
	i = min(i, Bins)
	for i > 1 && v < e[i] {
		i--
	}
	for i < Bins && v >= e[i+1] {
		i++
	}
	return i
}

// Merge adds the values counted in o, as if they had been passed to Add. It fails with
// ErrEdgeMismatch, changing nothing, when o has other edges. A nil o adds nothing.
func (h *Histogram) Merge(o *Histogram) error {
	if o == nil {
		return nil
	}
	if !slices.Equal(h.Edges, o.Edges) || len(h.Counts) != len(o.Counts) {
		return fmt.Errorf("merge histogram: %w", ErrEdgeMismatch)
	}
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	h.Stats.Merge(o.Stats)
	return nil
}

// Validate reports whether h is consistent: padded edges around valid reference edges, Bins+2
// non-negative counts summing to Stats.Count, a valid Stats whose minimum and maximum fall in
// the first and last non-empty bins.
func (h *Histogram) Validate() error {
	if err := h.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidHistogram, err)
	}
	return nil
}

func (h *Histogram) validate() error {
	if len(h.Edges) != Bins+3 {
		return fmt.Errorf("%d edges, want %d", len(h.Edges), Bins+3)
	}
	if h.Edges[0] != -math.MaxFloat64 || h.Edges[Bins+2] != math.MaxFloat64 {
		return fmt.Errorf("outer edges %g and %g, want ∓MaxFloat64", h.Edges[0], h.Edges[Bins+2])
	}
	if err := checkEdges(h.Edges[1 : Bins+2]); err != nil {
		return err
	}
	if !h.Stats.valid() {
		return fmt.Errorf("inconsistent stats %+v", h.Stats)
	}
	if err := checkCounts(h.Counts, Bins+2, h.Stats.Count); err != nil {
		return err
	}
	if h.Stats.Count == 0 {
		return nil
	}
	c := *h // bin needs the scale; validating must not write to h
	c.init()
	first := slices.IndexFunc(h.Counts, func(c int64) bool { return c > 0 })
	last := len(h.Counts) - 1
	for h.Counts[last] == 0 {
		last--
	}
	if c.bin(h.Stats.Min) != first || c.bin(h.Stats.Max) != last {
		return fmt.Errorf("min %g and max %g are not in the first and last non-empty bins %d and %d",
			h.Stats.Min, h.Stats.Max, first, last)
	}
	return nil
}

// UnmarshalJSON decodes a histogram and validates it, so a decoded histogram can be merged
// and compared like one built with NewHistogram.
func (h *Histogram) UnmarshalJSON(data []byte) error {
	type plain Histogram
	var p plain
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidHistogram, err)
	}
	d := Histogram(p)
	if err := d.Validate(); err != nil {
		return err
	}
	d.init()
	*h = d
	return nil
}

// distribution divides counts by their total; total must be positive.
func distribution(counts []int64, total int64) []float64 {
	p := make([]float64, len(counts))
	n := float64(total)
	for i, c := range counts {
		p[i] = float64(c) / n
	}
	return p
}
