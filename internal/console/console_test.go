package console

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// get fetches a console URL and decodes its JSON into v (unless nil), checking the status.
func (e *env) get(t *testing.T, path string, want int, v any) []byte {
	t.Helper()
	res, err := http.Get(e.srv.URL + path)
	must(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	must(t, err)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d %s, want %d", path, res.StatusCode, body, want)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
	return body
}

func TestEmptyStore(t *testing.T) {
	e := newEnv(t)
	var ov Overview
	e.get(t, "/api/console/overview", 200, &ov)
	if len(ov.Endpoints) != 0 || len(ov.Functions) != 2 || ov.Functions[0].Health != "idle" {
		t.Errorf("overview of an empty system: %+v", ov)
	}
	var list []json.RawMessage
	for _, p := range []string{"/api/console/runs", "/api/console/devices", "/api/console/endpoints"} {
		if body := e.get(t, p, 200, &list); len(list) != 0 || strings.TrimSpace(string(body)) != "[]" {
			t.Errorf("%s on an empty store: %s, want []", p, body)
		}
	}
	var s DriftSeries
	e.get(t, "/api/console/models/netops/versions/1/drift", 200, &s)
	if len(s.Points) != 0 || s.Detectors == nil {
		t.Errorf("drift of a model without reports: %+v", s)
	}
	var f Features
	e.get(t, "/api/console/models/netops/versions/1/features", 200, &f)
	if len(f.Features) != 0 {
		t.Errorf("features without reports: %+v", f)
	}
	for _, tc := range []struct{ path, reason string }{
		{"/api/console/models/netops/versions/1", "no endpoint record, model card or drift report"},
		{"/api/console/models/netops/versions/abc", "want a positive integer"},
		{"/api/console/models/Bad..Name/versions/1", "invalid name"},
		{"/api/console/runs/nope", `no run "nope"`},
		{"/api/console/devices/dev-1", "no telemetry yet"},
		{"/api/console/models/netops/versions/1/features/x/histogram.svg", "no drift report yet"},
		{"/api/console/models/netops/versions/1/artifacts/eda/x.svg", "not found"},
		{"/api/console/nothing", "no console API route"},
	} {
		var msg struct{ Error string }
		e.get(t, tc.path, 404, &msg)
		if !strings.Contains(msg.Error, tc.reason) {
			t.Errorf("%s: error %q, want it to say %q", tc.path, msg.Error, tc.reason)
		}
	}
}

func TestOverview(t *testing.T) {
	e := newEnv(t)
	e.fixture(t)
	var ov Overview
	e.get(t, "/api/console/overview", 200, &ov)
	if len(ov.Endpoints) != 1 {
		t.Fatalf("endpoints: %+v", ov.Endpoints)
	}
	ep := ov.Endpoints[0]
	if ep.Model != "netops" || ep.Version != 1 || ep.Class != "gbt" || ep.Traffic != 100 || ep.Drift == nil ||
		ep.Drift.Status != "POSSIBLE_DRIFT" || ep.Drift.Measure != 0.56 || ep.Drift.Possible != 0.5 || ep.Serving.Errors != 3 || ep.Metrics.Accuracy != 0.93 {
		t.Errorf("endpoint row: %+v", ep)
	}
	fns := map[string]Function{}
	for _, f := range ov.Functions {
		fns[f.Name] = f
	}
	pre, ms := fns["preprocessor"], fns["model-server"]
	if pre.Received != 3 || pre.Succeeded != 3 || pre.Lag == nil || *pre.Lag != 2 || pre.Health != "ok" {
		t.Errorf("preprocessor: %+v (lag %v), want 3 handled, lag 2, ok", pre, pre.Lag)
	}
	if ms.DeadLettered != 1 || ms.DeadLetterStored != 1 || ms.Lag != nil || ms.Health != "dead-lettering" {
		t.Errorf("model-server: %+v, want 1 dead-lettered and stored, no consumer", ms)
	}
	if ov.Stream == nil || ov.Stream.Messages < 3 {
		t.Errorf("stream: %+v", ov.Stream)
	}
}

func TestRates(t *testing.T) {
	var rt rateTracker
	now := time.Unix(1000, 0)
	rt.update(map[string]counts{"f": {succeeded: 10}}, now)
	if r := rt.update(map[string]counts{"f": {succeeded: 30}}, now.Add(time.Second)); r["f"].ok != 0 {
		t.Errorf("rate within 2s: %+v, want the previous (none)", r)
	}
	r := rt.update(map[string]counts{"f": {succeeded: 50, failed: 2, deadLettered: 2}}, now.Add(4*time.Second))
	if r["f"].ok != 10 || r["f"].failed != 0.5 || r["f"].dead != 0.5 {
		t.Errorf("rates: %+v, want 10/s ok, 0.5/s failed and 0.5/s dead-lettered", r)
	}
	for _, tc := range []struct {
		f    Function
		r    rate
		want string
	}{
		{Function{}, rate{}, "idle"},
		{Function{Received: 5, Succeeded: 5}, rate{ok: 1}, "ok"},
		{Function{Received: 5, Succeeded: 4, DeadLettered: 1}, rate{}, "ok"},
		{Function{Received: 5, Succeeded: 4, DeadLettered: 1}, rate{dead: 0.2}, "dead-lettering"},
		{Function{Received: 1, DeadLettered: 1}, rate{}, "dead-lettering"},
		{Function{Received: 5, Succeeded: 4, Failed: 1}, rate{failed: 0.2}, "retrying"},
	} {
		if h := health(tc.f, tc.r, true); h != tc.want {
			t.Errorf("health(%+v, %+v) = %s, want %s", tc.f, tc.r, h, tc.want)
		}
	}
	if h := health(Function{Received: 5}, rate{}, false); h != "unknown" {
		t.Errorf("health without metrics: %s", h)
	}
}

func TestModelDetail(t *testing.T) {
	e := newEnv(t)
	e.fixture(t)
	e.get(t, "/api/console/overview", 200, nil) // samples the endpoint
	var d ModelDetail
	e.get(t, "/api/console/models/netops/versions/v1", 200, &d)
	if d.Card == nil || d.Card.Kind != "gbt" || d.Card.RunID != "run-1" || d.Aliases["champion"] != 1 ||
		d.Reports != 2 || d.Endpoint == nil || d.Endpoint.Drift.Status != "POSSIBLE_DRIFT" || !slices.Equal(d.Versions, []int{1}) {
		t.Errorf("detail: %+v", d)
	}
	if len(d.Samples) != 1 || d.Samples[0].PredictionsPerSecond != 2.5 || d.Samples[0].LatencyAvg5mMicros != 850 {
		t.Errorf("samples: %+v", d.Samples)
	}
	e.get(t, "/api/console/models/netops/versions/2", 404, nil)
}

func TestModelDrift(t *testing.T) {
	e := newEnv(t)
	e.fixture(t)
	var s DriftSeries
	e.get(t, "/api/console/models/netops/versions/1/drift", 200, &s)
	if len(s.Points) != 2 || !s.Points[0].To.Before(s.Points[1].To) {
		t.Fatalf("points: %+v", s.Points)
	}
	p0, p1 := s.Points[0], s.Points[1]
	if !(p1.GeneralDrift > p0.GeneralDrift) || p1.TVDMean <= 0 || p1.HellingerMean <= 0 || p1.KLDMean <= 0 || p1.RowsPerSecond != 1 {
		t.Errorf("the shifted window does not drift more: %+v then %+v", p0, p1)
	}
	if s.Possible != 0.5 || s.Detected != 0.7 {
		t.Errorf("thresholds %v %v", s.Possible, s.Detected)
	}
	if len(s.Detectors) != 2 || s.Detectors[0].Signal != "warning" || s.Detectors[1].Signal != "change" || s.Detectors[1].Detector != "adwin" {
		t.Errorf("detector events of v1: %+v", s.Detectors)
	}
	// Served again from the cache, the answer is the same.
	var again DriftSeries
	e.get(t, "/api/console/models/netops/versions/1/drift?limit=1", 200, &again)
	if len(again.Points) != 1 || again.Points[0] != p1 {
		t.Errorf("limit=1: %+v, want the latest window %+v", again.Points, p1)
	}
}

func TestModelFeatures(t *testing.T) {
	e := newEnv(t)
	e.fixture(t)
	var f Features
	e.get(t, "/api/console/models/netops/versions/1/features", 200, &f)
	if len(f.Features) != 3 || !f.Features[2].Prediction || f.Report.Key == "" {
		t.Fatalf("features: %+v", f)
	}
	cpu, lat := f.Features[0], f.Features[1]
	if cpu.Name != features[0] || cpu.Actual.Count != 300 || cpu.Expected.Count != 500 || cpu.Actual.Mean-cpu.Expected.Mean < 8 {
		t.Errorf("cpu row: %+v", cpu)
	}
	if !(cpu.TVD > lat.TVD) || cpu.Status == "NO_DRIFT" || cpu.Hellinger <= 0 || cpu.KLD <= 0 {
		t.Errorf("the shifted feature should drift more: cpu %+v, latency %+v", cpu, lat)
	}
	res, err := http.Get(e.srv.URL + "/api/console/models/netops/versions/1/features/" + features[0] + "/histogram.svg")
	must(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" ||
		!strings.Contains(string(body), "expected (training)") || !strings.Contains(string(body), "actual (window)") {
		t.Errorf("histogram: %d %s %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	e.get(t, "/api/console/models/netops/versions/1/features/prediction/histogram.svg", 200, nil)
	e.get(t, "/api/console/models/netops/versions/1/features/nope/histogram.svg", 404, nil)
	e.get(t, "/api/console/models/netops/versions/1/features?report=runs/run-1/run.json", 404, nil)
}

func TestRuns(t *testing.T) {
	e := newEnv(t)
	e.fixture(t)
	var list []RunSummary
	e.get(t, "/api/console/runs", 200, &list)
	if len(list) != 1 {
		t.Fatalf("runs: %+v", list)
	}
	r := list[0]
	if r.ID != "run-1" || r.Trigger.Kind != "drift" || len(r.Steps) != 2 || r.Seconds != 90 || r.Metric != "f1" ||
		r.Candidate == nil || *r.Candidate != 0.81 || r.Champion == nil || *r.Champion != 0.7 || r.Decision != "deployed" || r.Version != 1 {
		t.Errorf("run summary: %+v", r)
	}
	var d RunDetail
	e.get(t, "/api/console/runs/run-1", 200, &d)
	groups := map[string][]string{}
	for _, a := range d.Artifacts {
		groups[a.Group] = append(groups[a.Group], a.Name)
	}
	if d.Version != 1 || !slices.Equal(groups["eda"], []string{"eda/cpu_utilization_mean.svg"}) ||
		!slices.Equal(groups["test"], []string{"roc.svg"}) || !slices.Equal(groups["table"], []string{"test.json"}) {
		t.Fatalf("artifacts: %+v", d.Artifacts)
	}
	res, err := http.Get(e.srv.URL + d.Artifacts[0].URL)
	must(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(body), "<svg") {
		t.Errorf("artifact %s: %d %s", d.Artifacts[0].URL, res.StatusCode, res.Header.Get("Content-Type"))
	}
	e.get(t, "/api/console/models/netops/versions/1/artifacts/model.json", 404, nil)
	e.get(t, "/api/console/runs/..", 404, nil)
}

func TestDevices(t *testing.T) {
	e := newEnv(t)
	e.fixture(t)
	var devs []string
	e.get(t, "/api/console/devices", 200, &devs)
	if !slices.Equal(devs, []string{"dev-7", "dev-8"}) {
		t.Errorf("devices: %v", devs)
	}
	var d DeviceDetail
	e.get(t, "/api/console/devices/dev-7", 200, &d)
	if len(d.Telemetry) != 20 || len(d.Predictions) != 20 || d.Telemetry[19].CPUUtilization != 89 || !d.From.Equal(t0.Add(-time.Hour)) {
		t.Errorf("device: %d telemetry, %d predictions, from %s", len(d.Telemetry), len(d.Predictions), d.From)
	}
	if len(d.Episodes) != 1 || d.Episodes[0].Ticks != 4 || !d.Episodes[0].From.Equal(t0.Add(40*time.Second)) ||
		!slices.Equal(d.Episodes[0].Metrics, []string{"latency"}) {
		t.Errorf("episodes: %+v", d.Episodes)
	}
	e.get(t, "/api/console/devices/dev-8", 200, &d)
	if len(d.Episodes) != 0 {
		t.Errorf("dev-8 has no errors, got %+v", d.Episodes)
	}
	e.get(t, "/api/console/devices/dev-99", 404, nil)
}

func TestPages(t *testing.T) {
	e := newEnv(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(e.srv.URL + "/")
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/console/" {
		t.Errorf("GET /: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, p := range []string{"/console/", "/console/models/netops/v1", "/console/runs/run-1", "/console/devices/dev-7"} {
		body := string(e.get(t, p, 200, nil))
		for _, want := range []string{"<html", "/console/assets/console.css", "/console/assets/charts.js", "/console/assets/pages.js"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", p, want)
			}
		}
	}
	for asset, want := range map[string]string{"console.css": "text/css", "charts.js": "javascript", "console.js": "javascript",
		"pages.js": "javascript", "model.js": "javascript"} {
		res, err := http.Get(e.srv.URL + "/console/assets/" + asset)
		must(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), want) || len(body) < 500 {
			t.Errorf("asset %s: %d %s, %d bytes", asset, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
		if strings.Contains(string(body), "http://") && asset != "charts.js" || strings.Contains(string(body), "https://") {
			t.Errorf("asset %s refers to an outside URL", asset)
		}
	}
}

// TestRoutesBesideUp mounts the console beside the routes `netops up` serves: a conflict panics.
func TestRoutesBesideUp(t *testing.T) {
	mux := http.NewServeMux()
	h := http.NotFoundHandler()
	for _, p := range []string{"GET /healthz", "GET /readyz", "GET /_/health", "GET /metrics", "POST /fn/preprocessor/{$}",
		"GET /v2/models/{name}", "POST /v2/models/{name}/infer", "POST /invocations", "POST /api/v1.0/predictions",
		"POST /patterns/search", "POST /webhook", "POST /alertmanager", "GET /runs", "GET /runs/{id}", "POST /generate"} {
		mux.Handle(p, h)
	}
	c, err := New(Options{Store: newEnvStore(t)})
	must(t, err)
	c.Routes(mux)
	for path, want := range map[string]string{"/": "GET /{$}", "/console/runs": "GET /console/", "/runs": "GET /runs",
		"/api/console/runs": "GET /api/console/runs", "/metrics": "GET /metrics"} {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		if _, pat := mux.Handler(req); pat != want {
			t.Errorf("%s routes to %q, want %q", path, pat, want)
		}
	}
}
