package console

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/netopsfn/netops/internal/testenv"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/runs"
	"github.com/netopsfn/netops/internal/tables"
)

// Scale of TestScale: 50 registered versions (each with its run record and endpoint record) and
// a week of drift-magnitude history for the champion: one report every 10 minutes of event time
// (with the rows object drift-magnitude writes next to each) and an hourly detector log.
const (
	scaleVersions = 50
	scaleReports  = 7 * 24 * 6
	scaleBound    = 2 * time.Second // a page's API answer, cold or warm, on a loaded machine
)

var scaleFeatures = []string{"cpu_utilization", "latency", "packet_loss", "throughput"}

// TestScale answers "do the pages stay responsive with 50 model versions and a week of
// simulated monitoring history": it times every API request the overview, model, features, runs,
// run and device pages make, first cold (nothing cached) and then warm (the pages' next poll),
// logs the figures and fails when one takes longer than scaleBound.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a week of reports")
	}
	e := newEnv(t)
	champion := e.scaleFixture(t)
	base := e.srv.URL
	model := fmt.Sprintf("/api/console/models/netops/versions/%d", champion)
	pages := []struct {
		name  string
		paths []string
		want  string // in the first path's answer
	}{
		{"overview", []string{"/api/console/overview"}, fmt.Sprintf(`"version":%d`, scaleVersions)},
		{"endpoints", []string{"/api/console/endpoints"}, `"DRIFT_DETECTED"`},
		{"model", []string{model, model + "/drift", model + "/features"}, fmt.Sprintf(`"reports":%d`, scaleReports)},
		{"model drift (week)", []string{model + "/drift"}, `"general_drift"`},
		{"features", []string{model + "/features", model + "/features/latency/histogram.svg"}, `"name":"latency"`},
		{"runs", []string{"/api/console/runs"}, `"run-050"`},
		{"run", []string{"/api/console/runs/run-050"}, `"eda/cpu_utilization.svg"`},
		{"old version", []string{"/api/console/models/netops/versions/7", "/api/console/models/netops/versions/7/drift"}, `"version":7`},
	}
	for _, pass := range []string{"cold", "warm"} {
		for _, p := range pages {
			var d time.Duration
			var each []string
			for i, path := range p.paths {
				at := time.Now()
				body := get(t, base+path)
				took := time.Since(at)
				d += took
				each = append(each, fmt.Sprintf("%s %d ms", strings.TrimPrefix(path, "/api/console/"), took.Milliseconds()))
				if i == 0 && !strings.Contains(body, p.want) {
					t.Errorf("%s: GET %s lacks %q: %.500s", p.name, path, p.want, body)
				}
				if i == 0 && strings.HasSuffix(path, "/drift") {
					var s DriftSeries
					must(t, json.Unmarshal([]byte(body), &s))
					if len(s.Points) != scaleReports && strings.Contains(path, fmt.Sprint(champion)) {
						t.Errorf("%s: %d drift points, want the week's %d", p.name, len(s.Points), scaleReports)
					}
				}
			}
			t.Logf("%-4s %-19s %4d ms  (%s)", pass, p.name, d.Milliseconds(), strings.Join(each, ", "))
			if d > scaleBound {
				t.Errorf("%s %s took %s, want < %s", pass, p.name, d, scaleBound)
			}
		}
	}

	// The pages in a browser: the overview lists 50 endpoints, the model page's charts draw the
	// week's 1008 windows and 672 detector events, the runs page 50 runs, all without errors. The
	// time is testenv.RenderPage's: two Chromium starts (DOM, screenshot), each with the first poll.
	t.Run("browser", func(t *testing.T) {
		bin := testenv.Chromium(t)
		dir := os.Getenv("NETOPS_TEST_ARTIFACTS")
		if dir == "" {
			dir = t.TempDir()
		}
		must(t, os.MkdirAll(dir, 0o755))
		for _, p := range []struct{ name, path, want string }{
			{"overview", "/console/", fmt.Sprintf(`data-endpoint="netops.v%d"`, champion)},
			{"model", fmt.Sprintf("/console/models/netops/v%d", champion), `class="line-chart"`},
			{"runs", "/console/runs", `data-run="run-050"`},
		} {
			at := time.Now()
			dom, log := testenv.RenderPage(t, bin, base+p.path, filepath.Join(dir, "console-scale-"+p.name+".png"))
			t.Logf("chromium: %s rendered in %s (DOM and screenshot, two browser starts)", p.path, time.Since(at).Round(100*time.Millisecond))
			if errs := testenv.ConsoleErrors(log); len(errs) > 0 {
				t.Errorf("%s logged errors:\n%s", p.path, strings.Join(errs, "\n"))
			}
			if !strings.Contains(dom, p.want) {
				t.Errorf("rendered %s lacks %q:\n%.2000s", p.path, p.want, dom)
			}
		}
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// scaleFixture registers scaleVersions versions of netops (cheap cards with four features and
// their artifacts), a run and an endpoint record per version, makes the last one champion and
// gives it a week of reports and detector logs ending now. It returns the champion's version.
func (e *env) scaleFixture(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	values := func(mu, sigma float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = mu + sigma*rng.NormFloat64()
		}
		return out
	}
	mus := map[string]float64{"cpu_utilization": 70, "latency": 5, "packet_loss": 2, "throughput": 250}
	refs := map[string]drift.Reference{}
	for _, f := range scaleFeatures {
		ref, err := drift.NewReference(values(mus[f], 5, 500))
		must(t, err)
		refs[f] = ref
	}
	pred, err := drift.NewReference(values(0.2, 0.05, 500))
	must(t, err)
	end := time.Now().UTC().Truncate(10 * time.Minute)
	start := end.Add(-7 * 24 * time.Hour)
	reg := registry.New(e.store)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`)
	st, err := endpoint.Open(ctx, e.bus)
	must(t, err)
	var v int
	for i := range scaleVersions {
		id := fmt.Sprintf("run-%03d", i+1)
		created := start.Add(time.Duration(i) * 3 * time.Hour)
		v, err = reg.Register(ctx, &registry.Card{Name: "netops", Kind: "gbt", RunID: id, CreatedAt: created, Features: scaleFeatures,
			Threshold: 0.5, Metrics: map[string]float64{"f1": 0.7 + float64(i)/1000}, Reference: refs, Prediction: &pred},
			[]byte(`{}`), map[string][]byte{"eda/cpu_utilization.svg": svg, "roc.svg": svg, "test.json": []byte(`{}`)})
		must(t, err)
		must(t, runs.Save(ctx, e.store, &runs.Run{ID: id, Workflow: "train", Model: "netops", Status: runs.StatusSucceeded,
			Trigger: runs.Trigger{Kind: "drift", By: "adwin", At: created}, Params: runs.Params{Metric: "f1"}, Created: created,
			Finished: created.Add(time.Minute), Steps: []runs.Step{{Name: "train", Status: runs.StatusSucceeded, Start: created, Seconds: 60}},
			Candidate: &runs.Evaluation{Version: v, Kind: "gbt", Metrics: map[string]float64{"f1": 0.7 + float64(i)/1000}},
			Decision:  runs.DecisionDeployed}))
		status, measure := "NO_DRIFT", 0.1
		if v == scaleVersions {
			status, measure = "DRIFT_DETECTED", 0.75
		}
		_, err = st.Update(ctx, "netops", v, func(r *endpoint.Record) error {
			r.Class, r.Function = "gbt", "model-server"
			r.Serving = &endpoint.Serving{FirstRequest: created, LastRequest: created.Add(3 * time.Hour), Requests: 1000, PredictionsPerSecond: 2}
			r.Drift = &endpoint.Drift{Status: status, Measure: measure, Possible: 0.5, Detected: 0.7, From: end.Add(-time.Hour), To: end}
			return nil
		})
		must(t, err)
	}
	must(t, reg.SetAlias(ctx, "netops", "champion", v, "scale"))

	// Two analyses, drifting and not, stamped onto a week of windows: the console reads only
	// the reports' JSON, whose size and shape are what matter here.
	analyze := func(shift float64) drift.Report {
		var fs []drift.Feature
		for _, f := range scaleFeatures {
			h, err := drift.NewHistogram(refs[f].Edges)
			must(t, err)
			for _, x := range values(mus[f]+shift, 5, 600) {
				h.Add(x)
			}
			fs = append(fs, drift.Feature{Name: f, Reference: refs[f], Current: h})
		}
		ph, err := drift.NewHistogram(pred.Edges)
		must(t, err)
		for _, x := range values(0.2+shift/100, 0.05, 600) {
			ph.Add(x)
		}
		rep, err := drift.Analyze(fs, &drift.Feature{Name: "prediction", Reference: pred, Current: ph}, drift.Options{})
		must(t, err)
		return *rep
	}
	calm, drifting := analyze(0), analyze(8)
	for i := range scaleReports {
		to := start.Add(time.Duration(i+1) * 10 * time.Minute)
		rep := calm
		if i%144 >= 120 { // the last four hours of every day drift
			rep = drifting
		}
		wr := windowReport{Model: "netops", Version: v, From: to.Add(-time.Hour), To: to, Trigger: "schedule", Rows: 14400, Partials: 6, Report: rep}
		data, err := json.Marshal(wr)
		must(t, err)
		key := reportPrefix("netops", v) + to.Format("20060102T1504Z")
		must(t, blob.PutBytes(ctx, e.store, key+".json", data))
		must(t, blob.PutBytes(ctx, e.store, key+".parquet", []byte("rows")))
	}
	for h := start; h.Before(end); h = h.Add(time.Hour) {
		var rows []logRow
		for j := range 4 {
			at := h.Add(time.Duration(j) * 15 * time.Minute)
			rows = append(rows, logRow{EventTime: at, Model: "netops", Version: int32(v), Detector: []string{"adwin", "ddm"}[j%2],
				Index: int64(at.Sub(start) / time.Second), Warning: j%2 == 0, Change: j == 3, Signal: []string{"warning", "", "warning", "change"}[j], Batch: "b"})
		}
		must(t, tables.Put(ctx, e.store, tables.Key("monitoring/netops/detectors", h, "batch-"+h.Format("0215")), rows))
	}
	return v
}
