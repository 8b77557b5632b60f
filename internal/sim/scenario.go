package sim

import (
	"cmp"
	"slices"
	"time"
)

// Scenario changes the simulated world from the first tick whose timestamp is at or after At.
// Exactly one of CovariateDrift, ConceptDrift and FleetGrowth is set. A scenario whose At is not
// after the fleet's start applies from the first tick.
type Scenario struct {
	// Name labels the scenario in logs; it has no effect.
	Name string `yaml:"name"`
	// At is the simulated time the scenario takes effect (RFC 3339).
	At time.Time `yaml:"at"`
	// CovariateDrift changes a metric's distribution.
	CovariateDrift *CovariateDrift `yaml:"covariate_drift"`
	// ConceptDrift changes which metrics error episodes show through.
	ConceptDrift *ConceptDrift `yaml:"concept_drift"`
	// FleetGrowth adds devices.
	FleetGrowth *FleetGrowth `yaml:"fleet_growth"`
}

// CovariateDrift sets a metric's mu and/or sigma, for every device, from the scenario's time on.
// Values are absolute, not offsets; a later drift of the same metric overrides an earlier one.
// Error episodes, labels and the other metrics are unchanged.
type CovariateDrift struct {
	// Metric names the metric, one of tables.Metrics.
	Metric string `yaml:"metric"`
	// Mu is the new mean; nil keeps the current one.
	Mu *float64 `yaml:"mu"`
	// Sigma is the new standard deviation; nil keeps the current one.
	Sigma *float64 `yaml:"sigma"`
}

// ConceptDrift makes error episodes that start at or after the scenario's time show through the
// named metrics only (the manifest set S; before any concept drift S is all four metrics).
//
// During such an episode a metric in S behaves as in the original (pre-peak, then peak phase); a
// metric outside S emits normal draws throughout and its <metric>_is_error stays false. is_error is
// the AND of <metric>_is_error over the metrics in S, so it is true exactly when every metric of S
// is in its peak phase. Episode timing is unchanged. An episode keeps the set in force when it
// started, so no episode is half old concept, half new.
type ConceptDrift struct {
	// Metrics is the new manifest set, a non-empty subset of tables.Metrics.
	Metrics []string `yaml:"metrics"`
}

// FleetGrowth adds devices, with their own ids and static attributes, that emit rows from the
// scenario's first tick on. Existing devices are unaffected.
type FleetGrowth struct {
	// NumItems is how many devices join.
	NumItems int `yaml:"num_items"`
}

// change is a covariate or concept drift scheduled at a tick.
type change struct {
	tick   uint64
	metric int      // covariate drift: metric index
	mu     *float64 // covariate drift
	sigma  *float64 // covariate drift
	mask   uint8    // concept drift: manifest set, 0 for a covariate drift
}

// schedule returns the drifts of cfg in the order they apply: by tick, then config order.
func schedule(cfg *Config, start time.Time, interval time.Duration) []change {
	var cs []change
	for _, s := range cfg.Scenarios {
		tick := activationTick(start, interval, s.At)
		switch {
		case s.CovariateDrift != nil:
			d := s.CovariateDrift
			cs = append(cs, change{tick: tick, metric: metricIndex(d.Metric), mu: d.Mu, sigma: d.Sigma})
		case s.ConceptDrift != nil:
			cs = append(cs, change{tick: tick, mask: maskOf(s.ConceptDrift.Metrics)})
		}
	}
	slices.SortStableFunc(cs, func(a, b change) int { return cmp.Compare(a.tick, b.tick) })
	return cs
}

// activationTick returns the first tick (1-based) whose timestamp start+tick*interval is at or
// after at.
func activationTick(start time.Time, interval time.Duration, at time.Time) uint64 {
	d := at.Sub(start) // saturates instead of overflowing
	if d <= 0 {
		return 1
	}
	q := uint64(d / interval)
	if d%interval != 0 {
		q++
	}
	return max(q, 1)
}

func maskOf(names []string) uint8 {
	var m uint8
	for _, n := range names {
		m |= 1 << metricIndex(n)
	}
	return m
}

// resetWorld puts the drifting parameters back to their configured values.
func (f *Fleet) resetWorld() {
	f.params = f.base
	f.mask = allMetrics
	f.applied = 0
}

// advanceWorld applies every drift scheduled at or before tick.
func (f *Fleet) advanceWorld(tick uint64) {
	for f.applied < len(f.changes) && f.changes[f.applied].tick <= tick {
		c := f.changes[f.applied]
		if c.mask != 0 {
			f.mask = c.mask
		} else {
			p := &f.params[c.metric]
			if c.mu != nil {
				p.mu = *c.mu
			}
			if c.sigma != nil {
				p.sigma = *c.sigma
			}
		}
		f.applied++
	}
}
