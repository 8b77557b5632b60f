package workflow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/netopsfn/netops/internal/models"
)

// informative returns data where f0, f1 and f2 decide the label and f3..f9 are noise (f9 is
// constant).
func informative(n int) models.Dataset {
	r := rand.New(rand.NewPCG(5, 6))
	d := 10
	ds := models.Dataset{Features: make([]string, d), X: make([]float64, n*d), Y: make([]bool, n)}
	for j := range d {
		ds.Features[j] = fmt.Sprintf("f%d", j)
	}
	for i := range n {
		row := ds.X[i*d : (i+1)*d]
		for j := range d - 1 {
			row[j] = r.NormFloat64() + 3 // non-negative mostly; chi2 gets a chance
		}
		row[d-1] = 1
		z := 2.5*(row[0]-3) - 3*(row[1]-3) + 2*(row[2]-3) - 2
		ds.Y[i] = r.Float64() < 1/(1+math.Exp(-z))
	}
	return ds
}

func TestSelectFeatures(t *testing.T) {
	ds := informative(4000)
	v, err := SelectFeatures(ds, 3, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Voters) != 6 {
		t.Fatalf("voters %v", v.Voters)
	}
	for _, f := range []string{"f0", "f1", "f2"} {
		if !slices.Contains(v.Selected, f) {
			t.Errorf("informative %s not selected: votes %v", f, v.Total)
		}
	}
	for _, f := range []string{"f3", "f4", "f5", "f6", "f7", "f8", "f9"} {
		if slices.Contains(v.Selected, f) {
			t.Errorf("noise %s selected with %d votes", f, v.Total[f])
		}
	}
	if v.Total["f9"] != 0 {
		t.Errorf("constant column got votes: %v", v.Table["f9"])
	}
	if _, err := SelectFeatures(ds, 0, 3, 1); err == nil {
		t.Error("k=0 accepted")
	}
	if _, err := SelectFeatures(ds, 3, 0, 1); err == nil {
		t.Error("min_votes=0 accepted")
	}
}

func TestFilterScores(t *testing.T) {
	y := []bool{false, false, true, true}
	if f := anovaF([]float64{1, 1, 3, 3}, y); f != math.MaxFloat64 {
		t.Errorf("perfectly separated F = %v", f)
	}
	if f := anovaF([]float64{1, 2, 1, 2}, y); f != 0 {
		t.Errorf("uninformative F = %v", f)
	}
	// chi²: observed sums (2, 6) vs expected (4, 4) → (4/4)+(4/4) = 2.
	if c := chi2([]float64{1, 1, 3, 3}, y); math.Abs(c-2) > 1e-12 {
		t.Errorf("chi2 = %v, want 2", c)
	}
	if c := chi2([]float64{-1, 1, 3, 3}, y); c != 0 {
		t.Errorf("chi2 of a negative feature = %v", c)
	}
	if mi := mutualInfo([]float64{1, 1, 3, 3}, y); math.Abs(mi-math.Log(2)) > 1e-12 {
		t.Errorf("MI of a determining feature = %v, want ln 2", mi)
	}
	if mi := mutualInfo([]float64{5, 5, 5, 5}, y); mi != 0 {
		t.Errorf("MI of a constant = %v", mi)
	}
}
