package modelserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

func TestMLRunAndMLflow(t *testing.T) {
	store, _ := blob.NewFile(t.TempDir())
	m, _ := registerModel(t, store, 1)
	// Give the card training means for imputation.
	reg := registry.New(store)
	card, _ := reg.Card(context.Background(), "netops", 1)
	card.Reference = map[string]drift.Reference{}
	for i, f := range raw {
		ref, err := drift.NewReference([]float64{float64(10 * (i + 1)), float64(10*(i+1) + 2)})
		if err != nil {
			t.Fatal(err)
		}
		card.Reference[f] = ref
	}
	data, _ := json.Marshal(card)
	if err := blob.PutBytes(context.Background(), store, "models/netops/v1/card.json", data); err != nil {
		t.Fatal(err)
	}

	b := testenv.Bus(t)
	online, err := b.KV(context.Background(), "online-features")
	if err != nil {
		t.Fatal(err)
	}
	vec := features.Online{Timestamp: time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC), Features: make([]float64, features.NumFeatures)}
	names := features.Names()
	want := map[string]float64{"cpu_utilization": 95, "latency": 4, "packet_loss": 1, "throughput": 250}
	for j, n := range names {
		vec.Features[j] = want[n]
	}
	val, err := features.MarshalOnline(vec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := online.Put(context.Background(), "0000000000042", val); err != nil {
		t.Fatal(err)
	}
	// 9999999999999 is a fleet device (in the device table) without online features yet: imputed.
	if err := tables.Put(context.Background(), store, "devices/devices.parquet", []tables.Device{{Device: "0000000000042"}, {Device: "9999999999999"}}); err != nil {
		t.Fatal(err)
	}
	cfg := servingConfig()
	cfg.OnlineBucket = "online-features"
	fn, err := New(cfg, function.Deps{Store: store, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p := m.PredictProba([]float64{95, 4, 1, 250})
	pMean := m.PredictProba([]float64{11, 21, 31, 41})
	var out struct {
		Outputs     []float64 `json:"outputs"`
		Imputed     int       `json:"imputed"`
		Predictions []float64 `json:"predictions"`
	}
	decode := func(body string) {
		t.Helper()
		out.Outputs, out.Predictions, out.Imputed = nil, nil, 0
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
	}
	code, body := post(t, srv.URL+"/v2/models/netops/infer", `{"id": "m1", "inputs": [[95, 4, 1, 250], ["0000000000042"], ["9999999999999"]]}`)
	decode(body)
	if code != 200 || len(out.Outputs) != 3 || out.Outputs[0] != p || out.Outputs[1] != p || out.Outputs[2] != pMean || out.Imputed != 1 {
		t.Fatalf("MLRun = %d %s (want %v, %v, imputed %v)", code, body, p, p, pMean)
	}
	for _, req := range []string{
		`{"dataframe_split": {"columns": ["throughput", "latency", "packet_loss", "cpu_utilization"], "data": [[250, 4, 1, 95]]}}`,
		`{"dataframe_records": [{"cpu_utilization": 95, "latency": 4, "packet_loss": 1, "throughput": 250}]}`,
		`{"instances": [[95, 4, 1, 250]]}`,
		`{"inputs": [{"cpu_utilization": 95, "latency": 4, "packet_loss": 1, "throughput": 250}]}`,
	} {
		code, body := post(t, srv.URL+"/invocations", req)
		decode(body)
		if code != 200 || len(out.Predictions) != 1 || out.Predictions[0] != p {
			t.Fatalf("MLflow %s = %d %s, want %v", req, code, body, p)
		}
	}
	for _, tc := range []struct {
		path, body, want string
	}{
		{"/invocations", `{"instances": [[1, 2]]}`, "the model takes 4"},
		{"/invocations", `{"instances": [[1, 2, 3, 4]], "inputs": [[1, 2, 3, 4]]}`, "exactly one of"},
		{"/invocations", `{"dataframe_records": [{"cpu_utilization": 1, "latency": 2, "packet_loss": 3, "jitter": 4}]}`, "missing column"},
		{"/invocations", `{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}`, "2 values for 1 columns"},
		{"/v2/models/netops/infer", `{"inputs": [[1, 2, 3]]}`, "3 values, the model takes 4"},
		{"/v2/models/netops/infer", `{"inputs": [["a", "b"]]}`, "device id"},
		{"/v2/models/netops/infer", `{"inputs": [["1234567890123"]]}`, `unknown device \"1234567890123\": no online features`},
	} {
		want := 400
		if strings.Contains(tc.want, "unknown device") {
			want = 404
		}
		if code, got := post(t, srv.URL+tc.path, tc.body); code != want || !strings.Contains(got, tc.want) {
			t.Errorf("POST %s %s = %d %s; want %d with %q", tc.path, tc.body, code, got, want, tc.want)
		}
	}
}
