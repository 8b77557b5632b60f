package modelserver

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
)

var raw = []string{"cpu_utilization", "latency", "packet_loss", "throughput"}

// registerModel fits a logistic regression on the four raw metrics and makes it champion.
func registerModel(t *testing.T, store blob.Store, c float64) (models.Classifier, int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, uint64(c*1000)))
	rows := make([][]float64, 2000)
	y := make([]bool, len(rows))
	for i := range rows {
		rows[i] = []float64{70 + 10*r.NormFloat64(), 5 * r.Float64(), 2 * r.Float64(), 250 + 20*r.NormFloat64()}
		y[i] = rows[i][0]+3*rows[i][1] > 80
	}
	ds, err := models.FromRows(raw, rows, y)
	if err != nil {
		t.Fatal(err)
	}
	p := models.DefaultLogisticParams()
	p.C = c
	m, err := models.FitLogistic(ds, p)
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
	if err := reg.SetAlias(context.Background(), "netops", "champion", v); err != nil {
		t.Fatal(err)
	}
	return m, v
}

func servingConfig() Config {
	return Config{Models: []string{"netops"}, Alias: "champion", TelemetryPrefix: "telemetry/", MaxPoints: 1000, Monitor: true}
}

func TestInference(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	m, _ := registerModel(t, store, 1)
	fn, err := New(servingConfig(), function.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	code, body := post(t, srv.URL+"/v2/models/netops/infer", `{"id": "r1", "inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP64",
		"data": [95, 4, 1, 250, 60, 0, 0, 260]}]}`)
	if code != 200 || !strings.Contains(body, `"model_version":"1"`) || !strings.Contains(body, `"label","shape":[2],"datatype":"BOOL","data":[true,false]`) {
		t.Fatalf("infer = %d %s", code, body)
	}
	var resp struct {
		Outputs []struct {
			Name string    `json:"name"`
			Data []float64 `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(strings.Replace(body, `"data":[true,false]`, `"data":[]`, 1)), &resp); err != nil {
		t.Fatal(err)
	}
	if want := m.PredictProba([]float64{95, 4, 1, 250}); resp.Outputs[0].Name != "probability" || resp.Outputs[0].Data[0] != want {
		t.Fatalf("probability %v, want %v", resp.Outputs[0].Data, want)
	}
	code, body = post(t, srv.URL+"/v2/models/netops/infer", `{"inputs": [
		{"name": "throughput", "shape": [1], "datatype": "FP32", "data": [250]},
		{"name": "cpu_utilization", "shape": [1], "datatype": "FP64", "data": [95]},
		{"name": "latency", "shape": [1], "datatype": "INT32", "data": [4]},
		{"name": "packet_loss", "shape": [1], "datatype": "FP64", "data": [1]}]}`)
	if code != 200 || !strings.Contains(body, `"data":[true]`) {
		t.Fatalf("infer by name = %d %s", code, body)
	}
	for _, tc := range []struct {
		path, body string
		code       int
		want       string
	}{
		{"/v2/models/other/infer", `{"inputs": []}`, 404, "model not loaded"},
		{"/v2/models/netops/infer", `{"inputs": [{"name": "input", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}`, 400, "want [n, 4]"},
		{"/v2/models/netops/infer", `{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP64", "data": [1, 2, 3]}]}`, 400, "does not match"},
		{"/v2/models/netops/infer", `{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "BYTES", "data": ["a", "b", "c", "d"]}]}`, 400, "datatype"},
		{"/v2/models/netops/infer", `{"inputs": [{"name": "latency", "shape": [1], "datatype": "FP64", "data": [1]}]}`, 400, "missing input"},
		{"/v2/models/netops/infer", `{"inputs": []}`, 400, "inputs: required"},
		{"/v2/models/netops/infer", `not json`, 400, "invalid JSON"},
	} {
		if code, got := post(t, srv.URL+tc.path, tc.body); code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("POST %s %s = %d %s; want %d with %q", tc.path, tc.body, code, got, tc.code, tc.want)
		}
	}
	for _, path := range []string{"/v2/health/live", "/v2/health/ready", "/v2", "/v2/models/netops", "/v2/models/netops/ready"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
}

func TestBatchScoringAndReload(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	m1, _ := registerModel(t, store, 1)
	fn, err := New(servingConfig(), function.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	rows := make([]features.Row, 3)
	for i := range rows {
		rows[i].Timestamp, rows[i].Device = ts, "000000000000"+string(rune('1'+i))
		rows[i].CPUUtilization, rows[i].Latency, rows[i].Throughput = 60+float64(i)*20, 2, 250
	}
	ctx := context.Background()
	if err := tables.Put(ctx, store, "features/in.parquet", rows); err != nil {
		t.Fatal(err)
	}
	in, _ := events.New(events.FeaturesBatch, "/test", "f1", &events.Batch{Key: "features/in.parquet", Rows: 3, From: ts, To: ts, SchemaVersion: events.SchemaVersion})
	outs, err := fn.Handle(ctx, in)
	if err != nil || len(outs) != 1 {
		t.Fatalf("score: %v %v", outs, err)
	}
	b, err := events.Decode[events.Batch](outs[0])
	if err != nil || b.Model != "netops" || b.Version != 1 || !strings.HasPrefix(b.Key, "predictions/model=netops/date=2026-11-22/hour=13/") {
		t.Fatalf("output %+v %v", b, err)
	}
	preds, err := tables.Get[tables.Prediction](ctx, store, b.Key)
	if err != nil || len(preds) != 3 {
		t.Fatal(err)
	}
	for i, p := range preds {
		want := m1.PredictProba([]float64{rows[i].CPUUtilization, rows[i].Latency, rows[i].PacketLoss, rows[i].Throughput})
		if p.Probability != want || p.Prediction != (want >= 0.5) || p.Device != rows[i].Device || p.Version != 1 {
			t.Fatalf("prediction %d = %+v, want probability %v", i, p, want)
		}
	}

	// A new champion is served after model.deployed; batches are then scored with it.
	_, v2 := registerModel(t, store, 0.01)
	dep, _ := events.New(events.ModelDeployed, "/test", "d2", &events.Deployment{Model: "netops", Version: v2, Alias: "champion", Traffic: 100})
	if _, err := fn.Handle(ctx, dep); err != nil {
		t.Fatal(err)
	}
	outs, err = fn.Handle(ctx, in)
	if err != nil || len(outs) != 1 {
		t.Fatal(err)
	}
	if b, _ := events.Decode[events.Batch](outs[0]); b.Version != 2 {
		t.Fatalf("after deployment scored by v%d, want v2", b.Version)
	}
}
