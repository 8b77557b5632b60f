package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/netopsfn/netops/internal/evaluate"
	"github.com/netopsfn/netops/internal/models"
)

// Params are a run's parameters: the configured defaults, overridden per webhook request by its
// "params" object.
type Params struct {
	Window        Duration `json:"window"`
	Data          string   `json:"data"`
	Candidates    []string `json:"candidates"`
	Budget        int      `json:"budget"`
	MaxRows       int      `json:"max_rows"`
	MinRows       int      `json:"min_rows"`
	Holdout       float64  `json:"holdout"`
	Metric        string   `json:"metric"`
	Margin        float64  `json:"margin"`
	Deploy        string   `json:"deploy"`
	CanaryTraffic int      `json:"canary_traffic"`
	CanaryRows    int64    `json:"canary_rows"`
	Seed          uint64   `json:"seed"`
}

// Duration is a time.Duration written in JSON as a Go duration string ("6h").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"6h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Validate checks run parameters; the error names the parameter.
func (p Params) Validate() error {
	var errs []error
	if p.Window <= 0 {
		errs = append(errs, fmt.Errorf("window: %s, want > 0", time.Duration(p.Window)))
	}
	if p.Data != "labeled" && p.Data != "features" {
		errs = append(errs, fmt.Errorf("data: %q, want labeled or features", p.Data))
	}
	if len(p.Candidates) == 0 {
		errs = append(errs, errors.New("candidates: at least one model kind"))
	}
	for _, k := range p.Candidates {
		if !slices.Contains(models.Kinds, k) {
			errs = append(errs, fmt.Errorf("candidates: unknown kind %q (want %v)", k, models.Kinds))
		}
	}
	if p.Budget < 1 || p.Budget > 50 {
		errs = append(errs, fmt.Errorf("budget: %d, want 1..50", p.Budget))
	}
	if p.MaxRows < 100 {
		errs = append(errs, fmt.Errorf("max_rows: %d, want >= 100", p.MaxRows))
	}
	if p.MinRows < 50 {
		errs = append(errs, fmt.Errorf("min_rows: %d, want >= 50", p.MinRows))
	}
	if !(p.Holdout > 0 && p.Holdout < 0.9) {
		errs = append(errs, fmt.Errorf("holdout: %g, want in (0, 0.9)", p.Holdout))
	}
	if !slices.Contains(evaluate.MetricNames(), p.Metric) {
		errs = append(errs, fmt.Errorf("metric: unknown %q (want one of %v)", p.Metric, evaluate.MetricNames()))
	}
	if p.Margin < 0 || p.Margin > 1 {
		errs = append(errs, fmt.Errorf("margin: %g, want 0..1", p.Margin))
	}
	switch p.Deploy {
	case "direct", "canary", "none":
	default:
		errs = append(errs, fmt.Errorf("deploy: %q, want direct, canary or none", p.Deploy))
	}
	if p.CanaryTraffic < 1 || p.CanaryTraffic > 99 {
		errs = append(errs, fmt.Errorf("canary_traffic: %d, want 1..99", p.CanaryTraffic))
	}
	if p.CanaryRows < 1 {
		errs = append(errs, fmt.Errorf("canary_rows: %d, want >= 1", p.CanaryRows))
	}
	return errors.Join(errs...)
}
