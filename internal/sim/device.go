package sim

import (
	"math"
	"math/rand/v2"
)

// Constants of the error model (SPEC §1): at the start of an episode a metric draws
// peaks = int(gauss(4, 2)) and peak_len = int(gauss(L*0.5, L*0.1)).
const (
	peaksMu       = 4
	peaksSigma    = 2
	peakLenRatio  = 0.5
	peakLenJitter = 0.1
)

// device is one device's simulation state.
type device struct {
	pcg  rand.PCG
	rng  *rand.Rand // draws from pcg
	join uint64     // first tick the device is simulated and emitted; 0 for the initial fleet

	// step is 0 when idle, 1..L during an episode and L+1 on the stop tick after it.
	step int32
	// mask is the manifest set latched when the current or last episode started.
	mask uint8
	// peakLen is each metric's peak phase length for the current episode, clamped to [0, L].
	peakLen [4]int32
	// chance is each metric's pre-peak peak probability for the current episode, in [0, 1].
	chance [4]float64
	// last is, per flag bit (4 metrics, then is_error), the latest simulated tick with the flag
	// set, or 0. A row of tick t is labelled with flag b when last[b] >= t once ticks up to
	// t+label_horizon are simulated.
	last [5]uint64
}

// step simulates one tick of d, writes the metric values to out and returns the tick's flags
// (bit m: metric m in its peak phase; bit isErrorBit: is_error, before the label horizon).
//
// Draws, in this order and always, whatever the state: one uniform for episode entry; then, only
// when an episode starts, two normals per metric in metric order (peaks, peak_len); then per metric
// in metric order a normal (the value), a second normal if the metric's noise is not 0, and a
// uniform (the pre-peak coin). Drawing the coin and the value even where they go unused keeps a
// device's stream aligned across scenarios, so a scenario changes only what it says.
func (f *Fleet) step(d *device, out *[4]float64) uint8 {
	r := d.rng
	L := f.length
	enter := r.Float64() < f.pEnter
	if d.step > L { // the previous tick was the stop tick
		d.step = 0
	}
	if d.step == 0 {
		if enter {
			d.step = 1
			f.startEpisode(d)
		}
	} else {
		d.step++ // reaches L+1, the stop tick, after the episode's last step
	}
	var shows uint8 // metrics behaving as in error this tick
	if d.step >= 1 && d.step <= L {
		shows = d.mask
	}
	var flags uint8
	for m := range out {
		p := &f.params[m]
		v := p.mu + p.sigma*r.NormFloat64()
		if p.noise != 0 {
			v += p.noise * r.NormFloat64()
		}
		coin := r.Float64()
		if shows&(1<<m) != 0 {
			if d.step > L-d.peakLen[m] { // peak phase
				v = p.peak
				flags |= 1 << m
			} else if coin < d.chance[m] { // pre-peak
				v = p.peak
			}
		}
		if p.clip {
			v = min(max(v, p.min), p.max)
		}
		out[m] = v
	}
	if shows != 0 && flags&shows == shows {
		flags |= 1 << isErrorBit
	}
	return flags
}

// startEpisode latches the manifest set and draws each metric's episode parameters.
func (f *Fleet) startEpisode(d *device) {
	r := d.rng
	L := float64(f.length)
	d.mask = f.mask
	for m := range d.peakLen {
		peaks := math.Trunc(peaksMu + peaksSigma*r.NormFloat64())
		rawLen := math.Trunc(L*peakLenRatio + L*peakLenJitter*r.NormFloat64())
		d.peakLen[m], d.chance[m] = episodeParams(f.length, peaks, rawLen)
	}
}

// episodeParams turns a metric's draws of peaks and peak_len into its peak phase length and its
// pre-peak peak probability peak_chance = peaks/(L-peak_len).
//
// Guards, each giving what the original's comparisons give where it does not crash: peak_len is
// clamped to [0, L] (a negative one means no peak phase, one >= L a whole-episode peak phase);
// peak_chance uses the unclamped peak_len, is 0 when L-peak_len <= 0 (there is no pre-peak step;
// the original divides by zero when they are equal), and is clamped to [0, 1] (negative peaks
// never peak, a chance above 1 always does).
func episodeParams(length int32, peaks, rawLen float64) (peakLen int32, chance float64) {
	L := float64(length)
	if pre := L - rawLen; pre > 0 {
		chance = min(max(peaks/pre, 0), 1)
	}
	return int32(min(max(rawLen, 0), L)), chance
}
