package matrixprofile

import (
	"fmt"
	"math"
	"testing"
)

// small shrinks every tuning knob so that short test series cross band, reseed and worker
// boundaries many times.
var small = config{band: 7, reseed: 23, workers: 3}

func configs() map[string]config {
	return map[string]config{"default": defaultConfig(), "small bands": small, "one worker": {band: 5, reseed: 1000, workers: 1}}
}

func TestExclusionZone(t *testing.T) {
	tests := []struct{ m, want int }{
		{-1, 0}, {0, 0}, {1, 1}, {3, 1}, {4, 1}, {5, 2}, {8, 2}, {9, 3}, {12, 3}, {13, 4}, {100, 25}, {101, 26},
	}
	for _, tt := range tests {
		if got := ExclusionZone(tt.m); got != tt.want {
			t.Errorf("ExclusionZone(%d) = %d, want %d", tt.m, got, tt.want)
		}
	}
}

func TestSelfJoinMatchesBruteForce(t *testing.T) {
	tests := []struct {
		name   string
		n, m   int
		offset float64
	}{
		{name: "m=3 excl=1", n: 200, m: 3},
		{name: "m=4 excl=1", n: 200, m: 4},
		{name: "m=5 excl=2", n: 200, m: 5},
		{name: "m=8 excl=2", n: 300, m: 8},
		{name: "m=9 excl=3", n: 300, m: 9},
		{name: "m=12 excl=3", n: 300, m: 12},
		{name: "m=13 excl=4", n: 300, m: 13},
		{name: "several stats chunks", n: 1300, m: 40},
		{name: "large offset", n: 800, m: 20, offset: 1e6},
		{name: "huge offset", n: 800, m: 20, offset: 1e9},
		{name: "n=m", n: 10, m: 10},
		{name: "n=m+1", n: 11, m: 10},
		{name: "no neighbour outside zone", n: 12, m: 9},      // 4 windows, excl 3: |i-j| ≤ 3 for all
		{name: "one admissible pair", n: 13, m: 9},            // 5 windows: only (0, 4)
		{name: "two admissible pairs", n: 14, m: 9},           // 6 windows: (0,4), (0,5), (1,5)
		{name: "shortest series", n: MinWindow, m: MinWindow}, // one window
	}
	for _, tt := range tests {
		x := randomWalk(uint64(tt.n*31+tt.m), tt.n)
		for i := range x {
			x[i] += tt.offset
		}
		for cname, cfg := range configs() {
			t.Run(tt.name+"/"+cname, func(t *testing.T) {
				p, err := cfg.selfJoin(x, tt.m)
				if err != nil {
					t.Fatal(err)
				}
				if !p.Self {
					t.Error("Self = false")
				}
				checkProfile(t, p, x, x, tt.m, ExclusionZone(tt.m))
			})
		}
	}
}

func TestABJoinMatchesBruteForce(t *testing.T) {
	tests := []struct {
		name     string
		na, nb   int
		m        int
		offsetB  float64
		constant bool
	}{
		{name: "a shorter", na: 300, nb: 500, m: 10},
		{name: "a longer", na: 500, nb: 300, m: 10},
		{name: "len(a)=m", na: 7, nb: 200, m: 7},
		{name: "len(b)=m", na: 200, nb: 7, m: 7},
		{name: "both length m", na: 5, nb: 5, m: 5},
		{name: "several stats chunks", na: 1100, nb: 700, m: 40},
		{name: "offset b", na: 400, nb: 400, m: 16, offsetB: 1e7},
		{name: "shortest window", na: 150, nb: 170, m: 3},
	}
	for _, tt := range tests {
		a := randomWalk(uint64(tt.na), tt.na)
		b := randomWalk(uint64(tt.nb)+1000, tt.nb)
		for i := range b {
			b[i] += tt.offsetB
		}
		for cname, cfg := range configs() {
			t.Run(tt.name+"/"+cname, func(t *testing.T) {
				p, err := cfg.abJoin(a, b, tt.m)
				if err != nil {
					t.Fatal(err)
				}
				if p.Self {
					t.Error("Self = true")
				}
				checkProfile(t, p, a, b, tt.m, -1)
			})
		}
	}
}

// withFlats returns a random walk with constant stretches: two at the same level, one at another.
func withFlats(n int) []float64 {
	x := randomWalk(99, n)
	for _, f := range []struct {
		lo, hi int
		v      float64
	}{{40, 70, 3}, {150, 175, 3}, {220, 260, -1.25}} {
		for i := f.lo; i < min(f.hi, n); i++ {
			x[i] = f.v
		}
	}
	return x
}

func TestJoinConstantSubsequences(t *testing.T) {
	const m = 10
	flat := make([]float64, 60)
	for i := range flat {
		flat[i] = 7
	}
	tests := []struct {
		name string
		a, b []float64 // b nil: self-join of a
	}{
		{name: "self flats", a: withFlats(300)},
		{name: "self all constant", a: flat},
		{name: "self one flat window", a: withFlats(300)[30:80]},
		{name: "ab flats against walk", a: withFlats(300), b: randomWalk(3, 200)},
		{name: "ab walk against flats", a: randomWalk(3, 200), b: withFlats(300)},
		{name: "ab flats against flats", a: withFlats(300), b: withFlats(280)[100:]},
		{name: "ab constant against constant", a: flat, b: flat[:m]},
	}
	for _, tt := range tests {
		for cname, cfg := range configs() {
			t.Run(tt.name+"/"+cname, func(t *testing.T) {
				if tt.b == nil {
					p, err := cfg.selfJoin(tt.a, m)
					if err != nil {
						t.Fatal(err)
					}
					checkProfile(t, p, tt.a, tt.a, m, ExclusionZone(m))
					return
				}
				p, err := cfg.abJoin(tt.a, tt.b, m)
				if err != nil {
					t.Fatal(err)
				}
				checkProfile(t, p, tt.a, tt.b, m, -1)
			})
		}
	}
}

// TestJoinSpikes checks series holding values far larger than the rest. Their rounding stays in
// the running covariances until the band is reseeded, which drift control does as soon as the
// spike has left the windows; without it the rows just after a spike pick wrong neighbours.
func TestJoinSpikes(t *testing.T) {
	const m = 12
	for _, spike := range []float64{1e3, 1e6, 1e9, -1e12} {
		a := randomWalk(17, 600)
		a[100], a[101], a[400] = spike, spike/3, -spike
		b := randomWalk(18, 500)
		b[250] = spike
		for cname, cfg := range configs() {
			t.Run(fmt.Sprintf("%g/%s", spike, cname), func(t *testing.T) {
				p, err := cfg.selfJoin(a, m)
				if err != nil {
					t.Fatal(err)
				}
				checkProfile(t, p, a, a, m, ExclusionZone(m))
				p, err = cfg.abJoin(a, b, m)
				if err != nil {
					t.Fatal(err)
				}
				checkProfile(t, p, a, b, m, -1)
			})
		}
	}
}

func TestSelfJoinSameAcrossWorkerCounts(t *testing.T) {
	x := randomWalk(8, 2000)
	ref, err := config{band: 32, reseed: 500, workers: 1}.selfJoin(x, 25)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{2, 3, 8} {
		p, err := config{band: 32, reseed: 500, workers: workers}.selfJoin(x, 25)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ref.P {
			if math.Float64bits(p.P[i]) != math.Float64bits(ref.P[i]) {
				t.Fatalf("workers=%d: P[%d] = %v, want %v", workers, i, p.P[i], ref.P[i])
			}
		}
	}
}

func TestJoinExtremeScales(t *testing.T) {
	x := randomWalk(21, 400)
	want := bruteJoin(x, x, 16, ExclusionZone(16))
	for _, scale := range []float64{1e300, 1e-300, 1e-320 / 1e3} {
		xs := make([]float64, len(x))
		for i, v := range x {
			xs[i] = v * scale * 1e3
		}
		p, err := SelfJoin(xs, 16)
		if err != nil {
			t.Fatal(err)
		}
		if scale < 1e-310 { // subnormal inputs keep only a few bits: just require sane output
			for i, v := range p.P {
				if math.IsNaN(v) || v < 0 {
					t.Fatalf("scale %g: P[%d] = %v", scale, i, v)
				}
			}
			continue
		}
		checkDistances(t, p.P, want)
	}
}

// mixedScales returns a random walk with a quiet stretch (1e-6 of the scale), a loud burst (1e5)
// and an offset stretch, so that neighbouring windows differ by many orders of magnitude.
func mixedScales(seed uint64, n int) []float64 {
	x := randomWalk(seed, n)
	for i := range x {
		switch {
		case i >= n/4 && i < n/2:
			x[i] *= 1e-6
		case i >= 3*n/5 && i < 3*n/5+20:
			x[i] *= 1e5
		case i >= 4*n/5:
			x[i] += 1e8
		}
	}
	return x
}

func TestMixedScales(t *testing.T) {
	const m = 16
	x, y := mixedScales(31, 900), mixedScales(32, 700)
	for cname, cfg := range configs() {
		t.Run(cname, func(t *testing.T) {
			p, err := cfg.selfJoin(x, m)
			if err != nil {
				t.Fatal(err)
			}
			checkProfile(t, p, x, x, m, ExclusionZone(m))
			p, err = cfg.abJoin(x, y, m)
			if err != nil {
				t.Fatal(err)
			}
			checkProfile(t, p, x, y, m, -1)
		})
	}
	for _, at := range []int{0, 200, 430, 600} {
		d, err := MASS(y[at:at+m], x)
		if err != nil {
			t.Fatal(err)
		}
		checkDistances(t, d, bruteMASS(y[at:at+m], x))
	}
}
