// Package modelserver is the model-server function. It serves several models and versions side
// by side — the champion, a canary taking a share of the requests (sticky per device on request),
// a shadow scoring a copy of them — behind the Open Inference Protocol, MLRun V2, MLflow and
// Seldon protocols; scores every features.batch with each of them into predictions batches;
// hot-reloads on model.deployed by swapping an immutable routing table; logs every request to
// Parquet and the endpoint records; and serves
// time-series pattern search and discords over the device telemetry (the Cloudera lab's two
// matrix-profile models): POST /patterns/search, POST /patterns/discords and the OIP model
// pattern-search.
package modelserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/httpjson"
	"github.com/netopsfn/netops/internal/matrixprofile"
	"github.com/netopsfn/netops/internal/registry"
)

type server struct {
	cfg       Config
	store     blob.Store
	bus       *bus.Bus // nil in tests without a bus: no notices, no endpoint records
	log       *slog.Logger
	router    *router
	metrics   *metrics
	stats     *stats
	endpoints *endpoint.Store
	online    jetstream.KeyValue // nil without a bus: only the device table is consulted
	devices   *deviceSet
	records   chan *Record
	shadowQ   chan shadowJob
}

// New builds the model-server function and loads every version the served models' aliases point
// at. Its Run (monitoring, shadow scoring, endpoint records) must run for the serving log to be
// written; requests never wait for it.
func New(cfg Config, d function.Deps) (*function.Function, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	reg := d.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("model-server metrics: %w", err)
	}
	s := &server{cfg: cfg, store: d.Store, bus: d.Bus, log: log, metrics: m, stats: newStats(),
		devices: &deviceSet{store: d.Store, key: cfg.DevicesKey},
		records: make(chan *Record, cfg.MonitorBuffer), shadowQ: make(chan shadowJob, 1024)}
	s.router = newRouter(registry.New(d.Store), cfg, m.attach)
	if err := s.reloadAll(context.Background()); err != nil {
		return nil, err
	}
	if d.Bus != nil {
		kv, err := d.Bus.KV(context.Background(), cfg.OnlineBucket)
		if err != nil {
			return nil, err
		}
		s.online = kv
		if s.endpoints, err = endpoint.Open(context.Background(), d.Bus); err != nil {
			return nil, err
		}
		if err := s.restoreShares(context.Background()); err != nil {
			return nil, err
		}
	}
	return &function.Function{Name: "model-server", Consumes: []string{events.FeaturesBatch, events.ModelDeployed},
		Handle: s.handle, Routes: s.routes, Run: s.run}, nil
}

// restoreShares gives each canary the traffic share its endpoint record holds, which the last
// model.deployed set before a restart (the registry keeps aliases, not shares).
func (s *server) restoreShares(ctx context.Context) error {
	for _, rt := range s.router.table().list() {
		if rt.canary == nil {
			continue
		}
		rec, found, err := s.endpoints.Get(ctx, rt.name, rt.canary.version)
		if err != nil {
			return fmt.Errorf("endpoint record of %s v%d: %w", rt.name, rt.canary.version, err)
		}
		if found && rec.Alias == s.cfg.CanaryAlias && rec.Traffic > 0 && rec.Traffic < 100 && rec.Traffic != rt.share {
			s.router.setShare(rt.name, rec.Traffic)
			if err := s.router.reload(ctx, rt.name); err != nil {
				return err
			}
		}
	}
	s.metrics.publishTable(s.router.table())
	return nil
}

// run is the background work until ctx is done: the monitor, the shadow scorer and the periodic
// re-read of the registry's aliases.
func (s *server) run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case j := <-s.shadowQ:
				s.shadowScore(j)
			case <-ctx.Done():
				return
			}
		}
	})
	if s.bus != nil {
		// model.deployed also reaches every replica directly: the durable consumer (or a push
		// trigger) hands each event to one replica only, and every replica must reload.
		sub, err := s.bus.NC.Subscribe(events.Subject(events.ModelDeployed), func(m *nats.Msg) {
			e, err := bus.FromMsg(m)
			if err == nil {
				_, err = s.handle(ctx, e)
			}
			if err != nil {
				s.log.Warn("model.deployed broadcast not applied; the periodic reload will catch up", "err", err)
			}
		})
		if err != nil {
			return fmt.Errorf("subscribe to model.deployed: %w", err)
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	if s.cfg.ReloadEvery > 0 {
		wg.Go(func() {
			tick := time.NewTicker(s.cfg.ReloadEvery)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
					if err := s.reloadAll(ctx); err != nil {
						s.log.Warn("periodic reload from the registry failed; serving what is loaded", "err", err)
					}
				case <-ctx.Done():
					return
				}
			}
		})
	}
	err := s.monitor(ctx)
	wg.Wait()
	return err
}

func (s *server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v2/health/live", s.serveLive)
	mux.HandleFunc("GET /v2/health/ready", s.serveReady)
	mux.HandleFunc("GET /v2", s.serveServer)
	mux.HandleFunc("GET /v2/models/{name}", s.serveModel)
	mux.HandleFunc("GET /v2/models/{name}/ready", s.serveModelReady)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}", s.serveModel)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}/ready", s.serveModelReady)
	mux.HandleFunc("POST /v2/models/{name}/infer", s.serveInfer)
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", s.serveInfer)
	mux.HandleFunc("POST /invocations", s.serveInvocations)
	mux.HandleFunc("POST /api/v1.0/predictions", s.serveSeldon)
	mux.HandleFunc("POST /patterns/search", s.serveSearch)
	mux.HandleFunc("POST /patterns/discords", s.serveDiscords)
	mux.HandleFunc("GET /v2/models/pattern-search", s.servePatternModel)
	mux.HandleFunc("GET /v2/models/pattern-search/ready", s.servePatternModel)
	mux.HandleFunc("POST /v2/models/pattern-search/infer", s.servePatternInfer)
}

// SearchRequest is the body of POST /patterns/search.
type SearchRequest struct {
	Device  string     `json:"device"`
	Metric  string     `json:"metric"`
	Pattern []float64  `json:"pattern"`
	K       int        `json:"k"`
	From    *time.Time `json:"from,omitempty"`
	To      *time.Time `json:"to,omitempty"`
}

// DiscordsRequest is the body of POST /patterns/discords.
type DiscordsRequest struct {
	Device string     `json:"device"`
	Metric string     `json:"metric"`
	Window int        `json:"window"`
	K      int        `json:"k"`
	From   *time.Time `json:"from,omitempty"`
	To     *time.Time `json:"to,omitempty"`
}

// PatternResult is the answer of both pattern routes.
type PatternResult struct {
	Device  string    `json:"device"`
	Metric  string    `json:"metric"`
	M       int       `json:"m"`
	Points  int       `json:"points"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Matches []Match   `json:"matches"`
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// load reads the series a request names, checking device and size.
func (s *server) load(ctx context.Context, device, metric string, from, to *time.Time) (Series, error) {
	if device == "" {
		return Series{}, errors.New("device: required")
	}
	if _, err := metricIndex(metric); err != nil {
		return Series{}, fmt.Errorf("metric: %w", err)
	}
	ser, err := LoadSeries(ctx, s.store, s.cfg.TelemetryPrefix, device, metric, deref(from), deref(to))
	if err != nil {
		return Series{}, err
	}
	if len(ser.Values) > s.cfg.MaxPoints {
		return Series{}, fmt.Errorf("range holds %d points, more than max-points %d: narrow from/to", len(ser.Values), s.cfg.MaxPoints)
	}
	return ser, nil
}

func (s *server) serveSearch(w http.ResponseWriter, r *http.Request) {
	req := SearchRequest{K: 5}
	if status, err := httpjson.Decode(r, s.cfg.MaxBody, true, &req); err != nil {
		httpjson.Error(w, status, "%v", err)
		return
	}
	res, err := s.search(r.Context(), req)
	if err != nil {
		httpjson.Error(w, statusOf(err), "%v", err)
		return
	}
	httpjson.Write(w, http.StatusOK, res)
}

func (s *server) search(ctx context.Context, req SearchRequest) (PatternResult, error) {
	if len(req.Pattern) == 0 {
		return PatternResult{}, errors.New("pattern: required, a list of numbers")
	}
	if err := checkK(req.K); err != nil {
		return PatternResult{}, err
	}
	ser, err := s.load(ctx, req.Device, req.Metric, req.From, req.To)
	if err != nil {
		return PatternResult{}, err
	}
	matches, err := Search(ser, req.Pattern, req.K)
	if err != nil {
		return PatternResult{}, err
	}
	return result(req.Device, req.Metric, len(req.Pattern), ser, matches), nil
}

func result(device, metric string, m int, ser Series, matches []Match) PatternResult {
	return PatternResult{Device: device, Metric: metric, M: m, Points: len(ser.Values),
		From: ser.Times[0], To: ser.Times[len(ser.Times)-1], Matches: matches}
}

func (s *server) serveDiscords(w http.ResponseWriter, r *http.Request) {
	req := DiscordsRequest{K: 3}
	if status, err := httpjson.Decode(r, s.cfg.MaxBody, true, &req); err != nil {
		httpjson.Error(w, status, "%v", err)
		return
	}
	if err := checkK(req.K); err != nil {
		httpjson.Error(w, http.StatusBadRequest, "%v", err)
		return
	}
	ser, err := s.load(r.Context(), req.Device, req.Metric, req.From, req.To)
	if err != nil {
		httpjson.Error(w, statusOf(err), "%v", err)
		return
	}
	matches, err := Discords(ser, req.Window, req.K)
	if err != nil {
		httpjson.Error(w, statusOf(err), "window: %v", err)
		return
	}
	httpjson.Write(w, http.StatusOK, result(req.Device, req.Metric, req.Window, ser, matches))
}

// statusOf maps an error to its HTTP status: 404 for a device without data, 503 when the store
// fails, 400 for everything the request got wrong.
func statusOf(err error) int {
	var in *matrixprofile.InputError
	switch {
	case errors.Is(err, errNoData):
		return http.StatusNotFound
	case errors.As(err, &in):
		return http.StatusBadRequest
	case errors.Is(err, blob.ErrNotFound), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	var se interface{ Timeout() bool }
	if errors.As(err, &se) {
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// tensor is an Open Inference Protocol input or output.
type tensor struct {
	Name       string          `json:"name"`
	Shape      []int           `json:"shape"`
	Datatype   string          `json:"datatype"`
	Data       json.RawMessage `json:"data,omitempty"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	values     []float64       // Data already decoded (parseOIPFast), or nil
}

type inferRequest struct {
	ID         string         `json:"id,omitempty"`
	Inputs     []tensor       `json:"inputs"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Outputs    []any          `json:"outputs,omitempty"`
}

func (s *server) servePatternModel(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]any{
		"name": "pattern-search", "versions": []string{"1"}, "platform": "netops-matrixprofile", "ready": true,
		"inputs": []map[string]any{
			{"name": "pattern", "datatype": "FP64", "shape": []int{-1}},
			{"name": "device", "datatype": "BYTES", "shape": []int{1}},
			{"name": "metric", "datatype": "BYTES", "shape": []int{1}},
			{"name": "k", "datatype": "INT32", "shape": []int{1}},
		},
		"outputs": []map[string]any{
			{"name": "index", "datatype": "INT64", "shape": []int{-1}},
			{"name": "distance", "datatype": "FP64", "shape": []int{-1}},
			{"name": "start", "datatype": "BYTES", "shape": []int{-1}},
		},
	})
}

// servePatternInfer is the OIP form of /patterns/search: inputs pattern (FP64), device and metric
// (BYTES), optional k (INT32); outputs index, distance and start, one element per match.
func (s *server) servePatternInfer(w http.ResponseWriter, r *http.Request) {
	var req inferRequest
	if status, err := httpjson.Decode(r, s.cfg.MaxBody, true, &req); err != nil {
		httpjson.Error(w, status, "%v", err)
		return
	}
	sr := SearchRequest{K: 5}
	for _, in := range req.Inputs {
		var err error
		switch in.Name {
		case "pattern":
			err = json.Unmarshal(in.Data, &sr.Pattern)
		case "device":
			err = unmarshalOne(in.Data, &sr.Device)
		case "metric":
			err = unmarshalOne(in.Data, &sr.Metric)
		case "k":
			err = unmarshalOne(in.Data, &sr.K)
		default:
			err = errors.New("unknown input (want pattern, device, metric, k)")
		}
		if err != nil {
			httpjson.Error(w, http.StatusBadRequest, "input %q: %v", in.Name, err)
			return
		}
	}
	res, err := s.search(r.Context(), sr)
	if err != nil {
		httpjson.Error(w, statusOf(err), "%v", err)
		return
	}
	n := len(res.Matches)
	idx, dist, start := make([]int, n), make([]float64, n), make([]string, n)
	for i, m := range res.Matches {
		idx[i], dist[i], start[i] = m.Index, m.Distance, m.Start.Format(time.RFC3339)
	}
	enc := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	httpjson.Write(w, http.StatusOK, map[string]any{
		"model_name": "pattern-search", "model_version": "1", "id": req.ID,
		"outputs": []tensor{
			{Name: "index", Shape: []int{n}, Datatype: "INT64", Data: enc(idx)},
			{Name: "distance", Shape: []int{n}, Datatype: "FP64", Data: enc(dist)},
			{Name: "start", Shape: []int{n}, Datatype: "BYTES", Data: enc(start)},
		},
	})
}

// unmarshalOne reads a one-element tensor's data, given either as [x] or x.
func unmarshalOne[T any](data json.RawMessage, v *T) error {
	var one []T
	if err := json.Unmarshal(data, &one); err == nil {
		if len(one) != 1 {
			return fmt.Errorf("want one element, got %d", len(one))
		}
		*v = one[0]
		return nil
	}
	return json.Unmarshal(data, v)
}
