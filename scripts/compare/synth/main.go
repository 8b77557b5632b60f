// Command synth writes the synthetic data set of the 1,000,000 × 45 gradient-boosting timing in
// docs/sklearn-comparison.md, in the binary format of scripts/compare/data: standard normal
// features and about 10% positives from a non-linear ground truth on features 0–3 (the
// generator of internal/models' benchmarks).
//
// Usage:
//
//	go run ./scripts/compare/synth --out /tmp/cmp-1m --rows 1000000 --test 200000 --features 45
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/scripts/compare/data"
)

func main() {
	out := flag.String("out", "/tmp/cmp-1m", "output directory")
	rows := flag.Int("rows", 1_000_000, "training rows")
	test := flag.Int("test", 200_000, "test rows")
	d := flag.Int("features", 45, "features, at least 4")
	seed := flag.Uint64("seed", 42, "random seed")
	flag.Parse()
	if *d < 4 || *rows < 1 || *test < 1 {
		fmt.Fprintln(os.Stderr, "synth: need rows, test ≥ 1 and features ≥ 4")
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(*seed, 3))
	for _, s := range []struct {
		name string
		n    int
	}{{"train", *rows}, {"test", *test}} {
		ds := generate(rng, s.n, *d)
		if err := data.WriteBinary(*out, s.name, ds); err != nil {
			fmt.Fprintln(os.Stderr, "synth:", err)
			os.Exit(1)
		}
		fmt.Printf("%s/%s: %d rows × %d features\n", *out, s.name, s.n, *d)
	}
}

// generate draws n rows of d standard normal features labelled by
// P(y) = σ(−3.2 + 1.5·x0 + 1.2·x1·x2 + 2·[x3 > 1]).
func generate(rng *rand.Rand, n, d int) models.Dataset {
	ds := models.Dataset{Features: models.DefaultNames(d), X: make([]float64, n*d), Y: make([]bool, n)}
	for i := range n {
		x := ds.X[i*d : (i+1)*d]
		for j := range x {
			x[j] = rng.NormFloat64()
		}
		z := -3.2 + 1.5*x[0] + 1.2*x[1]*x[2]
		if x[3] > 1 {
			z += 2
		}
		ds.Y[i] = rng.Float64() < 1/(1+math.Exp(-z))
	}
	return ds
}
