package generator

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/httpjson"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
)

// Generator advances one fleet and writes its batches.
type Generator struct {
	cfg   Config
	sim   sim.Config
	seed  int64
	start time.Time
	store blob.Store
	bus   *bus.Bus
	kv    jetstream.KeyValue
	key   string
	log   *slog.Logger

	mu         sync.Mutex // one Generate at a time in this process; KV CAS across processes
	fleetStart time.Time
	// fleet and rev cache the fleet as last saved, so a batch does not reload the checkpoint;
	// any failure drops them and the next call reloads from KV.
	fleet   *sim.Fleet
	rev     uint64
	rows    prometheus.Counter
	batches prometheus.Counter
}

// Result summarises one Generate call.
type Result struct {
	Ticks   int       `json:"ticks"`
	Rows    int64     `json:"rows"`
	Batches int       `json:"batches"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
}

// New builds the generator function.
func New(cfg Config, d function.Deps) (*function.Function, error) {
	g, err := newGenerator(context.Background(), cfg, d)
	if err != nil {
		return nil, err
	}
	return &function.Function{
		Name:     "generator",
		Consumes: []string{events.GenerateRequest},
		Handle:   g.handle,
		Routes:   func(mux *http.ServeMux) { mux.HandleFunc("POST /generate", g.serveGenerate) },
		Run:      g.clock,
	}, nil
}

func newGenerator(ctx context.Context, cfg Config, d function.Deps) (*Generator, error) {
	sc, err := cfg.simConfig()
	if err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, sim: sc, seed: cfg.Seed, store: d.Store, bus: d.Bus, log: d.Log}
	if cfg.Start != "" {
		g.start, _ = time.Parse(time.RFC3339, cfg.Start) // checked by Validate
	}
	id, err := fleetID(sc, cfg.Seed)
	if err != nil {
		return nil, err
	}
	g.key = "fleet-" + id
	if g.kv, err = d.Bus.KV(ctx, cfg.StateBucket); err != nil {
		return nil, err
	}
	g.rows = prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_generator_rows_total", Help: "Telemetry rows generated."})
	g.batches = prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_generator_batches_total", Help: "Telemetry batches written."})
	if d.Metrics != nil {
		for _, c := range []prometheus.Collector{g.rows, g.batches} {
			if err := d.Metrics.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return g, nil
}

// Generate simulates ticks more ticks of the fleet in batches of TicksPerBatch: for each batch it
// writes the objects, publishes their events and checkpoints the fleet.
func (g *Generator) Generate(ctx context.Context, ticks int) (Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, rev := g.fleet, g.rev
	if f == nil {
		var err error
		if f, rev, err = g.state(ctx); err != nil {
			return Result{}, err
		}
	}
	devices := len(f.Devices())
	var res Result
	var tel []tables.Telemetry
	var lab []tables.Label
	for res.Ticks < ticks {
		g.fleet = nil // f runs ahead of its checkpoint until the batch is saved
		tel, lab = tel[:0], lab[:0]
		for k := 0; k < g.cfg.TicksPerBatch && res.Ticks < ticks; k++ {
			_, tel, lab = f.Next(tel, lab)
			res.Ticks++
		}
		if n := len(f.Devices()); n != devices { // fleet growth: publish the new device table first
			if err := g.writeDevices(ctx, f); err != nil {
				return res, err
			}
			devices = n
		}
		outs, err := batchWriter(ctx, g.store, g.key[len("fleet-"):], tel, lab)
		if err != nil {
			return res, err
		}
		for _, e := range outs {
			if err := g.bus.Publish(ctx, e); err != nil {
				return res, err
			}
		}
		if rev, err = g.save(ctx, f, rev); err != nil {
			return res, err
		}
		g.fleet, g.rev = f, rev
		if res.From.IsZero() {
			res.From = tel[0].Timestamp
		}
		res.To = tel[len(tel)-1].Timestamp
		res.Rows += int64(len(tel))
		res.Batches++
		g.rows.Add(float64(len(tel)))
		g.batches.Inc()
	}
	return res, nil
}

// handle serves the generate.request CloudEvent. Its output events are published batch by batch
// by Generate, so it returns none.
func (g *Generator) handle(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	req, err := events.Decode[events.Generate](e)
	if err != nil {
		return nil, err
	}
	res, err := g.Generate(ctx, req.Ticks)
	if err != nil {
		return nil, err
	}
	g.log.Info("generated", "ticks", res.Ticks, "rows", res.Rows, "to", res.To)
	return nil, nil
}

// serveGenerate is POST /generate {"ticks": N}.
func (g *Generator) serveGenerate(w http.ResponseWriter, r *http.Request) {
	var req events.Generate
	if status, err := httpjson.Decode(r, 1<<10, true, &req); err != nil {
		httpjson.Error(w, status, "%v", err)
		return
	}
	if err := req.Validate(); err != nil {
		httpjson.Error(w, http.StatusBadRequest, "%v", err)
		return
	}
	res, err := g.Generate(r.Context(), req.Ticks)
	if err != nil {
		status := http.StatusServiceUnavailable
		if fault.IsPermanent(err) {
			status = http.StatusInternalServerError
		}
		httpjson.Error(w, status, "generate: %v", err)
		return
	}
	httpjson.Write(w, http.StatusOK, res)
}

// clock generates TicksPerBatch ticks every TicksPerBatch/TicksPerSecond seconds until ctx ends.
func (g *Generator) clock(ctx context.Context) error {
	if g.cfg.TicksPerSecond <= 0 {
		return nil
	}
	period := time.Duration(float64(g.cfg.TicksPerBatch) / g.cfg.TicksPerSecond * float64(time.Second))
	t := time.NewTicker(period)
	defer t.Stop()
	g.log.Info("generator clock running", "ticks_per_second", g.cfg.TicksPerSecond, "batch_every", period)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := g.Generate(ctx, g.cfg.TicksPerBatch); err != nil && ctx.Err() == nil {
				g.log.Warn("clock tick failed; will try again next tick", "err", err)
			}
		}
	}
}

// String describes the fleet for logs.
func (g *Generator) String() string {
	return fmt.Sprintf("fleet %s (%d devices, seed %d)", g.key, g.sim.Deployment.Device.NumItems, g.seed)
}
