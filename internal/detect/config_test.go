package detect

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string // "" means valid
	}{
		{"ddm defaults", Config{Kind: KindDDM}, ""},
		{"eddm", Config{Kind: KindEDDM}, ""},
		{"page_hinkley defaults", Config{Kind: KindPageHinkley}, ""},
		{"adwin defaults", Config{Kind: KindADWIN}, ""},
		{"demo ddm", Config{Kind: KindDDM, MinInstances: 1000, WarningLevel: 2, OutControlLevel: 3}, ""},
		{"demo page_hinkley", Config{Kind: KindPageHinkley, MinInstances: 1000, Threshold: 10}, ""},
		{"empty kind", Config{}, "kind"},
		{"unknown kind", Config{Kind: "kswin"}, "kind"},
		{"kind is case sensitive", Config{Kind: "DDM"}, "kind"},
		{"negative min_instances", Config{Kind: KindDDM, MinInstances: -1}, "min_instances"},
		{"min_instances on eddm", Config{Kind: KindEDDM, MinInstances: 10}, "min_instances"},
		{"min_instances on adwin", Config{Kind: KindADWIN, MinInstances: 10}, "min_instances"},
		{"negative warning_level", Config{Kind: KindDDM, WarningLevel: -2}, "warning_level"},
		{"NaN warning_level", Config{Kind: KindDDM, WarningLevel: math.NaN()}, "warning_level"},
		{"infinite out_control_level", Config{Kind: KindDDM, OutControlLevel: math.Inf(1)}, "out_control_level"},
		{"out_control below warning", Config{Kind: KindDDM, WarningLevel: 3, OutControlLevel: 2}, "out_control_level"},
		{"out_control below default warning", Config{Kind: KindDDM, OutControlLevel: 1.5}, "out_control_level"},
		{"warning_level on page_hinkley", Config{Kind: KindPageHinkley, WarningLevel: 2}, "warning_level"},
		{"negative page_hinkley delta", Config{Kind: KindPageHinkley, Delta: -0.1}, "delta"},
		{"adwin delta 1", Config{Kind: KindADWIN, Delta: 1}, "delta"},
		{"adwin delta NaN", Config{Kind: KindADWIN, Delta: math.NaN()}, "delta"},
		{"delta on ddm", Config{Kind: KindDDM, Delta: 0.1}, "delta"},
		{"negative threshold", Config{Kind: KindPageHinkley, Threshold: -1}, "threshold"},
		{"threshold on adwin", Config{Kind: KindADWIN, Threshold: 10}, "threshold"},
		{"alpha above 1", Config{Kind: KindPageHinkley, Alpha: 1.5}, "alpha"},
		{"alpha 1", Config{Kind: KindPageHinkley, Alpha: 1}, ""},
		{"alpha on eddm", Config{Kind: KindEDDM, Alpha: 0.5}, "alpha"},
		{"hddm_a defaults", Config{Kind: KindHDDMA}, ""},
		{"hddm_w one-sided", Config{Kind: KindHDDMW, OneSided: true, Lambda: 0.1}, ""},
		{"drift_confidence 0 is the default", Config{Kind: KindHDDMA, DriftConfidence: 0}, ""},
		{"drift_confidence 1", Config{Kind: KindHDDMA, DriftConfidence: 1}, "drift_confidence"},
		{"warning_confidence negative", Config{Kind: KindHDDMW, WarningConfidence: -0.1}, "warning_confidence"},
		{"warning below drift confidence", Config{Kind: KindHDDMA, DriftConfidence: 0.01, WarningConfidence: 0.001}, "warning_confidence"},
		{"lambda above 1", Config{Kind: KindHDDMW, Lambda: 2}, "lambda"},
		{"lambda on hddm_a", Config{Kind: KindHDDMA, Lambda: 0.1}, "lambda"},
		{"one_sided on ddm", Config{Kind: KindDDM, OneSided: true}, "one_sided"},
		{"drift_confidence on adwin", Config{Kind: KindADWIN, DriftConfidence: 0.01}, "drift_confidence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate() = %v, want a FieldError for %q", err, tt.field)
			}
			if _, err := New(tt.cfg); !errors.As(err, &fe) {
				t.Errorf("New accepted an invalid config: %v", err)
			}
		})
	}
}

// savedConfig returns the effective configuration recorded in d's saved state.
func savedConfig(t *testing.T, d Detector) Config {
	t.Helper()
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	return env.Config
}

func TestNewAppliesDefaults(t *testing.T) {
	tests := []struct {
		cfg, want Config
	}{
		{Config{Kind: KindDDM}, Config{Kind: KindDDM, MinInstances: 30, WarningLevel: 2, OutControlLevel: 3}},
		{Config{Kind: KindDDM, MinInstances: 100, OutControlLevel: 4},
			Config{Kind: KindDDM, MinInstances: 100, WarningLevel: 2, OutControlLevel: 4}},
		{Config{Kind: KindEDDM}, Config{Kind: KindEDDM}},
		{Config{Kind: KindPageHinkley}, Config{Kind: KindPageHinkley, MinInstances: 30, Delta: 0.005, Threshold: 50, Alpha: 0.9999}},
		{Config{Kind: KindPageHinkley, Threshold: 10},
			Config{Kind: KindPageHinkley, MinInstances: 30, Delta: 0.005, Threshold: 10, Alpha: 0.9999}},
		{Config{Kind: KindADWIN}, Config{Kind: KindADWIN, Delta: 0.002}},
		{Config{Kind: KindHDDMA}, Config{Kind: KindHDDMA, DriftConfidence: 0.001, WarningConfidence: 0.005}},
		{Config{Kind: KindHDDMW, OneSided: true},
			Config{Kind: KindHDDMW, DriftConfidence: 0.001, WarningConfidence: 0.005, Lambda: 0.05, OneSided: true}},
	}
	for _, tt := range tests {
		d := mustNew(t, tt.cfg)
		if d.Kind() != tt.cfg.Kind {
			t.Errorf("Kind() = %q, want %q", d.Kind(), tt.cfg.Kind)
		}
		if got := savedConfig(t, d); got != tt.want {
			t.Errorf("New(%+v) config = %+v, want %+v", tt.cfg, got, tt.want)
		}
	}
}

func TestWarmup(t *testing.T) {
	xs := readStream(t, "skm_seed1_stream_A.txt")
	base, rest := xs[:500], xs[500:]
	tests := []struct {
		cfg          Config
		minInstances int
	}{
		{Config{Kind: KindDDM, WarningLevel: 2, OutControlLevel: 3}, 500},
		{Config{Kind: KindDDM, MinInstances: 7}, 500},
		{Config{Kind: KindPageHinkley, Threshold: 10}, 500},
		{Config{Kind: KindEDDM}, 0},
		{Config{Kind: KindADWIN}, 0},
		{Config{Kind: KindHDDMA}, 0},
		{Config{Kind: KindHDDMW}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Kind, func(t *testing.T) {
			d, err := Warmup(tt.cfg, base)
			if err != nil {
				t.Fatal(err)
			}
			if got := savedConfig(t, d).MinInstances; got != tt.minInstances {
				t.Errorf("min_instances = %d, want %d", got, tt.minInstances)
			}
			w, c, err := Run(d, rest)
			if err != nil {
				t.Fatal(err)
			}
			// Same as one detector with the warm-up's min_instances over the whole stream,
			// minus what it flagged during the base.
			full := tt.cfg
			full.MinInstances = tt.minInstances
			fw, fc, err := Run(mustNew(t, full), xs)
			if err != nil {
				t.Fatal(err)
			}
			if want := after(fw, len(base)); !slices.Equal(w, want) {
				t.Errorf("warnings = %v, want %v", w, want)
			}
			if want := after(fc, len(base)); !slices.Equal(c, want) {
				t.Errorf("changes = %v, want %v", c, want)
			}
		})
	}
}

// after returns the indices of idx at or past off, shifted down by off.
func after(idx []int, off int) []int {
	var out []int
	for _, i := range idx {
		if i >= off {
			out = append(out, i-off)
		}
	}
	return out
}

func TestWarmupErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		base []float64
	}{
		{"empty base", Config{Kind: KindDDM}, nil},
		{"bad kind", Config{Kind: "nope"}, []float64{0, 1}},
		{"bad value", Config{Kind: KindDDM}, []float64{0, 1, 0.3}},
		{"NaN", Config{Kind: KindADWIN}, []float64{0, math.NaN()}},
	}
	for _, tt := range tests {
		if d, err := Warmup(tt.cfg, tt.base); err == nil {
			t.Errorf("%s: Warmup = %v, want an error", tt.name, d)
		}
	}
}
