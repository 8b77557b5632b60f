package sim

import (
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// testStart is the start time of every test fleet.
var testStart = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// tickTime returns the timestamp of tick i of a fleet with the default 5s interval.
func tickTime(i int) time.Time { return testStart.Add(time.Duration(i) * 5 * time.Second) }

// tick is one tick's rows.
type tick struct {
	ts  time.Time
	tel []tables.Telemetry
	lab []tables.Label
}

func newFleet(t testing.TB, cfg Config, seed uint64) *Fleet {
	t.Helper()
	f, err := NewFleet(cfg, seed, testStart)
	if err != nil {
		t.Fatalf("NewFleet: %v", err)
	}
	return f
}

// runTicks emits n ticks of f, keeping each tick's rows.
func runTicks(f *Fleet, n int) []tick {
	out := make([]tick, n)
	for i := range out {
		out[i].ts, out[i].tel, out[i].lab = f.Next(nil, nil)
	}
	return out
}

// smallConfig is the default config with n devices.
func smallConfig(n int) Config {
	c := DefaultConfig()
	c.Deployment.Device.NumItems = n
	return c
}

func ptr[T any](v T) *T { return &v }

// flagsOf returns a label's flags as bits 0..3 per metric and bit isErrorBit for is_error.
func flagsOf(l tables.Label) uint8 {
	var b uint8
	for i, v := range [5]bool{l.CPUUtilizationIsError, l.LatencyIsError, l.PacketLossIsError, l.ThroughputIsError, l.IsError} {
		if v {
			b |= 1 << i
		}
	}
	return b
}

// equalTicks reports the first difference between two runs, or "".
func diffTicks(a, b []tick) string {
	if len(a) != len(b) {
		return "different tick counts"
	}
	for i := range a {
		if !a[i].ts.Equal(b[i].ts) {
			return "tick " + a[i].ts.String() + ": timestamps differ"
		}
		if len(a[i].tel) != len(b[i].tel) || len(a[i].lab) != len(b[i].lab) {
			return "tick " + a[i].ts.String() + ": row counts differ"
		}
		for j := range a[i].tel {
			if a[i].tel[j] != b[i].tel[j] {
				return "tick " + a[i].ts.String() + ": telemetry of " + a[i].tel[j].Device + " differs"
			}
			if a[i].lab[j] != b[i].lab[j] {
				return "tick " + a[i].ts.String() + ": labels of " + a[i].lab[j].Device + " differ"
			}
		}
	}
	return ""
}
