package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/netopsfn/netops/functions/generator"
	"github.com/netopsfn/netops/internal/progress"
)

// generateConfig is the configuration of `netops generate`: the generator's fleet settings plus
// the range and the store.
type generateConfig struct {
	generator.Config
	From string `flag:"from" env:"FROM" default:"" help:"first simulated time, RFC 3339 (required)"`
	To   string `flag:"to" env:"TO" default:"" help:"last simulated time, RFC 3339 (required)"`
	storeConfig
	TicksPerFile int `flag:"ticks-per-file" env:"TICKS_PER_FILE" default:"0" help:"ticks per Parquet object (0: one hour)"`
	from, to     time.Time
}

func (c *generateConfig) Validate() error {
	errs := []error{c.Config.Validate(), timeFlag("from", c.From, true, &c.from), timeFlag("to", c.To, true, &c.to)}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if !c.to.After(c.from) {
		return fmt.Errorf("to: %s is not after from %s", c.To, c.From)
	}
	return nil
}

func cmdGenerate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("generate", "Writes simulated fleet history (telemetry, labels and the device table) to the store at full\nspeed, with the same keys the generator function uses. Example:\n  netops generate --from 2026-11-15T00:00:00Z --to 2026-11-22T00:00:00Z --devices 100 --seed 1", stdout)
	var c generateConfig
	store, err := parseWithStore(ctx, fs, &c, &c.storeConfig, args)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := generator.Backfill{Config: c.Config, From: c.from, To: c.to, TicksPerFile: c.TicksPerFile, Progress: os.Stderr}.Run(ctx, store)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "wrote %d ticks, %s rows in %d batches (%s .. %s) to %s in %.1fs (%s rows/s)\n",
		res.Ticks, progress.Human(float64(res.Rows)), res.Batches, res.From.Format(time.RFC3339), res.To.Format(time.RFC3339),
		store, secs, progress.Human(float64(res.Rows)/secs))
	return nil
}
