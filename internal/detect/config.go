package detect

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Defaults from scikit-multiflow 0.4.1 (SPEC §6).
const (
	DefaultMinInstances      = 30
	DefaultWarningLevel      = 2.0
	DefaultOutControlLevel   = 3.0
	DefaultPHDelta           = 0.005
	DefaultPHThreshold       = 50.0
	DefaultPHAlpha           = 1 - 0.0001
	DefaultADWINDelta        = 0.002
	DefaultDriftConfidence   = 0.001
	DefaultWarningConfidence = 0.005
	DefaultHDDMLambda        = 0.05
)

// Config selects a detector kind and its parameters.
//
// A zero parameter means the kind's default, so Config{Kind: "ddm"} is scikit-multiflow's DDM().
// Setting a parameter the kind does not use is an error, not silently ignored. Errors from
// Validate and New name the offending field by its configuration (JSON/YAML) name.
type Config struct {
	// Kind is one of Kinds: "ddm", "eddm", "page_hinkley", "adwin", "hddm_a" or "hddm_w".
	Kind string `json:"kind" yaml:"kind"`
	// MinInstances is how many observations DDM and Page-Hinkley see before they may flag
	// anything (default 30). EDDM's gate is fixed at 30; ADWIN has none.
	MinInstances int `json:"min_instances,omitempty" yaml:"min_instances,omitempty"`
	// WarningLevel is DDM's warning multiple of the minimum standard deviation (default 2).
	WarningLevel float64 `json:"warning_level,omitempty" yaml:"warning_level,omitempty"`
	// OutControlLevel is DDM's change multiple of the minimum standard deviation (default 3).
	OutControlLevel float64 `json:"out_control_level,omitempty" yaml:"out_control_level,omitempty"`
	// Delta is Page-Hinkley's magnitude of tolerated change (default 0.005) or ADWIN's
	// confidence (default 0.002).
	Delta float64 `json:"delta,omitempty" yaml:"delta,omitempty"`
	// Threshold is Page-Hinkley's change threshold lambda (default 50).
	Threshold float64 `json:"threshold,omitempty" yaml:"threshold,omitempty"`
	// Alpha is Page-Hinkley's forgetting factor (default 1-0.0001).
	Alpha float64 `json:"alpha,omitempty" yaml:"alpha,omitempty"`
	// DriftConfidence is HDDM's confidence for a change (default 0.001).
	DriftConfidence float64 `json:"drift_confidence,omitempty" yaml:"drift_confidence,omitempty"`
	// WarningConfidence is HDDM's confidence for a warning (default 0.005).
	WarningConfidence float64 `json:"warning_confidence,omitempty" yaml:"warning_confidence,omitempty"`
	// Lambda is HDDM-W's weight of the newest observation in its moving averages (default 0.05).
	Lambda float64 `json:"lambda,omitempty" yaml:"lambda,omitempty"`
	// OneSided makes HDDM watch only for increases of the error rate; by default it also
	// restarts when the rate drops significantly (scikit-multiflow's two_side_option=True).
	OneSided bool `json:"one_sided,omitempty" yaml:"one_sided,omitempty"`
}

// FieldError reports an invalid Config field by its configuration name.
type FieldError struct {
	Field string // configuration name, such as "warning_level"
	Msg   string
}

// Error implements error.
func (e *FieldError) Error() string {
	return fmt.Sprintf("detect config: %s: %s", e.Field, e.Msg)
}

// field names a Config field and the kinds that use it, for validation.
type field struct {
	name  string
	set   func(Config) bool
	kinds []string
}

var fields = []field{
	{"min_instances", func(c Config) bool { return c.MinInstances != 0 }, []string{KindDDM, KindPageHinkley}},
	{"warning_level", func(c Config) bool { return c.WarningLevel != 0 }, []string{KindDDM}},
	{"out_control_level", func(c Config) bool { return c.OutControlLevel != 0 }, []string{KindDDM}},
	{"delta", func(c Config) bool { return c.Delta != 0 }, []string{KindPageHinkley, KindADWIN}},
	{"threshold", func(c Config) bool { return c.Threshold != 0 }, []string{KindPageHinkley}},
	{"alpha", func(c Config) bool { return c.Alpha != 0 }, []string{KindPageHinkley}},
	{"drift_confidence", func(c Config) bool { return c.DriftConfidence != 0 }, []string{KindHDDMA, KindHDDMW}},
	{"warning_confidence", func(c Config) bool { return c.WarningConfidence != 0 }, []string{KindHDDMA, KindHDDMW}},
	{"lambda", func(c Config) bool { return c.Lambda != 0 }, []string{KindHDDMW}},
	{"one_sided", func(c Config) bool { return c.OneSided }, []string{KindHDDMA, KindHDDMW}},
}

// Validate reports the first invalid field of c as a *FieldError, or nil.
func (c Config) Validate() error {
	if !slices.Contains(Kinds, c.Kind) {
		return &FieldError{"kind", fmt.Sprintf("unknown detector %q (want one of %s)", c.Kind, strings.Join(Kinds, ", "))}
	}
	for _, f := range fields {
		if f.set(c) && !slices.Contains(f.kinds, c.Kind) {
			return &FieldError{f.name, "not used by " + c.Kind}
		}
	}
	d := c.withDefaults()
	switch {
	case d.MinInstances < 0:
		return &FieldError{"min_instances", fmt.Sprintf("must be >= 0, got %d", d.MinInstances)}
	case !positive(d.WarningLevel) && c.Kind == KindDDM:
		return &FieldError{"warning_level", fmt.Sprintf("must be a finite number > 0, got %v", d.WarningLevel)}
	case !positive(d.OutControlLevel) && c.Kind == KindDDM:
		return &FieldError{"out_control_level", fmt.Sprintf("must be a finite number > 0, got %v", d.OutControlLevel)}
	case d.OutControlLevel < d.WarningLevel:
		return &FieldError{"out_control_level", fmt.Sprintf("must be >= warning_level (%v), got %v", d.WarningLevel, d.OutControlLevel)}
	case c.Kind == KindPageHinkley && !positive(d.Delta):
		return &FieldError{"delta", fmt.Sprintf("must be a finite number > 0, got %v", d.Delta)}
	case c.Kind == KindADWIN && !(d.Delta > 0 && d.Delta < 1):
		return &FieldError{"delta", fmt.Sprintf("must be in (0, 1), got %v", d.Delta)}
	case c.Kind == KindPageHinkley && !positive(d.Threshold):
		return &FieldError{"threshold", fmt.Sprintf("must be a finite number > 0, got %v", d.Threshold)}
	case c.Kind == KindPageHinkley && !(d.Alpha > 0 && d.Alpha <= 1):
		return &FieldError{"alpha", fmt.Sprintf("must be in (0, 1], got %v", d.Alpha)}
	}
	return validateHDDM(d)
}

// validateHDDM checks the HDDM parameters of a defaulted config.
func validateHDDM(d Config) error {
	if d.Kind != KindHDDMA && d.Kind != KindHDDMW {
		return nil
	}
	switch {
	case !(d.DriftConfidence > 0 && d.DriftConfidence < 1):
		return &FieldError{"drift_confidence", fmt.Sprintf("must be in (0, 1), got %v", d.DriftConfidence)}
	case !(d.WarningConfidence > 0 && d.WarningConfidence < 1):
		return &FieldError{"warning_confidence", fmt.Sprintf("must be in (0, 1), got %v", d.WarningConfidence)}
	case d.WarningConfidence < d.DriftConfidence:
		return &FieldError{"warning_confidence", fmt.Sprintf("must be >= drift_confidence (%v), got %v", d.DriftConfidence, d.WarningConfidence)}
	case d.Kind == KindHDDMW && !(d.Lambda > 0 && d.Lambda <= 1):
		return &FieldError{"lambda", fmt.Sprintf("must be in (0, 1], got %v", d.Lambda)}
	}
	return nil
}

// positive reports whether v is finite and > 0 (false for NaN).
func positive(v float64) bool { return v > 0 && !math.IsInf(v, 1) }

// withDefaults fills the zero parameters of c's kind with their defaults.
func (c Config) withDefaults() Config {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	switch c.Kind {
	case KindDDM:
		if c.MinInstances == 0 {
			c.MinInstances = DefaultMinInstances
		}
		def(&c.WarningLevel, DefaultWarningLevel)
		def(&c.OutControlLevel, DefaultOutControlLevel)
	case KindPageHinkley:
		if c.MinInstances == 0 {
			c.MinInstances = DefaultMinInstances
		}
		def(&c.Delta, DefaultPHDelta)
		def(&c.Threshold, DefaultPHThreshold)
		def(&c.Alpha, DefaultPHAlpha)
	case KindADWIN:
		def(&c.Delta, DefaultADWINDelta)
	case KindHDDMA, KindHDDMW:
		def(&c.DriftConfidence, DefaultDriftConfidence)
		def(&c.WarningConfidence, DefaultWarningConfidence)
		if c.Kind == KindHDDMW {
			def(&c.Lambda, DefaultHDDMLambda)
		}
	}
	return c
}

// New returns a fresh detector for cfg, or cfg's validation error.
func New(cfg Config) (Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newDetector(cfg.withDefaults()), nil
}

// newDetector builds a detector from a validated, defaulted config.
func newDetector(c Config) Detector {
	switch c.Kind {
	case KindDDM:
		return newDDM(c)
	case KindEDDM:
		return newEDDM()
	case KindPageHinkley:
		return newPageHinkley(c)
	case KindHDDMA:
		return newHDDMA(c)
	case KindHDDMW:
		return newHDDMW(c)
	default:
		return newADWIN(c)
	}
}

// Warmup returns a detector for cfg that has already consumed base, the error stream of the
// model's test set, with MinInstances set to len(base) for the kinds that have it (DDM and
// Page-Hinkley), as the original demo did. Flags raised while consuming base are not reported.
func Warmup(cfg Config, base []float64) (Detector, error) {
	if len(base) == 0 {
		return nil, errors.New("detect: warmup: empty base stream")
	}
	if cfg.Kind == KindDDM || cfg.Kind == KindPageHinkley {
		cfg.MinInstances = len(base)
	}
	d, err := New(cfg)
	if err != nil {
		return nil, err
	}
	for i, x := range base {
		if err := d.Add(x); err != nil {
			return nil, fmt.Errorf("detect: warmup: observation %d: %w", i, err)
		}
	}
	return d, nil
}
