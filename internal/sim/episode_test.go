package sim

import (
	"math"
	"testing"

	"github.com/netopsfn/netops/internal/tables"
)

func TestEpisodes(t *testing.T) {
	for _, tc := range []struct {
		name         string
		length, rate int
	}{
		{"default", 3, 5},
		{"one-tick episodes", 1, 5},
		{"long episodes", 10, 5},
		{"always entering", 3, 1},
		{"rare", 4, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig(50)
			c.Errors = Errors{LengthInTicks: tc.length, RateInTicks: tc.rate}
			checkEpisodes(t, c, 4000)
		})
	}
}

// checkEpisodes runs a fleet and checks every device's episodes tick by tick against SPEC §1.
func checkEpisodes(t *testing.T, c Config, ticks int) {
	t.Helper()
	f := newFleet(t, c, 11)
	L := int32(c.Errors.LengthInTicks)
	peaks := [4]float64{100, 100, 50, 0}
	n := len(f.devs)
	prevStep := make([]int32, n)
	prevFlags := make([]uint8, n)
	idleChecks, entries, episodes := 0, 0, 0
	var peakTicks [4]int
	var tel []tables.Telemetry
	var lab []tables.Label
	for range ticks {
		_, tel, lab = f.Next(tel[:0], lab[:0])
		for i := range n {
			step, prev := f.devs[i].step, prevStep[i]
			// The step runs 0 (idle), 1..L (episode), L+1 (stop), and the stop tick is never an
			// entry check: after it the device is idle or enters at once.
			switch {
			case prev == 0 || prev == L+1:
				idleChecks++
				if step == 1 {
					entries++
					episodes++
				} else if step != 0 {
					t.Fatalf("device %d: step %d after %d", i, step, prev)
				}
			case step != prev+1:
				t.Fatalf("device %d: step %d after %d, want %d", i, step, prev, prev+1)
			}
			flags := flagsOf(lab[i])
			inEpisode := step >= 1 && step <= L
			if !inEpisode && flags != 0 {
				t.Fatalf("device %d: flags %05b at step %d outside an episode", i, flags, step)
			}
			vals := tel[i].Values()
			all := true
			for m := range 4 {
				on := flags&(1<<m) != 0
				all = all && on
				if on && vals[m] != peaks[m] {
					t.Fatalf("device %d: %s is_error with value %v, want the peak %v", i, tables.Metrics[m], vals[m], peaks[m])
				}
				// The peak phase is a suffix of the episode: once on, on until step L.
				wasOn := prevFlags[i]&(1<<m) != 0
				if wasOn && step <= L && step > 1 && !on {
					t.Fatalf("device %d: %s left its peak phase at step %d", i, tables.Metrics[m], step)
				}
				if on {
					peakTicks[m]++
				}
				if on != (inEpisode && step > L-f.devs[i].peakLen[m]) {
					t.Fatalf("device %d: %s is_error %v at step %d with peak_len %d", i, tables.Metrics[m], on, step, f.devs[i].peakLen[m])
				}
			}
			if lab[i].IsError != all {
				t.Fatalf("device %d: is_error %v, AND of the metric flags %v", i, lab[i].IsError, all)
			}
			prevStep[i], prevFlags[i] = step, flags
		}
	}
	p := 1 / float64(c.Errors.RateInTicks)
	got := float64(entries) / float64(idleChecks)
	if sd := math.Sqrt(p * (1 - p) / float64(idleChecks)); math.Abs(got-p) > 5*sd {
		t.Errorf("entered an episode at %.4f of idle ticks, want %.4f", got, p)
	}
	// Mean peak phase length: E[clamp(int(N(L/2, L/10)), 0, L)].
	want := expectedPeakLen(float64(L))
	for m := range 4 {
		got := float64(peakTicks[m]) / float64(episodes)
		if math.Abs(got-want) > 0.05*max(want, 1) {
			t.Errorf("%s: %.3f peak ticks per episode, want %.3f", tables.Metrics[m], got, want)
		}
	}
}

// expectedPeakLen integrates E[clamp(trunc(X), 0, L)] for X ~ N(L/2, L/10) numerically.
func expectedPeakLen(L float64) float64 {
	mu, sd := L*peakLenRatio, L*peakLenJitter
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-(x-mu)/(sd*math.Sqrt2)) }
	e := 0.0
	for k := 1.0; k < L; k++ { // trunc(X) = k for X in [k, k+1)
		e += k * (cdf(k+1) - cdf(k))
	}
	return e + L*(1-cdf(L))
}

func TestEpisodeParams(t *testing.T) {
	for _, tc := range []struct {
		name          string
		length        int32
		peaks, rawLen float64
		wantLen       int32
		wantChance    float64
	}{
		{"typical", 3, 4, 1, 1, 1},                  // 4/2 = 2, clamped to 1
		{"fractional chance", 3, 1, 1, 1, 0.5},      // 1/2
		{"no peak phase", 3, 2, 0, 0, 2.0 / 3},      // 2/3
		{"negative peak_len", 3, 2, -2, 0, 2.0 / 5}, // original: 2/(3+2), never reaches peak phase
		{"peak_len = L", 3, 4, 3, 3, 0},             // no pre-peak; the original divides by zero
		{"peak_len > L", 3, 4, 5, 3, 0},             // whole episode peak phase
		{"negative peaks", 10, -2, 5, 5, 0},         // never peaks before the peak phase
		{"zero peaks", 10, 0, 5, 5, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, c := episodeParams(tc.length, tc.peaks, tc.rawLen)
			if l != tc.wantLen || math.Abs(c-tc.wantChance) > 1e-12 {
				t.Fatalf("episodeParams(%d, %v, %v) = %d, %v; want %d, %v", tc.length, tc.peaks, tc.rawLen, l, c, tc.wantLen, tc.wantChance)
			}
		})
	}
}

func TestThresholdAbove(t *testing.T) {
	// With is_threshold_below flipped, metrics peak at their min instead of their max.
	c := smallConfig(20)
	for _, m := range c.Metrics.list() {
		m.IsThresholdBelow = !m.IsThresholdBelow
	}
	f := newFleet(t, c, 5)
	want := [4]float64{0, 0, 0, 300}
	seen := 0
	for _, tk := range runTicks(f, 500) {
		for i, l := range tk.lab {
			for m, v := range tk.tel[i].Values() {
				if flagsOf(l)&(1<<m) != 0 {
					seen++
					if v != want[m] {
						t.Fatalf("%s in peak phase = %v, want %v", tables.Metrics[m], v, want[m])
					}
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no peak phase seen")
	}
}
