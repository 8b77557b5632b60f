package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/workflow"
)

type trainConfig struct {
	Data     string   `flag:"data" env:"TRAIN_DATA" default:"training/features.parquet" help:"key of the training set (see netops features)"`
	Name     string   `flag:"name" env:"MODEL_NAME" default:"netops" help:"model name in the registry"`
	Models   []string `flag:"models" env:"TRAIN_MODELS" default:"lr,rf,gbt" help:"candidate kinds: lr, rf, gbt"`
	Metric   string   `flag:"metric" env:"TRAIN_METRIC" default:"pr_auc" help:"validation metric that picks the model (pr_auc, roc_auc, f1, accuracy, precision, recall, brier, log_loss)"`
	Budget   int      `flag:"budget" env:"TRAIN_BUDGET" default:"4" help:"hyperparameter trials per kind (random search; the defaults are the first)"`
	Split    string   `flag:"split" env:"TRAIN_SPLIT" default:"random" help:"random (test 10%, then 75/25, seed 1) or time (test last)"`
	K        int      `flag:"k" env:"TRAIN_K" default:"5" help:"feature selection: top k per univariate filter"`
	MinVotes int      `flag:"min-votes" env:"TRAIN_MIN_VOTES" default:"3" help:"feature selection: votes needed to keep a feature"`
	MaxRows  int      `flag:"max-rows" env:"TRAIN_MAX_ROWS" default:"200000" help:"training rows sampled from the train split"`
	Seed     int64    `flag:"seed" env:"TRAIN_SEED" default:"1" help:"seed of the split, sampling and models"`
	Promote  string   `flag:"promote" env:"TRAIN_PROMOTE" default:"" help:"alias to point at the new version, e.g. champion"`
	storeConfig
}

func cmdTrain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("train", "Runs the training workflow on a training set: split, feature selection by vote, candidates with a\nhyperparameter search, threshold on validation, test, and registration as a new version.", stdout)
	var c trainConfig
	store, err := parseWithStore(ctx, fs, &c, &c.storeConfig, args)
	if err != nil {
		return err
	}
	res, err := workflow.Train(ctx, store, workflow.Options{Name: c.Name, Data: c.Data, Models: c.Models, Metric: c.Metric,
		Budget: c.Budget, Split: c.Split, K: c.K, MinVotes: c.MinVotes, MaxRows: c.MaxRows, Seed: uint64(c.Seed),
		Promote: c.Promote, Progress: stdout})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered %s v%d (%s)", res.Name, res.Version, res.Kind)
	if c.Promote != "" {
		fmt.Fprintf(stdout, " as %s", c.Promote)
	}
	fmt.Fprintln(stdout)
	return nil
}

type modelsConfig struct {
	storeConfig
	Alias string `flag:"alias" env:"MODELS_ALIAS" default:"champion" help:"promote/rollback: the alias to move"`
	JSON  bool   `flag:"json" env:"MODELS_JSON" default:"false" help:"show: print the whole card as JSON"`
}

func cmdModels(ctx context.Context, args []string, stdout io.Writer) error {
	usage := "Usage: netops models list | show NAME [VERSION] | promote NAME VERSION | rollback NAME   [--alias A] [--store URL]"
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintln(stdout, usage)
		if len(args) == 0 {
			return errors.New("want a subcommand: list, show, promote or rollback")
		}
		return nil
	}
	sub := args[0]
	fs := newFlagSet("models "+sub, usage, stdout)
	var c modelsConfig
	if err := config.Bind(fs, &c); err != nil {
		return err
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if err := config.Load(fs, &c); err != nil {
		return err
	}
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	reg := registry.New(store)
	need := func(n int) error {
		if len(pos) < n {
			return fmt.Errorf("%s: missing arguments\n%s", sub, usage)
		}
		return nil
	}
	switch sub {
	case "list":
		return listModels(ctx, reg, stdout)
	case "show":
		if err := need(1); err != nil {
			return err
		}
		return showModel(ctx, reg, pos, c.JSON, stdout)
	case "promote":
		if err := need(2); err != nil {
			return err
		}
		v, err := strconv.Atoi(pos[1])
		if err != nil || v < 1 {
			return fmt.Errorf("version %q: want a positive number", pos[1])
		}
		if err := reg.SetAlias(ctx, pos[0], c.Alias, v, "promoted from the command line"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s → v%d\n", pos[0], c.Alias, v)
		return nil
	case "rollback":
		if err := need(1); err != nil {
			return err
		}
		v, err := reg.Rollback(ctx, pos[0], c.Alias)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s rolled back → v%d\n", pos[0], c.Alias, v)
		return nil
	}
	return fmt.Errorf("unknown subcommand %q\n%s", sub, usage)
}

func listModels(ctx context.Context, reg *registry.Registry, w io.Writer) error {
	names, err := reg.Models(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "model\tversion\tkind\tcreated\tf1\troc_auc\tpr_auc\taliases")
	for _, name := range names {
		versions, err := reg.Versions(ctx, name)
		if err != nil {
			return err
		}
		aliases, err := reg.Aliases(ctx, name)
		if err != nil {
			return err
		}
		for _, v := range versions {
			card, err := reg.Card(ctx, name, v)
			if err != nil {
				return err
			}
			var tags []string
			for a, av := range aliases {
				if av == v {
					tags = append(tags, a)
				}
			}
			sort.Strings(tags)
			fmt.Fprintf(tw, "%s\tv%d\t%s\t%s\t%.4f\t%.4f\t%.4f\t%v\n", name, v, card.Kind, card.CreatedAt.Format("2006-01-02 15:04"),
				card.Metrics["f1"], card.Metrics["roc_auc"], card.Metrics["pr_auc"], tags)
		}
	}
	return tw.Flush()
}

func showModel(ctx context.Context, reg *registry.Registry, pos []string, asJSON bool, w io.Writer) error {
	name := pos[0]
	var v int
	var err error
	if len(pos) > 1 {
		if v, err = strconv.Atoi(pos[1]); err != nil {
			return fmt.Errorf("version %q: want a number", pos[1])
		}
	} else if v, err = reg.Resolve(ctx, name, "champion"); err != nil {
		versions, verr := reg.Versions(ctx, name)
		if verr != nil || len(versions) == 0 {
			return fmt.Errorf("model %s has no versions", name)
		}
		v = versions[len(versions)-1]
	}
	card, err := reg.Card(ctx, name, v)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(card)
	}
	fmt.Fprintf(w, "%s v%d  %s  created %s  run %s\n", card.Name, card.Version, card.Kind, card.CreatedAt.Format("2006-01-02 15:04:05"), card.RunID)
	fmt.Fprintf(w, "trained on %s: %d rows (%d train, %d validation, %d test), %.1f%% positive, %s split\n",
		card.Training.Source, card.Training.Rows, card.Training.TrainRows, card.Training.ValidRows, card.Training.TestRows, 100*card.Training.PositiveRate, card.Training.Split)
	fmt.Fprintf(w, "features (%d): %v\nthreshold: %.4f\nparams: %s\n", len(card.Features), card.Features, card.Threshold, card.Params)
	keys := make([]string, 0, len(card.Metrics))
	for k := range card.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-10s %.4f\n", k, card.Metrics[k])
	}
	fmt.Fprintf(w, "artifacts: %v\n", card.Artifacts)
	return nil
}
