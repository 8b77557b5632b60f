package features

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// fleetTicks returns ticks × devices telemetry rows at 5-second ticks, all devices every tick,
// like the generator's default, with device ids and static attributes.
func fleetTicks(devices, ticks int, start time.Time, seed uint64) ([]tables.Telemetry, Statics) {
	r := rand.New(rand.NewPCG(seed, 9))
	ids := make([]string, devices)
	devs := make([]tables.Device, devices)
	for i := range ids {
		ids[i] = fmt.Sprintf("%013d", i)
		devs[i] = tables.Device{Device: ids[i], Models: int32(r.IntN(9)), Country: string(rune('A' + r.IntN(7)))}
	}
	rows := make([]tables.Telemetry, 0, devices*ticks)
	for k := range ticks {
		ts := start.Add(time.Duration(k+1) * 5 * time.Second)
		for _, id := range ids {
			rows = append(rows, randomRow(r, ts, id))
		}
	}
	return rows, NewStatics(devs)
}

// BenchmarkOffline measures the offline path: 100 devices × 12h of 5-second ticks through one
// states map, in batches of 10 ticks (the original demo's batch).
func BenchmarkOffline(b *testing.B) {
	const devices, ticks, batchTicks = 100, 8640, 10
	rows, statics := fleetTicks(devices, ticks, t0, 1)
	batch := devices * batchTicks
	dst := make([]Row, 0, batch)
	b.ResetTimer()
	for b.Loop() {
		states := make(map[string]*State, devices)
		for i := 0; i < len(rows); i += batch {
			var err error
			if dst, err = Compute(states, statics, rows[i:i+batch], dst[:0]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkOnlineTick measures one tick of 100,000 devices with full 6h states: decode every
// state, compute, encode every state; KV I/O is the caller's and not included. "map" and
// "map-fresh" are the Compute path; "worker" reuses one State per worker and calls Update, as a
// KV worker pool would.
func BenchmarkOnlineTick(b *testing.B) {
	const devices, warmDevices = 100_000, 100
	// Warm 100 distinct states over 6h30m and give device i the state of device i mod 100.
	warm, _ := fleetTicks(warmDevices, 4680, t0, 2)
	states := map[string]*State{}
	if _, err := Compute(states, nil, warm, nil); err != nil {
		b.Fatal(err)
	}
	tick, statics := fleetTicks(devices, 1, warm[len(warm)-1].Timestamp, 3)
	kv := make([][]byte, devices)
	size := 0
	for i := range kv {
		kv[i], _ = states[fmt.Sprintf("%013d", i%warmDevices)].MarshalBinary()
		size += len(kv[i])
	}
	out := make([][]byte, devices)
	for i := range out {
		out[i] = make([]byte, 0, 2*len(kv[i]))
	}
	report := func(b *testing.B) {
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/tick")
		b.ReportMetric(float64(devices)*float64(b.N)/b.Elapsed().Seconds(), "devices/s")
		b.ReportMetric(float64(size)/devices, "state-bytes")
	}

	index := make(map[string]int, devices)
	for i, r := range tick {
		index[r.Device] = i
	}
	rows := make([]Row, 0, devices)
	// mapTick is the Compute path: load the batch's states, compute, store them all.
	mapTick := func(b *testing.B, states map[string]*State) {
		for _, d := range Devices(tick) {
			s := states[d]
			if s == nil {
				s = new(State)
				states[d] = s
			}
			if err := s.UnmarshalBinary(kv[index[d]]); err != nil {
				b.Fatal(err)
			}
		}
		var err error
		if rows, err = Compute(states, statics, tick, rows[:0]); err != nil {
			b.Fatal(err)
		}
		for d, s := range states {
			i := index[d]
			out[i], _ = s.AppendBinary(out[i][:0])
		}
	}
	// "map" keeps its State objects from tick to tick, as a long-running function would;
	// "map-fresh" allocates all of them every tick (4.3 kB each).
	b.Run("map", func(b *testing.B) {
		states := make(map[string]*State, devices)
		for b.Loop() {
			mapTick(b, states)
		}
		report(b)
	})
	b.Run("map-fresh", func(b *testing.B) {
		for b.Loop() {
			mapTick(b, make(map[string]*State, devices))
		}
		report(b)
	})
	b.Run("worker", func(b *testing.B) {
		var s State
		for b.Loop() {
			for i := range tick {
				if err := s.UnmarshalBinary(kv[i]); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Update(tick[i], statics[tick[i].Device]); err != nil {
					b.Fatal(err)
				}
				out[i], _ = s.AppendBinary(out[i][:0])
			}
		}
		report(b)
	})
}

// BenchmarkStateRoundTrip is one device of an online tick with a hot cache: decode a full 6h
// state, compute one row, encode the state.
func BenchmarkStateRoundTrip(b *testing.B) {
	warm, statics := fleetTicks(1, 4680, t0, 4)
	var s State
	if _, err := Compute(map[string]*State{warm[0].Device: &s}, statics, warm, nil); err != nil {
		b.Fatal(err)
	}
	enc, _ := s.MarshalBinary()
	next := warm[len(warm)-1]
	next.Timestamp = next.Timestamp.Add(5 * time.Second)
	st := statics[next.Device]
	out := make([]byte, 0, 2*len(enc))
	for b.Loop() {
		if err := s.UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Update(next, st); err != nil {
			b.Fatal(err)
		}
		out, _ = s.AppendBinary(out[:0])
	}
	b.ReportMetric(float64(len(enc)), "state-bytes")
}
