package workflow

import (
	"encoding/json"
	"math/rand/v2"

	"github.com/netopsfn/netops/internal/models"
)

// space returns the hyperparameter candidates of a model kind: the defaults first, then up to
// budget−1 distinct random draws from the kind's grid (deterministic from the seed).
func space(kind string, budget int, seed uint64) ([]models.Params, error) {
	def, err := models.DefaultParams(kind)
	if err != nil {
		return nil, err
	}
	out := []models.Params{withSeed(def, seed)}
	seen := map[string]bool{key(out[0]): true}
	grid := grids[kind]
	r := rand.New(rand.NewPCG(seed, 0x5ea2c4))
	for tries := 0; len(out) < budget && tries < 50*budget; tries++ {
		p := withSeed(grid(r), seed)
		if k := key(p); !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out, nil
}

func withSeed(p models.Params, seed uint64) models.Params {
	switch q := p.(type) {
	case models.ForestParams:
		q.Seed = seed
		return q
	case models.BoostedParams:
		q.Seed = seed
		return q
	}
	return p
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

var grids = map[string]func(r *rand.Rand) models.Params{
	models.KindLogistic: func(r *rand.Rand) models.Params {
		p := models.DefaultLogisticParams()
		p.C = pick(r, 0.01, 0.1, 1, 10)
		p.ClassWeight = pick(r, "", models.ClassWeightBalanced)
		return p
	},
	models.KindForest: func(r *rand.Rand) models.Params {
		p := models.DefaultForestParams()
		p.NTrees = pick(r, 50, 100)
		p.MaxDepth = pick(r, 8, 12, 16)
		p.MinSamplesLeaf = pick(r, 1, 5, 20)
		p.ClassWeight = pick(r, "", models.ClassWeightBalanced)
		return p
	},
	models.KindBoosted: func(r *rand.Rand) models.Params {
		p := models.DefaultBoostedParams()
		p.LearningRate = pick(r, 0.05, 0.1, 0.2)
		p.MaxLeafNodes = pick(r, 15, 31, 63)
		p.L2 = pick(r, 0.0, 1.0)
		p.MinSamplesLeaf = pick(r, 20, 50)
		return p
	},
}

func key(p models.Params) string {
	b, _ := json.Marshal(p)
	return string(b)
}
