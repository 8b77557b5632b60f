package matrixprofile

import (
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Profile is a matrix profile: for every length-M subsequence of a series, the distance to its
// nearest neighbour and where that neighbour starts.
//
// When several neighbours are at exactly the same distance, I holds any one of them, but always
// the same one: P and I do not depend on GOMAXPROCS or on goroutine scheduling (of exactly equal
// correlations, the smaller neighbour index wins).
type Profile struct {
	// P[i] is the z-normalised Euclidean distance from subsequence i to its nearest neighbour,
	// or +Inf when it has no admissible neighbour.
	P []float64
	// I[i] is the start of that neighbour, or -1 when there is none; for an AB-join it indexes b.
	I []int
	// M is the subsequence length.
	M int
	// Self reports whether the profile is a self-join, so that I indexes the same series.
	Self bool
}

// ExclusionZone returns the half-width of the trivial-match zone of a self-join with subsequence
// length m: neighbours j of i with |i-j| ≤ ceil(m/4) are ignored, as in Stumpy.
func ExclusionZone(m int) int {
	if m <= 0 {
		return 0
	}
	return (m-1)/4 + 1
}

// SelfJoin computes the matrix profile of series with subsequence length m, each subsequence
// matched against all others of the same series except its trivial matches: neighbours j of i with
// |i-j| ≤ ExclusionZone(m) = ceil(m/4) are excluded. It uses MPX in O(n²) time and O(n) memory,
// spread over GOMAXPROCS goroutines.
//
// A series of length n gives n-m+1 subsequences; those with no neighbour outside the exclusion
// zone (when n-m+1 ≤ ceil(m/4)+1) get P = +Inf and I = -1.
func SelfJoin(series []float64, m int) (*Profile, error) {
	return defaultConfig().selfJoin(series, m)
}

// ABJoin computes, for every length-m subsequence of a, the nearest length-m subsequence of b
// (no exclusion zone, since the series differ). It uses MPX in O(len(a)·len(b)) time, spread over
// GOMAXPROCS goroutines. Call ABJoin(b, a, m) for the profile of b.
func ABJoin(a, b []float64, m int) (*Profile, error) {
	return defaultConfig().abJoin(a, b, m)
}

// config holds the tuning knobs of a join; tests shrink them to reach band, reseed and
// scheduling boundaries on small inputs.
type config struct {
	band    int // diagonals swept together by one task
	reseed  int // rows after which a band's covariances are recomputed exactly
	workers int
}

// defaultConfig sizes bands so that a row's working set (covariances, three column terms and the
// column profile: 6 × 512 × 8 B = 24 KiB) stays in a 32 KiB L1 cache.
func defaultConfig() config {
	return config{band: 512, reseed: 4096, workers: runtime.GOMAXPROCS(0)}
}

func (cfg config) selfJoin(series []float64, m int) (*Profile, error) {
	if err := checkSeries("series", series); err != nil {
		return nil, err
	}
	if err := checkWindow("m", m, "series", len(series)); err != nil {
		return nil, err
	}
	s := newSide(rescale(series), m, 0)
	excl := ExclusionZone(m)
	tasks := cfg.bands(nil, s, s, excl+1)
	rho, idx := cfg.run(tasks, m, len(s.inv), 0)
	fixConstantSelf(rho, idx, s.w.constant, excl)
	return finish(rho, idx, s.w, s.w, true), nil
}

func (cfg config) abJoin(a, b []float64, m int) (*Profile, error) {
	if err := checkSeries("a", a); err != nil {
		return nil, err
	}
	if err := checkSeries("b", b); err != nil {
		return nil, err
	}
	if err := checkWindow("m", m, "a", len(a)); err != nil {
		return nil, err
	}
	if err := checkWindow("m", m, "b", len(b)); err != nil {
		return nil, err
	}
	sa, sb := newSide(rescale(a), m, 0), newSide(rescale(b), m, 1)
	// Diagonals j ≥ i are swept with a's subsequences as rows, diagonals j < i with b's as rows;
	// b's profile comes along for free but is not returned.
	tasks := cfg.bands(nil, sa, sb, 0)
	tasks = cfg.bands(tasks, sb, sa, 1)
	rho, idx := cfg.run(tasks, m, len(sa.inv), len(sb.inv))
	fixConstantAB(rho, idx, sa.w.constant, sb.w.constant)
	return finish(rho, idx, sa.w, sb.w, false), nil
}

// side is one series prepared for MPX: window statistics plus the terms of the covariance update
// cov(i,j) = cov(i-1,j-1) + df[i]·dg[j] + df[j]·dg[i], which uses only differences of nearby
// values and deviations from local means, so it never cancels large sums.
type side struct {
	id     int // which profile of a worker the side's subsequences update
	w      *windows
	inv    []float64 // 1/norm; 0 for constant windows, whose correlations then read 0
	df, dg []float64 // df[0] = dg[0] = 0
	cols   columns   // set when the side is swept as columns
}

func newSide(x []float64, m, id int) *side {
	w := newWindows(x, m)
	l := len(w.norm)
	s := &side{id: id, w: w, inv: make([]float64, l), df: make([]float64, l), dg: make([]float64, l)}
	for i, nrm := range w.norm {
		if !w.constant[i] {
			s.inv[i] = 1 / nrm
		}
	}
	for i := 1; i < l; i++ {
		s.df[i] = (x[i+m-1] - x[i-1]) / 2
		s.dg[i] = w.dev(i+m-1, i) + w.dev(i-1, i-1)
	}
	return s
}

// task is a band of diagonals d0..d0+width-1 of the matrix with x's subsequences as rows and y's
// as columns (cell (i, i+d)).
type task struct {
	x, y      *side
	d0, width int
}

func (t task) cells() int {
	return t.width * min(len(t.x.inv), len(t.y.inv)-t.d0)
}

// bands appends the tasks covering diagonals d ≥ dmin of the x-by-y matrix.
func (cfg config) bands(tasks []task, x, y *side, dmin int) []task {
	ly := len(y.inv)
	y.cols = newColumns(y, cfg.band)
	for d0 := dmin; d0 < ly; d0 += cfg.band {
		tasks = append(tasks, task{x: x, y: y, d0: d0, width: min(cfg.band, ly-d0)})
	}
	return tasks
}

// run sweeps all tasks on cfg.workers goroutines, largest first so the tail balances, each into
// its own correlation profiles (one per side, of lengths l0 and l1), and merges the profiles of
// side 0.
func (cfg config) run(tasks []task, m, l0, l1 int) ([]float64, []int) {
	slices.SortStableFunc(tasks, func(a, b task) int { return b.cells() - a.cells() })
	workers := max(1, min(cfg.workers, len(tasks)))
	prs := make([]*profiles, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		pr := newProfiles(l0, l1)
		prs[w] = pr
		wg.Go(func() {
			c, dev := make([]float64, cfg.band+1), make([]float64, m)
			for t := next.Add(1) - 1; t < int64(len(tasks)); t = next.Add(1) - 1 {
				tasks[t].sweep(pr, c, dev, cfg.reseed)
			}
		})
	}
	wg.Wait()
	rho, idx := prs[0].rho[0], prs[0].idx[0]
	for _, pr := range prs[1:] {
		for i, r := range pr.rho[0] {
			j := pr.idx[0][i]
			if r > rho[i] || (r == rho[i] && j >= 0 && (idx[i] < 0 || j < idx[i])) {
				rho[i], idx[i] = r, j
			}
		}
	}
	return rho, idx
}

func newProfiles(lens ...int) *profiles {
	pr := &profiles{}
	for s, l := range lens {
		pr.rho[s], pr.idx[s] = make([]float64, l), make([]int, l)
		for i := range l {
			pr.rho[s][i], pr.idx[s][i] = math.Inf(-1), -1
		}
	}
	return pr
}

// fixConstantSelf applies the constant-subsequence convention to a self-join's correlations: two
// constant subsequences correlate 1 (distance 0), a constant and a non-constant one 0.5 (distance
// sqrt(m)). The sweeps read every pair involving a constant window as 0, below either value.
func fixConstantSelf(rho []float64, idx []int, constant []bool, excl int) {
	var consts []int
	for i, c := range constant {
		if c {
			consts = append(consts, i)
		}
	}
	if len(consts) == 0 {
		return
	}
	l := len(rho)
	for i := range rho {
		j := -1 // lowest constant window outside i's exclusion zone
		if consts[0] < i-excl {
			j = consts[0]
		} else if k := sort.SearchInts(consts, i+excl+1); k < len(consts) {
			j = consts[k]
		}
		switch {
		case constant[i] && j >= 0:
			rho[i], idx[i] = 1, j
		case constant[i] && i-excl > 0:
			rho[i], idx[i] = 0.5, 0
		case constant[i] && i+excl+1 < l:
			rho[i], idx[i] = 0.5, i+excl+1
		case constant[i]:
			rho[i], idx[i] = math.Inf(-1), -1
		case j >= 0 && rho[i] < 0.5:
			rho[i], idx[i] = 0.5, j
		}
	}
}

// fixConstantAB is fixConstantSelf for an AB-join, where every window of b is admissible.
func fixConstantAB(rho []float64, idx []int, constA, constB []bool) {
	j := slices.Index(constB, true)
	for i, c := range constA {
		switch {
		case c && j >= 0:
			rho[i], idx[i] = 1, j
		case c:
			rho[i], idx[i] = 0.5, 0
		case j >= 0 && rho[i] < 0.5:
			rho[i], idx[i] = 0.5, j
		}
	}
}

// finish turns correlations into distances. Each distance between non-constant subsequences is
// recomputed directly from the values (O(n·m), small next to the join), so P[i] is exactly the
// distance to I[i] at full precision even where the correlation form loses it: near 0, and where
// the running covariance still carries rounding from a value far larger than its surroundings.
func finish(rho []float64, idx []int, a, b *windows, self bool) *Profile {
	for i, r := range rho {
		j := idx[i]
		if j >= 0 && !a.constant[i] && !b.constant[j] {
			rho[i] = a.distanceTo(i, b, j)
			continue
		}
		rho[i] = distance(r, a.m)
	}
	return &Profile{P: rho, I: idx, M: a.m, Self: self}
}
