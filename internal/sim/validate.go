package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// Limits that keep a configuration within what one process simulates.
const (
	// MaxDevices bounds the fleet size, initial devices plus all fleet growth.
	MaxDevices = 10_000_000
	// MaxEpisodeLength bounds errors.length_in_ticks.
	MaxEpisodeLength = 1_000_000
	// MaxLabelHorizon bounds label_horizon; the fleet buffers that many ticks of rows.
	MaxLabelHorizon = 10_000
	// maxLookahead bounds (label_horizon+1) x devices, the rows buffered for the horizon
	// (32 bytes each).
	maxLookahead = 50_000_000
)

// FieldError reports an invalid configuration field by its dotted YAML path.
type FieldError struct {
	// Field is the path of the field, such as "metrics.latency.distribution_params.sigma".
	Field string
	// Msg says what is wrong with it.
	Msg string
}

// Error implements error.
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// fieldErrors collects FieldErrors.
type fieldErrors []error

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Validate reports every invalid field of c, joined, each a *FieldError naming the field; nil if
// c is valid.
func (c Config) Validate() error {
	var fe fieldErrors
	if l := c.Errors.LengthInTicks; l < 1 || l > MaxEpisodeLength {
		fe.add("errors.length_in_ticks", "must be between 1 and %d, got %d", MaxEpisodeLength, l)
	}
	if c.Errors.RateInTicks < 1 {
		fe.add("errors.rate_in_ticks", "must be >= 1, got %d", c.Errors.RateInTicks)
	}
	// Rows carry millisecond timestamps, so a tick must be a whole number of them.
	if iv := c.Timestamps.Interval; iv < time.Millisecond || iv%time.Millisecond != 0 {
		fe.add("timestamps.interval", "must be a positive whole number of milliseconds, got %s", iv)
	}
	if c.Timestamps.StochasticInterval {
		fe.add("timestamps.stochastic_interval", "must be false (ticks are evenly spaced)")
	}
	if c.Deployment.Device.Faker != "msisdn" {
		fe.add("deployment.device.faker", "must be msisdn, got %q", c.Deployment.Device.Faker)
	}
	if n := c.Deployment.Device.NumItems; n < 1 || n > MaxDevices {
		fe.add("deployment.device.num_items", "must be between 1 and %d, got %d", MaxDevices, n)
	}
	c.validateStatic(&fe)
	for i, m := range c.Metrics.list() {
		m.validate(&fe, "metrics."+tables.Metrics[i])
	}
	if k := c.LabelHorizon; k < 0 || k > MaxLabelHorizon {
		fe.add("label_horizon", "must be between 0 and %d, got %d", MaxLabelHorizon, k)
	}
	if total := c.validateScenarios(&fe); (c.LabelHorizon+1)*total > maxLookahead && c.LabelHorizon <= MaxLabelHorizon {
		fe.add("label_horizon", "%d devices would buffer %d ticks each; (label_horizon+1) x devices must be at most %d",
			total, c.LabelHorizon+1, maxLookahead)
	}
	return errors.Join(fe...)
}

func (c Config) validateStatic(fe *fieldErrors) {
	m := c.Static.Models
	if m.Kind != "range" {
		fe.add("static.models.kind", "must be range, got %q", m.Kind)
	}
	if !m.AsInteger {
		fe.add("static.models.as_integer", "must be true (models is an integer column)")
	}
	if m.MinRange >= m.MaxRange {
		fe.add("static.models.max_range", "must be > min_range (%d), got %d", m.MinRange, m.MaxRange)
	}
	if m.MinRange < math.MinInt32 || m.MaxRange > math.MaxInt32 {
		fe.add("static.models", "range must lie within int32")
	}
	if len(m.Choices) > 0 {
		fe.add("static.models.choices", "not used by kind range")
	}
	ct := c.Static.Country
	if ct.Kind != "choice" {
		fe.add("static.country.kind", "must be choice, got %q", ct.Kind)
	}
	if len(ct.Choices) == 0 {
		fe.add("static.country.choices", "must not be empty")
	}
	if ct.MinRange != 0 || ct.MaxRange != 0 || ct.AsInteger {
		fe.add("static.country", "min_range, max_range and as_integer are not used by kind choice")
	}
}

func (m *Metric) validate(fe *fieldErrors, path string) {
	if m.Distribution != "normal" {
		fe.add(path+".distribution", "must be normal, got %q", m.Distribution)
	}
	p := m.DistributionParams
	if !finite(p.Mu) {
		fe.add(path+".distribution_params.mu", "must be finite")
	}
	if !(p.Sigma > 0) || math.IsInf(p.Sigma, 0) {
		fe.add(path+".distribution_params.sigma", "must be > 0")
	}
	if !(p.Noise >= 0) || math.IsInf(p.Noise, 0) {
		fe.add(path+".distribution_params.noise", "must be >= 0")
	}
	b := m.Validation.Metric
	if !finite(b.Min) || !finite(b.Max) || b.Min >= b.Max {
		fe.add(path+".validation.metric", "min and max must be finite with min < max (they are the peak values), got [%g, %g]", b.Min, b.Max)
	}
}

// validateScenarios checks the scenarios and returns the fleet size they make.
func (c Config) validateScenarios(fe *fieldErrors) int {
	total := c.Deployment.Device.NumItems
	for i, s := range c.Scenarios {
		path := fmt.Sprintf("scenarios[%d]", i)
		if s.At.IsZero() {
			fe.add(path+".at", "must be set (RFC 3339 time)")
		}
		kinds := 0
		if s.CovariateDrift != nil {
			kinds++
			s.CovariateDrift.validate(fe, path+".covariate_drift")
		}
		if s.ConceptDrift != nil {
			kinds++
			s.ConceptDrift.validate(fe, path+".concept_drift")
		}
		if s.FleetGrowth != nil {
			kinds++
			n := s.FleetGrowth.NumItems
			if n < 1 {
				fe.add(path+".fleet_growth.num_items", "must be >= 1, got %d", n)
			}
			total += max(n, 0)
		}
		if kinds != 1 {
			fe.add(path, "must set exactly one of covariate_drift, concept_drift, fleet_growth")
		}
	}
	if total > MaxDevices {
		fe.add("scenarios", "fleet growth makes %d devices, more than %d", total, MaxDevices)
	}
	return total
}

func (d *CovariateDrift) validate(fe *fieldErrors, path string) {
	if metricIndex(d.Metric) < 0 {
		fe.add(path+".metric", "unknown metric %q (want one of %v)", d.Metric, tables.Metrics)
	}
	if d.Mu == nil && d.Sigma == nil {
		fe.add(path, "must set mu, sigma or both")
	}
	if d.Mu != nil && !finite(*d.Mu) {
		fe.add(path+".mu", "must be finite")
	}
	if d.Sigma != nil && (!(*d.Sigma > 0) || math.IsInf(*d.Sigma, 0)) {
		fe.add(path+".sigma", "must be > 0")
	}
}

func (d *ConceptDrift) validate(fe *fieldErrors, path string) {
	if len(d.Metrics) == 0 {
		fe.add(path+".metrics", "must name at least one metric")
	}
	var seen uint8
	for j, name := range d.Metrics {
		i := metricIndex(name)
		switch {
		case i < 0:
			fe.add(fmt.Sprintf("%s.metrics[%d]", path, j), "unknown metric %q (want one of %v)", name, tables.Metrics)
		case seen&(1<<i) != 0:
			fe.add(fmt.Sprintf("%s.metrics[%d]", path, j), "duplicate metric %q", name)
		default:
			seen |= 1 << i
		}
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
