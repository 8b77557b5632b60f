// Command netops is the one binary of the project: `netops up` runs the whole system on one
// machine, `netops run --target=<function>` runs one function (the mode for OpenFaaS and Knative),
// and the other subcommands are the tools around them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout io.Writer) error
}

func commands() []command {
	return []command{
		{"up", "run the whole system on this machine: embedded NATS, local store, every function, one port", cmdUp},
		{"run", "run one function (--target=<name>), as OpenFaaS and Knative deploy it", cmdRun},
		{"features", "build an offline training set from the telemetry history (features + as-of labels)", cmdFeatures},
		{"generate", "write simulated fleet history to the store at full speed (backfill)", cmdGenerate},
		{"train", "train, test and register a model from a training set", cmdTrain},
		{"models", "list, show, promote or roll back registered models", cmdModels},
		{"patterns", "search a device's telemetry: nearest subsequences (search) or anomalies (discords)", cmdPatterns},
		{"infer", "send rows or device ids to a model server and print the predictions", cmdInfer},
		{"detect", "run a streaming drift detector over a file of values, one per line", cmdDetect},
		{"drift", "compare two data sets feature by feature: TVD, Hellinger, KLD, PSI, JS, KS, Wasserstein", cmdDrift},
		{"runs", "list the project runner's runs or show one: trigger, steps, metrics, decision", cmdRuns},
		{"trigger", "start a project-runner workflow through its signed webhook", cmdTrigger},
		{"version", "print the version", cmdVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "netops — predictive network operations as event-driven functions\n\nUsage: netops <command> [flags]\n\nCommands:\n")
	cmds := commands()
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'netops <command> --help' for a command's flags. Every flag can also be set with the\nNETOPS_* environment variable named in its help.\n")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "netops %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "netops: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func cmdVersion(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
	}
	fmt.Fprintf(stdout, "netops %s (%s)\n", version, goVersion)
	return nil
}

// newFlagSet returns a flag set whose help goes to stdout and starts with the command's summary.
func newFlagSet(name, summary string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: netops %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// newLogger builds the process logger from NETOPS_LOG_FORMAT (text|json) and NETOPS_LOG_LEVEL.
func newLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("NETOPS_LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(os.Getenv("NETOPS_LOG_FORMAT"), "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
