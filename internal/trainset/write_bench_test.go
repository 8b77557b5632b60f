package trainset

import (
	"io"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
)

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

// BenchmarkWrite measures write alone: 6 hours of 100 devices' training rows (432,000) encoded
// to Parquet and discarded. Run it with: go test -run '^$' -bench 'Write$' -benchtime=6x ./internal/trainset
func BenchmarkWrite(b *testing.B) {
	cfg := sim.DefaultConfig()
	f, _ := sim.NewFleet(cfg, 1, t0)
	var tel []tables.Telemetry
	var lab []tables.Label
	_ = f.Run(t0.Add(6*time.Hour), 720, func(t []tables.Telemetry, l []tables.Label) error {
		tel = append(tel, t...)
		lab = append(lab, l...)
		return nil
	})
	rows, err := features.Compute(map[string]*features.State{}, features.NewStatics(f.Devices()), tel, nil)
	if err != nil {
		b.Fatal(err)
	}
	tr := make([]features.TrainingRow, len(rows))
	for i := range rows {
		tr[i] = features.TrainingRow{Row: rows[i], IsError: lab[i].IsError}
	}
	seq := func(yield func(features.TrainingRow, error) bool) {
		for _, r := range tr {
			if !yield(r, nil) {
				return
			}
		}
	}
	var size int64
	for b.Loop() {
		var w countWriter
		var n int64
		if err := write(&w, seq, &n); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric(float64(len(tr))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(size)/float64(len(tr)), "bytes/row")
}
