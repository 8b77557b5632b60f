package detect

import (
	"fmt"
	"math"
)

// ADWIN's constants, fixed in scikit-multiflow 0.4.1.
const (
	adwinMaxBuckets      = 5  // buckets kept per row before the two oldest merge into the next row
	adwinClock           = 32 // cut points are checked every adwinClock observations
	adwinMinWidth        = 10 // the window must be longer than this to be checked at all
	adwinMinWindowLength = 5  // each side of a cut must hold at least this many observations
	adwinMaxRows         = 48 // far beyond any window a process sees (5·2^48 observations)
)

// adwin is ADaptive WINdowing (Bifet and Gavaldà 2007): it keeps a window of recent
// observations compressed into an exponential histogram and drops its older part whenever the
// means of an older and a newer sub-window differ by more than a Bernstein-style bound. A
// change is reported on the observations where something was dropped; there is no warning
// zone and no reset.
type adwin struct {
	cfg      Config
	rows     []bucketRow // rows[i] holds buckets of 2^i observations; rows[0] is the newest
	width    int         // observations in the window
	total    float64     // their sum
	variance float64     // their sum of squared deviations from the mean
	time     int         // observations seen, for the clock
	change   bool
}

// bucketRow is one row of the exponential histogram: up to adwinMaxBuckets+1 buckets of the
// same size, oldest first, each with the sum and the sum of squared deviations of its values.
type bucketRow struct {
	size     int
	total    [adwinMaxBuckets + 1]float64
	variance [adwinMaxBuckets + 1]float64
}

func (r *bucketRow) insert(total, variance float64) {
	r.total[r.size], r.variance[r.size] = total, variance
	r.size++
}

// drop removes the k oldest buckets.
func (r *bucketRow) drop(k int) {
	copy(r.total[:], r.total[k:])
	copy(r.variance[:], r.variance[k:])
	for i := len(r.total) - k; i < len(r.total); i++ {
		r.total[i], r.variance[i] = 0, 0
	}
	r.size -= k
}

func newADWIN(c Config) *adwin {
	return &adwin{cfg: c, rows: make([]bucketRow, 1)}
}

func (a *adwin) Add(x float64) error {
	if err := checkFinite(KindADWIN, x); err != nil {
		return err
	}
	a.insert(x)
	a.change = a.detect()
	return nil
}

// insert adds x as a new bucket of size 1 and updates the window statistics incrementally.
func (a *adwin) insert(x float64) {
	a.width++
	a.rows[0].insert(x, 0)
	if a.width > 1 {
		w := float64(a.width)
		d := x - a.total/(w-1)
		a.variance += float64((w-1)*d*d) / w
	}
	a.total += x
	a.compress()
}

// compress merges the two oldest buckets of every full row into one bucket of the next row.
func (a *adwin) compress() {
	for i := 0; i < len(a.rows) && a.rows[i].size == adwinMaxBuckets+1; i++ {
		if i+1 == len(a.rows) {
			a.rows = append(a.rows, bucketRow{})
		}
		r := &a.rows[i]
		n := float64(int(1) << i)
		u1, u2 := r.total[0]/n, r.total[1]/n
		inc := float64(n*n*(u1-u2)*(u1-u2)) / (n + n)
		// Like scikit-multiflow (and MOA), the merged variance leaves out the oldest bucket's own.
		a.rows[i+1].insert(r.total[0]+r.total[1], r.variance[1]+inc)
		r.drop(2)
	}
}

// dropOldest removes the oldest bucket from the window and returns its size.
func (a *adwin) dropOldest() int {
	last := len(a.rows) - 1
	r := &a.rows[last]
	size := 1 << last
	n1 := float64(size)
	a.width -= size
	a.total -= r.total[0]
	w := float64(a.width)
	u1 := r.total[0] / n1
	d := u1 - a.total/w
	a.variance -= r.variance[0] + float64(n1*w*d*d)/(n1+w)
	r.drop(1)
	if r.size == 0 && last > 0 {
		a.rows = a.rows[:last]
	}
	return size
}

// detect runs every adwinClock observations: it walks the cut points from the oldest bucket
// forward and, while some cut separates sub-windows with significantly different means, drops
// the oldest bucket and starts again. It reports whether anything was dropped.
func (a *adwin) detect() bool {
	a.time++
	if a.time%adwinClock != 0 || a.width <= adwinMinWidth {
		return false
	}
	changed := false
	for a.cutOnce() {
		changed = true
	}
	return changed
}

// cutOnce looks for one significant cut and, if it finds one, drops the oldest bucket.
//
// scikit-multiflow's loop skips the newest bucket of every row (range(size-1)), and it
// accumulates sub-window variances it never uses; both quirks are kept where they affect the
// result (the skipped cut points) and dropped where they do not (the unused variances).
func (a *adwin) cutOnce() bool {
	n0, n1 := 0, a.width
	u0, u1 := 0.0, a.total
	for i := len(a.rows) - 1; i >= 0; i-- {
		r := &a.rows[i]
		size := 1 << i
		for k := 0; k < r.size-1; k++ {
			n0 += size
			n1 -= size
			u0 += r.total[k]
			u1 -= r.total[k]
			if n0 < adwinMinWindowLength || n1 < adwinMinWindowLength {
				continue
			}
			if a.shouldCut(n0, n1, u0/float64(n0)-u1/float64(n1)) {
				a.dropOldest()
				return true
			}
		}
	}
	return false
}

// shouldCut reports whether a difference of means diff between sub-windows of n0 and n1
// observations exceeds ADWIN's bound, with delta' = delta/ln(width).
func (a *adwin) shouldCut(n0, n1 int, diff float64) bool {
	n := float64(a.width)
	dd := math.Log(2 * math.Log(n) / a.cfg.Delta)
	v := a.variance / n
	m := 1/float64(n0-adwinMinWindowLength+1) + 1/float64(n1-adwinMinWindowLength+1)
	eps := math.Sqrt(2*m*v*dd) + float64(2.0/3*dd*m)
	return math.Abs(diff) > eps
}

func (a *adwin) Warning() bool { return false }
func (a *adwin) Change() bool  { return a.change }
func (a *adwin) Kind() string  { return KindADWIN }

func (a *adwin) Estimation() float64 {
	if a.width == 0 {
		return 0
	}
	return a.total / float64(a.width)
}

// adwinState is ADWIN's saved statistics; Rows lists each row's live buckets, oldest first,
// as [total, variance] pairs.
type adwinState struct {
	Rows     [][][2]jsonFloat `json:"rows"`
	Width    int              `json:"width"`
	Total    jsonFloat        `json:"total"`
	Variance jsonFloat        `json:"variance"`
	Time     int              `json:"time"`
	Change   bool             `json:"change"`
}

func (a *adwin) MarshalJSON() ([]byte, error) {
	st := adwinState{
		Rows:  make([][][2]jsonFloat, len(a.rows)),
		Width: a.width, Total: jsonFloat(a.total), Variance: jsonFloat(a.variance),
		Time: a.time, Change: a.change,
	}
	for i, r := range a.rows {
		st.Rows[i] = make([][2]jsonFloat, r.size)
		for k := range r.size {
			st.Rows[i][k] = [2]jsonFloat{jsonFloat(r.total[k]), jsonFloat(r.variance[k])}
		}
	}
	return marshalState(a.cfg, st)
}

func (a *adwin) UnmarshalJSON(data []byte) error {
	var st adwinState
	cfg, err := unmarshalState(data, KindADWIN, &st)
	if err != nil {
		return err
	}
	if len(st.Rows) < 1 || len(st.Rows) > adwinMaxRows || st.Time < 0 {
		return fmt.Errorf("%w: adwin has %d rows at time %d", ErrState, len(st.Rows), st.Time)
	}
	rows := make([]bucketRow, len(st.Rows))
	width := 0
	for i, buckets := range st.Rows {
		if len(buckets) > adwinMaxBuckets {
			return fmt.Errorf("%w: adwin row %d has %d buckets, want <= %d", ErrState, i, len(buckets), adwinMaxBuckets)
		}
		for _, b := range buckets {
			rows[i].insert(float64(b[0]), float64(b[1]))
		}
		width += len(buckets) << i
	}
	if width != st.Width {
		return fmt.Errorf("%w: adwin buckets hold %d observations, width says %d", ErrState, width, st.Width)
	}
	a.cfg, a.rows, a.width = cfg, rows, st.Width
	a.total, a.variance, a.time, a.change = float64(st.Total), float64(st.Variance), st.Time, st.Change
	return nil
}

var _ Detector = (*adwin)(nil)
