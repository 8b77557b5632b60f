package detect

import "testing"

// BenchmarkAdd measures one observation per op on the test vectors, looped; inputs/s is the
// throughput a single detector sustains.
func BenchmarkAdd(b *testing.B) {
	binary := readStream(b, "skm_seed1_stream_A.txt")
	counts := readStream(b, "skm_drift_stream.txt")
	benchmarks := []struct {
		cfg Config
		xs  []float64
	}{
		{Config{Kind: KindDDM}, binary},
		{Config{Kind: KindEDDM}, binary},
		{Config{Kind: KindPageHinkley}, counts},
		{Config{Kind: KindADWIN}, counts},
		{Config{Kind: KindHDDMA}, binary},
		{Config{Kind: KindHDDMW}, binary},
	}
	for _, bm := range benchmarks {
		b.Run(bm.cfg.Kind, func(b *testing.B) {
			d := mustNew(b, bm.cfg)
			n := 0
			for b.Loop() {
				if err := d.Add(bm.xs[n%len(bm.xs)]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "inputs/s")
		})
	}
}
