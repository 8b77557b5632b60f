package modelserver

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/netopsfn/netops/internal/matrixprofile"
)

var errNoData = errors.New("no data")

// MaxK bounds how many matches one request may ask for.
const MaxK = 100

// Match is one subsequence found by a pattern search or a discord search.
type Match struct {
	Index    int       `json:"index"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Distance float64   `json:"distance"`
	// Neighbor is the start of a discord's nearest neighbour (-1 if none); unset for searches.
	Neighbor *int `json:"neighbor,omitempty"`
}

func checkK(k int) error {
	if k < 1 || k > MaxK {
		return fmt.Errorf("k: %d, want 1..%d", k, MaxK)
	}
	return nil
}

// Search returns the k subsequences of s nearest to pattern (z-normalised Euclidean distance, by
// MASS), best first, no two within the exclusion zone (ceil(m/4)) of each other.
func Search(s Series, pattern []float64, k int) ([]Match, error) {
	if err := checkK(k); err != nil {
		return nil, err
	}
	d, err := matrixprofile.MASS(pattern, s.Values)
	if err != nil {
		return nil, err
	}
	m := len(pattern)
	order := make([]int, len(d))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(d[a], d[b]) })
	zone := matrixprofile.ExclusionZone(m)
	var out []Match
	for _, i := range order {
		if len(out) == k {
			break
		}
		if math.IsNaN(d[i]) || slices.ContainsFunc(out, func(o Match) bool { return abs(o.Index-i) <= zone }) {
			continue
		}
		out = append(out, Match{Index: i, Start: s.Times[i], End: s.Times[i+m-1], Distance: d[i]})
	}
	return out, nil
}

// Discords returns the k most anomalous subsequences of length m in s: those whose nearest
// non-trivial neighbour (matrix profile, self-join by MPX) is farthest away.
func Discords(s Series, m, k int) ([]Match, error) {
	if err := checkK(k); err != nil {
		return nil, err
	}
	p, err := matrixprofile.SelfJoin(s.Values, m)
	if err != nil {
		return nil, err
	}
	var out []Match
	for _, d := range p.Discords(k) {
		n := d.Neighbor
		out = append(out, Match{Index: d.Index, Start: s.Times[d.Index], End: s.Times[d.Index+m-1], Distance: d.Distance, Neighbor: &n})
	}
	return out, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
