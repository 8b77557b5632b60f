package sim

import (
	"fmt"
	"testing"

	"github.com/netopsfn/netops/internal/tables"
)

// BenchmarkNext measures simulation throughput, one tick per iteration, with reused buffers.
func BenchmarkNext(b *testing.B) {
	for _, tc := range []struct {
		devices, horizon int
	}{
		{100, 0},
		{10_000, 0},
		{10_000, 12},
	} {
		name := fmt.Sprintf("devices=%d", tc.devices)
		if tc.horizon > 0 {
			name += fmt.Sprintf("/horizon=%d", tc.horizon)
		}
		b.Run(name, func(b *testing.B) {
			c := smallConfig(tc.devices)
			c.LabelHorizon = tc.horizon
			f := newFleet(b, c, 1)
			tel := make([]tables.Telemetry, 0, tc.devices)
			lab := make([]tables.Label, 0, tc.devices)
			rows := 0
			b.ReportAllocs()
			for b.Loop() {
				_, tel, lab = f.Next(tel[:0], lab[:0])
				rows += len(tel)
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkSnapshot measures MarshalBinary and UnmarshalBinary of a 10,000-device fleet.
func BenchmarkSnapshot(b *testing.B) {
	f := newFleet(b, smallConfig(10_000), 1)
	runTicks(f, 10)
	snap, err := f.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(snap)), "bytes")
	})
	b.Run("unmarshal", func(b *testing.B) {
		g := newFleet(b, smallConfig(10_000), 1)
		for b.Loop() {
			if err := g.UnmarshalBinary(snap); err != nil {
				b.Fatal(err)
			}
		}
	})
}
