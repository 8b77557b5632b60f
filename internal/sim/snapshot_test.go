package sim

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// everything is a config using every scenario kind and a label horizon.
func everything(devices, horizon int) Config {
	c := smallConfig(devices)
	c.LabelHorizon = horizon
	c.Scenarios = []Scenario{
		{At: tickTime(40), CovariateDrift: &CovariateDrift{Metric: "throughput", Mu: ptr(200.0)}},
		{At: tickTime(60), FleetGrowth: &FleetGrowth{NumItems: 3}},
		{At: tickTime(80), ConceptDrift: &ConceptDrift{Metrics: []string{"cpu_utilization"}}},
	}
	return c
}

func TestSnapshotContinues(t *testing.T) {
	const total = 150
	for _, tc := range []struct {
		name string
		cfg  Config
		at   int // ticks emitted before the snapshot
	}{
		{"default, fresh", DefaultConfig(), 0},
		{"default, mid-run", DefaultConfig(), 77},
		{"horizon 4, fresh", everything(10, 4), 0},
		{"horizon 4, before the scenarios", everything(10, 4), 30},
		{"horizon 4, growth inside the lookahead", everything(10, 4), 57},
		{"horizon 4, after every scenario", everything(10, 4), 100},
		{"horizon 0 with scenarios", everything(10, 0), 70},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := runTicks(newFleet(t, tc.cfg, 99), total)
			a := newFleet(t, tc.cfg, 99)
			runTicks(a, tc.at)
			snap, err := a.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			b := newFleet(t, tc.cfg, 99)
			if err := b.UnmarshalBinary(snap); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Devices(), b.Devices()) {
				t.Fatalf("restored fleet has devices %d, want %d", len(b.Devices()), len(a.Devices()))
			}
			if !b.NextTime().Equal(tickTime(tc.at + 1)) {
				t.Fatalf("restored NextTime %v, want %v", b.NextTime(), tickTime(tc.at+1))
			}
			if d := diffTicks(ref[tc.at:], runTicks(b, total-tc.at)); d != "" {
				t.Fatalf("restored fleet diverges: %s", d)
			}
			// Marshalling does not disturb the original either.
			if d := diffTicks(ref[tc.at:], runTicks(a, total-tc.at)); d != "" {
				t.Fatalf("snapshotted fleet diverges: %s", d)
			}
		})
	}
}

func TestSnapshotRejects(t *testing.T) {
	cfg := everything(3, 2)
	a := newFleet(t, cfg, 5)
	runTicks(a, 65)
	snap, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	other := everything(3, 2)
	other.Metrics.Latency.DistributionParams.Mu = 1
	corrupt := func(off int, b byte) []byte {
		s := slices.Clone(snap)
		s[off] = b
		return s
	}
	header := len(snapshotMagic) + 8 + 8 + 8 + 4 + 4
	cases := []struct {
		name  string
		cfg   Config
		seed  uint64
		start time.Time
		data  []byte
	}{
		{"other seed", cfg, 6, testStart, snap},
		{"other config", other, 5, testStart, snap},
		{"other start", cfg, 5, testStart.Add(time.Second), snap},
		{"empty", cfg, 5, testStart, nil},
		{"bad magic", cfg, 5, testStart, corrupt(0, 'N')},
		{"trailing byte", cfg, 5, testStart, append(slices.Clone(snap), 0)},
		{"tick counters", cfg, 5, testStart, corrupt(len(snapshotMagic)+8, 99)},
		{"episode step", cfg, 5, testStart, corrupt(header+pcgSize, 9)},
		{"manifest set", cfg, 5, testStart, corrupt(header+pcgSize+4, 0x10)},
		{"random state", cfg, 5, testStart, corrupt(header, 'x')},
	}
	for n := 0; n < len(snap); n += 7 {
		cases = append(cases, struct {
			name  string
			cfg   Config
			seed  uint64
			start time.Time
			data  []byte
		}{"truncated", cfg, 5, testStart, snap[:n]})
	}
	ref := runTicks(newFleet(t, cfg, 5), 20)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFleet(tc.cfg, tc.seed, tc.start)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.UnmarshalBinary(tc.data); !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("UnmarshalBinary = %v, want ErrBadSnapshot", err)
			}
			if tc.seed == 5 && tc.start.Equal(testStart) && tc.cfg.Metrics.Latency.DistributionParams.Mu == 0 {
				if d := diffTicks(ref, runTicks(f, 20)); d != "" {
					t.Fatalf("a failed restore changed the fleet: %s", d)
				}
			}
		})
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	cfg := everything(2, 2)
	for _, n := range []int{0, 3, 70} {
		fl, err := NewFleet(cfg, 1, testStart)
		if err != nil {
			f.Fatal(err)
		}
		runTicks(fl, n)
		snap, err := fl.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(snap)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := NewFleet(cfg, 1, testStart)
		if err != nil {
			t.Fatal(err)
		}
		if fl.UnmarshalBinary(data) != nil {
			return
		}
		runTicks(fl, 5) // a restored fleet must run
	})
}
