package console

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/plot"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/runs"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// t0 is the fixture's simulated start: the hour the telemetry and the reports cover.
var t0 = time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)

var features = []string{"cpu_utilization_mean", "latency_mean"}

// env is a console over a store and a bus filled through the real packages.
type env struct {
	store   blob.Store
	bus     *bus.Bus
	metrics *function.Metrics
	console *Console
	srv     *httptest.Server
}

// newEnv starts an embedded NATS server, a file store and the console; fill it with fixture.
func newEnv(t *testing.T) *env {
	t.Helper()
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: store, bus: testenv.Bus(t), metrics: function.NewMetrics()}
	e.console, err = New(Options{Store: store, Bus: e.bus, Gatherer: e.metrics.Registry,
		Functions: []string{"preprocessor", "model-server"}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.console.Routes(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// fixture writes a served, drifting model with its run, reports, detector log and a device's
// telemetry, labels and predictions, and drives two functions through the real runtime.
func (e *env) fixture(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	values := func(mu, sigma float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = mu + sigma*rng.NormFloat64()
		}
		return out
	}
	refs := map[string]drift.Reference{}
	for i, f := range features {
		ref, err := drift.NewReference(values(50+float64(i)*10, 5, 500))
		must(t, err)
		refs[f] = ref
	}
	pred, err := drift.NewReference(values(0.2, 0.05, 500))
	must(t, err)
	card := &registry.Card{Name: "netops", Kind: "gbt", RunID: "run-1", Features: features, Threshold: 0.5,
		Metrics: map[string]float64{"f1": 0.81, "accuracy": 0.9}, Reference: refs, Prediction: &pred}
	svg := plot.Histogram("cpu", "cpu_utilization_mean", refs[features[0]].Edges, []float64{1, 2, 3})
	v, err := registry.New(e.store).Register(ctx, card, []byte(`{}`), map[string][]byte{
		"eda/cpu_utilization_mean.svg": svg, "roc.svg": svg, "test.json": []byte(`{"f1":0.81}`)})
	must(t, err)
	must(t, registry.New(e.store).SetAlias(ctx, "netops", "champion", v, "bootstrap"))

	must(t, runs.Save(ctx, e.store, &runs.Run{ID: "run-1", Workflow: "train", Model: "netops", Status: runs.StatusSucceeded,
		Trigger: runs.Trigger{Kind: "drift", By: "adwin", At: t0}, Params: runs.Params{Metric: "f1"}, Created: t0, Finished: t0.Add(90 * time.Second),
		Steps:     []runs.Step{{Name: "assemble", Status: runs.StatusSucceeded, Start: t0, Seconds: 10}, {Name: "train", Status: runs.StatusSucceeded, Start: t0.Add(10 * time.Second), Seconds: 70, Log: "trained gbt"}},
		Candidate: &runs.Evaluation{Version: v, Kind: "gbt", Metrics: map[string]float64{"f1": 0.81}},
		Champion:  &runs.Evaluation{Version: 0, Kind: "lr", Metrics: map[string]float64{"f1": 0.7}},
		Decision:  runs.DecisionDeployed, Reason: "candidate f1 0.81 beats champion 0.70 by more than the margin"}))

	// Two report windows: the second drifts (the cpu feature's mean moves by two stds).
	for i, shift := range []float64{0, 10} {
		from := t0.Add(time.Duration(i) * 10 * time.Minute)
		e.writeReport(t, from, from.Add(time.Hour), refs, pred, map[string][]float64{
			features[0]: values(50+shift, 5, 300), features[1]: values(60, 5, 300)}, values(0.2+shift/100, 0.05, 300))
	}
	logKey := tables.Key("monitoring/netops/detectors", t0.Add(50*time.Minute), "batch-1")
	must(t, tables.Put(ctx, e.store, logKey, []logRow{
		{EventTime: t0.Add(50 * time.Minute), Model: "netops", Version: int32(v), Detector: "adwin", Index: 400, Warning: true, Signal: "warning", Batch: "b1"},
		{EventTime: t0.Add(55 * time.Minute), Model: "netops", Version: int32(v), Detector: "adwin", Index: 450, Change: true, Signal: "change", Batch: "b1"},
		{EventTime: t0.Add(55 * time.Minute), Model: "netops", Version: 99, Detector: "ddm", Index: 1, Change: true, Signal: "change", Batch: "b1"}}))

	e.writeDevice(t)
	e.updateEndpoint(t, v, "POSSIBLE_DRIFT", 0.56)
	e.driveFunctions(t)
}

// writeReport stores a report in drift-magnitude's shape (WindowReport: provenance fields and
// the embedded drift.Report) at monitoring/<m>/v<N>/reports/<end>.json.
func (e *env) writeReport(t *testing.T, from, to time.Time, refs map[string]drift.Reference, pred drift.Reference, cur map[string][]float64, predCur []float64) {
	t.Helper()
	var fs []drift.Feature
	for _, name := range features {
		h, err := drift.NewHistogram(refs[name].Edges)
		must(t, err)
		for _, v := range cur[name] {
			h.Add(v)
		}
		fs = append(fs, drift.Feature{Name: name, Reference: refs[name], Current: h})
	}
	ph, err := drift.NewHistogram(pred.Edges)
	must(t, err)
	for _, v := range predCur {
		ph.Add(v)
	}
	rep, err := drift.Analyze(fs, &drift.Feature{Name: "prediction", Reference: pred, Current: ph}, drift.Options{})
	must(t, err)
	wr := struct {
		Model    string    `json:"model"`
		Version  int       `json:"version"`
		From     time.Time `json:"from"`
		To       time.Time `json:"to"`
		Trigger  string    `json:"trigger"`
		Rows     int64     `json:"rows"`
		Partials int       `json:"partials"`
		drift.Report
	}{"netops", 1, from, to, "schedule", 3600, 6, *rep}
	data, err := json.MarshalIndent(wr, "", "  ")
	must(t, err)
	must(t, blob.PutBytes(context.Background(), e.store, fmt.Sprintf("monitoring/netops/v1/reports/%s.json", to.Format("20060102T1504Z")), data))
}

// writeDevice writes the device table and 20 ticks of dev-7 (with an error episode at ticks 8–11
// among other devices' rows) as telemetry, labels and predictions.
func (e *env) writeDevice(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	must(t, tables.Put(ctx, e.store, tables.DevicesKey, []tables.Device{{Device: "dev-7", Models: 2, Country: "NL"}, {Device: "dev-8", Models: 1, Country: "DE"}}))
	var tel []tables.Telemetry
	var lab []tables.Label
	var pr []tables.Prediction
	for i := range 20 {
		ts := t0.Add(time.Duration(i) * 5 * time.Second)
		bad := i >= 8 && i < 12
		for _, d := range []string{"dev-7", "dev-8"} {
			tel = append(tel, tables.Telemetry{Timestamp: ts, Device: d, CPUUtilization: 70 + float64(i), Latency: 3, PacketLoss: 1, Throughput: 250})
			lab = append(lab, tables.Label{Timestamp: ts, Device: d, IsError: bad && d == "dev-7", LatencyIsError: bad && d == "dev-7"})
			pr = append(pr, tables.Prediction{Timestamp: ts, Device: d, Model: "netops", Version: 1, Probability: 0.1 + 0.04*float64(i), Prediction: i > 12})
		}
	}
	must(t, tables.Put(ctx, e.store, tables.Key("telemetry", t0, "fleet-a"), tel))
	must(t, tables.Put(ctx, e.store, tables.Key("labels", t0, "fleet-a"), lab))
	must(t, tables.Put(ctx, e.store, tables.Key("predictions/model=netops", t0, "p-1"), pr))
}

// updateEndpoint writes the endpoint record the way its owners do, each its own part.
func (e *env) updateEndpoint(t *testing.T, v int, status string, measure float64) {
	t.Helper()
	st, err := endpoint.Open(context.Background(), e.bus)
	must(t, err)
	_, err = st.Update(context.Background(), "netops", v, func(r *endpoint.Record) error {
		r.Class, r.Function, r.Alias, r.Traffic = "gbt", "model-server", "champion", 100
		r.Serving = &endpoint.Serving{FirstRequest: t0, LastRequest: t0.Add(time.Hour), Requests: 7200, Errors: 3,
			PredictionsPerSecond: 2.5, LatencyAvg5mMicros: 850, LatencyAvg1hMicros: 900, BatchRows: 7200}
		r.Metrics = &endpoint.LabelMetrics{WindowRows: 1000, Accuracy: 0.93, Precision: 0.8, Recall: 0.7, F1: 0.75}
		r.Detectors = map[string]endpoint.Signal{"adwin": {Change: true, Changes: 1, Warnings: 1, EventTime: t0.Add(55 * time.Minute)}}
		r.Drift = &endpoint.Drift{Status: status, Measure: measure, Possible: 0.5, Detected: 0.7, From: t0, To: t0.Add(70 * time.Minute)}
		return nil
	})
	must(t, err)
}

// driveFunctions pushes events through the real runtime: three that preprocessor handles, one
// that model-server dead-letters, and a durable consumer with two undelivered events (lag).
func (e *env) driveFunctions(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	rt := &function.Runtime{Bus: e.bus, Store: e.store, Log: testLog(t), Metrics: e.metrics}
	ok := &function.Function{Name: "preprocessor", Consumes: []string{events.TelemetryBatch},
		Handle: func(context.Context, cloudevents.Event) ([]cloudevents.Event, error) { return nil, nil }}
	bad := &function.Function{Name: "model-server", Consumes: []string{events.TelemetryBatch},
		Handle: func(context.Context, cloudevents.Event) ([]cloudevents.Event, error) {
			return nil, fault.Permanent(fmt.Errorf("schema mismatch"))
		}}
	post := func(fn *function.Function, id string) int {
		ev, err := events.New(events.TelemetryBatch, "test", id, &events.Batch{Key: "telemetry/x.parquet", Rows: 1, From: t0, To: t0, SchemaVersion: events.SchemaVersion})
		must(t, err)
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(ev.Data())))
		req.Header.Set("Ce-Specversion", "1.0")
		req.Header.Set("Ce-Id", id)
		req.Header.Set("Ce-Type", ev.Type())
		req.Header.Set("Ce-Source", ev.Source())
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		rt.EventHandler(fn).ServeHTTP(w, req)
		return w.Code
	}
	for i := range 3 {
		if code := post(ok, fmt.Sprintf("ok-%d", i)); code != http.StatusOK {
			t.Fatalf("push to preprocessor: %d", code)
		}
	}
	if code := post(bad, "bad-1"); code != http.StatusUnprocessableEntity {
		t.Fatalf("push to model-server: %d, want 422", code)
	}
	_, err := e.bus.JS.CreateOrUpdateConsumer(ctx, bus.StreamName, jetstream.ConsumerConfig{Durable: "preprocessor",
		FilterSubjects: []string{events.Subject(events.TelemetryBatch)}, AckPolicy: jetstream.AckExplicitPolicy})
	must(t, err)
	for i := range 2 {
		ev, err := events.New(events.TelemetryBatch, "test", fmt.Sprintf("lag-%d", i), &events.Batch{Key: "telemetry/y.parquet", Rows: 1, From: t0, To: t0, SchemaVersion: events.SchemaVersion})
		must(t, err)
		must(t, e.bus.Publish(ctx, ev))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newEnvStore returns an empty file store.
func newEnvStore(t *testing.T) blob.Store {
	t.Helper()
	s, err := blob.NewFile(t.TempDir())
	must(t, err)
	return s
}
