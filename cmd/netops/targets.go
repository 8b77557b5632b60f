package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/netopsfn/netops/functions/driftdetectors"
	"github.com/netopsfn/netops/functions/driftmagnitude"
	"github.com/netopsfn/netops/functions/generator"
	"github.com/netopsfn/netops/functions/labeledstream"
	"github.com/netopsfn/netops/functions/modelserver"
	"github.com/netopsfn/netops/functions/preprocessor"
	"github.com/netopsfn/netops/functions/projectrunner"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/console"
	"github.com/netopsfn/netops/internal/function"
)

// target is one function the binary can run: its configuration and how to build it.
type target struct {
	name    string
	summary string
	// bind registers the function's own flags and returns a builder to call after parsing.
	bind func(fs *flag.FlagSet) (load func(fs *flag.FlagSet) error, build func(function.Deps) (*function.Function, error), err error)
}

// register declares a target from its config type and constructor.
func register[C any](name, summary string, build func(C, function.Deps) (*function.Function, error)) target {
	return target{name: name, summary: summary, bind: func(fs *flag.FlagSet) (func(*flag.FlagSet) error, func(function.Deps) (*function.Function, error), error) {
		var cfg C
		if err := config.Bind(fs, &cfg); err != nil {
			return nil, nil, err
		}
		load := func(fs *flag.FlagSet) error {
			if err := config.Load(fs, &cfg); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		}
		return load, func(d function.Deps) (*function.Function, error) { return build(cfg, d) }, nil
	}}
}

// targets lists every function in the order `netops up` starts them.
func targets() []target {
	return []target{
		register("generator", "simulates the device fleet: telemetry.batch and labels.batch", generator.New),
		register("preprocessor", "windowed features per device: features.batch, online features in KV", preprocessor.New),
		register("model-server", "inference: OIP v2, MLRun, MLflow, Seldon; champion/canary/shadow; batch scoring; pattern search", modelserver.New),
		register("labeled-stream", "joins predictions with late labels: labeled.batch, endpoint accuracy/precision/recall/F1", labeledstream.New),
		register("drift-detectors", "DDM, EDDM, Page-Hinkley, ADWIN on each model version's error stream: drift.warning, drift.detected", driftdetectors.New),
		register("drift-magnitude", "per-feature TVD, Hellinger, KLD, PSI, JS, KS, Wasserstein against the training reference: drift.report", driftmagnitude.New),
		register("console", "the web console: pages and JSON API over the store and NATS (netops up serves it too)", console.NewFunction),
		register("project-runner", "retrain → judge → gated deploy on webhooks, Alertmanager, schedules and drift", projectrunner.New),
	}
}

func findTarget(name string) (target, error) {
	var names []string
	for _, t := range targets() {
		if t.name == name {
			return t, nil
		}
		names = append(names, t.name)
	}
	sort.Strings(names)
	if name == "" {
		return target{}, fmt.Errorf("--target is required (one of: %s)", strings.Join(names, ", "))
	}
	return target{}, fmt.Errorf("unknown target %q (one of: %s)", name, strings.Join(names, ", "))
}
