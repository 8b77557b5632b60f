package workflow

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/netopsfn/netops/internal/models"
)

// Votes is the feature-selection vote table: which voters chose which feature.
type Votes struct {
	Voters   []string         `json:"voters"`
	Features []string         `json:"features"`
	Table    map[string][]int `json:"table"` // feature → 1/0 per voter, in Voters order
	Total    map[string]int   `json:"total"`
	Selected []string         `json:"selected"`
	K        int              `json:"k"`
	MinVotes int              `json:"min_votes"`
}

// SelectFeatures votes on the features of ds (SPEC §3): the univariate filters ANOVA F, mutual
// information and chi² (on non-negative features) each vote for their top k; L1 logistic
// regression, random-forest and gradient-boosting importances vote for the features above their
// mean importance. Features with at least minVotes votes are kept, in their original order; if
// none reach it, the k features with most votes are kept.
func SelectFeatures(ds models.Dataset, k, minVotes int, seed uint64) (Votes, error) {
	d := len(ds.Features)
	if k < 1 || k > d {
		return Votes{}, fmt.Errorf("select k: %d, want 1..%d", k, d)
	}
	if minVotes < 1 {
		return Votes{}, fmt.Errorf("min_votes: %d, want >= 1", minVotes)
	}
	v := Votes{Features: ds.Features, Table: map[string][]int{}, Total: map[string]int{}, K: k, MinVotes: minVotes}
	vote := func(name string, chosen []bool) {
		v.Voters = append(v.Voters, name)
		for j, f := range ds.Features {
			x := 0
			if chosen[j] {
				x = 1
			}
			v.Table[f] = append(v.Table[f], x)
			v.Total[f] += x
		}
	}
	cols := columns(ds)
	vote("anova_f", topK(scores(cols, ds.Y, anovaF), k))
	vote("mutual_info", topK(scores(cols, ds.Y, mutualInfo), k))
	vote("chi2", topK(scores(cols, ds.Y, chi2), k))

	l1 := models.DefaultLogisticParams()
	l1.Penalty, l1.C = models.PenaltyL1, 0.1
	rf := models.DefaultForestParams()
	rf.NTrees, rf.MaxDepth, rf.Seed = 30, 8, seed
	gbt := models.DefaultBoostedParams()
	gbt.MaxIter, gbt.Seed = 50, seed
	for _, m := range []struct {
		name string
		p    models.Params
	}{{"l1_logistic", l1}, {"random_forest", rf}, {"gradient_boosting", gbt}} {
		c, err := models.Fit(ds, m.p)
		if err != nil {
			return Votes{}, fmt.Errorf("feature selection %s: %w", m.name, err)
		}
		vote(m.name, aboveMean(c.Importances()))
	}
	for _, f := range ds.Features {
		if v.Total[f] >= minVotes {
			v.Selected = append(v.Selected, f)
		}
	}
	if len(v.Selected) == 0 {
		order := slices.Clone(ds.Features)
		slices.SortStableFunc(order, func(a, b string) int { return cmp.Compare(v.Total[b], v.Total[a]) })
		keep := map[string]bool{}
		for _, f := range order[:k] {
			keep[f] = true
		}
		for _, f := range ds.Features {
			if keep[f] {
				v.Selected = append(v.Selected, f)
			}
		}
	}
	return v, nil
}

func columns(ds models.Dataset) [][]float64 {
	d, n := len(ds.Features), len(ds.Y)
	cols := make([][]float64, d)
	for j := range cols {
		cols[j] = make([]float64, n)
		for i := range n {
			cols[j][i] = ds.X[i*d+j]
		}
	}
	return cols
}

func scores(cols [][]float64, y []bool, f func([]float64, []bool) float64) []float64 {
	out := make([]float64, len(cols))
	for j, c := range cols {
		s := f(c, y)
		if math.IsNaN(s) || math.IsInf(s, 0) {
			s = 0 // constant columns and the like carry no evidence
		}
		out[j] = s
	}
	return out
}

// topK marks the k highest scores (ties broken by position); zero scores never vote.
func topK(s []float64, k int) []bool {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(s[b], s[a]) })
	out := make([]bool, len(s))
	for _, i := range idx[:k] {
		out[i] = s[i] > 0
	}
	return out
}

func aboveMean(imp []float64) []bool {
	mean := 0.0
	for _, x := range imp {
		mean += x
	}
	mean /= float64(len(imp))
	out := make([]bool, len(imp))
	for i, x := range imp {
		out[i] = x > mean && x > 0
	}
	return out
}

// anovaF is the one-way ANOVA F statistic of x between the two classes.
func anovaF(x []float64, y []bool) float64 {
	var n [2]float64
	var sum, sq [2]float64
	for i, v := range x {
		c := 0
		if y[i] {
			c = 1
		}
		n[c]++
		sum[c] += v
		sq[c] += v * v
	}
	if n[0] == 0 || n[1] == 0 {
		return 0
	}
	total := n[0] + n[1]
	grand := (sum[0] + sum[1]) / total
	between, within := 0.0, 0.0
	for c := range 2 {
		m := sum[c] / n[c]
		between += n[c] * (m - grand) * (m - grand)
		within += sq[c] - n[c]*m*m
	}
	if within <= 0 {
		if between > 0 {
			return math.MaxFloat64
		}
		return 0
	}
	return between / (within / (total - 2))
}

// chi2 is scikit-learn's chi² score: observed per-class sums of a non-negative feature against
// the sums expected from the class frequencies. Features with negative values get 0.
func chi2(x []float64, y []bool) float64 {
	var obs [2]float64
	var n [2]float64
	for i, v := range x {
		if v < 0 {
			return 0
		}
		c := 0
		if y[i] {
			c = 1
		}
		obs[c] += v
		n[c]++
	}
	total := obs[0] + obs[1]
	if total == 0 {
		return 0
	}
	s := 0.0
	for c := range 2 {
		e := total * n[c] / (n[0] + n[1])
		if e > 0 {
			s += (obs[c] - e) * (obs[c] - e) / e
		}
	}
	return s
}

// mutualInfo estimates I(x; y) in nats with x discretised into 16 equal-frequency bins (a
// histogram estimator; scikit-learn uses k-nearest neighbours).
func mutualInfo(x []float64, y []bool) float64 {
	const bins = 16
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	n := len(x)
	edges := make([]float64, 0, bins-1)
	for b := 1; b < bins; b++ {
		e := sorted[b*n/bins]
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	joint := make([][2]float64, len(edges)+1)
	var py [2]float64
	for i, v := range x {
		b, _ := slices.BinarySearch(edges, v)
		if b < len(edges) && edges[b] == v {
			b++
		}
		c := 0
		if y[i] {
			c = 1
		}
		joint[b][c]++
		py[c]++
	}
	mi := 0.0
	for _, row := range joint {
		px := row[0] + row[1]
		for c := range 2 {
			if row[c] > 0 {
				mi += row[c] / float64(n) * math.Log(row[c]*float64(n)/(px*py[c]))
			}
		}
	}
	return mi
}
