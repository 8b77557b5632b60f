package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/function"
)

// targetArg finds --target in args (either form) or NETOPS_TARGET, before flags are bound,
// because the target decides which flags exist.
func targetArg(args []string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, "target="); ok {
			return v
		}
		if a == "target" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return os.Getenv("NETOPS_TARGET")
}

func cmdRun(ctx context.Context, args []string, stdout io.Writer) error {
	name := targetArg(args)
	var summaries []string
	for _, t := range targets() {
		summaries = append(summaries, fmt.Sprintf("  %-16s %s", t.name, t.summary))
	}
	fs := newFlagSet("run", "Runs one function: its CloudEvents consumer on NATS JetStream and its HTTP server on $PORT.\n\nTargets:\n"+strings.Join(summaries, "\n"), stdout)
	fs.String("target", "", "the function to run (env NETOPS_TARGET)")
	var rc function.Config
	if err := config.Bind(fs, &rc); err != nil {
		return err
	}
	var t target
	var load func(*flag.FlagSet) error
	var build func(function.Deps) (*function.Function, error)
	if name != "" {
		var err error
		if t, err = findTarget(name); err != nil {
			return err
		}
		if load, build, err = t.bind(fs); err != nil {
			return err
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" {
		_, err := findTarget("")
		return err
	}
	if err := config.Load(fs, &rc); err != nil {
		return err
	}
	if err := load(fs); err != nil {
		return err
	}

	log := newLogger(os.Stderr).With("target", t.name)
	slog.SetDefault(log)
	b, err := bus.Connect(ctx, rc.NATS, bus.Options{Name: "netops-" + t.name})
	if err != nil {
		return err
	}
	defer b.Close()
	store, err := blob.Open(ctx, rc.Store)
	if err != nil {
		return err
	}
	rt := &function.Runtime{Config: rc, Bus: b, Store: store, Log: log, Metrics: function.NewMetrics()}
	fn, err := build(rt.Deps(t.name))
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(rc.Port))
	if err != nil {
		return err
	}
	log.Info("function started", "http", ln.Addr().String(), "nats", rc.NATS, "store", store.String(), "consumes", fn.Consumes)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rt.Run(gctx, fn) })
	g.Go(func() error { return function.Serve(gctx, ln, rt.Handler(fn)) })
	err = g.Wait()
	log.Info("function stopped")
	return err
}
