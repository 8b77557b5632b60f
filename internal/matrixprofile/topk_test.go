package matrixprofile

import (
	"math"
	"math/rand/v2"
	"testing"
)

func noise(seed uint64, n int, sd float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		x[i] = sd * r.NormFloat64()
	}
	return x
}

func TestMotifsFindPlantedPair(t *testing.T) {
	const m = 64
	x := noise(1, 3000, 1)
	for _, at := range []int{500, 2200} {
		for k := range m {
			x[at+k] = 5*math.Sin(2*math.Pi*float64(k)/40) + 0.01*x[at+k]
		}
	}
	p, err := SelfJoin(x, m)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Motifs(1)
	if len(got) != 1 || got[0].Index != 500 || got[0].Neighbor != 2200 {
		t.Fatalf("Motifs(1) = %+v, want the pair 500, 2200", got)
	}
}

func TestDiscordsFindPlantedAnomaly(t *testing.T) {
	const m = 50
	x := noise(2, 3000, 0.05)
	for i := range x {
		x[i] += math.Sin(2 * math.Pi * float64(i) / 50)
	}
	for k := range 30 {
		x[1500+k] = 0.5 * float64(k%7)
	}
	p, err := SelfJoin(x, m)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Discords(1)
	if len(got) != 1 || got[0].Index < 1500-m || got[0].Index > 1530 {
		t.Fatalf("Discords(1) = %+v, want a subsequence overlapping 1500..1529", got)
	}
}

// TestTopKProperties checks ordering, consistency with the profile and mutual non-overlap on
// profiles of random walks.
func TestTopKProperties(t *testing.T) {
	const m = 20
	a, b := randomWalk(4, 1500), randomWalk(5, 900)
	self, err := SelfJoin(a, m)
	if err != nil {
		t.Fatal(err)
	}
	ab, err := ABJoin(a, b, m)
	if err != nil {
		t.Fatal(err)
	}
	excl := ExclusionZone(m)
	for name, p := range map[string]*Profile{"self": self, "ab": ab} {
		for _, k := range []int{1, 5, 40} {
			for kind, got := range map[string][]Match{"motifs": p.Motifs(k), "discords": p.Discords(k)} {
				if len(got) != k {
					t.Errorf("%s %s(%d): %d matches", name, kind, k, len(got))
				}
				for n, g := range got {
					if g.Distance != p.P[g.Index] || g.Neighbor != p.I[g.Index] {
						t.Errorf("%s %s: %+v disagrees with the profile", name, kind, g)
					}
					if n > 0 && (kind == "motifs") != (g.Distance >= got[n-1].Distance) {
						t.Errorf("%s %s not in order at %d: %v then %v", name, kind, n, got[n-1].Distance, g.Distance)
					}
					for _, h := range got[:n] {
						starts := [][2]int{{g.Index, h.Index}}
						if kind == "motifs" {
							starts = append(starts, [2]int{g.Neighbor, h.Neighbor})
							if p.Self {
								starts = append(starts, [2]int{g.Index, h.Neighbor}, [2]int{g.Neighbor, h.Index})
							}
						}
						for _, s := range starts {
							if d := s[0] - s[1]; d <= excl && -d <= excl {
								t.Errorf("%s %s %+v overlaps %+v", name, kind, g, h)
							}
						}
					}
				}
			}
		}
	}
}

func TestTopKEdgeCases(t *testing.T) {
	inf := math.Inf(1)
	short, err := SelfJoin(randomWalk(6, 10), 10) // one subsequence, no neighbour
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		p                *Profile
		k                int
		motifs, discords int
	}{
		{name: "nil profile", p: nil, k: 3},
		{name: "k = 0", p: short, k: 0},
		{name: "negative k", p: short, k: -1},
		{name: "no neighbours", p: short, k: 3},
		{name: "fewer than k", p: &Profile{P: []float64{1, 2, inf, 3}, I: []int{3, 3, -1, 0}, M: 4, Self: true}, k: 10, motifs: 1, discords: 2},
		{name: "hand-made garbage", p: &Profile{P: []float64{math.NaN(), -1, 2, 5, 7}, I: []int{1 << 60, -7, 1 << 62}, M: math.MaxInt}, k: 5, motifs: 1, discords: 1},
		{name: "mismatched lengths", p: &Profile{P: []float64{1}, I: []int{4, 5, 6}, M: 3}, k: 2, motifs: 1, discords: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Motifs(tt.k); len(got) != tt.motifs {
				t.Errorf("Motifs(%d) = %+v, want %d matches", tt.k, got, tt.motifs)
			}
			if got := tt.p.Discords(tt.k); len(got) != tt.discords {
				t.Errorf("Discords(%d) = %+v, want %d matches", tt.k, got, tt.discords)
			}
		})
	}
}
