package modelserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/registry"
)

// register fits a model of kind ("lr" or "gbt") on the four raw metrics, registers it and
// points alias at it (no alias when empty).
func register(t testing.TB, store blob.Store, kind string, seed uint64, alias string) (models.Classifier, int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	rows := make([][]float64, 3000)
	y := make([]bool, len(rows))
	for i := range rows {
		rows[i] = []float64{70 + 10*r.NormFloat64(), 5 * r.Float64(), 2 * r.Float64(), 250 + 20*r.NormFloat64()}
		y[i] = rows[i][0]+3*rows[i][1]+float64(seed%3) > 80
	}
	ds, err := models.FromRows(raw, rows, y)
	if err != nil {
		t.Fatal(err)
	}
	var p models.Params = models.DefaultLogisticParams()
	if kind == models.KindBoosted {
		bp := models.DefaultBoostedParams()
		bp.Seed, bp.EarlyStopping = seed, "off"
		p = bp
	}
	m, err := models.Fit(ds, p)
	if err != nil {
		t.Fatal(err)
	}
	data, err := models.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(store)
	v, err := reg.Register(context.Background(), &registry.Card{Name: "netops", Kind: m.Kind(), Features: raw, Threshold: 0.5}, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if alias != "" {
		if err := reg.SetAlias(context.Background(), "netops", alias, v); err != nil {
			t.Fatal(err)
		}
	}
	return m, v
}

// testServer is a model server under test: its function, its HTTP server and its metrics.
type testServer struct {
	fn      *function.Function
	srv     *httptest.Server
	metrics *prometheus.Registry
	stop    func() // stops Run and waits for its last flush
}

// start builds the model server on store (and b, which may be nil) and serves its routes; with
// run it also runs its background work until the test ends or stop is called.
func start(t testing.TB, cfg Config, d function.Deps, run bool) *testServer {
	t.Helper()
	reg := prometheus.NewRegistry()
	d.Metrics = reg
	fn, err := New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	ts := &testServer{fn: fn, srv: httptest.NewServer(mux), metrics: reg, stop: func() {}}
	t.Cleanup(ts.srv.Close)
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- fn.Run(ctx) }()
		stopped := false
		ts.stop = func() {
			if !stopped {
				stopped = true
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
			}
		}
		t.Cleanup(ts.stop)
	}
	return ts
}

// deploy announces model.deployed as the project runner does.
func (ts *testServer) deploy(t testing.TB, version int, alias string, traffic int) {
	t.Helper()
	e, err := events.New(events.ModelDeployed, "/test", fmt.Sprintf("deploy-%d-%s-%d", version, alias, traffic),
		&events.Deployment{Model: "netops", Version: version, Alias: alias, Traffic: traffic})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.fn.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

// metric returns the sum of a metric's series whose labels include want.
func (ts *testServer) metric(t testing.TB, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := ts.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue series
				}
			}
			sum += value(m)
		}
	}
	return sum
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// do sends a request and returns its status and body.
func do(t testing.TB, c *http.Client, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// versionOf returns the model_version of an OIP or MLRun response.
func versionOf(t testing.TB, body string) string {
	t.Helper()
	var r struct {
		Version string `json:"model_version"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Version == "" {
		t.Fatalf("no model_version in %s (%v)", body, err)
	}
	return r.Version
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
	}
}

const oneRow = `{"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [95, 4, 1, 250]}]}`

// registrySetAlias moves (version 0: removes) an alias of the netops model.
func registrySetAlias(store blob.Store, alias string, version int) error {
	return registry.New(store).SetAlias(context.Background(), "netops", alias, version)
}
