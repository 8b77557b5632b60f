package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/netopsfn/netops/functions/driftmagnitude"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/registry"
)

type driftConfig struct {
	Reference string   `flag:"reference" env:"DRIFT_REFERENCE" default:"" help:"what to compare with: a registered model, model[:version|:alias] (default alias champion, else the latest version), or a local Parquet file (required)"`
	Current   []string `flag:"current" env:"DRIFT_CURRENT" default:"" help:"the data to compare: local Parquet files or globs, comma-separated (more may follow the flags as arguments)"`
	JSON      bool     `flag:"json" env:"DRIFT_JSON" default:"false" help:"print the full report as JSON instead of a table"`
	Possible  float64  `flag:"possible" env:"DRIFT_POSSIBLE" default:"0.5" help:"general drift at or above which the status is POSSIBLE_DRIFT"`
	Detected  float64  `flag:"detected" env:"DRIFT_DETECTED" default:"0.7" help:"general drift at or above which the status is DRIFT_DETECTED"`
	Drifted   int      `flag:"drifted-features" env:"DRIFT_DRIFTED_FEATURES" default:"1" help:"the status is at least POSSIBLE_DRIFT when this many features drifted by themselves: DRIFT_DETECTED, or a Wasserstein distance at or over --wasserstein (0: the general drift alone decides, as in MLRun)"`
	Wasser    float64  `flag:"wasserstein" env:"DRIFT_WASSERSTEIN" default:"0.1" help:"Wasserstein distance, in reference standard deviations, at or above which a feature drifted by itself (0: off)"`
	Chunk     int      `flag:"chunk-rows" env:"DRIFT_CHUNK_ROWS" default:"8192" help:"rows read at a time"`
	storeConfig

	importances map[string]float64 // from the model card
}

func (c *driftConfig) Validate() error {
	var errs []error
	if c.Reference == "" {
		errs = append(errs, errors.New("reference: required, a model (netops, netops:3, netops:champion) or a Parquet file"))
	}
	if err := (drift.Thresholds{Possible: c.Possible, Detected: c.Detected}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("possible/detected: %g/%g, want 0 < possible <= detected <= 1", c.Possible, c.Detected))
	}
	if c.Chunk < 1 {
		errs = append(errs, fmt.Errorf("chunk-rows: %d, want >= 1", c.Chunk))
	}
	return errors.Join(errs...)
}

// driftOutput is the JSON the command prints: the report and what it compared.
type driftOutput struct {
	Reference string   `json:"reference"`
	Current   []string `json:"current"`
	Rows      int64    `json:"rows"`
	// Skipped lists reference columns that could not be compared (no reference statistics, or
	// no finite value in a reference file).
	Skipped []string `json:"skipped,omitempty"`
	*drift.Report
}

func cmdDrift(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("drift", "Compares current data with a reference feature by feature (TVD, Hellinger, KLD, PSI,\nJensen-Shannon, Kolmogorov-Smirnov, Wasserstein) and prints each feature's drift, the means and\nthe general drift (tvd_mean + hellinger_mean) / 2 with its status, as drift-magnitude reports it.\nThe reference is a registered model's card (--store) or a Parquet file; the current data is\nParquet, read in chunks.", stdout)
	var c driftConfig
	if err := config.Parse(fs, &c, args); err != nil {
		return err
	}
	paths, err := expandFiles(append(c.Current, fs.Args()...))
	if err != nil {
		return err
	}
	base, skipped, err := driftBaseline(ctx, &c)
	if err != nil {
		return err
	}
	readers, sizes, closeAll, err := openFiles(paths)
	if err != nil {
		return err
	}
	defer closeAll()
	p, err := driftmagnitude.PartialOf(readers, sizes, base, c.Chunk)
	if err != nil {
		return fmt.Errorf("current: %w", err)
	}
	rep, err := base.Analyze(p, drift.Options{Thresholds: drift.Thresholds{Possible: c.Possible, Detected: c.Detected},
		Importances: base.Importances(c.importances), DriftedFeatures: c.Drifted, Wasserstein: c.Wasser})
	if err != nil {
		return err
	}
	out := driftOutput{Reference: c.Reference, Current: paths, Rows: p.Rows, Skipped: skipped, Report: rep}
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return printDrift(stdout, &out)
}

// driftBaseline reads the reference: a model card from the store, or a Parquet file's columns.
func driftBaseline(ctx context.Context, c *driftConfig) (drift.Baseline, []string, error) {
	if isParquetPath(c.Reference) {
		readers, sizes, closeAll, err := openFiles([]string{c.Reference})
		if err != nil {
			return drift.Baseline{}, nil, fmt.Errorf("reference: %w", err)
		}
		defer closeAll()
		refs, order, skipped, err := driftmagnitude.References(readers, sizes, []string{"version"}, c.Chunk)
		if err != nil {
			return drift.Baseline{}, nil, fmt.Errorf("reference %s: %w", c.Reference, err)
		}
		var pred *drift.Reference
		if r, ok := refs[driftmagnitude.PredictionColumn]; ok {
			pred = &r
			delete(refs, driftmagnitude.PredictionColumn)
			order = without(order, driftmagnitude.PredictionColumn)
		}
		if len(refs) == 0 {
			return drift.Baseline{}, nil, fmt.Errorf("reference %s: no numeric column with a finite value", c.Reference)
		}
		base, _ := drift.NewBaseline(order, refs, driftmagnitude.PredictionColumn, pred)
		return base, skipped, nil
	}
	store, err := c.open(ctx)
	if err != nil {
		return drift.Baseline{}, nil, err
	}
	reg := registry.New(store)
	name, ver, _ := strings.Cut(c.Reference, ":")
	version, err := resolveVersion(ctx, reg, name, ver)
	if err != nil {
		return drift.Baseline{}, nil, fmt.Errorf("reference: %w", err)
	}
	card, err := reg.Card(ctx, name, version)
	if err != nil {
		return drift.Baseline{}, nil, fmt.Errorf("reference: %w", err)
	}
	base, skipped := driftmagnitude.CardBaseline(card)
	if len(base.Features) == 0 {
		return drift.Baseline{}, nil, fmt.Errorf("reference: the card of %s v%d has no reference statistics", name, version)
	}
	c.importances = card.Importances
	return base, skipped, nil
}

// resolveVersion turns "", a number or an alias into a version: "" is the champion, or the
// latest version when no champion is set.
func resolveVersion(ctx context.Context, reg *registry.Registry, name, ver string) (int, error) {
	if v, err := strconv.Atoi(ver); err == nil {
		return v, nil
	}
	if ver != "" {
		return reg.Resolve(ctx, name, ver)
	}
	v, err := reg.Resolve(ctx, name, "champion")
	if err == nil || !errors.Is(err, registry.ErrNotFound) {
		return v, err
	}
	versions, err := reg.Versions(ctx, name)
	if err != nil {
		return 0, err
	}
	if len(versions) == 0 {
		return 0, fmt.Errorf("%w: model %q (and %q is no Parquet file)", registry.ErrNotFound, name, name)
	}
	return versions[len(versions)-1], nil
}

func isParquetPath(s string) bool {
	if strings.HasSuffix(strings.ToLower(s), ".parquet") {
		return true
	}
	st, err := os.Stat(s)
	return err == nil && st.Mode().IsRegular()
}

// expandFiles expands comma-separated paths and globs; each must match a file.
func expandFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		for _, g := range strings.Split(a, ",") {
			if g = strings.TrimSpace(g); g == "" {
				continue
			}
			m, err := filepath.Glob(g)
			if err != nil {
				return nil, fmt.Errorf("current: %w", err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("current: %q matches no file", g)
			}
			out = append(out, m...)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("current: required, one or more Parquet files")
	}
	return out, nil
}

// openFiles opens local files for reading at offsets.
func openFiles(paths []string) ([]io.ReaderAt, []int64, func(), error) {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	readers := make([]io.ReaderAt, 0, len(paths))
	sizes := make([]int64, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		files = append(files, f)
		st, err := f.Stat()
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		readers, sizes = append(readers, f), append(sizes, st.Size())
	}
	return readers, sizes, closeAll, nil
}

func without(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// printDrift prints the report as a table, then the means and the general drift.
func printDrift(w io.Writer, o *driftOutput) error {
	fmt.Fprintf(w, "reference %s · current %d file(s), %d rows\n\n", o.Reference, len(o.Current), o.Rows)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "feature\ttvd\thellinger\tkld\tpsi\tjs\tks\twasserstein\tstatus")
	row := func(fd drift.FeatureDrift) {
		m := fd.Measures
		if m == nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t%s\n", fd.Name, fd.Status)
			return
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%s\n", fd.Name, m.TVD, m.Hellinger, m.KLD, m.PSI,
			m.JensenShannon, m.KS, m.Wasserstein, fd.Status)
	}
	for _, fd := range o.Features {
		row(fd)
	}
	if o.Prediction != nil {
		row(*o.Prediction)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\ntvd_mean %.4f  hellinger_mean %.4f  kld_mean %.4f  (sums %.4f, %.4f, %.4f over %d features)\n",
		o.TVDMean, o.HellingerMean, o.KLDMean, o.TVDSum, o.HellingerSum, o.KLDSum, o.Compared)
	if o.WeightedDrift != nil {
		fmt.Fprintf(w, "importance-weighted drift %.4f\n", *o.WeightedDrift)
	}
	fmt.Fprintf(w, "general drift %.4f: %s (possible >= %g, detected >= %g)\n", o.GeneralDrift, o.GeneralStatus, o.Thresholds.Possible, o.Thresholds.Detected)
	if o.Status != o.GeneralStatus {
		fmt.Fprintf(w, "status %s: %d feature(s) drifted by themselves: %s\n", o.Status, len(o.Drifted), strings.Join(o.Drifted, ", "))
	}
	if len(o.Skipped) > 0 {
		fmt.Fprintf(w, "not compared (no reference statistics): %s\n", strings.Join(o.Skipped, ", "))
	}
	return nil
}
