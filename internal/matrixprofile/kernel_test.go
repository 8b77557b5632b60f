package matrixprofile

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// withKernel runs f with the AVX2 kernel switched on or off, restoring the default afterwards.
// Tests using it must not run in parallel.
func withKernel(t *testing.T, avx bool, f func(t *testing.T)) {
	t.Helper()
	if avx && !haveAVX2 {
		t.Skip("no AVX2")
	}
	defer func(old bool) { useAVX2 = old }(useAVX2)
	useAVX2 = avx
	f(t)
}

func kernels() map[string]bool { return map[string]bool{"go": false, "avx2": true} }

// TestSweepRowAVX2MatchesGo checks the AVX2 row kernel bit for bit against sweepOneGo, on values
// that produce many exact ties (small integers, repeated column values) and constant windows
// (inverse norm 0), for every length up to a few steps of eight.
func TestSweepRowAVX2MatchesGo(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(4, 5))
	val := func(ints bool) float64 {
		if ints {
			return float64(r.IntN(5) - 2)
		}
		return r.NormFloat64()
	}
	for n := 0; n <= 40; n++ {
		for trial := range 20 {
			ints := trial%2 == 0
			mk := func() []float64 {
				s := make([]float64, n)
				for k := range s {
					s[k] = val(ints)
				}
				return s
			}
			c, df, dg, inv, colRho := mk(), mk(), mk(), mk(), mk()
			colIdx := make([]int, n)
			for k := range n {
				inv[k] = math.Abs(inv[k])
				if r.IntN(8) == 0 {
					inv[k] = 0 // constant window
				}
				colIdx[k] = r.IntN(7) - 1
				if r.IntN(4) == 0 {
					colRho[k] = math.Inf(-1)
				}
			}
			rw := row{df: val(ints), dg: val(ints), inv: math.Abs(val(ints))}
			i := r.IntN(5)
			c2, rho2, idx2 := append([]float64(nil), c...), append([]float64(nil), colRho...), append([]int(nil), colIdx...)
			want := sweepOneGo(c, df, dg, inv, colRho, colIdx, rw, i)
			n4 := n &^ 3
			got := -2.0
			if n4 > 0 {
				got = sweepRowAVX2(&c2[0], &df[0], &dg[0], &inv[0], &rho2[0], &idx2[0], n4, rw.df, rw.dg, rw.inv, i)
			}
			got = max(got, sweepOneGo(c2[n4:], df[n4:], dg[n4:], inv[n4:], rho2[n4:], idx2[n4:], rw, i))
			if got != want {
				t.Fatalf("n=%d trial %d: best %v, want %v", n, trial, got, want)
			}
			for k := range n {
				if math.Float64bits(c2[k]) != math.Float64bits(c[k]) || math.Float64bits(rho2[k]) != math.Float64bits(colRho[k]) || idx2[k] != colIdx[k] {
					t.Fatalf("n=%d trial %d k=%d: got (%v, %v, %d), want (%v, %v, %d)", n, trial, k, c2[k], rho2[k], idx2[k], c[k], colRho[k], colIdx[k])
				}
			}
		}
	}
}

// TestJoinsGoKernel repeats brute-force checks with the portable kernels (paired rows and
// argBestFirst), which machines without AVX2 use.
func TestJoinsGoKernel(t *testing.T) {
	x := randomWalk(41, 700)
	y := mixedScales(42, 500)
	s := randomWalk(43, 400)
	s[100], s[250] = 1e9, -1e6
	withKernel(t, false, func(t *testing.T) {
		for cname, cfg := range configs() {
			for _, m := range []int{3, 16, 40} {
				t.Run(fmt.Sprintf("%s/m=%d", cname, m), func(t *testing.T) {
					for _, a := range [][]float64{x, y, s, withFlats(300)} {
						p, err := cfg.selfJoin(a, m)
						if err != nil {
							t.Fatal(err)
						}
						checkProfile(t, p, a, a, m, ExclusionZone(m))
					}
					p, err := cfg.abJoin(x, y, m)
					if err != nil {
						t.Fatal(err)
					}
					checkProfile(t, p, x, y, m, -1)
				})
			}
		}
	})
}

// smallInts returns n values in -2..2: exact ties everywhere, and constant stretches.
func smallInts(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(r.IntN(5) - 2)
	}
	return x
}

func sameProfile(t *testing.T, what string, got, want *Profile) {
	t.Helper()
	for i := range want.P {
		if math.Float64bits(got.P[i]) != math.Float64bits(want.P[i]) || got.I[i] != want.I[i] {
			t.Fatalf("%s: (P, I)[%d] = (%v, %d), want (%v, %d)", what, i, got.P[i], got.I[i], want.P[i], want.I[i])
		}
	}
}

// TestJoinsSameAcrossWorkerCounts checks that the parallel sweeps give bit-identical profiles and
// indices to the serial one (one worker), with either kernel, also on data full of exact ties.
func TestJoinsSameAcrossWorkerCounts(t *testing.T) {
	// With m = 32 and small integers, window means and all covariance updates are exact, so a
	// periodic series gives many exactly equal correlations in different bands.
	const m = 32
	periodic := smallInts(16, 3000)
	for i := 97; i < len(periodic); i++ {
		periodic[i] = periodic[i-97]
	}
	inputs := map[string][2][]float64{
		"random walk":   {randomWalk(8, 3000), randomWalk(9, 2500)},
		"small ints":    {smallInts(10, 3000), smallInts(11, 2000)},
		"periodic ints": {periodic, periodic[500:2500]},
		"flats":         {withFlats(1500), withFlats(1200)[200:]},
	}
	for kname, avx := range kernels() {
		withKernel(t, avx, func(t *testing.T) {
			for name, in := range inputs {
				for _, cfg := range []config{{band: 32, reseed: 500}, {band: 7, reseed: 23}, defaultConfig()} {
					cfg.workers = 1
					self, err := cfg.selfJoin(in[0], m)
					if err != nil {
						t.Fatal(err)
					}
					ab, err := cfg.abJoin(in[0], in[1], m)
					if err != nil {
						t.Fatal(err)
					}
					for _, workers := range []int{2, 3, 8} {
						cfg.workers = workers
						what := fmt.Sprintf("%s/%s/band=%d/workers=%d", kname, name, cfg.band, workers)
						p, err := cfg.selfJoin(in[0], m)
						if err != nil {
							t.Fatal(err)
						}
						sameProfile(t, what+"/self", p, self)
						p, err = cfg.abJoin(in[0], in[1], m)
						if err != nil {
							t.Fatal(err)
						}
						sameProfile(t, what+"/ab", p, ab)
					}
				}
			}
		})
	}
}

// TestSameAcrossGOMAXPROCS checks the public entry points give identical output whatever
// GOMAXPROCS is.
func TestSameAcrossGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	x, y := smallInts(12, 6000), randomWalk(13, 40_000)
	q := randomWalk(14, 100)
	qLong := randomWalk(15, 400)
	var self, ab *Profile
	var d, dLong []float64
	for _, procs := range []int{1, 2, 3, 5} {
		runtime.GOMAXPROCS(procs)
		p, err := SelfJoin(x, 30)
		if err != nil {
			t.Fatal(err)
		}
		pab, err := ABJoin(x, y[:5000], 30)
		if err != nil {
			t.Fatal(err)
		}
		m, err := MASS(q, y)
		if err != nil {
			t.Fatal(err)
		}
		mLong, err := MASS(qLong, y)
		if err != nil {
			t.Fatal(err)
		}
		if self == nil {
			self, ab, d, dLong = p, pab, m, mLong
			continue
		}
		sameProfile(t, fmt.Sprintf("GOMAXPROCS=%d self", procs), p, self)
		sameProfile(t, fmt.Sprintf("GOMAXPROCS=%d ab", procs), pab, ab)
		for i := range d {
			if math.Float64bits(m[i]) != math.Float64bits(d[i]) {
				t.Fatalf("GOMAXPROCS=%d: MASS[%d] = %v, want %v", procs, i, m[i], d[i])
			}
		}
		for i := range dLong {
			if math.Float64bits(mLong[i]) != math.Float64bits(dLong[i]) {
				t.Fatalf("GOMAXPROCS=%d: MASS (FFT)[%d] = %v, want %v", procs, i, mLong[i], dLong[i])
			}
		}
	}
}
