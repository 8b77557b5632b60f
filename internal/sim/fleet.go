package sim

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// allMetrics is the manifest set of the original: every metric shows errors.
const allMetrics uint8 = 1<<len(tables.Metrics) - 1

// isErrorBit is the bit of is_error in a row's flags; bits 0..3 are the metrics' <metric>_is_error.
const isErrorBit = 4

// Fleet simulates a fleet of devices tick by tick. Make one with NewFleet; it is not safe for
// concurrent use.
type Fleet struct {
	start    time.Time
	interval time.Duration
	length   int32   // L, error episode length in ticks
	pEnter   float64 // 1/rate_in_ticks

	base    [4]metricParams // as configured
	params  [4]metricParams // after the drifts applied so far
	mask    uint8           // manifest set of episodes starting now
	changes []change        // drifts by tick
	applied int             // how many of changes are in params and mask

	devs   []device        // every device, initial and grown, by index
	static []tables.Device // static attributes, by device index

	// Ring of label_horizon+1 slots holding the values (4 per device) of the ticks simulated but
	// not yet emitted; labels need no ring because devices keep the last tick of each flag.
	window int
	vals   []float64

	simulated uint64 // last simulated tick, 0 before the first
	emitted   uint64 // last emitted tick, 0 before the first

	fingerprint uint64 // of config, seed and start; guards UnmarshalBinary
}

// metricParams are one metric's parameters in the form the hot loop wants them.
type metricParams struct {
	mu, sigma, noise float64
	min, max         float64
	peak             float64 // max if is_threshold_below, else min
	clip             bool
}

// NewFleet validates cfg and returns a fleet that has emitted nothing yet: the first Next emits the
// tick at start + interval. start is taken in UTC and truncated to the millisecond, the precision
// of the tables' timestamps, so rows survive a Parquet round trip unchanged. Identical cfg, seed
// and start give identical rows.
func NewFleet(cfg Config, seed uint64, start time.Time) (*Fleet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new fleet: %w", err)
	}
	start = start.UTC().Truncate(time.Millisecond) // also drops the monotonic clock reading
	f := &Fleet{
		start:    start,
		interval: cfg.Timestamps.Interval,
		length:   int32(cfg.Errors.LengthInTicks),
		pEnter:   1 / float64(cfg.Errors.RateInTicks),
		window:   cfg.LabelHorizon + 1,
	}
	for i, m := range cfg.Metrics.list() {
		b := m.Validation.Metric
		p := metricParams{
			mu: m.DistributionParams.Mu, sigma: m.DistributionParams.Sigma, noise: m.DistributionParams.Noise,
			min: b.Min, max: b.Max, peak: b.Min, clip: b.Validate,
		}
		if m.IsThresholdBelow {
			p.peak = b.Max
		}
		f.base[i] = p
	}
	f.changes = schedule(&cfg, start, f.interval)
	f.resetWorld()
	f.makeDevices(&cfg, seed, start)
	n := len(f.devs)
	f.vals = make([]float64, f.window*n*4)
	fp, err := fingerprint(&cfg, seed, start)
	if err != nil {
		return nil, fmt.Errorf("new fleet: %w", err)
	}
	f.fingerprint = fp
	return f, nil
}

// makeDevices draws every device's id and static attributes from the fleet stream, initial devices
// first, then each fleet growth in config order, and seeds each device's own stream.
func (f *Fleet) makeDevices(cfg *Config, seed uint64, start time.Time) {
	n := cfg.Deployment.Device.NumItems
	joins := make([]uint64, n, n+16) // initial devices have join tick 0: present from the start
	for _, s := range cfg.Scenarios {
		if g := s.FleetGrowth; g != nil {
			tick := activationTick(start, f.interval, s.At)
			for range g.NumItems {
				joins = append(joins, tick)
			}
		}
	}
	r := rand.New(stream(seed, 0))
	seen := make(map[uint64]struct{}, len(joins))
	models, country := cfg.Static.Models, cfg.Static.Country
	f.devs = make([]device, len(joins))
	f.static = make([]tables.Device, len(joins))
	for i, join := range joins {
		var id uint64
		for {
			id = r.Uint64N(1e13)
			if _, dup := seen[id]; !dup {
				break
			}
		}
		seen[id] = struct{}{}
		f.static[i] = tables.Device{
			Device:  fmt.Sprintf("%013d", id),
			Models:  int32(models.MinRange + r.IntN(models.MaxRange-models.MinRange)),
			Country: country.Choices[r.IntN(len(country.Choices))],
		}
		d := &f.devs[i]
		d.join = join
		d.pcg = *stream(seed, uint64(i)+1)
		d.rng = rand.New(&d.pcg)
	}
}

// stream returns the PCG of one stream of a seed: stream 0 draws the fleet, stream i+1 drives
// device i. Both PCG seeds are derived from (seed, stream) with SplitMix64.
func stream(seed, id uint64) *rand.PCG {
	s1 := splitmix(seed ^ splitmix(id))
	s2 := splitmix(s1 ^ 0x6a09e667f3bcc909)
	return rand.NewPCG(s1, s2)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// fingerprint hashes what determines the rows, so a snapshot is only restored into the same world.
func fingerprint(cfg *Config, seed uint64, start time.Time) (uint64, error) {
	js, err := json.Marshal(cfg)
	if err != nil {
		return 0, fmt.Errorf("fingerprint config: %w", err)
	}
	h := fnv.New64a()
	h.Write(js)
	h.Write(binary.LittleEndian.AppendUint64(nil, seed))
	h.Write([]byte(strconv.FormatInt(start.UnixNano(), 10)))
	return h.Sum64(), nil
}

// Devices returns the static attributes of the devices that have emitted rows so far: the initial
// fleet, plus grown devices once their first tick was emitted. The result is a fresh slice.
func (f *Fleet) Devices() []tables.Device {
	out := make([]tables.Device, 0, len(f.devs))
	for i := range f.devs {
		if f.devs[i].join <= f.emitted {
			out = append(out, f.static[i])
		}
	}
	return out
}

// NextTime returns the timestamp of the tick the next call of Next emits.
func (f *Fleet) NextTime() time.Time { return f.timeOf(f.emitted + 1) }

func (f *Fleet) timeOf(tick uint64) time.Time {
	return f.start.Add(time.Duration(tick) * f.interval)
}

// Next simulates one tick and appends its rows, one telemetry and one label row per present device
// in device order, to tel and lab. It returns the tick's timestamp and the extended slices; passing
// the previous slices truncated to [:0] reuses their memory. With label_horizon k the fleet keeps
// k ticks simulated ahead, so the labels of this tick already look k ticks into its future.
func (f *Fleet) Next(tel []tables.Telemetry, lab []tables.Label) (time.Time, []tables.Telemetry, []tables.Label) {
	t := f.emitted + 1
	for f.simulated < t+uint64(f.window-1) {
		f.simulated++
		f.simulate(f.simulated)
	}
	ts := f.timeOf(t)
	n := len(f.devs)
	slot := int(t % uint64(f.window))
	vals := f.vals[slot*n*4 : (slot+1)*n*4]
	tel = slices.Grow(tel, n)
	lab = slices.Grow(lab, n)
	for i := range f.devs {
		d := &f.devs[i]
		if d.join > t {
			continue
		}
		v := vals[i*4 : i*4+4 : i*4+4]
		id := f.static[i].Device
		tel = append(tel, tables.Telemetry{
			Timestamp: ts, Device: id,
			CPUUtilization: v[0], Latency: v[1], PacketLoss: v[2], Throughput: v[3],
		})
		// last[b] is the latest simulated tick, at most t+horizon, with flag b set.
		lab = append(lab, tables.Label{
			Timestamp: ts, Device: id,
			CPUUtilizationIsError: d.last[0] >= t,
			LatencyIsError:        d.last[1] >= t,
			PacketLossIsError:     d.last[2] >= t,
			ThroughputIsError:     d.last[3] >= t,
			IsError:               d.last[isErrorBit] >= t,
		})
	}
	f.emitted = t
	return ts, tel, lab
}

// simulate advances every present device by one tick into the ring slot of tick.
func (f *Fleet) simulate(tick uint64) {
	f.advanceWorld(tick)
	n := len(f.devs)
	slot := int(tick % uint64(f.window))
	vals := f.vals[slot*n*4 : (slot+1)*n*4]
	for i := range f.devs {
		d := &f.devs[i]
		if d.join > tick {
			continue
		}
		fl := f.step(d, (*[4]float64)(vals[i*4:i*4+4]))
		for b := range d.last {
			if fl&(1<<b) != 0 {
				d.last[b] = tick
			}
		}
	}
}

// Run emits ticks for as long as the next tick's timestamp is not after until, handing fn the
// rows of ticksPerBatch ticks at a time (the last batch may hold fewer). The slices passed to fn
// are reused once it returns. Run is the backfill loop: it stops at the first error of fn.
func (f *Fleet) Run(until time.Time, ticksPerBatch int, fn func(tel []tables.Telemetry, lab []tables.Label) error) error {
	ticksPerBatch = max(ticksPerBatch, 1)
	var tel []tables.Telemetry
	var lab []tables.Label
	for !f.NextTime().After(until) {
		tel, lab = tel[:0], lab[:0]
		for k := 0; k < ticksPerBatch && !f.NextTime().After(until); k++ {
			_, tel, lab = f.Next(tel, lab)
		}
		if err := fn(tel, lab); err != nil {
			return err
		}
	}
	return nil
}
