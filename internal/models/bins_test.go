package models

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFeatureEdges(t *testing.T) {
	uniform := make([]float64, 10000)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range uniform {
		uniform[i] = rng.Float64()
	}
	tied := make([]float64, 1000) // 90% zeros, then 100 distinct values
	for i := 900; i < 1000; i++ {
		tied[i] = float64(i)
	}
	tests := []struct {
		name    string
		vals    []float64
		maxBins int
		want    []float64 // nil: only check the count
		nEdges  int
	}{
		{"constant feature", []float64{3, 3, 3, 3}, 255, []float64{}, 0},
		{"single row", []float64{7}, 255, []float64{}, 0},
		{"fewer distinct values than bins", []float64{5, 1, 3, 1, 5, 2}, 255, []float64{1.5, 2.5, 4}, 3},
		{"distinct values equal to bins", []float64{0, 1, 2, 3}, 4, []float64{0.5, 1.5, 2.5}, 3},
		{"two bins cut at the median", []float64{1, 2, 3, 4, 5, 6}, 2, []float64{3.5}, 1},
		{"quantiles of a continuous feature", uniform, 255, nil, 254},
		{"heavy ties merge bins", tied, 16, []float64{0, 936.5}, 2},
		{"adjacent floats", []float64{1, math.Nextafter(1, 2)}, 255, []float64{1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := featureEdges(slices.Clone(tc.vals), tc.maxBins)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.nEdges {
				t.Fatalf("%d edges, want %d: %v", len(got), tc.nEdges, got)
			}
			if tc.want != nil && !slices.Equal(got, tc.want) {
				t.Errorf("edges %v, want %v", got, tc.want)
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Errorf("edges not strictly increasing: %v", got)
			}
			// Every distinct value is separated from the next one by some edge, unless the
			// feature had to be quantised.
			counts := make([]int, len(got)+1)
			for _, v := range tc.vals {
				counts[binOf(got, v)]++
			}
			for b, c := range counts {
				if c == 0 {
					t.Errorf("bin %d is empty", b)
				}
			}
			if tc.name == "quantiles of a continuous feature" {
				want := float64(len(tc.vals)) / 255
				for b, c := range counts {
					if math.Abs(float64(c)-want) > 2 {
						t.Errorf("bin %d holds %d values, want about %.1f", b, c, want)
					}
				}
			}
		})
	}
}

func TestBinningRejectsNonFinite(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := featureEdges([]float64{1, bad, 2}, 255); !errors.Is(err, ErrNotFinite) {
			t.Errorf("featureEdges with %v: error %v, want ErrNotFinite", bad, err)
		}
		x := []float64{1, 2, 3, bad, 5, 6} // 3 rows × 2 features; row 1, feature 1 is bad
		edges := [][]float64{{2}, {3}}
		_, err := applyBins(x, 2, nil, edges, 2)
		if !errors.Is(err, ErrNotFinite) || err.Error() != "models: feature value is not finite: row 1, feature 1" {
			t.Errorf("applyBins with %v: error %v", bad, err)
		}
	}
}

// TestBinThresholdsMatchRawValues checks the invariant prediction relies on: a split
// "code <= b" sends a value left exactly when value <= edges[b].
func TestBinThresholdsMatchRawValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const n, d = 5000, 3
	x := make([]float64, n*d)
	for i := range n {
		x[i*d] = rng.NormFloat64()
		x[i*d+1] = float64(rng.IntN(7)) // few distinct values
		x[i*d+2] = math.Exp(3 * rng.NormFloat64())
	}
	bd, err := binData(x, d, nil, 32, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := bd.nbins(1); got != 7 {
		t.Errorf("feature with 7 values has %d bins", got)
	}
	for f := range d {
		col := bd.col(f)
		for b, e := range bd.edges[f] {
			for i := range n {
				if left := col[i] <= uint8(b); left != (x[i*d+f] <= e) {
					t.Fatalf("feature %d, row %d: code %d vs edge %d (%v) disagree for %v", f, i, col[i], b, e, x[i*d+f])
				}
			}
		}
	}
}

func TestBinningSubsamplesLargeData(t *testing.T) {
	n := binSample + 50_000
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i % 1000)
	}
	rows := make([]int32, n-10)
	for i := range rows {
		rows[i] = int32(i + 10)
	}
	a, err := binData(x, 1, rows, 255, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := binData(x, 1, rows, 255, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a.m != len(rows) || a.nbins(0) != 255 {
		t.Errorf("m = %d, bins = %d; want %d and 255", a.m, a.nbins(0), len(rows))
	}
	if !slices.Equal(a.edges[0], b.edges[0]) || !slices.Equal(a.codes, b.codes) {
		t.Error("binning depends on the number of workers")
	}
}
