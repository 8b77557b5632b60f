package driftdetectors

import (
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
)

// BenchmarkFeed measures a labeled batch of 10,000 rows through the default detectors, including
// restoring them from their saved state and saving them again, as a batch does; rows/s is the
// rate one model version's stream sustains without the store and KV round trips.
func BenchmarkFeed(b *testing.B) {
	cfg := testConfig(b)
	rows := bernoulli(rand.New(rand.NewPCG(1, 2)), 0, 10000, 0.1)
	base := make([]float64, 1000)
	rec := &record{Model: "bench", Version: 1}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dets, err := prepare(rec, cfg.plan.base, func() ([]float64, error) { return base, nil }, log)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := feed(rec, dets, nil); err != nil { // saves the warmed-up states
		b.Fatal(err)
	}
	saved, err := json.Marshal(rec)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		var r record
		if err := json.Unmarshal(saved, &r); err != nil {
			b.Fatal(err)
		}
		dets, err := prepare(&r, cfg.plan.base, nil, log)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := feed(&r, dets, rows); err != nil {
			b.Fatal(err)
		}
		n += len(rows)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
