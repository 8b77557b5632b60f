package driftmagnitude

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	rtmetrics "runtime/metrics"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// benchRows is the size of the benchmark's labeled batch.
const benchRows = 1_000_000

// benchFile writes benchRows labeled rows (45 features, a shift on two of them) to a Parquet
// file once per process, in row groups of 128Ki rows as tables.NewWriter writes them.
func benchFile(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), "netops-driftmagnitude-bench-1m.parquet")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	w := tables.NewWriter[features.LabeledRow](f)
	g := newGen(99, map[string]float64{"latency": 1, "throughput_avg_1h": -0.5})
	for at := 0; at < benchRows; at += 100_000 {
		if err := w.Write(g.rows("netops", 1, 100_000, t0.Add(time.Duration(at)*time.Millisecond), 100*time.Second)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkReport1M streams 1,000,000 rows × 45 features (and the probability) from Parquet
// in chunks, bins them on the card's reference edges and computes the full report: the cost
// of one window read from raw data. peak-heap-MB is the largest live heap seen during a run.
func BenchmarkReport1M(b *testing.B) {
	path := benchFile(b)
	base, _ := CardBaseline(testCard(b, "netops", 20_000, true))
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	var peak uint64
	stop := samplePeakHeap(&peak)
	b.ResetTimer()
	for b.Loop() {
		p, err := PartialOf([]io.ReaderAt{f}, []int64{st.Size()}, base, DefaultChunk)
		if err != nil {
			b.Fatal(err)
		}
		r, err := base.Analyze(p, drift.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if p.Rows != benchRows || r.Compared != len(names) {
			b.Fatalf("rows %d, compared %d", p.Rows, r.Compared)
		}
	}
	stop()
	b.ReportMetric(float64(b.N)*benchRows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkBatch1M is the function's path for the same file as one labeled batch: all
// columns in lockstep, chunk by chunk, rows split by model version and 10-minute bucket into
// partials (no store, no report).
func BenchmarkBatch1M(b *testing.B) {
	path := benchFile(b)
	base, _ := CardBaseline(testCard(b, "netops", 20_000, false))
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	var peak uint64
	stop := samplePeakHeap(&peak)
	b.ResetTimer()
	for b.Loop() {
		pf, err := openParquet(f, st.Size())
		if err != nil {
			b.Fatal(err)
		}
		g := newGrouper(pf, 10*time.Minute, func(string, int) (*drift.Baseline, error) { return &base, nil })
		if err := scan(pf, g.cols, DefaultChunk, g.chunk); err != nil {
			b.Fatal(err)
		}
		var rows int64
		for _, gr := range g.sorted() {
			rows += gr.partial.Rows
		}
		if rows != benchRows {
			b.Fatalf("%d rows", rows)
		}
	}
	stop()
	b.ReportMetric(float64(b.N)*benchRows/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// samplePeakHeap records the largest heap in use (live and not yet collected objects) every
// 2 ms until stop is called; runtime/metrics reads it without stopping the world.
func samplePeakHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	runtime.GC()
	go func() {
		defer close(finished)
		sample := []rtmetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				rtmetrics.Read(sample)
				*peak = max(*peak, sample[0].Value.Uint64())
			}
		}
	}()
	return func() { close(done); <-finished }
}
