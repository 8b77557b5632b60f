package sim

import (
	"math"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// trace runs a fleet for n ticks, keeping each tick's rows and every device's episode step.
func trace(t *testing.T, c Config, seed uint64, n int) ([]tick, [][]int32) {
	t.Helper()
	f := newFleet(t, c, seed)
	ticks := make([]tick, n)
	steps := make([][]int32, n)
	for i := range ticks {
		ticks[i].ts, ticks[i].tel, ticks[i].lab = f.Next(nil, nil)
		steps[i] = make([]int32, len(f.devs))
		for d := range f.devs {
			steps[i][d] = f.devs[d].step
		}
	}
	return ticks, steps
}

func TestCovariateDrift(t *testing.T) {
	const at, ticks = 1000, 2000
	for _, tc := range []struct {
		name      string
		drift     CovariateDrift
		wantMean  float64 // mean on idle ticks after the drift, if not NaN
		mu0, sig0 float64
	}{
		{"cpu mean up", CovariateDrift{Metric: "cpu_utilization", Mu: ptr(85.0)}, 84.9, 70, 10},
		{"throughput wider", CovariateDrift{Metric: "throughput", Sigma: ptr(40.0)}, math.NaN(), 250, 20},
		{"latency both", CovariateDrift{Metric: "latency", Mu: ptr(30.0), Sigma: ptr(2.0)}, 30, 0, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig(50)
			base, steps := trace(t, c, 21, ticks)
			// 2s before tick 1000's timestamp: the drift applies from tick 1000.
			c.Scenarios = []Scenario{{At: tickTime(at).Add(-2 * time.Second), CovariateDrift: &tc.drift}}
			got, _ := trace(t, c, 21, ticks)
			if d := diffTicks(base[:at-1], got[:at-1]); d != "" {
				t.Fatalf("before the drift: %s", d)
			}
			m := metricIndex(tc.drift.Metric)
			b := c.Metrics.list()[m].Validation.Metric
			mu1, sig1 := tc.mu0, tc.sig0
			if tc.drift.Mu != nil {
				mu1 = *tc.drift.Mu
			}
			if tc.drift.Sigma != nil {
				sig1 = *tc.drift.Sigma
			}
			var sum, n float64
			for i := at - 1; i < ticks; i++ {
				for d := range got[i].tel {
					if got[i].lab[d] != base[i].lab[d] {
						t.Fatalf("tick %d: labels changed", i+1)
					}
					gv, bv := got[i].tel[d].Values(), base[i].tel[d].Values()
					for k := range 4 {
						if k != m && gv[k] != bv[k] {
							t.Fatalf("tick %d: %s changed", i+1, tables.Metrics[k])
						}
					}
					// An unclipped, non-peak baseline value is mu0 + sig0*z; the drifted one is
					// the same z on the new parameters.
					if bv[m] > b.Min && bv[m] < b.Max {
						want := min(max(mu1+sig1*(bv[m]-tc.mu0)/tc.sig0, b.Min), b.Max)
						if math.Abs(gv[m]-want) > 1e-9*max(1, math.Abs(want)) {
							t.Fatalf("tick %d: %s = %v, want %v", i+1, tc.drift.Metric, gv[m], want)
						}
					}
					if s := steps[i][d]; s == 0 || s > 3 {
						sum += gv[m]
						n++
					}
				}
			}
			if !math.IsNaN(tc.wantMean) && math.Abs(sum/n-tc.wantMean) > 0.3 {
				t.Errorf("mean %s on idle ticks after the drift %.2f, want %.1f", tc.drift.Metric, sum/n, tc.wantMean)
			}
		})
	}
}

func TestCovariateDriftEquivalences(t *testing.T) {
	// A drift before the start applies from the first tick, and of two drifts at the same time the
	// later in config order wins: both equal the base config with the final parameters.
	want := smallConfig(20)
	want.Metrics.CPUUtilization.DistributionParams.Mu = 90
	ref := runTicks(newFleet(t, want, 4), 300)
	c := smallConfig(20)
	c.Scenarios = []Scenario{
		{At: testStart.Add(-time.Hour), CovariateDrift: &CovariateDrift{Metric: "cpu_utilization", Mu: ptr(80.0)}},
		{At: testStart.Add(-time.Hour), CovariateDrift: &CovariateDrift{Metric: "cpu_utilization", Mu: ptr(90.0)}},
	}
	if d := diffTicks(ref, runTicks(newFleet(t, c, 4), 300)); d != "" {
		t.Fatal(d)
	}
}

func TestConceptDrift(t *testing.T) {
	const at, ticks, L = 1000, 3000, 3
	c := smallConfig(50)
	base, baseSteps := trace(t, c, 31, ticks)
	c.Scenarios = []Scenario{{At: tickTime(at), ConceptDrift: &ConceptDrift{Metrics: []string{"latency", "throughput"}}}}
	got, steps := trace(t, c, 31, ticks)
	if d := diffTicks(base[:at-1], got[:at-1]); d != "" {
		t.Fatalf("before the drift: %s", d)
	}
	const lat, tp, cpu, pl = 1, 3, 0, 2
	started := make([]int, 50) // tick the device's current episode started
	var cpuPeaks, episodeTicks, basePos, gotPos int
	for i := range ticks {
		tick := i + 1
		for d := range got[i].tel {
			s := steps[i][d]
			if s != baseSteps[i][d] {
				t.Fatalf("tick %d device %d: episode step %d, %d without the drift", tick, d, s, baseSteps[i][d])
			}
			if s == 1 {
				started[d] = tick
			}
			gv, bv := got[i].tel[d].Values(), base[i].tel[d].Values()
			gf, bf := flagsOf(got[i].lab[d]), flagsOf(base[i].lab[d])
			// Metrics in the new manifest set behave exactly as before.
			for _, m := range []int{lat, tp} {
				if gv[m] != bv[m] || gf&(1<<m) != bf&(1<<m) {
					t.Fatalf("tick %d device %d: %s changed", tick, d, tables.Metrics[m])
				}
			}
			inEpisode := s >= 1 && s <= L
			if !inEpisode || started[d] < at {
				if got[i].lab[d] != base[i].lab[d] || got[i].tel[d] != base[i].tel[d] {
					t.Fatalf("tick %d device %d: row changed outside a new-concept episode", tick, d)
				}
				continue
			}
			// New-concept episode: cpu and packet_loss look normal and never flag; is_error is
			// the AND of the latency and throughput flags.
			if gf&(1<<cpu|1<<pl) != 0 {
				t.Fatalf("tick %d device %d: flags %05b, want no cpu or packet_loss flag", tick, d, gf)
			}
			if got[i].lab[d].IsError != (got[i].lab[d].LatencyIsError && got[i].lab[d].ThroughputIsError) {
				t.Fatalf("tick %d device %d: is_error is not latency AND throughput", tick, d)
			}
			if gv[pl] == 50 {
				t.Fatalf("tick %d device %d: packet_loss at its peak in a new-concept episode", tick, d)
			}
			episodeTicks++
			if gv[cpu] == 100 {
				cpuPeaks++
			}
			if got[i].lab[d].IsError {
				gotPos++
			}
			if base[i].lab[d].IsError {
				basePos++
			}
		}
	}
	if frac := float64(cpuPeaks) / float64(episodeTicks); frac > 0.01 {
		t.Errorf("cpu at its peak in %.3f of new-concept episode ticks, want normal draws", frac)
	}
	// is_error now needs two peak phases instead of four, so it holds more often.
	if gotPos <= basePos {
		t.Errorf("%d is_error ticks in new-concept episodes, %d without the drift; want more", gotPos, basePos)
	}
}

func TestFleetGrowth(t *testing.T) {
	const ticks = 1000
	c := smallConfig(30)
	base := runTicks(newFleet(t, c, 17), ticks)
	baseDevs := newFleet(t, c, 17).Devices()
	c.Scenarios = []Scenario{
		{At: tickTime(800), FleetGrowth: &FleetGrowth{NumItems: 5}},
		{At: tickTime(500).Add(-time.Second), FleetGrowth: &FleetGrowth{NumItems: 20}},
	}
	f := newFleet(t, c, 17)
	if devs := f.Devices(); len(devs) != 30 || [3]tables.Device(devs[:3]) != [3]tables.Device(baseDevs[:3]) {
		t.Fatalf("before any tick: %d devices, want the 30 initial ones", len(devs))
	}
	seen := map[string]int{} // device id -> first tick
	for i := range ticks {
		tick := i + 1
		_, tel, lab := f.Next(nil, nil)
		want := 30
		if tick >= 500 {
			want += 20
		}
		if tick >= 800 {
			want += 5
		}
		if len(tel) != want || len(lab) != want || len(f.Devices()) != want {
			t.Fatalf("tick %d: %d rows and %d devices, want %d", tick, len(tel), len(f.Devices()), want)
		}
		// The initial devices come first and are untouched.
		for d := range 30 {
			if tel[d] != base[i].tel[d] || lab[d] != base[i].lab[d] {
				t.Fatalf("tick %d: initial device %s changed", tick, tel[d].Device)
			}
		}
		for _, row := range tel {
			if _, ok := seen[row.Device]; !ok {
				seen[row.Device] = tick
			}
		}
	}
	if len(seen) != 55 {
		t.Fatalf("%d distinct devices, want 55", len(seen))
	}
	devs := f.Devices()
	for j, d := range devs {
		wantFirst := 1
		switch {
		case j >= 30 && j < 35:
			wantFirst = 800 // config order: the 800 growth comes first
		case j >= 35:
			wantFirst = 500
		}
		if seen[d.Device] != wantFirst {
			t.Errorf("device %d (%s) first emitted at tick %d, want %d", j, d.Device, seen[d.Device], wantFirst)
		}
		if len(d.Device) != 13 || !isDigits(d.Device) || d.Models < 0 || d.Models > 8 || d.Country == "" {
			t.Errorf("grown device %+v has bad static attributes", d)
		}
	}
}

func TestLabelHorizon(t *testing.T) {
	world := smallConfig(40)
	world.Scenarios = []Scenario{
		{At: tickTime(150), FleetGrowth: &FleetGrowth{NumItems: 10}},
		{At: tickTime(300), ConceptDrift: &ConceptDrift{Metrics: []string{"packet_loss"}}},
	}
	const ticks = 600
	for _, tc := range []struct {
		name string
		cfg  Config
		k    int
	}{
		{"k=1", smallConfig(40), 1},
		{"k=3", smallConfig(40), 3},
		{"k=10", smallConfig(40), 10},
		{"k=5 with growth and concept drift", world, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := runTicks(newFleet(t, tc.cfg, 3), ticks+tc.k)
			c := tc.cfg
			c.LabelHorizon = tc.k
			got := runTicks(newFleet(t, c, 3), ticks)
			var basePos, gotPos, rows int
			for i := range ticks {
				rows += len(got[i].lab)
				if len(got[i].tel) != len(base[i].tel) {
					t.Fatalf("tick %d: %d rows, want %d", i+1, len(got[i].tel), len(base[i].tel))
				}
				for d := range got[i].tel {
					if got[i].tel[d] != base[i].tel[d] {
						t.Fatalf("tick %d: telemetry of %s changed", i+1, got[i].tel[d].Device)
					}
					var want uint8
					for j := i; j <= i+tc.k; j++ {
						want |= flagsOf(base[j].lab[d])
					}
					if g := flagsOf(got[i].lab[d]); g != want {
						t.Fatalf("tick %d device %s: flags %05b, want the OR over the next %d ticks %05b", i+1, got[i].lab[d].Device, g, tc.k, want)
					}
					if got[i].lab[d].IsError {
						gotPos++
					}
					if base[i].lab[d].IsError {
						basePos++
					}
				}
			}
			t.Logf("is_error rate %.4f with horizon %d, %.4f without", float64(gotPos)/float64(rows), tc.k, float64(basePos)/float64(rows))
		})
	}
}
