package features

import (
	"fmt"
	"math"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// Period is the bucket width of the windows: they slide in steps of Period.
const Period = 10 * time.Minute

// ringSize is the number of buckets a State keeps: the largest window.
const ringSize = 36

// Timestamps must be representable in int64 nanoseconds since the epoch (years 1678–2262).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// agg is the aggregate of one metric over some rows.
type agg struct{ sum, min, max float64 }

// bucket is the aggregate of one device's rows within one Period.
type bucket struct {
	idx int64 // bucket number; meaningful only when n > 0
	n   int64 // rows
	m   [numMetrics]agg
}

// span is the aggregate of a window's buckets before the current one.
type span struct {
	n int64
	m [numMetrics]agg
}

// State is the window state of one device: the aggregates of its last 36 buckets. The zero State
// is a device with no rows yet. A State is not safe for concurrent use.
type State struct {
	last int64 // UnixNano of the newest row; meaningful only when has
	has  bool
	ring [ringSize]bucket // bucket k lives in slot k mod ringSize

	// prior caches, per window, the aggregate of the buckets before bucket priorFor. It is
	// derived from ring alone and recomputed whenever a row falls into another bucket (and after
	// a decode), so it never makes a restored state compute differently.
	priorFor int64
	priorOK  bool
	prior    [numWindows]span
}

// Last returns the timestamp of the newest row the state has seen, in UTC, and whether there
// is one.
func (s *State) Last() (time.Time, bool) {
	if !s.has {
		return time.Time{}, false
	}
	return time.Unix(0, s.last).UTC(), true
}

// Update computes the feature row of t, given its device's encoded static attributes, and
// advances the state by t. On error the state is unchanged.
func (s *State) Update(t tables.Telemetry, st Static) (Row, error) {
	var v [NumFeatures]float64
	if err := s.update(&t, st, &v); err != nil {
		return Row{}, err
	}
	r := Row{Timestamp: t.Timestamp, Device: t.Device}
	r.setVector(&v)
	return r, nil
}

// update is Update writing the vector into v.
func (s *State) update(t *tables.Telemetry, st Static, v *[NumFeatures]float64) error {
	ns, err := s.check(t)
	if err != nil {
		return err
	}
	vals := t.Values()
	b := bucketOf(ns)
	slot := &s.ring[slotOf(b)]
	// Build the new bucket aside so that a failure below leaves the state untouched.
	cur := *slot
	if cur.n > 0 && cur.idx == b {
		cur.n++
		for m, x := range vals {
			a := &cur.m[m]
			a.sum += x
			a.min = min(a.min, x)
			a.max = max(a.max, x)
		}
	} else {
		cur.idx, cur.n = b, 1
		for m, x := range vals {
			cur.m[m] = agg{x, x, x}
		}
	}
	if !s.priorOK || s.priorFor != b {
		s.computePrior(b)
	}
	copy(v[:numMetrics], vals[:])
	if m, w, ok := s.windows(&cur, v); !ok {
		return &ValueError{Device: t.Device, Timestamp: t.Timestamp, Column: tables.Metrics[m],
			Reason: "the " + windowNames[w] + " window sum overflows float64"}
	}
	st.put(v)

	*slot = cur
	s.last, s.has = ns, true
	return nil
}

// check validates t against the state and returns its timestamp in UnixNano.
func (s *State) check(t *tables.Telemetry) (int64, error) {
	for m, x := range t.Values() {
		if !finite(x) {
			return 0, &ValueError{Device: t.Device, Timestamp: t.Timestamp, Column: tables.Metrics[m],
				Reason: fmt.Sprintf("%v is not a finite number", x)}
		}
	}
	if t.Timestamp.Before(minTime) || t.Timestamp.After(maxTime) {
		return 0, &ValueError{Device: t.Device, Timestamp: t.Timestamp, Column: "timestamp",
			Reason: "outside the years 1678–2262"}
	}
	ns := t.Timestamp.UnixNano()
	if s.has && ns < s.last {
		return 0, &OrderError{Stream: "telemetry", Device: t.Device,
			Last: time.Unix(0, s.last).UTC(), Got: t.Timestamp}
	}
	return ns, nil
}

// windows writes the window features of the current bucket cur combined with the prior buckets
// into v. It reports false, with the metric and window, when a window sum is not finite.
func (s *State) windows(cur *bucket, v *[NumFeatures]float64) (metric, window int, ok bool) {
	for w := range numWindows {
		p := &s.prior[w]
		n := float64(p.n + cur.n)
		for m := range numMetrics {
			pa, ca := &p.m[m], &cur.m[m]
			sum := pa.sum + ca.sum
			if !finite(sum) {
				return m, w, false
			}
			v[windowIndex(m, 0, w)] = sum / n
			v[windowIndex(m, 1, w)] = min(pa.min, ca.min)
			v[windowIndex(m, 2, w)] = max(pa.max, ca.max)
		}
	}
	return 0, 0, true
}

// computePrior aggregates, per window, the buckets of the window of bucket b except b itself,
// summing in ascending bucket order starting from 0.
func (s *State) computePrior(b int64) {
	for w := range numWindows {
		var p span
		for m := range p.m {
			p.m[m] = agg{0, math.Inf(1), math.Inf(-1)}
		}
		for k := b - windowBuckets[w] + 1; k < b; k++ {
			bk := &s.ring[slotOf(k)]
			if bk.n == 0 || bk.idx != k {
				continue
			}
			p.n += bk.n
			for m := range p.m {
				a := &p.m[m]
				a.sum += bk.m[m].sum
				a.min = min(a.min, bk.m[m].min)
				a.max = max(a.max, bk.m[m].max)
			}
		}
		s.prior[w] = p
	}
	s.priorFor, s.priorOK = b, true
}

// live reports whether ring slot of bucket k holds bucket k.
func (s *State) live(k int64) bool {
	bk := &s.ring[slotOf(k)]
	return bk.n > 0 && bk.idx == k
}

// bucketOf returns floor(ns / Period).
func bucketOf(ns int64) int64 {
	const p = int64(Period)
	q := ns / p
	if ns%p < 0 {
		q--
	}
	return q
}

// slotOf returns the ring slot of bucket k.
func slotOf(k int64) int {
	r := k % ringSize
	if r < 0 {
		r += ringSize
	}
	return int(r)
}

// finite reports whether x is neither NaN nor ±Inf: its exponent is not all ones.
func finite(x float64) bool {
	const exp = 0x7ff0000000000000
	return math.Float64bits(x)&exp != exp
}
