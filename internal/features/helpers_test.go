package features

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// t0 is a start time that is not aligned on a bucket.
var t0 = time.Date(2024, 3, 1, 0, 3, 17, 0, time.UTC)

// histSpec describes a random telemetry history.
type histSpec struct {
	seed    uint64
	devices int
	ticks   int
}

// history returns random telemetry sorted by timestamp: devices that appear late, devices that
// skip ticks, gaps longer than the 6h window, repeated timestamps, signed zeros and clipped
// values, so every path of the window code is taken.
func history(h histSpec) []tables.Telemetry {
	r := rand.New(rand.NewPCG(h.seed, 1))
	type dev struct {
		id    string
		first int     // first tick it may emit
		p     float64 // probability of emitting at a tick
	}
	devs := make([]dev, h.devices)
	for i := range devs {
		devs[i] = dev{id: fmt.Sprintf("%013d", r.Uint64N(1e13)), p: []float64{1, 1, 0.7, 0.2}[r.IntN(4)]}
		if r.IntN(3) == 0 {
			devs[i].first = r.IntN(h.ticks/2 + 1)
		}
	}
	var rows []tables.Telemetry
	ts := t0
	for tick := range h.ticks {
		switch {
		case r.IntN(100) < 2: // a gap longer than a window
			ts = ts.Add(time.Hour + time.Duration(r.Int64N(int64(8*time.Hour))))
		case r.IntN(10) == 0: // several ticks in one millisecond
		default:
			ts = ts.Add(time.Second + time.Duration(r.Int64N(int64(4*time.Minute))))
		}
		for _, i := range r.Perm(len(devs)) {
			d := devs[i]
			if tick < d.first || r.Float64() >= d.p {
				continue
			}
			for range 1 + boolInt(r.IntN(20) == 0) {
				rows = append(rows, randomRow(r, ts, d.id))
			}
		}
	}
	return rows
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// randomRow draws metrics like the generator does, with occasional signed zeros and negatives.
func randomRow(r *rand.Rand, ts time.Time, device string) tables.Telemetry {
	clip := func(x, lo, hi float64) float64 { return min(max(x, lo), hi) }
	t := tables.Telemetry{
		Timestamp:      ts,
		Device:         device,
		CPUUtilization: clip(70+10*r.NormFloat64(), 0, 100),
		Latency:        clip(5*r.NormFloat64(), 0, 100),
		PacketLoss:     clip(2*r.NormFloat64(), 0, 50),
		Throughput:     clip(250+20*r.NormFloat64(), 0, 300),
	}
	switch r.IntN(50) {
	case 0:
		t.Latency = math.Copysign(0, -1)
	case 1:
		t.Throughput = -1e6 * r.Float64()
	}
	return t
}

// fleet returns static attributes for the devices of rows, leaving some unknown or missing.
func fleet(seed uint64, rows []tables.Telemetry) Statics {
	r := rand.New(rand.NewPCG(seed, 2))
	var devs []tables.Device
	for _, d := range Devices(rows) {
		if r.IntN(10) == 0 {
			continue // no static attributes at all
		}
		devs = append(devs, tables.Device{Device: d, Models: int32(r.IntN(11)), Country: string(rune('A' + r.IntN(8)))})
	}
	return NewStatics(devs)
}

// offline computes the features of rows in one pass.
func offline(t testing.TB, statics Statics, rows []tables.Telemetry) []Row {
	t.Helper()
	out, err := Compute(map[string]*State{}, statics, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRows fails unless got and want are identical, features compared bit for bit.
func sameRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := &got[i], &want[i]
		if !g.Timestamp.Equal(w.Timestamp) || g.Device != w.Device {
			t.Fatalf("row %d: got %s %s, want %s %s", i, g.Device, g.Timestamp, w.Device, w.Timestamp)
		}
		gv, wv := g.Vector(), w.Vector()
		for k := range wv {
			if math.Float64bits(gv[k]) != math.Float64bits(wv[k]) {
				t.Fatalf("row %d (%s %s): %s = %v (%#x), want %v (%#x)", i, w.Device, w.Timestamp,
					names[k], gv[k], math.Float64bits(gv[k]), wv[k], math.Float64bits(wv[k]))
			}
		}
	}
}

// seq2 turns a slice into an error-free iterator, counting how many values were pulled.
func seq2[T any](s []T, pulled *int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range s {
			if pulled != nil {
				*pulled++
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// encodeAll is a stand-in for storing every state in KV.
func encodeAll(t testing.TB, states map[string]*State, kv map[string][]byte) {
	t.Helper()
	for d, s := range states {
		b, err := s.AppendBinary(kv[d][:0])
		if err != nil {
			t.Fatal(err)
		}
		kv[d] = b
	}
}

// sortedKeys returns m's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
