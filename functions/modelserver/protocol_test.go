package modelserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/golden"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/tables"
)

// clientRequests are requests shaped exactly as each protocol's clients send them: the KServe
// Python SDK and tritonclient (flat row-major data), KServe's samples (nested data), MLServer's
// pandas codec (one [n, 1] tensor per column), MLRun's V2 serving, MLflow's four pandas/tensor
// orientations, and Seldon Core's v1 payloads.
var clientRequests = []struct {
	name, path, body string
}{
	{"kserve-sdk", "/v2/models/netops/infer", `{"id": "kserve-1", "inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": [95.0, 4.0, 1.0, 250.0, 60.0, 0.5, 0.1, 260.0]}]}`},
	{"kserve-nested", "/v2/models/netops/versions/1/infer", `{"id": "kserve-2", "inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP64", "data": [[95, 4, 1, 250], [60, 0.5, 0.1, 260]]}], "outputs": [{"name": "probability"}]}`},
	{"mlserver-pandas", "/v2/models/netops/infer", `{"id": "mlserver-1", "parameters": {"content_type": "pd"}, "inputs": [
		{"name": "cpu_utilization", "shape": [2, 1], "datatype": "FP64", "data": [95, 60]},
		{"name": "latency", "shape": [2, 1], "datatype": "FP64", "data": [4, 0.5]},
		{"name": "packet_loss", "shape": [2, 1], "datatype": "FP64", "data": [1, 0.1]},
		{"name": "throughput", "shape": [2, 1], "datatype": "INT64", "data": [250, 260]}]}`},
	{"mlrun-rows", "/v2/models/netops/infer", `{"id": "mlrun-1", "inputs": [[95, 4, 1, 250], [60, 0.5, 0.1, 260]]}`},
	{"mlrun-device", "/v2/models/netops/infer", `{"id": "mlrun-2", "inputs": [["0000000000007"]]}`},
	{"mlflow-split", "/invocations", `{"dataframe_split": {"index": [0, 1], "columns": ["throughput", "latency", "packet_loss", "cpu_utilization"], "data": [[250, 4, 1, 95], [260, 0.5, 0.1, 60]]}}`},
	{"mlflow-records", "/invocations", `{"dataframe_records": [{"cpu_utilization": 95, "latency": 4, "packet_loss": 1, "throughput": 250}, {"cpu_utilization": 60, "latency": 0.5, "packet_loss": 0.1, "throughput": 260}]}`},
	{"mlflow-instances", "/invocations", `{"instances": [[95, 4, 1, 250], [60, 0.5, 0.1, 260]]}`},
	{"mlflow-inputs", "/invocations", `{"inputs": [[95, 4, 1, 250], [60, 0.5, 0.1, 260]]}`},
	{"seldon-ndarray", "/api/v1.0/predictions", `{"data": {"ndarray": [[95, 4, 1, 250], [60, 0.5, 0.1, 260]]}, "meta": {"puid": "seldon-1"}}`},
	{"seldon-names", "/api/v1.0/predictions", `{"meta": {"puid": "seldon-2"}, "data": {"names": ["throughput", "latency", "packet_loss", "cpu_utilization"], "ndarray": [[250, 4, 1, 95], [260, 0.5, 0.1, 60]]}}`},
	{"seldon-tensor", "/api/v1.0/predictions", `{"data": {"tensor": {"shape": [2, 4], "values": [95, 4, 1, 250, 60, 0.5, 0.1, 260]}}, "meta": {"puid": "seldon-3"}}`},
}

// protocolServer serves a deterministic LR champion, with device 0000000000007 in the fleet.
func protocolServer(t *testing.T, cfg Config) (*testServer, models.Classifier) {
	t.Helper()
	store, _ := blob.NewFile(t.TempDir())
	m, _ := register(t, store, models.KindLogistic, 1, "champion")
	if err := tables.Put(context.Background(), store, "devices/devices.parquet", []tables.Device{{Device: "0000000000007"}}); err != nil {
		t.Fatal(err)
	}
	return start(t, cfg, function.Deps{Store: store}, false), m
}

func TestClientRequestsGolden(t *testing.T) {
	ts, m := protocolServer(t, servingConfig())
	p0, p1 := m.PredictProba([]float64{95, 4, 1, 250}), m.PredictProba([]float64{60, 0.5, 0.1, 260})
	for _, tc := range clientRequests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, http.DefaultClient, "POST", ts.srv.URL+tc.path, "application/json", tc.body)
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			if tc.name != "mlrun-device" {
				for _, p := range []float64{p0, p1} {
					b, _ := json.Marshal(p)
					if !strings.Contains(body, string(b)) {
						t.Errorf("response lacks probability %s: %s", b, body)
					}
				}
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, []byte(body), "", "  "); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "protocols/"+tc.name+".json", pretty.Bytes())
		})
	}
	if got := ts.metric(t, "model_infer_request_success", map[string]string{"version": "1"}); got != float64(len(clientRequests)) {
		t.Errorf("model_infer_request_success = %v, want %d", got, len(clientRequests))
	}
}

func TestBadRequests(t *testing.T) {
	cfg := servingConfig()
	cfg.MaxBody = 2048
	ts, _ := protocolServer(t, cfg)
	const infer = "/v2/models/netops/infer"
	tensor := func(shape, datatype, data string) string {
		return `{"inputs": [{"name": "input", "shape": ` + shape + `, "datatype": "` + datatype + `", "data": ` + data + `}]}`
	}
	cases := []struct {
		name, path, ctype, body string
		code                    int
		want                    string
	}{
		{"content type", infer, "text/plain", oneRow, 415, `content type \"text/plain\": want application/json`},
		{"form content type", "/invocations", "application/x-www-form-urlencoded", `{"instances": [[1, 2, 3, 4]]}`, 415, "want application/json"},
		{"binary extension", infer, "application/octet-stream", oneRow, 415, "want application/json"},
		{"invalid JSON", infer, "application/json", `{"inputs": [`, 400, "invalid JSON body"},
		{"empty body", infer, "application/json", ``, 400, "empty request body"},
		{"unknown field", infer, "application/json", `{"inputs": [], "extra": 1}`, 400, `unknown field \"extra\"`},
		{"no inputs", infer, "application/json", `{"inputs": []}`, 400, "inputs: required"},
		{"wrong shape", infer, "application/json", tensor("[1, 3]", "FP64", "[1, 2, 3]"), 400, "want [n, 4]"},
		{"shape mismatch", infer, "application/json", tensor("[2, 4]", "FP64", "[1, 2, 3, 4]"), 400, "does not match 4 elements"},
		{"wrong datatype", infer, "application/json", tensor("[1, 4]", "BYTES", `["a", "b", "c", "d"]`), 400, `datatype \"BYTES\"`},
		{"strings as FP64", infer, "application/json", tensor("[1, 4]", "FP64", `["a", "b", "c", "d"]`), 400, "want a list of numbers"},
		{"missing feature", infer, "application/json", `{"inputs": [{"name": "latency", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "throughput", "shape": [1], "datatype": "FP64", "data": [1]}]}`, 400, `missing input \"cpu_utilization\"`},
		{"extra feature", infer, "application/json", `{"inputs": [
			{"name": "cpu_utilization", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "latency", "shape": [1], "datatype": "FP64", "data": [1]},
			{"name": "packet_loss", "shape": [1], "datatype": "FP64", "data": [1]}, {"name": "throughput", "shape": [1], "datatype": "FP64", "data": [1]},
			{"name": "jitter", "shape": [1], "datatype": "FP64", "data": [1]}]}`, 400, `unknown input \"jitter\"`},
		{"NaN", infer, "application/json", tensor("[1, 4]", "FP64", "[NaN, 1, 2, 3]"), 400, "NaN and Infinity are not JSON numbers"},
		{"Infinity", "/invocations", "application/json", `{"instances": [[Infinity, 1, 2, 3]]}`, 400, "every value must be finite"},
		{"null", infer, "application/json", tensor("[1, 4]", "FP64", "[null, 1, 2, 3]"), 400, "null value"},
		{"overflow", infer, "application/json", tensor("[1, 4]", "FP64", "[1e999, 1, 2, 3]"), 400, "1e999"},
		{"MLRun width", infer, "application/json", `{"inputs": [[1, 2, 3]]}`, 400, "3 values, the model takes 4"},
		{"MLflow extra column", "/invocations", "application/json", `{"dataframe_records": [{"cpu_utilization": 1, "latency": 2, "packet_loss": 3, "throughput": 4, "jitter": 5}]}`, 400, `unknown column \"jitter\"`},
		{"MLflow two formats", "/invocations", "application/json", `{"instances": [[1, 2, 3, 4]], "inputs": [[1, 2, 3, 4]]}`, 400, "exactly one of"},
		{"Seldon width", "/api/v1.0/predictions", "application/json", `{"data": {"ndarray": [[1, 2]]}}`, 400, "2 values, the model takes 4"},
		{"Seldon strData", "/api/v1.0/predictions", "application/json", `{"strData": "hello"}`, 400, "strData, jsonData and binData are not supported"},
		{"unknown model", "/v2/models/other/infer", "application/json", oneRow, 404, `model not loaded: \"other\"`},
		{"unknown version", "/v2/models/netops/versions/7/infer", "application/json", oneRow, 404, `version \"7\" of model \"netops\"`},
		{"unknown device", infer, "application/json", `{"inputs": [["0000000009999"]]}`, 404, `unknown device \"0000000009999\"`},
		{"too large", infer, "application/json", `{"inputs": [[` + strings.Repeat("1, ", 1000) + `1]]}`, 413, "larger than the limit of 2048 bytes"},
	}
	for _, tc := range cases {
		code, body := do(t, http.DefaultClient, "POST", ts.srv.URL+tc.path, tc.ctype, tc.body)
		var e map[string]string
		if err := json.Unmarshal([]byte(body), &e); err != nil || len(e) != 1 || e["error"] == "" {
			t.Errorf("%s: body %s is not {\"error\": …}", tc.name, body)
		}
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want %d with %q", tc.name, code, body, tc.code, tc.want)
		}
	}
	if got := ts.metric(t, "model_infer_request_success", nil); got != 0 {
		t.Errorf("model_infer_request_success = %v after only bad requests", got)
	}
	if got := ts.metric(t, "model_infer_request_failure", nil); got != float64(len(cases)) {
		t.Errorf("model_infer_request_failure = %v, want %d", got, len(cases))
	}
	if got := ts.metric(t, "model_infer_requests_total", map[string]string{"code": "200"}); got != 0 {
		t.Errorf("model_infer_requests_total{code=200} = %v", got)
	}
	if got := ts.metric(t, "model_infer_requests_total", map[string]string{"code": "413"}); got != 1 {
		t.Errorf("model_infer_requests_total{code=413} = %v, want 1", got)
	}
	// Arbitrary model names must not create series.
	if got := ts.metric(t, "model_infer_request_failure", map[string]string{"model": "other"}); got != 0 {
		t.Errorf("a series for the unknown model: %v", got)
	}
}

// FuzzInfer throws arbitrary bodies at every inference route: the answer is 200 or a 4xx with
// {"error": …}, never a panic or a 5xx.
func FuzzInfer(f *testing.F) {
	for _, tc := range clientRequests {
		f.Add(tc.path, tc.body)
	}
	f.Add("/v2/models/netops/infer", `{"inputs": [{"name": "input", "shape": [-1, 4], "datatype": "FP64", "data": []}]}`)
	f.Add("/v2/models/netops/infer", `{"inputs": [{"name": "input", "shape": [0], "datatype": "FP64", "data": []}]}`)
	store, _ := blob.NewFile(f.TempDir())
	register(f, store, models.KindLogistic, 1, "champion")
	ts := start(f, servingConfig(), function.Deps{Store: store}, false)
	mux := http.NewServeMux()
	ts.fn.Routes(mux)
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/v2/models/netops/infer", "/invocations", "/api/v1.0/predictions", "/v2/models/netops/versions/1/infer":
		default:
			return
		}
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code >= 500 || w.Code != 200 && !strings.Contains(w.Body.String(), `"error"`) {
			t.Fatalf("%s %q = %d %s", path, body, w.Code, w.Body.String())
		}
	})
}

// FuzzFastOIP checks the reflection-free OIP parser against encoding/json: whatever it accepts,
// encoding/json (strict) decodes to the same request.
func FuzzFastOIP(f *testing.F) {
	for _, tc := range clientRequests {
		f.Add(tc.body)
	}
	f.Add(oneRow)
	f.Add(`{"inputs":[{"name":"a","shape":[1],"datatype":"FP64","data":[-0.5e-3]}],"id":"x"}`)
	f.Add(`{"inputs":[{"name":"a","shape":[01],"datatype":"FP64","data":[1]}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		fast, ok := parseOIPFast([]byte(body))
		if !ok {
			return
		}
		var slow oipBody
		if err := decodeJSON([]byte(body), true, &slow); err != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v): %s", err, body)
		}
		if fast.ID != slow.ID || len(fast.Inputs) != len(slow.Inputs) || slow.Parameters != nil || slow.Outputs != nil {
			t.Fatalf("fast %+v, slow %+v", fast, slow)
		}
		for i, ft := range fast.Inputs {
			st := slow.Inputs[i]
			var data []float64
			if err := json.Unmarshal(st.Data, &data); err != nil && st.Data != nil {
				t.Fatalf("fast path took data encoding/json cannot read as numbers: %s", st.Data)
			}
			if ft.Name != st.Name || ft.Datatype != st.Datatype || !slices.Equal(ft.Shape, st.Shape) || !slices.Equal(ft.values, data) ||
				(ft.Shape == nil) != (st.Shape == nil) || st.Parameters != nil {
				t.Fatalf("input %d: fast %+v, slow %+v (%v)", i, ft, st, data)
			}
		}
	})
}
