package drift

import (
	"fmt"
	"math"
)

// Floors for empty bins, where a logarithm would otherwise divide by zero.
const (
	// KLDFloor replaces b = 0 in KL(a‖b), as MLRun does.
	KLDFloor = 1e-4
	// PSIFloor replaces an empty bin's proportion, on either side, in PSI.
	PSIFloor = 1e-4
)

// Measures are the distances between a reference and a current distribution of one feature.
type Measures struct {
	// TVD, Hellinger and KLD are MLRun's measures (see the package doc for the formulas).
	TVD       float64 `json:"tvd"`
	Hellinger float64 `json:"hellinger"`
	KLD       float64 `json:"kld"`
	// PSI is the population stability index.
	PSI float64 `json:"psi"`
	// JensenShannon is the Jensen–Shannon distance in bits, in [0, 1].
	JensenShannon float64 `json:"jensen_shannon"`
	// KS is the two-sample Kolmogorov–Smirnov statistic on the binned CDFs, and KSPValue its
	// asymptotic p-value.
	KS       float64 `json:"ks"`
	KSPValue float64 `json:"ks_pvalue"`
	// Wasserstein is the binned Wasserstein-1 distance divided by the reference std (or, for a
	// constant reference, by the width of its edges), saturating at MaxFloat64 for a decoded
	// reference whose std is implausibly small for its edges.
	Wasserstein float64 `json:"wasserstein"`
}

// measure computes every measure between a reference and a non-empty current histogram on
// the reference's padded edges.
func measure(ref Reference, refCounts []int64, cur *Histogram) Measures {
	t := distribution(refCounts, ref.Count)
	u := distribution(cur.Counts, cur.Stats.Count)
	ks, p := KolmogorovSmirnov(refCounts, cur.Counts)
	scale := ref.Std
	if scale == 0 {
		scale = ref.Edges[Bins] - ref.Edges[0]
	}
	return Measures{
		TVD:           TVD(t, u),
		Hellinger:     Hellinger(t, u),
		KLD:           KLD(t, u),
		PSI:           PSI(t, u),
		JensenShannon: JensenShannon(t, u),
		KS:            ks,
		KSPValue:      p,
		Wasserstein:   min(Wasserstein(t, u, cur.Edges)/scale, math.MaxFloat64),
	}
}

// The distances below take two distributions over the same bins; unequal lengths are a
// programming error (Analyze never makes one) and panic, as indexing would.

// TVD is the total variation distance Σ|t−u| / 2, clamped to [0, 1] against rounding. t and
// u must have the same length.
func TVD(t, u []float64) float64 {
	sameLength(t, u)
	var s float64
	for i := range t {
		s += math.Abs(t[i] - u[i])
	}
	return min(s/2, 1)
}

// Hellinger is the Hellinger distance sqrt(1 − Σ sqrt(t·u)), computed as sqrt(½ Σ (√t − √u)²),
// which is the same for distributions (each summing to 1) but does not cancel: identical
// distributions give exactly 0 instead of up to ~1e-8 of rounding. Clamped to [0, 1]; t and
// u must have the same length.
func Hellinger(t, u []float64) float64 {
	sameLength(t, u)
	var s float64
	for i := range t {
		d := math.Sqrt(t[i]) - math.Sqrt(u[i])
		s += d * d
	}
	return math.Sqrt(min(s/2, 1))
}

// KLD is the symmetric Kullback–Leibler divergence KL(t‖u) + KL(u‖t) in nats, where KL(a‖b)
// sums a·ln(a/b′) over the bins with a ≠ 0 and b′ is b, or KLDFloor where b = 0. Because of
// the floor it is not a true divergence: a bin holding less than KLDFloor on one side and
// nothing on the other contributes a little below zero. t and u must have the same length.
func KLD(t, u []float64) float64 {
	sameLength(t, u)
	return kl(t, u) + kl(u, t)
}

func kl(a, b []float64) float64 {
	var s float64
	for i, ai := range a {
		if ai == 0 {
			continue
		}
		bi := b[i]
		if bi == 0 {
			bi = KLDFloor
		}
		s += ai * math.Log(ai/bi)
	}
	return s
}

// PSI is the population stability index Σ (u′ − t′)·ln(u′/t′), where an empty bin's
// proportion is replaced by PSIFloor on whichever side it is empty. Every term is ≥ 0. t and
// u must have the same length.
func PSI(t, u []float64) float64 {
	sameLength(t, u)
	var s float64
	for i := range t {
		ti, ui := t[i], u[i]
		if ti == 0 {
			ti = PSIFloor
		}
		if ui == 0 {
			ui = PSIFloor
		}
		// ln u′ − ln t′ rather than ln(u′/t′) keeps PSI(t, u) = PSI(u, t) bit for bit.
		s += (ui - ti) * (math.Log(ui) - math.Log(ti))
	}
	return s
}

// JensenShannon is the Jensen–Shannon distance sqrt(½ KL(t‖m) + ½ KL(u‖m)), m = (t+u)/2,
// with base-2 logarithms so that it lies in [0, 1] (scipy's jensenshannon with base=2). No
// floor is needed: m > 0 wherever t or u is. t and u must have the same length.
func JensenShannon(t, u []float64) float64 {
	sameLength(t, u)
	var s float64
	for i := range t {
		m := t[i]/2 + u[i]/2
		var a, b float64
		if t[i] > 0 {
			a = t[i] * math.Log2(t[i]/m)
		}
		if u[i] > 0 {
			b = u[i] * math.Log2(u[i]/m)
		}
		s += a + b // one sum per bin keeps JensenShannon(t, u) = JensenShannon(u, t) bit for bit
	}
	return math.Sqrt(min(max(s/2, 0), 1))
}

// KolmogorovSmirnov is the two-sample Kolmogorov–Smirnov test on binned samples: d is the
// largest difference between the two empirical CDFs at the bin edges, p its asymptotic
// p-value Q_KS(sqrt(n·m/(n+m))·d) from the Kolmogorov distribution, n and m the totals of the
// two count vectors. Binning can only lower d: it equals the exact statistic when no bin
// holds values of both samples at different points, and is otherwise its binned
// approximation. With an empty side, d = 0 and p = 1. t and u must have the same length.
func KolmogorovSmirnov(t, u []int64) (d, p float64) {
	if len(t) != len(u) {
		panic(fmt.Sprintf("drift: %d and %d bins", len(t), len(u)))
	}
	var n, m int64
	for i := range t {
		n += t[i]
		m += u[i]
	}
	if n <= 0 || m <= 0 {
		return 0, 1
	}
	var ct, cu int64
	for i := range t {
		ct += t[i]
		cu += u[i]
		// Cumulative counts are exact; each CDF value is rounded once.
		d = max(d, math.Abs(float64(ct)/float64(n)-float64(cu)/float64(m)))
	}
	fn, fm := float64(n), float64(m)
	return d, kolmogorovQ(math.Sqrt(fn*fm/(fn+fm)) * d)
}

// kolmogorovQ is the Kolmogorov distribution's survival function
// Q(x) = 2 Σ_{j≥1} (−1)^{j−1} exp(−2j²x²), summed in the form that converges fastest.
func kolmogorovQ(x float64) float64 {
	switch {
	case !(x > 0):
		return 1
	case x < 1.18:
		return min(max(1-kolmogorovCDFTheta(x), 0), 1)
	default:
		return min(max(kolmogorovQAlternating(x), 0), 1)
	}
}

// kolmogorovCDFTheta is the Kolmogorov CDF in its Jacobi-theta form,
// sqrt(2π)/x Σ_{j≥1} exp(−(2j−1)²π²/(8x²)), which converges in a few terms for small x.
func kolmogorovCDFTheta(x float64) float64 {
	k := -math.Pi * math.Pi / (8 * x * x)
	var s float64
	for j := 1; j <= 50; j++ {
		o := float64(2*j - 1)
		term := math.Exp(o * o * k)
		s += term
		if term <= 1e-17*s {
			break
		}
	}
	if s == 0 {
		return 0
	}
	return math.Sqrt(2*math.Pi) / x * s
}

// kolmogorovQAlternating is Q(x) by its defining alternating series, which converges in a
// few terms for large x.
func kolmogorovQAlternating(x float64) float64 {
	var s float64
	sign := 1.0
	for j := 1; j <= 50; j++ {
		fj := float64(j)
		term := math.Exp(-2 * fj * fj * x * x)
		s += sign * term
		if term <= 1e-17*s {
			break
		}
		sign = -sign
	}
	return 2 * s
}

// Wasserstein is the Wasserstein-1 (earth mover's) distance between two distributions on the
// padded edges of a Histogram (len(edges) = len(t)+1), placing each bin's mass at its centre
// and the two outer bins' mass at the reference minimum and maximum (edges[1] and
// edges[len−2]), since they reach to ±MaxFloat64. Values beyond the reference range therefore
// count as at its boundary, which makes this a lower bound on their true contribution. t and
// u must have the same length, at least 3, and edges one more.
func Wasserstein(t, u, edges []float64) float64 {
	sameLength(t, u)
	if len(edges) != len(t)+1 || len(t) < 3 {
		panic(fmt.Sprintf("drift: %d edges for %d bins", len(edges), len(t)))
	}
	last := len(t) - 1
	pos := func(k int) float64 {
		switch k {
		case 0:
			return edges[1]
		case last:
			return edges[last]
		}
		return edges[k] + (edges[k+1]-edges[k])/2
	}
	var w, ct, cu float64
	for k := range last {
		ct += t[k]
		cu += u[k]
		w += math.Abs(ct-cu) * (pos(k+1) - pos(k))
	}
	return w
}

func sameLength(t, u []float64) {
	if len(t) != len(u) {
		panic(fmt.Sprintf("drift: distributions of %d and %d bins", len(t), len(u)))
	}
}
