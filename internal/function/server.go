package function

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/netopsfn/netops/internal/httpjson"
)

// Ready reports whether the runtime can do work: the NATS connection is up.
func (rt *Runtime) Ready() error {
	if st := rt.Bus.NC.Status(); st != nats.CONNECTED {
		return fmt.Errorf("nats: %s", st)
	}
	return nil
}

// MountHealth registers the endpoints every process serves: liveness (/healthz, /_/health),
// readiness (/readyz, /_/ready — the OpenFaaS workload contract) and Prometheus /metrics.
func (rt *Runtime) MountHealth(mux *http.ServeMux) {
	live := func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	}
	ready := func(w http.ResponseWriter, r *http.Request) {
		if err := rt.Ready(); err != nil {
			httpjson.Error(w, http.StatusServiceUnavailable, "not ready: %v", err)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
	}
	mux.HandleFunc("GET /healthz", live)
	mux.HandleFunc("GET /_/health", live)
	mux.HandleFunc("GET /readyz", ready)
	mux.HandleFunc("GET /_/ready", ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(rt.Metrics.Registry, promhttp.HandlerOpts{Registry: rt.Metrics.Registry}))
}

// Handler is the whole HTTP surface of one function running alone (`netops run`): CloudEvents on
// POST /, health, metrics and the function's own routes.
func (rt *Runtime) Handler(fn *Function) http.Handler {
	mux := http.NewServeMux()
	rt.MountHealth(mux)
	mux.Handle("POST /{$}", rt.EventHandler(fn))
	if fn.Routes != nil {
		fn.Routes(mux)
	}
	return mux
}

// Run consumes events for each function and runs its background work until ctx is done, then
// drains. It returns the first error that stopped a function.
func (rt *Runtime) Run(ctx context.Context, fns ...*Function) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	fail := func(name string, err error) {
		if err != nil && !errors.Is(err, context.Canceled) {
			cancel(fmt.Errorf("%s: %w", name, err))
		}
	}
	for _, fn := range fns {
		if rt.Config.Delivery != "push" {
			wg.Go(func() { fail(fn.Name, rt.Consume(ctx, fn)) })
		}
		if fn.Run != nil {
			wg.Go(func() { fail(fn.Name, fn.Run(ctx)) })
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// Serve runs an HTTP server on ln until ctx is done, then shuts it down gracefully.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	// Bounded everywhere: a slow or stuck client holds a connection for a minute at most, and
	// request bodies are limited by each handler (1 MiB for CloudEvents, --max-body for APIs).
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 1 << 20}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
