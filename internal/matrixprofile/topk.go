package matrixprofile

import (
	"cmp"
	"math"
	"slices"
)

// Match is a subsequence, its nearest neighbour and the distance between them, as reported by
// [Profile.Motifs] and [Profile.Discords].
type Match struct {
	// Index is the start of the subsequence in the profiled series.
	Index int
	// Neighbor is the start of its nearest neighbour (in b for an AB-join), or -1 if it has none.
	Neighbor int
	// Distance is the z-normalised Euclidean distance between the two.
	Distance float64
}

// Motifs returns up to k closest pairs (subsequence and its nearest neighbour), best first, such
// that no subsequence of one pair lies within ExclusionZone(p.M) of a subsequence of another pair,
// so the same motif is not reported twice at neighbouring offsets. For a self-join both members of
// every pair are checked against each other pair; for an AB-join, starts in a are checked against
// starts in a and starts in b against starts in b.
func (p *Profile) Motifs(k int) []Match {
	if p == nil || k <= 0 {
		return nil
	}
	order := p.finite(func(a, b float64) int { return cmp.Compare(a, b) })
	inA := newZones(ExclusionZone(p.M))
	inB := inA
	if !p.Self {
		inB = newZones(ExclusionZone(p.M))
	}
	var out []Match
	for _, i := range order {
		j := p.I[i]
		if j < 0 || inA.near(i) || inB.near(j) {
			continue
		}
		inA.add(i)
		inB.add(j)
		out = append(out, Match{Index: i, Neighbor: j, Distance: p.P[i]})
		if len(out) == k {
			break
		}
	}
	return out
}

// Discords returns up to k subsequences farthest from their nearest neighbours, worst first, no
// two within ExclusionZone(p.M) of each other. Subsequences with no neighbour (+Inf) are not
// discords: they only mean the series was too short to compare them.
func (p *Profile) Discords(k int) []Match {
	if p == nil || k <= 0 {
		return nil
	}
	order := p.finite(func(a, b float64) int { return cmp.Compare(b, a) })
	taken := newZones(ExclusionZone(p.M))
	var out []Match
	for _, i := range order {
		if taken.near(i) {
			continue
		}
		taken.add(i)
		out = append(out, Match{Index: i, Neighbor: p.I[i], Distance: p.P[i]})
		if len(out) == k {
			break
		}
	}
	return out
}

// finite returns the indices of finite profile values with a usable index, sorted by value with
// cmpDist and then by index, so results do not depend on the sort algorithm.
func (p *Profile) finite(cmpDist func(a, b float64) int) []int {
	n := min(len(p.P), len(p.I))
	order := make([]int, 0, n)
	for i := range n {
		if !math.IsNaN(p.P[i]) && !math.IsInf(p.P[i], 0) {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmpDist(p.P[a], p.P[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return order
}

// zones records accepted subsequence starts and tells whether a start lies within excl of one of
// them. Starts are bucketed by excl+1, so a query looks at three buckets whatever the indices are.
type zones struct {
	excl    int
	buckets map[int][]int
}

func newZones(excl int) *zones {
	return &zones{excl: excl, buckets: make(map[int][]int)}
}

func (z *zones) near(i int) bool {
	b := i / (z.excl + 1)
	for _, bb := range [3]int{b - 1, b, b + 1} {
		for _, s := range z.buckets[bb] {
			if s-i <= z.excl && i-s <= z.excl {
				return true
			}
		}
	}
	return false
}

func (z *zones) add(i int) {
	b := i / (z.excl + 1)
	z.buckets[b] = append(z.buckets[b], i)
}
