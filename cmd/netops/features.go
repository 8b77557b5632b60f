package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/netopsfn/netops/internal/progress"
	"github.com/netopsfn/netops/internal/trainset"
)

type featuresConfig struct {
	Telemetry string `flag:"telemetry" env:"FEATURES_TELEMETRY" default:"telemetry/" help:"key prefix of the telemetry history, e.g. telemetry/date=2026-11-22/"`
	Labels    string `flag:"labels" env:"FEATURES_LABELS" default:"labels/" help:"key prefix of the labels"`
	Devices   string `flag:"devices-key" env:"DEVICES_KEY" default:"devices/devices.parquet" help:"key of the static device table"`
	Out       string `flag:"out" env:"FEATURES_OUT" default:"training/features.parquet" help:"key of the training set to write"`
	From      string `flag:"from" env:"FEATURES_FROM" default:"" help:"keep rows at or after this time, RFC 3339 (windows still see earlier data)"`
	To        string `flag:"to" env:"FEATURES_TO" default:"" help:"keep rows at or before this time, RFC 3339"`
	storeConfig
	from, to time.Time
}

func (c *featuresConfig) Validate() error {
	errs := []error{timeFlag("from", c.From, false, &c.from), timeFlag("to", c.To, false, &c.to)}
	if c.Out == "" {
		errs = append(errs, errors.New("out: required"))
	}
	return errors.Join(errs...)
}

func cmdFeatures(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("features", "Builds an offline training set: the preprocessor's 45 features over the telemetry history in the\nstore (the same code as online), each row labelled by an as-of join on device. Example:\n  netops features --telemetry telemetry/ --labels labels/ --out training/week.parquet", stdout)
	var c featuresConfig
	store, err := parseWithStore(ctx, fs, &c, &c.storeConfig, args)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := trainset.Build(ctx, store, trainset.Options{Telemetry: c.Telemetry, Labels: c.Labels, Devices: c.Devices,
		Out: c.Out, From: c.from, To: c.to, Progress: os.Stderr})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "wrote %s training rows (%s telemetry rows from %d objects; %d without an earlier label dropped) to %s/%s in %.1fs (%s rows/s)\n",
		progress.Human(float64(res.Written)), progress.Human(float64(res.Rows)), res.Objects, res.Join.Dropped, store, res.Key, secs, progress.Human(float64(res.Rows)/secs))
	return nil
}
