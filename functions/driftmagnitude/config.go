package driftmagnitude

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/drift"
)

// Config is drift-magnitude's own configuration; the runtime's (NATS, store, retries) is
// function.Config. Flags carry a magnitude- prefix because `netops up` binds every function's
// flags on one command line.
type Config struct {
	// Interval is the event time between scheduled reports and the span of one stored partial.
	Interval time.Duration `flag:"magnitude-interval" env:"MAGNITUDE_INTERVAL" default:"10m" help:"event time between scheduled drift reports of a model version, and the span of one stored partial histogram (>= 1m)"`
	// Window is the event time a report covers, a multiple of Interval.
	Window time.Duration `flag:"magnitude-window" env:"MAGNITUDE_WINDOW" default:"1h" help:"event time one drift report covers; a multiple of magnitude-interval"`
	// Rows, when positive, also triggers a report after that many new rows of a model version.
	Rows int64 `flag:"magnitude-rows" env:"MAGNITUDE_ROWS" default:"0" help:"also report after this many new rows of a model version (0: on the schedule only)"`
	// Possible and Detected are the default thresholds of the general drift.
	Possible float64 `flag:"magnitude-possible" env:"MAGNITUDE_POSSIBLE" default:"0.5" help:"general drift at or above which a window is POSSIBLE_DRIFT"`
	Detected float64 `flag:"magnitude-detected" env:"MAGNITUDE_DETECTED" default:"0.7" help:"general drift at or above which a window is DRIFT_DETECTED"`
	// ModelThresholds override the thresholds per model: model=possible:detected.
	ModelThresholds []string `flag:"magnitude-model-thresholds" env:"MAGNITUDE_MODEL_THRESHOLDS" default:"" help:"per-model thresholds, comma-separated model=possible:detected, e.g. netops=0.4:0.6"`
	// DriftedFeatures raises a window to POSSIBLE_DRIFT when that many features drifted by
	// themselves (drift.Options.DriftedFeatures); 0 leaves the status to the general drift.
	DriftedFeatures int `flag:"magnitude-drifted-features" env:"MAGNITUDE_DRIFTED_FEATURES" default:"1" help:"a window in which at least this many features drifted by themselves (DRIFT_DETECTED, or Wasserstein distance over magnitude-wasserstein) is at least POSSIBLE_DRIFT, whatever the general drift (0: the general drift alone decides, as in MLRun)"`
	// Wasserstein is the distance in reference stds at which a feature drifted by itself.
	Wasserstein float64 `flag:"magnitude-wasserstein" env:"MAGNITUDE_WASSERSTEIN" default:"0.1" help:"Wasserstein distance, in reference standard deviations, at or above which a feature drifted by itself (Evidently's default; 0: off)"`
	// StateBucket is the KV bucket of each model version's schedule.
	StateBucket string `flag:"magnitude-state-bucket" env:"MAGNITUDE_STATE_BUCKET" default:"drift-magnitude" help:"KV bucket of each model version's report schedule"`
	// ChunkRows bounds the rows read from a batch at a time.
	ChunkRows int `flag:"magnitude-chunk-rows" env:"MAGNITUDE_CHUNK_ROWS" default:"8192" help:"rows of a labeled batch read and binned at a time (memory per column)"`

	thresholds map[string]drift.Thresholds
}

var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// Validate checks the configuration; each error names its flag.
func (c *Config) Validate() error {
	var errs []error
	if c.Interval < time.Minute || c.Interval%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("magnitude-interval: %s, want a whole number of minutes >= 1m", c.Interval))
	} else if c.Window < c.Interval || c.Window%c.Interval != 0 {
		errs = append(errs, fmt.Errorf("magnitude-window: %s, want a multiple of magnitude-interval %s", c.Window, c.Interval))
	} else if c.Window/c.Interval > 1000 {
		errs = append(errs, fmt.Errorf("magnitude-window: %s is more than 1000 intervals of %s", c.Window, c.Interval))
	}
	if c.Rows < 0 {
		errs = append(errs, fmt.Errorf("magnitude-rows: %d is negative", c.Rows))
	}
	if err := (drift.Thresholds{Possible: c.Possible, Detected: c.Detected}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("magnitude-possible/magnitude-detected: %g/%g, want 0 < possible <= detected <= 1", c.Possible, c.Detected))
	}
	if c.DriftedFeatures < 0 {
		errs = append(errs, fmt.Errorf("magnitude-drifted-features: %d, want ≥ 0", c.DriftedFeatures))
	}
	if !(c.Wasserstein >= 0) || math.IsInf(c.Wasserstein, 1) {
		errs = append(errs, fmt.Errorf("magnitude-wasserstein: %g, want finite and ≥ 0", c.Wasserstein))
	}
	c.thresholds = map[string]drift.Thresholds{}
	for _, s := range c.ModelThresholds {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		model, th, err := parseModelThresholds(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("magnitude-model-thresholds: %w", err))
			continue
		}
		c.thresholds[model] = th
	}
	if !bucketName.MatchString(c.StateBucket) {
		errs = append(errs, fmt.Errorf("magnitude-state-bucket: %q is not a KV bucket name (letters, digits, - and _)", c.StateBucket))
	}
	if c.ChunkRows < 1 || c.ChunkRows > 1<<20 {
		errs = append(errs, fmt.Errorf("magnitude-chunk-rows: %d, want 1..%d", c.ChunkRows, 1<<20))
	}
	return errors.Join(errs...)
}

func parseModelThresholds(s string) (string, drift.Thresholds, error) {
	model, pair, ok := strings.Cut(s, "=")
	p, d, ok2 := strings.Cut(pair, ":")
	if !ok || !ok2 || model == "" {
		return "", drift.Thresholds{}, fmt.Errorf("%q: want model=possible:detected", s)
	}
	pv, err1 := strconv.ParseFloat(p, 64)
	dv, err2 := strconv.ParseFloat(d, 64)
	th := drift.Thresholds{Possible: pv, Detected: dv}
	if err := errors.Join(err1, err2, th.Validate()); err != nil {
		return "", drift.Thresholds{}, fmt.Errorf("%q: want model=possible:detected with 0 < possible <= detected <= 1", s)
	}
	return model, th, nil
}

// Thresholds returns the thresholds of a model: its override, or the default pair.
func (c *Config) Thresholds(model string) drift.Thresholds {
	if th, ok := c.thresholds[model]; ok {
		return th
	}
	return drift.Thresholds{Possible: c.Possible, Detected: c.Detected}
}
