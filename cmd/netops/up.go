package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/console"
	"github.com/netopsfn/netops/internal/function"
)

// upConfig is the configuration of `netops up`, on top of the runtime's.
type upConfig struct {
	Dir        string  `flag:"dir" env:"DIR" default:".netops" help:"local state: embedded NATS storage (<dir>/nats) and the default store (<dir>/data)"`
	NATSListen string  `flag:"nats-listen" env:"NATS_LISTEN" default:"127.0.0.1:4222" help:"address of the embedded NATS server (port 0 picks a free one); unused with --nats"`
	Bootstrap  bool    `flag:"bootstrap" env:"BOOTSTRAP" default:"true" help:"on a store without a netops champion, simulate history, train and register one before going live"`
	BootHours  int     `flag:"bootstrap-hours" env:"BOOTSTRAP_HOURS" default:"6" help:"hours of simulated history the bootstrap trains on"`
	Speed      float64 `flag:"speed" env:"SPEED" default:"2" help:"generator clock: simulated ticks per wall-clock second (2 = ten times real time at 5s ticks; 0 stops the clock); NETOPS_TICKS_PER_SECOND wins if set"`
}

// Validate checks the up-specific settings.
func (c *upConfig) Validate() error {
	var errs []error
	if c.BootHours < 1 || c.BootHours > 24*31 {
		errs = append(errs, fmt.Errorf("bootstrap-hours: %d, want 1..744", c.BootHours))
	}
	if c.Speed < 0 {
		errs = append(errs, fmt.Errorf("speed: %v is negative", c.Speed))
	}
	return errors.Join(errs...)
}

func cmdUp(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("up", "Runs the whole system in one process: an embedded NATS server with JetStream (unless --nats is\ngiven), the object store (./.netops/data unless --store is given), every function, and one HTTP\nport with /healthz, /readyz, /metrics, each function's CloudEvents endpoint under /fn/<name>/,\nand the functions' own APIs. Function settings come from their NETOPS_* variables (see\n'netops run --target=<name> --help').", stdout)
	var uc upConfig
	var rc function.Config
	if err := config.Bind(fs, &uc); err != nil {
		return err
	}
	if err := config.Bind(fs, &rc); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	natsGiven, storeGiven := false, false
	fs.Visit(func(f *flag.Flag) {
		natsGiven = natsGiven || f.Name == "nats"
		storeGiven = storeGiven || f.Name == "store"
	})
	_, natsEnv := os.LookupEnv(config.EnvName("NATS_URL"))
	_, storeEnv := os.LookupEnv(config.EnvName("STORE"))
	if err := config.Load(fs, &uc); err != nil {
		return err
	}
	if err := config.Load(fs, &rc); err != nil {
		return err
	}
	log := newLogger(os.Stderr)
	slog.SetDefault(log)

	if !natsGiven && !natsEnv {
		host, portStr, err := net.SplitHostPort(uc.NATSListen)
		if err != nil {
			return fmt.Errorf("nats-listen: %w", err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return fmt.Errorf("nats-listen: port %q: %w", portStr, err)
		}
		if port == 0 {
			port = -1
		}
		srv, err := bus.StartEmbedded(filepath.Join(uc.Dir, "nats"), host, port)
		if err != nil {
			return err
		}
		defer srv.Shutdown()
		rc.NATS = srv.URL()
	}
	if !storeGiven && !storeEnv {
		rc.Store = "file://" + filepath.Join(uc.Dir, "data")
	}
	b, err := bus.Connect(ctx, rc.NATS, bus.Options{Name: "netops-up"})
	if err != nil {
		return err
	}
	defer b.Close()
	store, err := blob.Open(ctx, rc.Store)
	if err != nil {
		return err
	}
	if uc.Bootstrap {
		if err := bootstrap(ctx, store, uc.BootHours, stdout); err != nil {
			return err
		}
	}
	secretFile, err := ensureWebhookSecret(uc.Dir)
	if err != nil {
		return err
	}
	rt := &function.Runtime{Config: rc, Bus: b, Store: store, Log: log, Metrics: function.NewMetrics()}

	mux := http.NewServeMux()
	rt.MountHealth(mux)
	var fns []*function.Function
	for _, t := range targets() {
		if t.name == "console" {
			continue // wired below, with this process's counters
		}
		tfs := flag.NewFlagSet(t.name, flag.ContinueOnError)
		load, build, err := t.bind(tfs)
		if err != nil {
			return err
		}
		if f := tfs.Lookup("ticks-per-second"); f != nil && os.Getenv(config.EnvName("TICKS_PER_SECOND")) == "" {
			if err := tfs.Set(f.Name, strconv.FormatFloat(uc.Speed, 'g', -1, 64)); err != nil {
				return fmt.Errorf("speed: %w", err)
			}
		}
		if f := tfs.Lookup("webhook-secret-file"); f != nil && secretFile != "" {
			if err := tfs.Set(f.Name, secretFile); err != nil {
				return err
			}
		}
		if err := load(tfs); err != nil {
			return err
		}
		fn, err := build(rt.Deps(t.name))
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		mux.Handle("POST /fn/"+fn.Name+"/{$}", rt.EventHandler(fn))
		if fn.Routes != nil {
			fn.Routes(mux)
		}
		fns = append(fns, fn)
	}

	names := make([]string, len(fns))
	for i, fn := range fns {
		names[i] = fn.Name
	}
	con, err := console.New(console.Options{Store: store, Bus: b, Gatherer: rt.Metrics.Registry, Functions: names, Log: log})
	if err != nil {
		return err
	}
	con.Routes(mux)
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(rc.Port))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "netops %s is up\n  console:   http://localhost:%[2]d/console/\n  http:      http://localhost:%[2]d  (/healthz /readyz /metrics, CloudEvents at /fn/<name>/)\n  nats:      %s\n  store:     %s\n  functions: %v\n%sCtrl-C stops it cleanly.\n",
		version, ln.Addr().(*net.TCPAddr).Port, rc.NATS, store.String(), names, secretBanner(secretFile))
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rt.Run(gctx, fns...) })
	g.Go(func() error { return function.Serve(gctx, ln, mux) })
	err = g.Wait()
	fmt.Fprintln(stdout, "netops stopped")
	return err
}

// ensureWebhookSecret gives the project runner's webhook a secret when none is configured: a random
// one kept in <dir>/webhook-secret (mode 0600), which `netops trigger` reads too. It returns the
// file's path, or "" when a secret is configured.
func ensureWebhookSecret(dir string) (string, error) {
	if os.Getenv("NETOPS_WEBHOOK_SECRET") != "" || os.Getenv(config.EnvName("WEBHOOK_SECRET_FILE")) != "" {
		return "", nil
	}
	path := filepath.Join(dir, "webhook-secret")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(b[:])+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("webhook secret: %w", err)
		}
	}
	return path, nil
}

// secretBanner is the start banner's line about a generated webhook secret.
func secretBanner(path string) string {
	if path == "" {
		return ""
	}
	return fmt.Sprintf("  webhook:   secret in %s (netops trigger train reads it)\n", path)
}
