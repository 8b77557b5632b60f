package drift

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// Partial is the mergeable summary of some rows of one model version's data: the number of
// rows and, per column (a feature, or the prediction), a Histogram on that column's reference
// edges. A window's Partial is the Merge of its batches' Partials, so a report over an hour or
// a day reads a few small Partials instead of the raw rows. Counts merge exactly, in any
// order; the moments (mean, std) merge to within rounding (see Summary).
//
// A column the rows did not have is absent from Columns, which Features turns into a missing
// feature (NO_DATA) rather than an empty one. The zero Partial is empty and ready to use.
type Partial struct {
	// Rows counts the rows summarised, whether or not their values were finite.
	Rows int64 `json:"rows"`
	// Columns are the histograms by column name.
	Columns map[string]*Histogram `json:"columns"`
}

// NewPartial returns an empty partial with an empty histogram for every reference in refs.
func NewPartial(refs map[string]Reference) (*Partial, error) {
	p := &Partial{Columns: make(map[string]*Histogram, len(refs))}
	for name, ref := range refs {
		if err := p.AddColumn(name, ref); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// AddColumn adds an empty histogram for column name on ref's edges, replacing any there was.
func (p *Partial) AddColumn(name string, ref Reference) error {
	if err := ref.Validate(); err != nil {
		return fmt.Errorf("column %q: %w", name, err)
	}
	h, err := NewHistogram(ref.Edges)
	if err != nil {
		return fmt.Errorf("column %q: %w", name, err)
	}
	if p.Columns == nil {
		p.Columns = map[string]*Histogram{}
	}
	p.Columns[name] = h
	return nil
}

// Merge adds the rows summarised by o. A column only o has is copied. It fails with
// ErrEdgeMismatch, changing nothing, when a column has other edges in o. A nil o adds nothing.
func (p *Partial) Merge(o *Partial) error {
	if o == nil {
		return nil
	}
	for name, h := range o.Columns {
		if mine, ok := p.Columns[name]; ok && mine != nil && h != nil && !slices.Equal(mine.Edges, h.Edges) {
			return fmt.Errorf("merge partial: column %q: %w", name, ErrEdgeMismatch)
		}
	}
	if p.Columns == nil {
		p.Columns = make(map[string]*Histogram, len(o.Columns))
	}
	for _, name := range sortedKeys(o.Columns) {
		h := o.Columns[name]
		if h == nil {
			continue
		}
		if mine := p.Columns[name]; mine != nil {
			_ = mine.Merge(h) // edges checked above
			continue
		}
		p.Columns[name] = h.Clone()
	}
	p.Rows += o.Rows
	return nil
}

// Clone returns a deep copy of h.
func (h *Histogram) Clone() *Histogram {
	c := &Histogram{Edges: slices.Clone(h.Edges), Counts: slices.Clone(h.Counts), Stats: h.Stats}
	c.init()
	return c
}

// Validate reports whether every histogram is valid and Rows is not negative.
func (p *Partial) Validate() error {
	if p.Rows < 0 {
		return fmt.Errorf("%w: partial of %d rows", ErrInvalidHistogram, p.Rows)
	}
	for name, h := range p.Columns {
		if h == nil {
			return fmt.Errorf("%w: column %q is null", ErrInvalidHistogram, name)
		}
		if err := h.Validate(); err != nil {
			return fmt.Errorf("column %q: %w", name, err)
		}
		if n := h.Stats.Count + h.Stats.Invalid; n > p.Rows {
			return fmt.Errorf("%w: column %q holds %d values, the partial %d rows", ErrInvalidHistogram, name, n, p.Rows)
		}
	}
	return nil
}

// UnmarshalJSON decodes a partial and validates it (each histogram validates itself).
func (p *Partial) UnmarshalJSON(data []byte) error {
	type plain Partial
	var d plain
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("%w: partial: %w", ErrInvalidHistogram, err)
	}
	v := Partial(d)
	if err := v.Validate(); err != nil {
		return err
	}
	*p = v
	return nil
}

// Features pairs each named feature's reference with its histogram in p, in the order of
// names, as Analyze takes them; a feature p has no column for gets a nil Current (NO_DATA).
// Every name must have a reference in refs.
func (p *Partial) Features(names []string, refs map[string]Reference) ([]Feature, error) {
	out := make([]Feature, 0, len(names))
	for _, name := range names {
		ref, ok := refs[name]
		if !ok {
			return nil, fmt.Errorf("%w: feature %q has no reference", ErrInvalidReference, name)
		}
		out = append(out, Feature{Name: name, Reference: ref, Current: p.Columns[name]})
	}
	return out, nil
}

// Baseline is what a window is compared with: the features, in report order, with their
// references, and the prediction's reference under the column name Prediction, if any.
type Baseline struct {
	Features   []string
	References map[string]Reference
	// Prediction is the column of the predicted probability ("" for none) and PredictionRef
	// its reference.
	Prediction    string
	PredictionRef *Reference
}

// NewBaseline orders the features to compare: those listed in order that have a reference,
// then the other references by name. Features listed without a reference are returned as
// skipped, since there is nothing to compare them with.
func NewBaseline(order []string, refs map[string]Reference, prediction string, predRef *Reference) (Baseline, []string) {
	b := Baseline{References: refs}
	if predRef != nil && prediction != "" {
		b.Prediction, b.PredictionRef = prediction, predRef
	}
	seen := map[string]bool{}
	var skipped []string
	for _, name := range order {
		if seen[name] {
			continue
		}
		seen[name] = true
		if _, ok := refs[name]; !ok {
			skipped = append(skipped, name)
			continue
		}
		b.Features = append(b.Features, name)
	}
	for _, name := range sortedKeys(refs) {
		if !seen[name] {
			b.Features = append(b.Features, name)
		}
	}
	return b, skipped
}

// Columns returns the reference of every column a Partial for this baseline bins: the features
// and the prediction.
func (b Baseline) Columns() map[string]Reference {
	cols := make(map[string]Reference, len(b.Features)+1)
	for _, name := range b.Features {
		cols[name] = b.References[name]
	}
	if b.PredictionRef != nil {
		cols[b.Prediction] = *b.PredictionRef
	}
	return cols
}

// Analyze compares a window's Partial with the baseline: every feature, and the prediction
// reported under the name "prediction".
func (b Baseline) Analyze(p *Partial, opts Options) (*Report, error) {
	if p == nil {
		p = &Partial{}
	}
	features, err := p.Features(b.Features, b.References)
	if err != nil {
		return nil, err
	}
	var pred *Feature
	if b.PredictionRef != nil {
		pred = &Feature{Name: "prediction", Reference: *b.PredictionRef, Current: p.Columns[b.Prediction]}
	}
	return Analyze(features, pred, opts)
}

// Importances returns the importances of the baseline's features, dropping the ones for other
// columns and those that are not finite and ≥ 0, so a card's importances never fail Analyze;
// nil when none is left.
func (b Baseline) Importances(imp map[string]float64) map[string]float64 {
	var out map[string]float64
	for _, name := range b.Features {
		if w, ok := imp[name]; ok && finite(w) && w >= 0 {
			if out == nil {
				out = make(map[string]float64, len(b.Features))
			}
			out[name] = w
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
