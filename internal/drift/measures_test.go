package drift

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// MLRun's own test vectors (tests/model_monitoring/test_calculate_drift): u is the reference,
// t the current distribution.
var (
	mlrunU = []float64{0.07101131, 0.25138296, 0.03700347, 0.06843929, 0.11482246, 0.1339393, 0.0503426,
		0.05639414, 0.13406714, 0.08259733}
	mlrunT = []float64{0.17719221, 0.0949423, 0.02982267, 0.19927063, 0.19288318, 0.00137802, 0.07398598,
		0.05829106, 0.06771774, 0.10451622}
)

func TestMLRunPublishedValues(t *testing.T) {
	// The published figures are truncated to the digits shown, hence a tolerance of one unit
	// in their last place.
	checkClose(t, "TVD", TVD(mlrunU, mlrunT), 0.3625321, 1e-7)
	checkClose(t, "Hellinger", Hellinger(mlrunU, mlrunT), 0.338189, 1e-6)
	checkClose(t, "KLD", KLD(mlrunU, mlrunT), 1.097619, 1e-6)
	for name, f := range map[string]func(a, b []float64) float64{
		"TVD": TVD, "Hellinger": Hellinger, "KLD": KLD, "PSI": PSI, "JensenShannon": JensenShannon,
	} {
		if ab, ba := f(mlrunU, mlrunT), f(mlrunT, mlrunU); ab != ba {
			t.Errorf("%s not symmetric: %v vs %v", name, ab, ba)
		}
		if d := f(mlrunU, mlrunU); d != 0 {
			t.Errorf("%s(u, u) = %v, want 0", name, d)
		}
	}
}

func TestMeasuresHandComputed(t *testing.T) {
	ln, log2 := math.Log, math.Log2
	const eps = 1e-5
	tests := []struct {
		name                       string
		t, u                       []float64
		tvd, hel, kld, psi, jsdist float64
		jsTol                      float64 // 1e-15 when 0
	}{
		{
			name: "identical",
			t:    []float64{0, 0.25, 0.25, 0.5, 0}, u: []float64{0, 0.25, 0.25, 0.5, 0},
		},
		{
			name: "disjoint",
			t:    []float64{0.5, 0.5, 0, 0}, u: []float64{0, 0, 0.5, 0.5},
			tvd: 1, hel: 1, kld: 2 * ln(5000), psi: 4 * (0.5 - 1e-4) * ln(5000), jsdist: 1,
		},
		{
			// Hellinger² = 1 − (√(1/8) + ½) = (2 − √2)/4, so Hellinger = sin(π/8).
			name: "current fills a bin empty in the reference",
			t:    []float64{0.5, 0.5, 0}, u: []float64{0.25, 0.5, 0.25},
			tvd: 0.25, hel: math.Sin(math.Pi / 8), kld: 0.25 * ln(5000),
			psi:    0.25*ln(2) + (0.25-1e-4)*ln(2500),
			jsdist: math.Sqrt((0.5*log2(4.0/3) + 0.25*log2(2.0/3) + 0.25) / 2),
		},
		{
			name: "current empties a bin of the reference",
			t:    []float64{0.25, 0.5, 0.25}, u: []float64{0.5, 0.5, 0},
			tvd: 0.25, hel: math.Sin(math.Pi / 8), kld: 0.25 * ln(5000),
			psi:    0.25*ln(2) + (0.25-1e-4)*ln(2500),
			jsdist: math.Sqrt((0.5*log2(4.0/3) + 0.25*log2(2.0/3) + 0.25) / 2),
		},
		{
			// KL(t‖u) = ½ln(½/¼) + ½ln(½/¾); KL(u‖t) = ¼ln(¼/½) + ¾ln(¾/½).
			name: "no empty bins",
			t:    []float64{0.5, 0.5}, u: []float64{0.25, 0.75},
			tvd: 0.25, hel: math.Sqrt(1 - math.Sqrt(0.125) - math.Sqrt(0.375)),
			kld:    0.5*ln(2) + 0.5*ln(2.0/3) + 0.25*ln(0.5) + 0.75*ln(1.5),
			psi:    -0.25*ln(0.5) + 0.25*ln(1.5),
			jsdist: math.Sqrt((0.5*log2(0.5/0.375) + 0.5*log2(0.5/0.625) + 0.25*log2(0.25/0.375) + 0.75*log2(0.75/0.625)) / 2),
		},
		{
			// Less than the floor on one side, nothing on the other: KLD dips below 0.
			name: "floor makes KLD negative",
			t:    []float64{1 - eps, eps}, u: []float64{1, 0},
			tvd: eps, hel: math.Sqrt(((math.Sqrt(1-eps)-1)*(math.Sqrt(1-eps)-1) + eps) / 2),
			kld: (1-eps)*ln(1-eps) + eps*ln(eps/1e-4) - ln(1-eps),
			psi: -eps*ln(1-eps) + (1e-4-eps)*(ln(1e-4)-ln(eps)),
			// JSD is a difference of terms of order eps here, so only ~11 digits survive;
			// the value is mpmath's at 50 digits.
			jsdist: 0.0022360720099715439, jsTol: 1e-10,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkClose(t, "TVD", TVD(tt.t, tt.u), tt.tvd, 1e-15)
			checkClose(t, "Hellinger", Hellinger(tt.t, tt.u), tt.hel, 1e-15)
			checkClose(t, "KLD", KLD(tt.t, tt.u), tt.kld, 1e-14)
			checkClose(t, "PSI", PSI(tt.t, tt.u), tt.psi, 1e-14)
			checkClose(t, "JensenShannon", JensenShannon(tt.t, tt.u), tt.jsdist, cmp.Or(tt.jsTol, 1e-15))
			if tt.name == "floor makes KLD negative" && KLD(tt.t, tt.u) >= 0 {
				t.Errorf("KLD %v, want < 0", KLD(tt.t, tt.u))
			}
		})
	}
}

// The stable Hellinger form equals SPEC's sqrt(max(1 − Σ√(t·u), 0)) up to the latter's rounding.
func TestHellingerMatchesSpecForm(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for range 1000 {
		a, b := randomDistribution(r, 22), randomDistribution(r, 22)
		var bc float64
		for i := range a {
			bc += math.Sqrt(a[i] * b[i])
		}
		spec := math.Sqrt(max(1-bc, 0))
		got := Hellinger(a, b)
		if math.Abs(got*got-spec*spec) > 1e-15 {
			t.Fatalf("Hellinger² %v, SPEC form² %v", got*got, spec*spec)
		}
	}
}

// randomDistribution returns n proportions with about a third of the bins empty.
func randomDistribution(r *rand.Rand, n int) []float64 {
	counts := make([]int64, n)
	var total int64
	for i := range counts {
		if r.IntN(3) > 0 {
			counts[i] = r.Int64N(1000)
			total += counts[i]
		}
	}
	if total == 0 {
		counts[0], total = 1, 1
	}
	return distribution(counts, total)
}

func TestKolmogorovQ(t *testing.T) {
	// Q(x) to 20 digits by mpmath at 40 digits; the Q = 0.10, 0.05, 0.01 points are the
	// classical critical values 1.2238, 1.3581, 1.6276.
	tests := []struct{ x, q float64 }{
		{0.3, 0.99999069419866543337},
		{0.5, 0.96394524366487509439},
		{0.8, 0.544142411574198149},
		{1.0, 0.2699996716773545212},
		{1.18, 0.12345380942976567771},
		{1.2238, 0.10002342783567781975},
		{1.3581, 0.049999630431667435753},
		{1.6276, 0.010001537333060768178},
		{2.0, 0.00067092525577969534654},
		{3.0, 3.0459959489425256872e-8},
	}
	for _, tt := range tests {
		checkClose(t, "Q", kolmogorovQ(tt.x), tt.q, 1e-13)
	}
	if q := kolmogorovQ(0); q != 1 {
		t.Errorf("Q(0) = %v", q)
	}
	if q := kolmogorovQ(1e-300); q != 1 {
		t.Errorf("Q(1e-300) = %v", q)
	}
	if q := kolmogorovQ(40); q != 0 {
		t.Errorf("Q(40) = %v", q)
	}
	// The two series agree where they meet, and Q falls monotonically.
	prev := 1.0
	for x := 0.01; x < 4; x += 0.01 {
		if x > 0.7 && x < 1.7 {
			if d := math.Abs(1 - kolmogorovCDFTheta(x) - kolmogorovQAlternating(x)); d > 2e-15 {
				t.Errorf("series differ by %g at %g", d, x)
			}
		}
		q := kolmogorovQ(x)
		if q > prev {
			t.Errorf("Q(%g) = %v > Q(%g) = %v", x, q, x-0.01, prev)
		}
		prev = q
	}
}

func TestKolmogorovSmirnov(t *testing.T) {
	// Disjoint samples of 4 each: d = 1, n·m/(n+m) = 2, so p = 2 Σ (−1)^{j−1} e^{−4j²}.
	d, p := KolmogorovSmirnov([]int64{0, 4, 0, 0}, []int64{0, 0, 4, 0})
	want := 2 * (math.Exp(-4) - math.Exp(-16) + math.Exp(-36) - math.Exp(-64))
	checkClose(t, "d", d, 1, 0)
	checkClose(t, "p", p, want, 1e-15)

	// Large samples, disjoint: p = 2e^{−2·ne} to rounding.
	d, p = KolmogorovSmirnov([]int64{100, 0}, []int64{0, 100})
	checkClose(t, "d", d, 1, 0)
	checkClose(t, "p", p, 2*math.Exp(-100), 1e-12)

	if d, p := KolmogorovSmirnov([]int64{3, 5, 0}, []int64{6, 10, 0}); d != 0 || p != 1 {
		t.Errorf("same shape: d %v, p %v; want 0, 1", d, p)
	}
	if d, p := KolmogorovSmirnov([]int64{3, 5}, []int64{0, 0}); d != 0 || p != 1 {
		t.Errorf("empty side: d %v, p %v; want 0, 1", d, p)
	}
	// p falls as d grows (fixed sizes) and as the samples grow (fixed d).
	prev := 1.0
	for k := int64(0); k <= 10; k++ {
		_, p := KolmogorovSmirnov([]int64{10, 10}, []int64{10 - k, 10 + k})
		if p > prev {
			t.Errorf("p rose to %v at shift %d", p, k)
		}
		prev = p
	}
	prev = 1.0
	for n := int64(10); n <= 10000; n *= 10 {
		_, p := KolmogorovSmirnov([]int64{n, n}, []int64{n / 2, 3 * n / 2})
		if p >= prev {
			t.Errorf("p %v did not fall at n = %d", p, n)
		}
		prev = p
	}
}

// When every value sits at its bin's centre, the binned statistic is the exact one.
func TestKolmogorovSmirnovMatchesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for range 200 {
		a, b := make([]int64, 22), make([]int64, 22)
		var xs, ys []float64
		for i := range a {
			a[i], b[i] = r.Int64N(4), r.Int64N(6)
			for range a[i] {
				xs = append(xs, float64(i))
			}
			for range b[i] {
				ys = append(ys, float64(i))
			}
		}
		if len(xs) == 0 || len(ys) == 0 {
			continue
		}
		d, _ := KolmogorovSmirnov(a, b)
		checkClose(t, "d", d, exactKS(xs, ys), 1e-15)
	}
}

// exactKS is the two-sample statistic from raw samples, by brute force.
func exactKS(xs, ys []float64) float64 {
	sort.Float64s(xs)
	sort.Float64s(ys)
	var d float64
	for _, v := range slices.Concat(xs, ys) {
		fx := float64(sort.SearchFloat64s(xs, math.Nextafter(v, math.Inf(1)))) / float64(len(xs))
		fy := float64(sort.SearchFloat64s(ys, math.Nextafter(v, math.Inf(1)))) / float64(len(ys))
		d = max(d, math.Abs(fx-fy))
	}
	return d
}

func TestWasserstein(t *testing.T) {
	edges, err := ReferenceEdges(0, 20) // width 1, padded: −Max, 0, 1, …, 20, +Max
	if err != nil {
		t.Fatal(err)
	}
	h, _ := NewHistogram(edges)
	e := h.Edges
	at := func(bin int) []float64 {
		p := make([]float64, Bins+2)
		p[bin] = 1
		return p
	}
	half := func(a, b int) []float64 {
		p := make([]float64, Bins+2)
		p[a] += 0.5
		p[b] += 0.5
		return p
	}
	tests := []struct {
		name string
		t, u []float64
		want float64
	}{
		{"same", at(5), at(5), 0},
		{"one bin", at(5), at(6), 1},
		{"five bins", at(10), at(5), 5},
		{"below min counts as at min", at(1), at(0), 0.5},
		{"above max counts as at max", at(20), at(21), 0.5},
		{"pad to pad", at(0), at(21), 20},
		{"halves", half(5, 6), half(6, 7), 1},
		{"spread", half(4, 8), half(6, 6), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkClose(t, "W", Wasserstein(tt.t, tt.u, e), tt.want, 1e-15)
		})
	}

	// Equal-size samples at bin centres: W1 is the mean distance of the sorted pairs.
	r := rand.New(rand.NewPCG(5, 5))
	for range 100 {
		xs, ys := make([]float64, 50), make([]float64, 50)
		a, b := make([]int64, Bins+2), make([]int64, Bins+2)
		for i := range xs {
			bx, by := 1+r.IntN(Bins), 1+r.IntN(Bins)
			a[bx]++
			b[by]++
			xs[i], ys[i] = float64(bx)-0.5, float64(by)-0.5
		}
		sort.Float64s(xs)
		sort.Float64s(ys)
		var want float64
		for i := range xs {
			want += math.Abs(xs[i] - ys[i])
		}
		want /= 50
		checkClose(t, "W", Wasserstein(distribution(a, 50), distribution(b, 50), e), want, 1e-13)
	}
}
