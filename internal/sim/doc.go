// Package sim simulates the telemetry of a fleet of network devices, compatible with metrics-gen
// 0.2.2 as SPEC §1 describes it, plus scenarios that change the world at a given simulated time.
//
// It is pure computation: it produces tables.Telemetry, tables.Label and tables.Device rows and
// knows nothing of Parquet, object stores, clocks or schedules; callers write the rows and decide
// when to call Next (cron, "generate N ticks", or a backfill with Run).
//
// # Model
//
// A Fleet has deployment.device.num_items devices with 13-digit numeric ids and static attributes
// (models uniform in [min_range, max_range), country a uniform choice). Tick i (i = 1, 2, …) has
// timestamp start + i·interval; every present device emits one telemetry and one label row per
// tick. A normal value is N(mu, sigma) + N(0, noise), clipped to [min, max] when validate is true.
//
// Error episodes, per device: when idle, a device enters an episode with probability
// 1/rate_in_ticks per tick. The episode covers L = length_in_ticks ticks (steps 1..L, the entry
// tick being step 1), then comes one normal stop tick with no entry check, so the next episode
// starts L+1 ticks later at the earliest. At entry each metric draws peaks and peak_len (see
// startEpisode for the guards against L-peak_len <= 0 and negative draws). A step <= L-peak_len is
// pre-peak: the metric emits its peak value (max if is_threshold_below, else min) with probability
// peak_chance, else a normal value; later steps are its peak phase, where it emits the peak value
// and <metric>_is_error is true. is_error is the AND of the four flags. The default config labels
// about 10% of rows is_error (10.3% measured, see the tests).
//
// # Determinism
//
// Rows are a pure function of (config, seed, start). Randomness comes from math/rand/v2 PCG
// streams whose seeds are derived from (seed, stream number) with SplitMix64: stream 0 draws the
// fleet, stream i+1 drives device i. The fleet stream draws, per device in index order (initial
// devices, then each fleet growth in config order): an id uniform in [0, 10^13) (redrawn while it
// repeats an earlier one), models, country. Each device draws per tick, in this fixed order and
// whatever its state: one uniform for episode entry; at an episode start, per metric in
// tables.Metrics order, a normal for peaks and one for peak_len; then per metric in order a normal
// for the value, a normal for the noise if that metric's noise is not 0, and a uniform for the
// pre-peak coin. Draws whose result goes unused are still made, so a scenario changes what it says
// and nothing else. Byte-identical output across Go releases relies on math/rand/v2 keeping PCG and
// NormFloat64 as they are; TestGolden pins a checksum.
//
// A device has its own stream, so devices are independent and fleet growth leaves the existing
// devices' rows untouched. The whole state (streams, episodes, rows simulated ahead) survives a
// restart through MarshalBinary and UnmarshalBinary.
//
// # Scenarios and label horizon
//
// The YAML config adds, beside the metrics-gen schema, label_horizon and scenarios:
//
//	label_horizon: 0          # k >= 0
//	scenarios:
//	  - name: cpu-creep       # optional, no effect
//	    at: 2024-06-01T00:00:00Z
//	    covariate_drift: {metric: cpu_utilization, mu: 85, sigma: 12}   # mu and/or sigma
//	  - at: 2024-06-08T00:00:00Z
//	    concept_drift: {metrics: [latency, throughput]}
//	  - at: 2024-06-15T00:00:00Z
//	    fleet_growth: {num_items: 50}
//
// A scenario applies from the first tick whose timestamp is at or after at; scenarios at the same
// tick apply in config order. CovariateDrift, ConceptDrift and FleetGrowth document each kind.
//
// With label_horizon k > 0 each label flag of the row at tick t is the OR of that flag's k = 0
// value over ticks t..t+k: is_error is true when the device has a tick with all manifest metrics in
// peak phase within the next k ticks, and <metric>_is_error likewise per metric (so is_error is no
// longer the AND of the four flags). Telemetry is unchanged. The fleet simulates k ticks ahead to
// emit the labels of tick t with tick t.
package sim
