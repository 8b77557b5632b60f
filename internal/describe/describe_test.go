package describe

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/netopsfn/netops/internal/golden"
)

var nan, inf = math.NaN(), math.Inf(1)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func TestFeatureStatistics(t *testing.T) {
	tests := []struct {
		name   string
		col    []float64
		want   Feature // Name and Histogram are not compared
		noHist bool
	}{
		{"one to four", []float64{4, 1, 3, 2},
			Feature{Count: 4, Mean: 2.5, Std: math.Sqrt(5.0 / 3), Min: 1, Q25: 1.75, Q50: 2.5, Q75: 3.25, Max: 4}, false},
		// pandas: pd.Series([3.1, 1.2, 10, 4.4, 2.8, 7.5]).describe()
		{"pandas quartiles", []float64{3.1, 1.2, 10, 4.4, 2.8, 7.5},
			Feature{Count: 6, Mean: 29.0 / 6, Std: 3.296462750686964, Min: 1.2, Q25: 2.875, Q50: 3.75, Q75: 6.725, Max: 10}, false},
		{"missing values", []float64{nan, 10, 0, 5, inf, -inf},
			Feature{Count: 3, Missing: 3, Mean: 5, Std: 5, Min: 0, Q25: 2.5, Q50: 5, Q75: 7.5, Max: 10}, false},
		{"single value", []float64{7},
			Feature{Count: 1, Mean: 7, Std: 0, Min: 7, Q25: 7, Q50: 7, Q75: 7, Max: 7}, false},
		{"constant", []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1},
			Feature{Count: 7, Mean: 0.1, Std: 0, Min: 0.1, Q25: 0.1, Q50: 0.1, Q75: 0.1, Max: 0.1}, false},
		{"all missing", []float64{nan, nan},
			Feature{Missing: 2}, true},
		{"huge values", []float64{1e300, -1e300, 0},
			Feature{Count: 3, Mean: 0, Std: 1e300, Min: -1e300, Q25: -5e299, Q50: 0, Q75: 5e299, Max: 1e300}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describeFeature("x", tt.col)
			if got.Count != tt.want.Count || got.Missing != tt.want.Missing {
				t.Errorf("count %d missing %d, want %d and %d", got.Count, got.Missing, tt.want.Count, tt.want.Missing)
			}
			for _, s := range []struct {
				name      string
				got, want float64
			}{
				{"mean", got.Mean, tt.want.Mean}, {"std", got.Std, tt.want.Std},
				{"min", got.Min, tt.want.Min}, {"q25", got.Q25, tt.want.Q25}, {"q50", got.Q50, tt.want.Q50},
				{"q75", got.Q75, tt.want.Q75}, {"max", got.Max, tt.want.Max},
			} {
				if !near(s.got, s.want, 1e-14) {
					t.Errorf("%s = %.17g, want %.17g", s.name, s.got, s.want)
				}
			}
			if (got.Histogram == nil) != tt.noHist {
				t.Fatalf("histogram %v, want none: %v", got.Histogram, tt.noHist)
			}
			if h := got.Histogram; h != nil {
				var sum int64
				for _, c := range h.Counts {
					sum += c
				}
				if len(h.Edges) != 21 || len(h.Counts) != 20 || sum != int64(got.Count) {
					t.Errorf("histogram with %d edges, %d counts summing to %d", len(h.Edges), len(h.Counts), sum)
				}
				if h.Edges[0] > got.Min || h.Edges[20] < got.Max {
					t.Errorf("edges [%g, %g] do not cover [%g, %g]", h.Edges[0], h.Edges[20], got.Min, got.Max)
				}
			}
		})
	}
}

func TestQuantileAgainstDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 40; n++ {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = math.Round(rng.NormFloat64()*100) / 10
		}
		slices.Sort(vals)
		for _, q := range []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 1} {
			h := float64(n-1) * q
			k := int(h)
			want := vals[k]
			if k+1 < n {
				want += (h - float64(k)) * (vals[k+1] - vals[k])
			}
			if got := quantile(vals, q); !near(got, want, 1e-14) {
				t.Errorf("n=%d q=%g: %g, want %g", n, q, got, want)
			}
		}
	}
}

func TestCorrelation(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	tests := []struct {
		name string
		cols [][]float64
		want [][]float64
	}{
		{"linear, inverse, constant, hand-computed", [][]float64{x, {2, 4, 6, 8}, {-1, -2, -3, -4}, {5, 5, 5, 5}, {1, 3, 2, 4}},
			[][]float64{
				{1, 1, -1, 0, 0.8},
				{1, 1, -1, 0, 0.8},
				{-1, -1, 1, 0, -0.8},
				{0, 0, 0, 1, 0},
				{0.8, 0.8, -0.8, 0, 1},
			}},
		{"pairwise complete rows", [][]float64{{1, 2, nan, 4, 5}, {2, 4, 6, inf, 10}, {nan, nan, 1, nan, nan}, {1, 2, 3, 4, 5}},
			[][]float64{
				{1, 1, 0, 1},
				{1, 1, 0, 1},
				{0, 0, 1, 0},
				{1, 1, 0, 1},
			}},
		{"constant over the shared rows only", [][]float64{{1, 1, nan, 3}, {1, 2, 3, nan}},
			[][]float64{{1, 0}, {0, 1}}},
		{"single row", [][]float64{{1}, {2}}, [][]float64{{1, 0}, {0, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := correlation(tt.cols)
			for i := range tt.want {
				for j := range tt.want {
					if !near(got[i][j], tt.want[i][j], 1e-14) {
						t.Errorf("r[%d][%d] = %.17g, want %g", i, j, got[i][j], tt.want[i][j])
					}
				}
			}
		})
	}
}

// TestCorrelationBlocks checks the blocked accumulation for complete columns against the
// pairwise pass over many blocks, and the matrix's symmetry, diagonal and range.
func TestCorrelationBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, p = 5000, 6
	cols := make([][]float64, p)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	for i := range n {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		cols[0][i] = 70 + 10*a
		cols[1][i] = 250 - 20*a + 5*b
		cols[2][i] = 1e6 + b
		cols[3][i] = a * b
		cols[4][i] = float64(i % 7)
		cols[5][i] = rng.Float64()
	}
	r := correlation(cols)
	for i := range p {
		if r[i][i] != 1 {
			t.Errorf("r[%d][%d] = %g", i, i, r[i][i])
		}
		for j := range p {
			if r[i][j] != r[j][i] || r[i][j] < -1 || r[i][j] > 1 {
				t.Errorf("r[%d][%d] = %g, r[%d][%d] = %g", i, j, r[i][j], j, i, r[j][i])
			}
			if want := pairwise(cols[i], cols[j]); i != j && !near(r[i][j], want, 1e-12) {
				t.Errorf("r[%d][%d] = %.17g, pairwise %.17g", i, j, r[i][j], want)
			}
		}
	}
	if r[0][1] > -0.9 {
		t.Errorf("r[0][1] = %g, want strongly negative", r[0][1])
	}
}

func TestDescribe(t *testing.T) {
	names := []string{"cpu", "latency"}
	cols := [][]float64{{70, 80, 90, 60}, {1, nan, 3, 2}}
	d, err := Describe(names, cols, []bool{true, false, false, false})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != 4 || len(d.Features) != 2 || d.Features[1].Missing != 1 || d.Features[0].Name != "cpu" {
		t.Errorf("description %+v", d)
	}
	if want := (ClassBalance{Negative: 3, Positive: 1, NegativeRate: 0.75, PositiveRate: 0.25}); d.Classes == nil || *d.Classes != want {
		t.Errorf("class balance %+v, want %+v", d.Classes, want)
	}
	if len(d.Correlation) != 2 || d.Correlation[0][1] != d.Correlation[1][0] {
		t.Errorf("correlation %v", d.Correlation)
	}
	got, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, "description.json", got)

	unlabelled, err := Describe(names, cols, nil)
	if err != nil || unlabelled.Classes != nil {
		t.Errorf("unlabelled: %v, classes %v", err, unlabelled.Classes)
	}
}

func TestDescribeErrors(t *testing.T) {
	col := []float64{1, 2}
	tests := []struct {
		name   string
		names  []string
		cols   [][]float64
		labels []bool
		want   error
	}{
		{"no features", nil, nil, nil, ErrNoData},
		{"no rows", []string{"a"}, [][]float64{{}}, nil, ErrNoData},
		{"names and columns differ", []string{"a", "b"}, [][]float64{col}, nil, ErrShape},
		{"ragged columns", []string{"a", "b"}, [][]float64{col, {1}}, nil, ErrShape},
		{"labels too short", []string{"a"}, [][]float64{col}, []bool{true}, ErrShape},
		{"empty name", []string{""}, [][]float64{col}, nil, ErrNames},
		{"repeated name", []string{"a", "a"}, [][]float64{col, col}, nil, ErrNames},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Describe(tt.names, tt.cols, tt.labels); !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestColumns(t *testing.T) {
	cols, err := Columns([]float64{1, 2, 3, 4, 5, 6}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]float64{{1, 4}, {2, 5}, {3, 6}}; !slices.EqualFunc(cols, want, slices.Equal) {
		t.Errorf("Columns = %v, want %v", cols, want)
	}
	for _, d := range []int{0, 4} {
		if _, err := Columns([]float64{1, 2, 3, 4, 5, 6}, d); !errors.Is(err, ErrShape) {
			t.Errorf("Columns(d=%d) error %v, want ErrShape", d, err)
		}
	}
}

func TestPlots(t *testing.T) {
	names := []string{"cpu_utilization", "a/b <c>", "a_b__c_", "empty"}
	cols := [][]float64{{70, 80, 90, 60}, {1, 1, 1, 1}, {1, 2, nan, 4}, {nan, nan, nan, nan}}
	d, err := Describe(names, cols, []bool{true, false, false, false})
	if err != nil {
		t.Fatal(err)
	}
	plots := Plots(d)
	want := []string{"class_balance.svg", "correlation.svg", "histograms/a_b__c_-2.svg", "histograms/a_b__c_.svg",
		"histograms/cpu_utilization.svg", "histograms/empty.svg"}
	var keys []string
	for k, svg := range plots {
		keys = append(keys, k)
		dec := xml.NewDecoder(bytes.NewReader(svg))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
		if bytes.Contains(svg, []byte("NaN")) || bytes.Contains(svg, []byte("Inf")) {
			t.Errorf("%s holds NaN or Inf", k)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("plots %v, want %v", keys, want)
	}
	unlabelled, _ := Describe(names[:1], cols[:1], nil)
	if _, ok := Plots(unlabelled)["class_balance.svg"]; ok {
		t.Error("class balance plot for unlabelled data")
	}
}
