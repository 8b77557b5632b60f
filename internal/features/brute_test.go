package features

import (
	"math"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// TestWindowsBruteForce checks every feature of every row against a direct computation from the
// raw rows, on random histories with late devices, sparse devices and gaps.
func TestWindowsBruteForce(t *testing.T) {
	tests := []struct {
		name string
		hist histSpec
	}{
		{"dense", histSpec{seed: 11, devices: 4, ticks: 3000}},
		{"sparse and late", histSpec{seed: 12, devices: 40, ticks: 700}},
		{"single device", histSpec{seed: 13, devices: 1, ticks: 5000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := history(tt.hist)
			statics := fleet(tt.hist.seed, rows)
			got := offline(t, statics, rows)
			byDevice := map[string][]int{} // row indexes per device, in order
			for i, r := range rows {
				byDevice[r.Device] = append(byDevice[r.Device], i)
				want := bruteForce(rows, byDevice[r.Device], statics[r.Device])
				checkRow(t, i, &got[i], &want)
			}
		})
	}
}

// bruteForce computes the features of the last row in idx, where idx lists a device's rows up to
// and including it. Buckets come from time.Truncate (the zero time is aligned on the epoch's
// 10-minute grid); each window's sum is folded bucket by bucket in ascending order, the order the
// package documents, so averages compare exactly.
func bruteForce(rows []tables.Telemetry, idx []int, st Static) [NumFeatures]float64 {
	cur := rows[idx[len(idx)-1]]
	var v [NumFeatures]float64
	vals := cur.Values()
	copy(v[:], vals[:])
	for w, span := range [numWindows]time.Duration{time.Hour, 6 * time.Hour} {
		// sums[k] is the running sum of the window's k-th non-empty bucket, oldest first.
		var (
			sums     [numMetrics][]float64
			mins     [numMetrics]float64
			maxs     [numMetrics]float64
			naive    [numMetrics]float64
			n        int
			lastB    time.Time
			inWindow = func(ts time.Time) bool {
				return cur.Timestamp.Truncate(10*time.Minute).Sub(ts.Truncate(10*time.Minute)) < span
			}
		)
		for m := range numMetrics {
			mins[m], maxs[m] = math.Inf(1), math.Inf(-1)
		}
		start := len(idx) - 1
		for start > 0 && inWindow(rows[idx[start-1]].Timestamp) {
			start--
		}
		for _, j := range idx[start:] {
			r := rows[j]
			b := r.Timestamp.Truncate(10 * time.Minute)
			newBucket := n == 0 || !b.Equal(lastB)
			lastB = b
			n++
			for m, x := range r.Values() {
				if newBucket {
					sums[m] = append(sums[m], x)
				} else {
					sums[m][len(sums[m])-1] += x
				}
				mins[m] = min(mins[m], x)
				maxs[m] = max(maxs[m], x)
				naive[m] += x
			}
		}
		for m := range numMetrics {
			total := 0.0
			for _, s := range sums[m] {
				total += s
			}
			v[windowIndex(m, 0, w)] = total / float64(n)
			v[windowIndex(m, 1, w)] = mins[m]
			v[windowIndex(m, 2, w)] = maxs[m]
			// The documented order is one of many; any order must agree to rounding.
			if d := math.Abs(naive[m]/float64(n) - total/float64(n)); d > 1e-9*max(1, math.Abs(total/float64(n))) {
				panic("naive and bucketed averages disagree")
			}
		}
	}
	if st.model != 0 {
		v[modelsStart+int(st.model)-1] = 1
	}
	if st.country != 0 {
		v[countryStart+int(st.country)-1] = 1
	}
	return v
}

func checkRow(t *testing.T, i int, got *Row, want *[NumFeatures]float64) {
	t.Helper()
	gv := got.Vector()
	for k := range want {
		if gv[k] != want[k] {
			t.Fatalf("row %d (%s %s): %s = %v, want %v", i, got.Device, got.Timestamp, names[k], gv[k], want[k])
		}
	}
}
