package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/netopsfn/netops/functions/modelserver"
	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/config"
)

type patternsConfig struct {
	Device  string `flag:"device" env:"PATTERNS_DEVICE" default:"" help:"device id (required)"`
	Metric  string `flag:"metric" env:"PATTERNS_METRIC" default:"cpu_utilization" help:"cpu_utilization, latency, packet_loss or throughput"`
	Pattern string `flag:"pattern" env:"PATTERNS_PATTERN" default:"" help:"search: the query, comma-separated numbers, e.g. 54,53,52,51"`
	Window  int    `flag:"window" env:"PATTERNS_WINDOW" default:"0" help:"discords: subsequence length"`
	K       int    `flag:"k" env:"PATTERNS_K" default:"5" help:"number of matches"`
	From    string `flag:"from" env:"PATTERNS_FROM" default:"" help:"start of the range, RFC 3339 (default: 24h before --to)"`
	To      string `flag:"to" env:"PATTERNS_TO" default:"" help:"end of the range, RFC 3339 (default: the latest data)"`
	Files   string `flag:"files" env:"PATTERNS_FILES" default:"" help:"read these local telemetry Parquet files (comma-separated paths or globs) instead of the store"`
	storeConfig
	Prefix   string `flag:"telemetry-prefix" env:"TELEMETRY_PREFIX" default:"telemetry/" help:"key prefix of the telemetry in the store"`
	JSON     bool   `flag:"json" env:"PATTERNS_JSON" default:"false" help:"print JSON instead of a table"`
	from, to time.Time
}

func (c *patternsConfig) Validate() error {
	var errs []error
	if c.Device == "" {
		errs = append(errs, errors.New("device: required"))
	}
	errs = append(errs, timeFlag("from", c.From, false, &c.from), timeFlag("to", c.To, false, &c.to))
	return errors.Join(errs...)
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("pattern: %q is not a number", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("pattern: required, e.g. --pattern 54,53,52,51")
	}
	return out, nil
}

func cmdPatterns(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "search" && args[0] != "discords") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, "Usage: netops patterns search|discords [flags]   (netops patterns search --help for the flags)")
			return nil
		}
		return errors.New("want a subcommand: search (nearest subsequences to --pattern, by MASS) or discords (most anomalous subsequences of --window, by matrix profile)")
	}
	sub := args[0]
	fs := newFlagSet("patterns "+sub, "Searches one device's telemetry metric: 'search' finds the --k subsequences nearest to --pattern\n(z-normalised Euclidean distance); 'discords' finds the --k most anomalous subsequences of length\n--window. Reads the store, or local Parquet files with --files.", stdout)
	var c patternsConfig
	if err := config.Parse(fs, &c, args[1:]); err != nil {
		return err
	}
	from, to := c.from, c.to
	var ser modelserver.Series
	var err error
	if c.Files != "" {
		var paths []string
		for _, g := range strings.Split(c.Files, ",") {
			m, err := filepath.Glob(strings.TrimSpace(g))
			if err != nil {
				return fmt.Errorf("files: %w", err)
			}
			paths = append(paths, m...)
		}
		if len(paths) == 0 {
			return fmt.Errorf("files: %q matches no file", c.Files)
		}
		ser, err = modelserver.SeriesFromFiles(paths, c.Device, c.Metric, from, to)
	} else {
		var store blob.Store
		if store, err = c.open(ctx); err != nil {
			return err
		}
		ser, err = modelserver.LoadSeries(ctx, store, c.Prefix, c.Device, c.Metric, from, to)
	}
	if err != nil {
		return err
	}
	var matches []modelserver.Match
	m := c.Window
	if sub == "search" {
		pattern, err := parseFloats(c.Pattern)
		if err != nil {
			return err
		}
		m = len(pattern)
		matches, err = modelserver.Search(ser, pattern, c.K)
		if err != nil {
			return err
		}
	} else if matches, err = modelserver.Discords(ser, c.Window, c.K); err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"device": c.Device, "metric": c.Metric, "m": m, "points": len(ser.Values), "matches": matches})
	}
	fmt.Fprintf(stdout, "%s %s: %d points %s .. %s, m=%d\n", c.Device, c.Metric, len(ser.Values),
		ser.Times[0].Format(time.RFC3339), ser.Times[len(ser.Times)-1].Format(time.RFC3339), m)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tindex\tstart\tend\tdistance")
	for i, x := range matches {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%.6f\n", i+1, x.Index, x.Start.Format(time.RFC3339), x.End.Format(time.RFC3339), x.Distance)
	}
	return tw.Flush()
}
