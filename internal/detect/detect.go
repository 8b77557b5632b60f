// Package detect implements streaming concept-drift detectors over a model's error stream:
// DDM, EDDM, Page-Hinkley and ADWIN (SPEC §6), and HDDM-A and HDDM-W, all with
// scikit-multiflow 0.4.1 semantics.
//
// A detector consumes one observation at a time (1 = the model was wrong, 0 = it was right) and
// reports whether the stream is in a warning zone or has drifted. Detectors are plain values
// with no goroutines, I/O or clocks, and their state can be saved with json.Marshal and
// restored with Restore so that a restarted process continues exactly where it stopped.
//
// Inputs are checked rather than trusted: DDM and EDDM take exactly 0 or 1, HDDM takes values
// in [0, 1], Page-Hinkley and ADWIN take any finite number. Anything else (NaN, ±Inf, 0.5 for
// DDM) is rejected with an error wrapping ErrInvalidInput and leaves the detector as it was;
// nothing in this package panics on input.
//
// The package is not an event producer: turning flags into drift.warning / drift.detected
// events, and keeping one detector per model, is the caller's job.
package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Detector kinds, as used in Config.Kind and in saved state.
const (
	KindDDM         = "ddm"
	KindEDDM        = "eddm"
	KindPageHinkley = "page_hinkley"
	KindADWIN       = "adwin"
	KindHDDMA       = "hddm_a"
	KindHDDMW       = "hddm_w"
)

// Kinds lists every detector kind New accepts, in a stable order.
var Kinds = []string{KindDDM, KindEDDM, KindPageHinkley, KindADWIN, KindHDDMA, KindHDDMW}

// ErrInvalidInput marks an observation a detector cannot take (non-finite, or not 0/1 for the
// detectors that model an error rate); it is a permanent failure of that input.
var ErrInvalidInput = errors.New("detect: invalid input")

// Detector is a streaming drift detector fed one observation at a time.
//
// Flags describe the last call to Add. As in scikit-multiflow, after a change DDM, EDDM and
// Page-Hinkley start over on the next Add, HDDM has already started over on the observation
// that detected it, and ADWIN drops the old part of its window. A Detector is not safe for
// concurrent use.
//
// MarshalJSON saves the detector's full state (kind, version, parameters and statistics);
// UnmarshalJSON replaces a detector's state and parameters with a saved state of the same kind.
type Detector interface {
	// Add feeds the next observation. An invalid observation returns an error wrapping
	// ErrInvalidInput and leaves the detector unchanged.
	Add(x float64) error
	// Warning reports whether the last observation put the stream in the warning zone.
	Warning() bool
	// Change reports whether the last observation completed a detected drift.
	Change() bool
	// Estimation returns the detector's current estimate of the monitored statistic
	// (the error rate for DDM and HDDM, the mean distance between errors for EDDM, the
	// running mean for Page-Hinkley and ADWIN).
	Estimation() float64
	// Kind returns the detector's kind, one of Kinds.
	Kind() string

	json.Marshaler
	json.Unmarshaler
}

// Run feeds xs to d in order and returns the 0-based indices at which d reported a warning and
// a change. It stops at the first invalid observation and returns the indices found so far
// with an error naming the index.
func Run(d Detector, xs []float64) (warnings, changes []int, err error) {
	for i, x := range xs {
		if err := d.Add(x); err != nil {
			return warnings, changes, fmt.Errorf("observation %d: %w", i, err)
		}
		if d.Warning() {
			warnings = append(warnings, i)
		}
		if d.Change() {
			changes = append(changes, i)
		}
	}
	return warnings, changes, nil
}

// checkBinary accepts exactly 0 and 1, the only values an error stream holds.
func checkBinary(kind string, x float64) error {
	if x != 0 && x != 1 {
		return fmt.Errorf("%w: %s takes 0 or 1, got %v", ErrInvalidInput, kind, x)
	}
	return nil
}

// checkFinite accepts any finite value; NaN or ±Inf would poison the running sums forever.
func checkFinite(kind string, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("%w: %s takes finite values, got %v", ErrInvalidInput, kind, x)
	}
	return nil
}

// checkUnit accepts values in [0, 1], the range HDDM's Hoeffding bounds assume.
func checkUnit(kind string, x float64) error {
	if !(x >= 0 && x <= 1) {
		return fmt.Errorf("%w: %s takes values in [0, 1], got %v", ErrInvalidInput, kind, x)
	}
	return nil
}
