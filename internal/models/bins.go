package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// MaxBins is the largest number of bins a feature can be cut into: bin codes are bytes, and
// one value is left free, as LightGBM and scikit-learn keep it for missing values.
const MaxBins = 255

// binSample is how many rows the bin edges are computed from at most (scikit-learn and
// LightGBM use 200,000 too); the edges of larger datasets come from a seeded sample.
const binSample = 200_000

// binned holds m rows of d features cut into bins, column-major: feature f of row k has code
// codes[f*m+k]. A value v of feature f falls in the first bin b with v <= edges[f][b], or in
// the last bin len(edges[f]) when it exceeds every edge; so a split "bin <= b" is exactly
// "v <= edges[f][b]" on raw values.
type binned struct {
	m, d  int
	codes []uint8
	edges [][]float64
}

// nbins reports the number of bins of feature f.
func (b *binned) nbins(f int) int { return len(b.edges[f]) + 1 }

// col returns the codes of feature f.
func (b *binned) col(f int) []uint8 { return b.codes[f*b.m : (f+1)*b.m : (f+1)*b.m] }

// fitEdges computes at most maxBins bins per feature from the listed rows of the row-major
// matrix x (all rows when rows is nil). Features with at most maxBins distinct values get one
// bin per value, cut at midpoints; others are cut at midpoint quantiles of equal mass, with
// repeated edges merged, so heavily tied features get fewer bins. A constant feature gets one
// bin and can never be split.
func fitEdges(x []float64, d int, rows []int32, maxBins int, seed uint64) ([][]float64, error) {
	m := len(x) / d
	if rows != nil {
		m = len(rows)
	}
	sample := rows
	if m > binSample {
		rng := rand.New(rand.NewPCG(seed, 0x62696e73)) // "bins"
		perm := rng.Perm(m)[:binSample]
		slices.Sort(perm)
		sample = make([]int32, binSample)
		for k, p := range perm {
			if rows != nil {
				sample[k] = rows[p]
			} else {
				sample[k] = int32(p)
			}
		}
	}
	edges := make([][]float64, d)
	vals := make([]float64, 0, min(m, binSample))
	for f := range d {
		vals = vals[:0]
		if sample == nil {
			for i := range m {
				vals = append(vals, x[i*d+f])
			}
		} else {
			for _, r := range sample {
				vals = append(vals, x[int(r)*d+f])
			}
		}
		e, err := featureEdges(vals, maxBins)
		if err != nil {
			return nil, fmt.Errorf("feature %d: %w", f, err)
		}
		edges[f] = e
	}
	return edges, nil
}

// featureEdges returns the bin edges of one feature's values; it sorts vals in place.
func featureEdges(vals []float64, maxBins int) ([]float64, error) {
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: sample value %d is %v", ErrNotFinite, i, v)
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	slices.Sort(vals)
	distinct := 1
	for i := 1; i < len(vals); i++ {
		if vals[i] != vals[i-1] {
			distinct++
		}
	}
	edges := make([]float64, 0, min(distinct, maxBins)-1)
	if distinct <= maxBins {
		for i := 1; i < len(vals); i++ {
			if vals[i] != vals[i-1] {
				edges = append(edges, midpoint(vals[i-1], vals[i]))
			}
		}
		return edges, nil
	}
	last := vals[len(vals)-1]
	for i := 1; i < maxBins; i++ {
		pos := float64(i) / float64(maxBins) * float64(len(vals)-1)
		lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
		e := midpoint(vals[lo], vals[hi])
		// An edge at the maximum would leave the last bin empty; repeats add nothing.
		if e >= last || (len(edges) > 0 && e <= edges[len(edges)-1]) {
			continue
		}
		edges = append(edges, e)
	}
	return edges, nil
}

// midpoint returns a value in [a, b) halfway between a and b, or a when no float lies
// strictly between them, so that a falls at or below the edge and b above it.
func midpoint(a, b float64) float64 {
	if a == b {
		return a
	}
	m := a/2 + b/2
	if m < a || m >= b {
		return a
	}
	return m
}

// binOf returns the bin of value v given a feature's edges.
func binOf(edges []float64, v float64) uint8 {
	lo, hi := 0, len(edges)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if edges[mid] < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return uint8(lo)
}

// binBlock is the number of rows coded at a time: a block of rows stays in cache while
// every feature of it is coded.
const binBlock = 512

// applyBins codes the listed rows of x (all when rows is nil) with the given edges, using up
// to workers goroutines. Non-finite values are an error.
func applyBins(x []float64, d int, rows []int32, edges [][]float64, workers int) (*binned, error) {
	m := len(x) / d
	if rows != nil {
		m = len(rows)
	}
	b := &binned{m: m, d: d, codes: make([]uint8, m*d), edges: edges}
	blocks := (m + binBlock - 1) / binBlock
	bad := make([]int, blocks) // first bad index+1 per block, so the error is deterministic
	parallelFor(blocks, workers, func(blk int) {
		lo, hi := blk*binBlock, min((blk+1)*binBlock, m)
		for f := range d {
			col, e := b.codes[f*m:(f+1)*m], edges[f]
			for k := lo; k < hi; k++ {
				r := k
				if rows != nil {
					r = int(rows[k])
				}
				v := x[r*d+f]
				if math.IsNaN(v) || math.IsInf(v, 0) {
					if bad[blk] == 0 || r*d+f+1 < bad[blk] {
						bad[blk] = r*d + f + 1
					}
					continue
				}
				col[k] = binOf(e, v)
			}
		}
	})
	for _, at := range bad {
		if at != 0 {
			return nil, fmt.Errorf("%w: row %d, feature %d", ErrNotFinite, (at-1)/d, (at-1)%d)
		}
	}
	return b, nil
}

// binData fits edges on the listed rows and codes them.
func binData(x []float64, d int, rows []int32, maxBins int, seed uint64, workers int) (*binned, error) {
	edges, err := fitEdges(x, d, rows, maxBins, seed)
	if err != nil {
		return nil, err
	}
	return applyBins(x, d, rows, edges, workers)
}
