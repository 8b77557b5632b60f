// Package console is the web console of netops: one embedded single-page UI (HTML, CSS and
// vanilla JavaScript, no CDN and no build step) and the JSON API it polls. It shows the functions
// and their health, the model endpoints with their drift, a model version's drift over time with
// its features analysis, the project runner's workflow runs with their artifacts, and one
// device's recent telemetry and predictions.
//
// The console only reads: endpoint records from NATS KV, run records, model cards, drift reports,
// detector logs and Parquet tables from the object store, and the runtime's Prometheus counters.
// It writes nothing and is not a function of the pipeline.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/httpjson"
	"github.com/netopsfn/netops/internal/registry"
)

//go:embed assets
var assets embed.FS

// Options are what the console reads from.
type Options struct {
	// Store is the object store holding runs, models, monitoring reports and tables. Required.
	Store blob.Store
	// Bus is the NATS connection: endpoint records, consumer lag and dead-letter counts. Without
	// it the console shows no endpoints and no lag.
	Bus *bus.Bus
	// Gatherer holds the function runtime's counters (function.Metrics.Registry); nil for none.
	Gatherer prometheus.Gatherer
	// Functions names the functions running in this process, in pipeline order.
	Functions []string
	// Log receives one line per failed API request; nil discards.
	Log *slog.Logger
}

// Console serves the web console and its JSON API.
type Console struct {
	store     blob.Store
	bus       *bus.Bus
	gatherer  prometheus.Gatherer
	functions []string
	log       *slog.Logger
	reg       *registry.Registry

	endpointsOnce sync.Once
	endpoints     *endpoint.Store
	endpointsErr  error

	rates   rateTracker
	samples sampleBook
	reports reportCache
	lists   listCache
}

// New returns a console reading from the options' sources.
func New(opt Options) (*Console, error) {
	if opt.Store == nil {
		return nil, errors.New("console: Options.Store is required")
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Console{store: opt.Store, bus: opt.Bus, gatherer: opt.Gatherer, functions: opt.Functions,
		log: log, reg: registry.New(opt.Store)}, nil
}

// Routes mounts the console on mux: GET / redirects to /console/, the pages live under
// /console/ and the JSON API under /api/console/.
func (c *Console) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /console/assets/", http.StripPrefix("/console/assets/", noCache(http.FileServerFS(static))))
	mux.HandleFunc("GET /console/", c.servePage)

	mux.HandleFunc("GET /api/console/overview", c.api(c.overview))
	mux.HandleFunc("GET /api/console/endpoints", c.api(c.endpointList))
	mux.HandleFunc("GET /api/console/models/{model}/versions/{version}", c.api(c.modelDetail))
	mux.HandleFunc("GET /api/console/models/{model}/versions/{version}/drift", c.api(c.modelDrift))
	mux.HandleFunc("GET /api/console/models/{model}/versions/{version}/features", c.api(c.modelFeatures))
	mux.HandleFunc("GET /api/console/models/{model}/versions/{version}/features/{feature}/histogram.svg", c.serveHistogram)
	mux.HandleFunc("GET /api/console/models/{model}/versions/{version}/artifacts/{name...}", c.serveArtifact)
	mux.HandleFunc("GET /api/console/runs", c.api(c.runList))
	mux.HandleFunc("GET /api/console/runs/{id}", c.api(c.runDetail))
	mux.HandleFunc("GET /api/console/devices", c.api(c.deviceList))
	mux.HandleFunc("GET /api/console/devices/{id}", c.api(c.deviceDetail))
	mux.HandleFunc("GET /api/console/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusNotFound, "no console API route %s", r.URL.Path)
	})
}

// servePage answers every page path with the single-page shell; the script picks the page from
// the path, so a page URL can be bookmarked and reloaded.
func (c *Console) servePage(w http.ResponseWriter, r *http.Request) {
	data, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
	_, _ = w.Write(data)
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// errNotFound marks an API error answered with 404: an unknown model, version, run or device.
var errNotFound = errors.New("not found")

// notFound returns an errNotFound error with its reason.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errNotFound, fmt.Sprintf(format, args...))
}

// api adapts a JSON handler: its value is written with 200, an errNotFound (or a store or
// registry not-found) with 404 and any other error with 500, always as {"error": reason}.
func (c *Console) api(h func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		v, err := h(r.WithContext(ctx))
		if err != nil {
			c.writeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpjson.Write(w, http.StatusOK, v)
	}
}

func (c *Console) writeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errNotFound):
		httpjson.Error(w, http.StatusNotFound, "%s", strings.TrimPrefix(err.Error(), errNotFound.Error()+": "))
		return
	case isNotFound(err):
		httpjson.Error(w, http.StatusNotFound, "%v", err)
		return
	}
	c.log.Warn("console request failed", "path", r.URL.Path, "err", err)
	httpjson.Error(w, http.StatusInternalServerError, "%v", err)
}

func isNotFound(err error) bool {
	return errors.Is(err, errNotFound) || errors.Is(err, blob.ErrNotFound) ||
		errors.Is(err, blob.ErrInvalidKey) || errors.Is(err, registry.ErrNotFound)
}

// endpointStore opens the endpoint records bucket once; nil without a bus.
func (c *Console) endpointStore(ctx context.Context) (*endpoint.Store, error) {
	if c.bus == nil {
		return nil, nil
	}
	c.endpointsOnce.Do(func() { c.endpoints, c.endpointsErr = endpoint.Open(ctx, c.bus) })
	return c.endpoints, c.endpointsErr
}

// modelVersion parses the {model} and {version} path values ("3" or "v3").
func modelVersion(r *http.Request) (string, int, error) {
	model := r.PathValue("model")
	if err := registry.ValidName(model); err != nil {
		return "", 0, notFound("model: %v", err)
	}
	vs := strings.TrimPrefix(r.PathValue("version"), "v")
	v, err := strconv.Atoi(vs)
	if err != nil || v < 1 {
		return "", 0, notFound("version %q: want a positive integer such as 3 or v3", r.PathValue("version"))
	}
	return model, v, nil
}

// queryInt reads an integer query parameter clamped to [lo, hi], def when absent or malformed.
func queryInt(r *http.Request, name string, def, lo, hi int) int {
	v, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil {
		return def
	}
	return min(max(v, lo), hi)
}
