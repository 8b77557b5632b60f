package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/netopsfn/netops/functions/generator"
	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/progress"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/trainset"
	"github.com/netopsfn/netops/internal/workflow"
)

// bootstrapModel is the model `netops up` trains when the store has none.
const bootstrapModel = "netops"

// bootstrap gives an empty store a first model: it writes hours of simulated history for the
// generator's fleet (NETOPS_* generator settings apply), builds its training set, trains and
// registers the netops model and makes it champion. A store whose netops model has a champion is
// left alone.
func bootstrap(ctx context.Context, store blob.Store, hours int, out io.Writer) error {
	reg := registry.New(store)
	if _, err := reg.Resolve(ctx, bootstrapModel, "champion"); err == nil {
		return nil
	} else if !errors.Is(err, registry.ErrNotFound) {
		return err
	}
	var gc generator.Config
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	if err := config.Bind(fs, &gc); err != nil {
		return err
	}
	if err := config.Load(fs, &gc); err != nil {
		return err
	}
	to := time.Now().UTC().Truncate(time.Minute)
	from := to.Add(-time.Duration(hours) * time.Hour)
	fmt.Fprintf(out, "bootstrap: no %s champion yet; simulating %dh of history, building features, training\n", bootstrapModel, hours)
	res, err := generator.Backfill{Config: gc, From: from, To: to, Progress: out}.Run(ctx, store)
	if err != nil {
		return fmt.Errorf("bootstrap history: %w", err)
	}
	const set = "training/bootstrap.parquet"
	if _, err := trainset.Build(ctx, store, trainset.Options{Telemetry: "telemetry/", Labels: "labels/",
		Devices: generator.DevicesKey, Out: set, Progress: out}); err != nil {
		return fmt.Errorf("bootstrap features: %w", err)
	}
	tr, err := workflow.Train(ctx, store, workflow.Options{Name: bootstrapModel, Data: set, Models: []string{"lr", "gbt"},
		Budget: 1, MaxRows: 50_000, Promote: "champion", RunID: "bootstrap", Progress: out})
	if err != nil {
		return fmt.Errorf("bootstrap training: %w", err)
	}
	fmt.Fprintf(out, "bootstrap: %s rows of history; %s v%d (%s) is champion\n", progress.Human(float64(res.Rows)), tr.Name, tr.Version, tr.Kind)
	return nil
}
