// Package workflow is the training workflow the project runner executes and `netops train` runs
// from the shell: load a training set, describe it, select features by vote, train candidates
// with a hyperparameter search, pick the best on validation data, choose the decision threshold,
// test on held-out data, and register the version with its card and artifacts.
package workflow

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/describe"
	"github.com/netopsfn/netops/internal/evaluate"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
)

// Options configure a training run.
type Options struct {
	Name     string   // model name in the registry (default "netops")
	Data     string   // key of a training set of features.TrainingRow
	Models   []string // candidate kinds (default lr, rf, gbt)
	Metric   string   // validation metric that selects the model (default pr_auc)
	Budget   int      // hyperparameter trials per kind (default 4)
	Split    string   // "random" (SPEC §3: test 10%, then 75/25, seed 1) or "time"
	K        int      // feature selection: top k per univariate filter (default 5)
	MinVotes int      // feature selection: votes to keep a feature (default 3)
	MaxRows  int      // rows sampled for training (default 200,000; 0 keeps the default)
	Seed     uint64   // seed of sampling and models (default 1)
	Promote  string   // alias to point at the new version ("" for none)
	RunID    string
	Progress io.Writer
}

func (o *Options) defaults() error {
	if o.Name == "" {
		o.Name = "netops"
	}
	if len(o.Models) == 0 {
		o.Models = slices.Clone(models.Kinds)
	}
	if o.Metric == "" {
		o.Metric = "pr_auc"
	}
	if o.Budget == 0 {
		o.Budget = 4
	}
	if o.Split == "" {
		o.Split = "random"
	}
	if o.K == 0 {
		o.K = 5
	}
	if o.MinVotes == 0 {
		o.MinVotes = 3
	}
	if o.MaxRows == 0 {
		o.MaxRows = 200_000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	var errs []error
	if err := registry.ValidName(o.Name); err != nil {
		errs = append(errs, fmt.Errorf("name: %w", err))
	}
	if o.Data == "" {
		errs = append(errs, errors.New("data: required (a training set key, see netops features)"))
	}
	for _, k := range o.Models {
		if !slices.Contains(models.Kinds, k) {
			errs = append(errs, fmt.Errorf("models: unknown kind %q (want %v)", k, models.Kinds))
		}
	}
	if !slices.Contains(evaluate.MetricNames(), o.Metric) {
		errs = append(errs, fmt.Errorf("metric: unknown %q (want one of %v)", o.Metric, evaluate.MetricNames()))
	}
	if o.Budget < 1 || o.Budget > 50 {
		errs = append(errs, fmt.Errorf("budget: %d, want 1..50", o.Budget))
	}
	if o.Split != "random" && o.Split != "time" {
		errs = append(errs, fmt.Errorf("split: %q, want random or time", o.Split))
	}
	if o.MaxRows < 100 {
		errs = append(errs, fmt.Errorf("max-rows: %d, want >= 100", o.MaxRows))
	}
	return errors.Join(errs...)
}

// Candidate is one trained hyperparameter trial.
type Candidate struct {
	Kind       string          `json:"kind"`
	Params     json.RawMessage `json:"params"`
	Validation float64         `json:"validation"`
	Seconds    float64         `json:"seconds"`
	Error      string          `json:"error,omitempty"`
}

// Result is what a run produced.
type Result struct {
	Name       string          `json:"name"`
	Version    int             `json:"version"`
	Kind       string          `json:"kind"`
	Metric     string          `json:"metric"`
	Threshold  float64         `json:"threshold"`
	Test       evaluate.Report `json:"-"`
	Selected   []string        `json:"selected"`
	Candidates []Candidate     `json:"candidates"`
	Steps      []Step          `json:"steps"`
}

// Step records one step's duration.
type Step struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Train runs the workflow and registers the chosen model.
func Train(ctx context.Context, store blob.Store, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	res := &Result{Name: o.Name, Metric: o.Metric}
	step := newStepper(o.Progress, res)

	step.startStep("load " + o.Data)
	rows, err := tables.Get[features.TrainingRow](ctx, store, o.Data)
	if err != nil {
		return nil, fmt.Errorf("training set: %w", err)
	}
	all, times, err := dataset(rows)
	if err != nil {
		return nil, fmt.Errorf("training set %s: %w", o.Data, err)
	}
	step.done(fmt.Sprintf("%d rows, %.1f%% positive", len(all.Y), 100*positiveRate(all.Y)))

	step.startStep("split (" + o.Split + ")")
	sp, err := split(len(all.Y), times, o.Split, o.MaxRows, o.Seed)
	if err != nil {
		return nil, err
	}
	train, valid, test := subset(all, sp.train), subset(all, sp.valid), subset(all, sp.test)
	for name, ds := range map[string]models.Dataset{"train": train, "validation": valid, "test": test} {
		if err := bothClasses(ds.Y); err != nil {
			return nil, fmt.Errorf("%s split: %w", name, err)
		}
	}
	step.done(fmt.Sprintf("train %d, validation %d, test %d", len(train.Y), len(valid.Y), len(test.Y)))

	artifacts := map[string][]byte{}
	step.startStep("describe")
	cols, err := describe.Columns(train.X, len(train.Features))
	if err != nil {
		return nil, err
	}
	desc, err := describe.Describe(train.Features, cols, train.Y)
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	artifacts["eda.json"], _ = json.MarshalIndent(desc, "", "  ")
	plots := describe.Plots(desc)
	for name, svg := range plots {
		artifacts["eda/"+name] = svg
	}
	step.done(fmt.Sprintf("%d features described, %d plots", len(desc.Features), len(plots)))

	step.startStep("select features by vote")
	votes, err := SelectFeatures(train, min(o.K, len(train.Features)), o.MinVotes, o.Seed)
	if err != nil {
		return nil, err
	}
	res.Selected = votes.Selected
	artifacts["votes.json"], _ = json.MarshalIndent(votes, "", "  ")
	train, valid, test = project(train, votes.Selected), project(valid, votes.Selected), project(test, votes.Selected)
	step.done(fmt.Sprintf("%d of %d features: %v", len(votes.Selected), len(all.Features), votes.Selected))

	step.startStep("train candidates")
	best, bestScore, err := searchModels(ctx, train, valid, o, res, step)
	if err != nil {
		return nil, err
	}
	res.Kind = best.Kind()
	artifacts["candidates.json"], _ = json.MarshalIndent(res.Candidates, "", "  ")
	step.done(fmt.Sprintf("best %s, validation %s %.4f", best.Kind(), o.Metric, bestScore))

	step.startStep("choose threshold and test")
	validScores := predict(best, valid)
	res.Threshold = bestF1Threshold(valid.Y, validScores)
	testScores := predict(best, test)
	res.Test, err = evaluate.Evaluate(test.Y, testScores, res.Threshold)
	if err != nil {
		return nil, fmt.Errorf("test: %w", err)
	}
	artifacts["test.json"], _ = json.MarshalIndent(res.Test, "", "  ")
	for name, svg := range evaluate.Plots(res.Test) {
		artifacts[name] = svg
	}
	step.done(fmt.Sprintf("threshold %.3f; test F1 %.4f, ROC AUC %s, PR AUC %s", res.Threshold, res.Test.F1, ptr(res.Test.ROCAUC), ptr(res.Test.PRAUC)))

	step.startStep("register")
	card, err := makeCard(o, best, train, valid, test, res, times, testScores)
	if err != nil {
		return nil, err
	}
	model, err := models.Marshal(best)
	if err != nil {
		return nil, err
	}
	reg := registry.New(store)
	if res.Version, err = reg.Register(ctx, card, model, artifacts); err != nil {
		return nil, err
	}
	if o.Promote != "" {
		if err := reg.SetAlias(ctx, o.Name, o.Promote, res.Version); err != nil {
			return nil, err
		}
	}
	step.done(fmt.Sprintf("%s v%d", o.Name, res.Version))
	return res, nil
}

func ptr(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", *p)
}

// searchModels fits every candidate on train and returns the best by the validation metric.
func searchModels(ctx context.Context, train, valid models.Dataset, o Options, res *Result, step *stepper) (models.Classifier, float64, error) {
	var best models.Classifier
	bestScore := math.NaN()
	higher := evaluate.HigherIsBetter(o.Metric)
	for _, kind := range o.Models {
		cands, err := space(kind, o.Budget, o.Seed)
		if err != nil {
			return nil, 0, err
		}
		for _, p := range cands {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
			t0 := time.Now()
			pj, _ := json.Marshal(p)
			c := Candidate{Kind: kind, Params: pj}
			m, err := models.Fit(train, p)
			if err == nil {
				var rep evaluate.Report
				if rep, err = evaluate.Evaluate(valid.Y, predict(m, valid), 0.5); err == nil {
					c.Validation, err = evaluate.Metric(rep, o.Metric)
				}
			}
			c.Seconds = time.Since(t0).Seconds()
			if err != nil {
				c.Error = err.Error()
			} else if best == nil || (higher && c.Validation > bestScore) || (!higher && c.Validation < bestScore) {
				best, bestScore = m, c.Validation
			}
			res.Candidates = append(res.Candidates, c)
			step.note(fmt.Sprintf("%s %s → %s %.4f (%.1fs)%s", kind, pj, o.Metric, c.Validation, c.Seconds, errSuffix(c.Error)))
		}
	}
	if best == nil {
		return nil, 0, errors.New("no candidate could be trained (see candidates for the errors)")
	}
	return best, bestScore, nil
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " error: " + s
}

func predict(m models.Classifier, ds models.Dataset) []float64 {
	out := make([]float64, len(ds.Y))
	if err := m.PredictBatch(ds.X, out); err != nil {
		panic(err) // shapes are ours: a mismatch is a bug, not input
	}
	return out
}

// bestF1Threshold picks the decision threshold with the highest F1 on validation data.
func bestF1Threshold(y []bool, scores []float64) float64 {
	curve, err := evaluate.PRCurve(y, scores)
	best, thr := -1.0, 0.5
	if err != nil {
		return thr
	}
	for _, p := range curve {
		if p.Precision+p.Recall == 0 || p.Threshold <= 0 || p.Threshold > 1 {
			continue
		}
		if f1 := 2 * p.Precision * p.Recall / (p.Precision + p.Recall); f1 > best {
			best, thr = f1, p.Threshold
		}
	}
	return thr
}

func positiveRate(y []bool) float64 {
	n := 0
	for _, v := range y {
		if v {
			n++
		}
	}
	return float64(n) / float64(max(len(y), 1))
}

func bothClasses(y []bool) error {
	r := positiveRate(y)
	if r == 0 || r == 1 {
		return fmt.Errorf("%d rows of one class only: need both classes to train and test", len(y))
	}
	return nil
}

type splits struct{ train, valid, test []int }

// split returns row indices: "random" permutes with the seed, takes 10% for test and 25% of the
// rest for validation; "time" keeps time order (test last, validation before it). Training rows
// beyond maxRows are sampled away.
func split(n int, times []time.Time, how string, maxRows int, seed uint64) (splits, error) {
	if n < 50 {
		return splits{}, fmt.Errorf("training set has %d rows, want at least 50", n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	r := rand.New(rand.NewPCG(seed, 0x5b1))
	if how == "random" {
		r.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	} else {
		slices.SortStableFunc(idx, func(a, b int) int { return times[a].Compare(times[b]) })
	}
	nTest := max(n/10, 1)
	rest := n - nTest
	nValid := max(rest/4, 1)
	var s splits
	if how == "random" {
		s.test, s.valid, s.train = idx[:nTest], idx[nTest:nTest+nValid], idx[nTest+nValid:]
	} else {
		s.train, s.valid, s.test = idx[:rest-nValid], idx[rest-nValid:rest], idx[rest:]
	}
	if len(s.train) > maxRows {
		sample := slices.Clone(s.train)
		r.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
		s.train = sample[:maxRows]
		slices.Sort(s.train)
	}
	for _, part := range [][]int{s.valid, s.test} {
		slices.SortFunc(part, func(a, b int) int { return cmp.Or(times[a].Compare(times[b]), cmp.Compare(a, b)) })
	}
	return s, nil
}
