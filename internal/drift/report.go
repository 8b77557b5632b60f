package drift

import (
	"fmt"
	"math"
	"slices"
)

// Status is a drift verdict, named as MLRun names it.
type Status string

// The statuses. StatusNoData is ours: a feature, or a whole window, without a current value.
const (
	StatusNoDrift       Status = "NO_DRIFT"
	StatusPossibleDrift Status = "POSSIBLE_DRIFT"
	StatusDriftDetected Status = "DRIFT_DETECTED"
	StatusNoData        Status = "NO_DATA"
)

// Thresholds turn a drift value into a Status: DRIFT_DETECTED at ≥ Detected, POSSIBLE_DRIFT at
// ≥ Possible, else NO_DRIFT.
type Thresholds struct {
	Possible float64 `json:"possible"`
	Detected float64 `json:"detected"`
}

// DefaultThresholds are MLRun's: possible drift at 0.5, drift detected at 0.7.
func DefaultThresholds() Thresholds { return Thresholds{Possible: 0.5, Detected: 0.7} }

// Validate requires 0 < Possible ≤ Detected ≤ 1.
func (t Thresholds) Validate() error {
	if !(0 < t.Possible && t.Possible <= t.Detected && t.Detected <= 1) {
		return fmt.Errorf("%w: thresholds possible %g, detected %g: want 0 < possible ≤ detected ≤ 1",
			ErrInvalidOptions, t.Possible, t.Detected)
	}
	return nil
}

// Status returns the verdict for a drift value.
func (t Thresholds) Status(drift float64) Status {
	switch {
	case drift >= t.Detected:
		return StatusDriftDetected
	case drift >= t.Possible:
		return StatusPossibleDrift
	}
	return StatusNoDrift
}

// Options configure Analyze.
type Options struct {
	// Thresholds apply to the general drift and to each feature's drift; the zero value means
	// DefaultThresholds.
	Thresholds Thresholds
	// Importances weight the features' drift into Report.WeightedDrift; nil for none. Every
	// key must name a feature, every value be finite and ≥ 0. Features without a key weigh 0.
	Importances map[string]float64
	// DriftedFeatures, when positive, raises a window's Status to at least POSSIBLE_DRIFT when
	// that many features have drifted by themselves (FeatureDrift.Drifted), whatever the
	// general drift: one metric that moved is worth a look even when the mean over every
	// feature hides it. 0 leaves the status to the general drift alone, as MLRun does.
	DriftedFeatures int
	// Wasserstein, when positive, is the Wasserstein distance in reference standard
	// deviations at or above which a feature has drifted by itself (0.1 is Evidently's
	// default for numerical columns). A feature whose own status is DRIFT_DETECTED has
	// drifted in any case.
	Wasserstein float64
}

// Feature is one input of Analyze: a feature's (or the prediction's) reference and the
// histogram of its current window on the reference's edges. A nil Current means the feature
// is missing from the current data.
type Feature struct {
	Name      string
	Reference Reference
	Current   *Histogram
}

// Stats are one side of the "features analysis": the statistics and padded histogram of the
// reference (expected) or of the current window (actual).
type Stats struct {
	Count   int64   `json:"count"`
	Mean    float64 `json:"mean"`
	Std     float64 `json:"std"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Invalid int64   `json:"invalid,omitempty"`
	// Counts are the Bins+2 counts on FeatureDrift.Edges.
	Counts []int64 `json:"counts"`
}

// FeatureDrift is the result for one feature.
type FeatureDrift struct {
	Name string `json:"name"`
	// Status is Drift's verdict, or NO_DATA when the current window has no finite value.
	Status Status `json:"status"`
	// Drift is the feature's (TVD + Hellinger) / 2, the general drift's formula for one
	// feature; 0 for NO_DATA.
	Drift float64 `json:"drift"`
	// Measures are nil for NO_DATA.
	Measures *Measures `json:"measures,omitempty"`
	// Drifted reports that the feature drifted by itself: its Status is DRIFT_DETECTED, or its
	// Wasserstein distance reached Options.Wasserstein.
	Drifted bool `json:"drifted,omitempty"`
	// Edges are the Bins+3 padded edges of both histograms.
	Edges []float64 `json:"edges"`
	// Expected is the reference, Actual the current window.
	Expected Stats `json:"expected"`
	Actual   Stats `json:"actual"`
}

// Report is the drift of one model's current window against its training reference.
type Report struct {
	// Status is the window's verdict: GeneralStatus, raised to POSSIBLE_DRIFT when at least
	// Options.DriftedFeatures features have drifted by themselves; NO_DATA when no feature
	// has a current value.
	Status Status `json:"status"`
	// GeneralStatus is GeneralDrift's verdict alone (MLRun's status), or NO_DATA.
	GeneralStatus Status `json:"general_status"`
	// Drifted names the features that have drifted by themselves, in input order.
	Drifted []string `json:"drifted,omitempty"`
	// GeneralDrift is (TVDMean + HellingerMean) / 2.
	GeneralDrift float64    `json:"general_drift"`
	Thresholds   Thresholds `json:"thresholds"`
	// The means and sums are over the Compared features, those with current values.
	TVDMean       float64 `json:"tvd_mean"`
	TVDSum        float64 `json:"tvd_sum"`
	HellingerMean float64 `json:"hellinger_mean"`
	HellingerSum  float64 `json:"hellinger_sum"`
	KLDMean       float64 `json:"kld_mean"`
	KLDSum        float64 `json:"kld_sum"`
	Compared      int     `json:"compared"`
	// WeightedDrift is Σ wᵢ·driftᵢ over the compared features, the importances normalised to
	// sum to 1 over them; nil without importances or when they are all 0 there.
	WeightedDrift *float64 `json:"weighted_drift,omitempty"`
	// Features are in input order. Prediction is the prediction's drift, not part of the
	// aggregates; nil when none was given.
	Features   []FeatureDrift `json:"features"`
	Prediction *FeatureDrift  `json:"prediction,omitempty"`
}

// Compare computes one feature's drift; a feature with a nil or empty Current is NO_DATA.
// Zero thresholds mean DefaultThresholds. It fails when the thresholds, the reference or the
// histogram are invalid or the histogram is not on the reference's edges.
func Compare(f Feature, th Thresholds) (FeatureDrift, error) {
	th, err := withDefault(th)
	if err != nil {
		return FeatureDrift{}, err
	}
	return compare(f, th)
}

// withDefault returns th, or DefaultThresholds for the zero value, if valid.
func withDefault(th Thresholds) (Thresholds, error) {
	if th == (Thresholds{}) {
		th = DefaultThresholds()
	}
	return th, th.Validate()
}

func compare(f Feature, th Thresholds) (FeatureDrift, error) {
	ref, cur := f.Reference, f.Current
	if err := ref.Validate(); err != nil {
		return FeatureDrift{}, fmt.Errorf("feature %q: %w", f.Name, err)
	}
	if cur == nil {
		empty, err := NewHistogram(ref.Edges)
		if err != nil {
			return FeatureDrift{}, fmt.Errorf("feature %q: %w", f.Name, err)
		}
		cur = empty
	}
	if err := cur.Validate(); err != nil {
		return FeatureDrift{}, fmt.Errorf("feature %q: %w", f.Name, err)
	}
	if !slices.Equal(cur.Edges[1:Bins+2], ref.Edges) {
		return FeatureDrift{}, fmt.Errorf("feature %q: current histogram: %w from the reference's", f.Name, ErrEdgeMismatch)
	}
	refCounts := ref.padded()
	fd := FeatureDrift{
		Name:   f.Name,
		Status: StatusNoData,
		Edges:  slices.Clone(cur.Edges),
		Expected: Stats{Count: ref.Count, Mean: ref.Mean, Std: ref.Std, Min: ref.Min, Max: ref.Max,
			Invalid: ref.Invalid, Counts: refCounts},
		Actual: Stats{Count: cur.Stats.Count, Mean: cur.Stats.Mean, Std: cur.Stats.Std(),
			Min: cur.Stats.Min, Max: cur.Stats.Max, Invalid: cur.Stats.Invalid, Counts: slices.Clone(cur.Counts)},
	}
	if cur.Stats.Count == 0 {
		return fd, nil
	}
	m := measure(ref, refCounts, cur)
	fd.Measures = &m
	fd.Drift = (m.TVD + m.Hellinger) / 2
	fd.Status = th.Status(fd.Drift)
	return fd, nil
}

// Analyze computes the drift of every feature, their aggregates and the general status, and
// the prediction's drift when prediction is not nil. Features without current values are
// reported as NO_DATA and left out of the aggregates; when none has any, the report is NO_DATA
// with zero aggregates. Invalid inputs or options fail the whole analysis.
func Analyze(features []Feature, prediction *Feature, opts Options) (*Report, error) {
	th, err := withDefault(opts.Thresholds)
	if err != nil {
		return nil, err
	}
	if opts.DriftedFeatures < 0 {
		return nil, fmt.Errorf("%w: drifted features %d, want ≥ 0", ErrInvalidOptions, opts.DriftedFeatures)
	}
	if !(opts.Wasserstein >= 0) || math.IsInf(opts.Wasserstein, 1) {
		return nil, fmt.Errorf("%w: wasserstein threshold %g, want finite and ≥ 0 (0: off)", ErrInvalidOptions, opts.Wasserstein)
	}
	r := &Report{Thresholds: th, Features: make([]FeatureDrift, 0, len(features))}
	seen := make(map[string]bool, len(features))
	for _, f := range features {
		if seen[f.Name] {
			return nil, fmt.Errorf("feature %q: %w", f.Name, ErrDuplicateFeature)
		}
		seen[f.Name] = true
		fd, err := compare(f, th)
		if err != nil {
			return nil, err
		}
		fd.Drifted = fd.Status == StatusDriftDetected ||
			(opts.Wasserstein > 0 && fd.Measures != nil && fd.Measures.Wasserstein >= opts.Wasserstein)
		r.Features = append(r.Features, fd)
	}
	if err := r.aggregate(opts.Importances, seen, opts.DriftedFeatures); err != nil {
		return nil, err
	}
	if prediction != nil {
		fd, err := compare(*prediction, th)
		if err != nil {
			return nil, fmt.Errorf("prediction: %w", err)
		}
		r.Prediction = &fd
	}
	return r, nil
}

// aggregate fills the means, sums, general drift, statuses and weighted drift from r.Features.
func (r *Report) aggregate(importances map[string]float64, names map[string]bool, drifted int) error {
	for name, w := range importances {
		if !names[name] {
			return fmt.Errorf("%w: importance for unknown feature %q", ErrInvalidOptions, name)
		}
		if !finite(w) || w < 0 {
			return fmt.Errorf("%w: importance of feature %q is %g, want finite and ≥ 0", ErrInvalidOptions, name, w)
		}
	}
	// Scaling by the largest importance keeps the weighted sums finite for any finite input.
	var wmax float64
	for _, w := range importances {
		wmax = max(wmax, w)
	}
	var wsum, wdrift float64
	for _, fd := range r.Features {
		if fd.Measures == nil {
			continue
		}
		r.Compared++
		r.TVDSum += fd.Measures.TVD
		r.HellingerSum += fd.Measures.Hellinger
		r.KLDSum += fd.Measures.KLD
		if fd.Drifted {
			r.Drifted = append(r.Drifted, fd.Name)
		}
		if w := importances[fd.Name]; w > 0 {
			w /= wmax
			wsum += w
			wdrift += w * fd.Drift
		}
	}
	if r.Compared == 0 {
		r.Status, r.GeneralStatus = StatusNoData, StatusNoData
		return nil
	}
	n := float64(r.Compared)
	r.TVDMean, r.HellingerMean, r.KLDMean = r.TVDSum/n, r.HellingerSum/n, r.KLDSum/n
	r.GeneralDrift = (r.TVDMean + r.HellingerMean) / 2
	r.GeneralStatus = r.Thresholds.Status(r.GeneralDrift)
	r.Status = r.GeneralStatus
	if drifted > 0 && len(r.Drifted) >= drifted && r.Status == StatusNoDrift {
		r.Status = StatusPossibleDrift
	}
	if wsum > 0 {
		wd := wdrift / wsum
		r.WeightedDrift = &wd
	}
	return nil
}
