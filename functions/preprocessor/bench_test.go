package preprocessor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// BenchmarkTick100k measures the handler on one tick of 100,000 devices (one row each), KV state
// included, on an embedded NATS server and a file store in a temporary directory: reading the
// telemetry object, the device table (cached), reading 100,000 state records, computing,
// writing the features object, 100,000 online vectors and 100,000 state records. Writing the
// telemetry object is not timed.
//
//   - small-state: every device has a state of one earlier tick (a fresh fleet).
//   - 6h-state: every device has a full 6h window of 5-second ticks (a 3.5 kB state; its record,
//     with the state before the batch as a patch, about 3.6 kB): the steady state of a fleet.
//
// Run it with: go test -run '^$' -bench Tick100k -benchtime=3x ./functions/preprocessor
func BenchmarkTick100k(b *testing.B) {
	const devices = 100_000
	ids := make([]string, devices)
	table := make([]tables.Device, devices)
	for i := range ids {
		ids[i] = fmt.Sprintf("%013d", i)
		table[i] = tables.Device{Device: ids[i], Models: int32(i % 9), Country: string(rune('A' + i%7))}
	}
	for _, bc := range []struct {
		name string
		// warm stores the states the ticks start from and returns the next tick.
		warm func(b *testing.B, e *env, p *preprocessor, tick func(int) *batch) int
	}{
		{"small-state", func(b *testing.B, e *env, p *preprocessor, tick func(int) *batch) int {
			if _, err := p.handle(context.Background(), e.put(tick(0))); err != nil {
				b.Fatal(err)
			}
			return 1
		}},
		{"6h-state", warm6h},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := fileEnv(b)
			e.putDevices(table)
			p := e.instance()
			r := rand.New(rand.NewPCG(1, 2))
			tick := func(k int) *batch {
				ts := benchStart.Add(time.Duration(k) * 5 * time.Second)
				rows := make([]tables.Telemetry, devices)
				for i := range rows {
					rows[i] = tables.Telemetry{Timestamp: ts, Device: ids[i], CPUUtilization: 70 + 10*r.NormFloat64(),
						Latency: max(0, 5*r.NormFloat64()), PacketLoss: max(0, 2*r.NormFloat64()), Throughput: 250 + 20*r.NormFloat64()}
				}
				return &batch{id: fmt.Sprint("tick-", k), from: ts, to: ts, rows: rows}
			}
			k := bc.warm(b, e, p, tick)
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				in := e.put(tick(k))
				k++
				b.StartTimer()
				if _, err := p.handle(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
			st, err := p.kv.state.Status(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Bytes())/float64(st.Values()), "state-bytes/device")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/tick")
			b.ReportMetric(float64(devices)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// benchStart is the time of tick 0, in the middle of a 10-minute bucket: most ticks add a row to
// a bucket that has several, the case the state patch is made for.
var benchStart = t0.Add(150 * time.Second)

// warm6h gives every device the same full 6h state, ending at tick -1, stored as a record of a
// previous batch; the benchmark's ticks follow it.
func warm6h(b *testing.B, e *env, p *preprocessor, _ func(int) *batch) int {
	var s features.State
	r := rand.New(rand.NewPCG(3, 4))
	for k := -4320; k < 0; k++ {
		t := tables.Telemetry{Timestamp: benchStart.Add(time.Duration(k) * 5 * time.Second), Device: "warm",
			CPUUtilization: 70 + 10*r.NormFloat64(), Latency: max(0, 5*r.NormFloat64()), Throughput: 250}
		if _, err := s.Update(t, features.Static{}); err != nil {
			b.Fatal(err)
		}
	}
	enc, err := s.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	rec := (&record{batch: "warm", before: enc, after: enc}).appendTo(nil)
	const devices = 100_000
	var failed error
	err = p.kv.publish(context.Background(), devices, func(i int) (*nats.Msg, []jetstream.PublishOpt) {
		return &nats.Msg{Subject: "$KV." + e.cfg.StateBucket + "." + fmt.Sprintf("%013d", i), Data: rec}, nil
	}, func(_ int, err error) { failed = err })
	if err != nil || failed != nil {
		b.Fatal(err, failed)
	}
	return 0
}
