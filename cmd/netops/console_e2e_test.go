package main

import (
	"encoding/json"
	"fmt"
	"github.com/netopsfn/netops/internal/testenv"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestConsoleE2E drives the web console of a running `netops up` in headless Chromium through a
// drift scenario: before the onset the champion's endpoint row shows NO_DRIFT; at the onset every
// raw metric the bootstrap model reads moves out of its training range, the general drift of
// drift-magnitude's hourly window climbs past the possible threshold, and the row shows the new
// status in another colour. Every page loads without console errors and is screenshotted to
// $NETOPS_TEST_ARTIFACTS (or the test's temporary directory).
func TestConsoleE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("the console end-to-end test runs netops up and Chromium for a few minutes")
	}
	if raceEnabled {
		t.Skip("the console end-to-end test runs without the race detector, in the test command's own pass (scripts/test.sh)")
	}
	bin := testenv.Chromium(t)
	began := time.Now()
	dir := t.TempDir()
	shots := os.Getenv("NETOPS_TEST_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	// The simulated clock starts at start (fixed, so the onset does not depend on how long the
	// bootstrap takes) and runs 300 simulated seconds per wall second: the onset comes about 24s
	// after the generator starts, the first reports (NO_DRIFT) well before it.
	start := time.Now().UTC().Truncate(time.Minute)
	onset := start.Add(2 * time.Hour)
	sim := fmt.Sprintf(`deployment:
  device: {num_items: 20}
scenarios:
  - {name: cpu-saturates, at: %[1]s, covariate_drift: {metric: cpu_utilization, mu: 100, sigma: 5}}
  - {name: latency-saturates, at: %[1]s, covariate_drift: {metric: latency, mu: 105, sigma: 5}}
  - {name: loss-saturates, at: %[1]s, covariate_drift: {metric: packet_loss, mu: 55, sigma: 5}}
  - {name: throughput-collapses, at: %[1]s, covariate_drift: {metric: throughput, mu: 0, sigma: 5}}
`, onset.Format(time.RFC3339))
	t.Setenv("NETOPS_START", start.Format(time.RFC3339))
	t.Setenv("NETOPS_DEPLOY", "none") // a drift-triggered run must not replace the champion under test
	t.Setenv("NETOPS_LOG_LEVEL", "error")
	up := startUp(t, dir, sim, "--bootstrap-hours=2", "--speed=60")

	re := regexp.MustCompile(`console:\s+http://localhost:(\d+)/console/`)
	var base string
	for deadline := time.Now().Add(2 * time.Minute); base == ""; time.Sleep(100 * time.Millisecond) {
		if m := re.FindStringSubmatch(up.out.String()); m != nil {
			base = "http://127.0.0.1:" + m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("netops up did not report its console within 2 minutes:\n%s", up.out.String())
		}
		up.failIfExited(t)
	}
	t.Logf("netops up serves the console at %s/console/ after %s; drift onset at simulated %s", base, time.Since(began).Round(time.Second), onset.Format(time.RFC3339))

	// Before the onset: the champion's drift status is NO_DRIFT, from a window ending before it.
	ep := waitEndpoint(t, base, up, "a NO_DRIFT report before the onset", func(e e2eEndpoint) (bool, error) {
		if e.Drift == nil || e.Drift.Status == "" || e.Drift.Status == "NO_DATA" {
			return false, nil
		}
		if e.Drift.Status != "NO_DRIFT" {
			return false, fmt.Errorf("status %s (general drift %.3f) for the window to %s, before the onset at %s",
				e.Drift.Status, e.Drift.Measure, e.Drift.To.Format(time.RFC3339), onset.Format(time.RFC3339))
		}
		return true, nil
	})
	t.Logf("before onset: %s v%d %s, general drift %.3f (window to %s), after %s", ep.Model, ep.Version, ep.Drift.Status, ep.Drift.Measure,
		ep.Drift.To.Format(time.RFC3339), time.Since(began).Round(time.Second))
	row := ep.Model + ".v" + fmt.Sprint(ep.Version)
	beforeDOM := renderPage(t, bin, base, "/console/", filepath.Join(shots, "console-e2e-overview-before.png"))
	before := endpointRow(t, beforeDOM, row)
	if before.status != "NO_DRIFT" {
		t.Fatalf("rendered %s before the onset shows %q, want NO_DRIFT (did rendering take past the onset?):\n%s", row, before.status, before.html)
	}

	// After the onset: the window's general drift passes the possible threshold.
	ep = waitEndpoint(t, base, up, "POSSIBLE_DRIFT or DRIFT_DETECTED after the onset", func(e e2eEndpoint) (bool, error) {
		if e.Drift == nil {
			return false, nil
		}
		switch e.Drift.Status {
		case "POSSIBLE_DRIFT", "DRIFT_DETECTED":
			if !e.Drift.To.After(onset) {
				return false, fmt.Errorf("%s for the window to %s, before the onset at %s", e.Drift.Status, e.Drift.To.Format(time.RFC3339), onset.Format(time.RFC3339))
			}
			return true, nil
		}
		return false, nil
	})
	t.Logf("after onset: %s v%d %s, general drift %.3f (thresholds %.2f/%.2f, window to %s, %s after the onset), after %s",
		ep.Model, ep.Version, ep.Drift.Status, ep.Drift.Measure, ep.Drift.Possible, ep.Drift.Detected, ep.Drift.To.Format(time.RFC3339),
		ep.Drift.To.Sub(onset), time.Since(began).Round(time.Second))
	afterDOM := renderPage(t, bin, base, "/console/", filepath.Join(shots, "console-e2e-overview-after.png"))
	after := endpointRow(t, afterDOM, row)
	if after.status != "POSSIBLE_DRIFT" && after.status != "DRIFT_DETECTED" {
		t.Errorf("rendered %s after the onset shows %q, want POSSIBLE_DRIFT or DRIFT_DETECTED:\n%s", row, after.status, after.html)
	}
	css := httpGet(t, base+"/console/assets/console.css")
	cb, ca := badgeColour(css, before.status), badgeColour(css, after.status)
	t.Logf("endpoint row %s: %s (class %q, background %s) → %s (class %q, background %s)", row, before.status, before.class, cb, after.status, after.class, ca)
	if before.class == after.class || cb == "" || cb == ca {
		t.Errorf("drift status colour did not change: %q (background %q) before, %q (background %q) after", before.class, cb, after.class, ca)
	}

	// Every page, after the onset: it loads, renders its content and logs no errors.
	var devices []string
	if err := json.Unmarshal([]byte(httpGet(t, base+"/api/console/devices")), &devices); err != nil || len(devices) == 0 {
		t.Fatalf("device list: %v %v", devices, err)
	}
	modelPath := fmt.Sprintf("/console/models/%s/v%d", ep.Model, ep.Version)
	pages := []struct {
		name, path string
		want       []string // each: alternatives separated by |
	}{
		{"model", modelPath, []string{`class="line-chart"`, "General drift", `class="threshold"`, `data-feature="cpu_utilization"`, "histogram.svg?report=",
			`data-status="POSSIBLE_DRIFT"|data-status="DRIFT_DETECTED"`}},
		{"runs", "/console/runs", []string{"Workflow runs"}},
		{"devices", "/console/devices", []string{devices[0]}},
		{"device", "/console/devices/" + url.PathEscape(devices[0]), []string{"Predicted failure probability", "latency"}},
	}
	for _, p := range pages {
		dom := renderPage(t, bin, base, p.path, filepath.Join(shots, "console-e2e-"+p.name+".png"))
		for _, w := range p.want {
			if !slices.ContainsFunc(strings.Split(w, "|"), func(alt string) bool { return strings.Contains(dom, alt) }) {
				t.Errorf("rendered %s lacks %q:\n%.3000s", p.path, w, dom)
			}
		}
	}
	up.stop(t)
	t.Logf("screenshots in %s; wall time %s", shots, time.Since(began).Round(time.Second))
}

// e2eEndpoint is the part of an endpoint record the test reads from /api/console/endpoints.
type e2eEndpoint struct {
	Model   string `json:"model"`
	Version int    `json:"version"`
	Alias   string `json:"alias"`
	Drift   *struct {
		Status   string    `json:"status"`
		Measure  float64   `json:"general_drift"`
		Possible float64   `json:"possible_threshold"`
		Detected float64   `json:"detected_threshold"`
		To       time.Time `json:"to"`
	} `json:"drift"`
}

// waitEndpoint polls the console's endpoint list until the netops champion's record satisfies
// ok, failing on ok's error, when netops up exits, or after 150s.
func waitEndpoint(t *testing.T, base string, up *upRun, what string, ok func(e2eEndpoint) (bool, error)) e2eEndpoint {
	t.Helper()
	var last []e2eEndpoint
	for deadline := time.Now().Add(150 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 150s; endpoints %+v\n%s", what, last, up.out.String())
		}
		up.failIfExited(t)
		resp, err := http.Get(base + "/api/console/endpoints")
		if err != nil {
			continue
		}
		err = json.NewDecoder(resp.Body).Decode(&last)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			continue
		}
		for _, e := range last {
			if e.Model != bootstrapModel || e.Alias != "champion" {
				continue
			}
			hit, err := ok(e)
			if err != nil {
				t.Fatalf("%s v%d: %v", e.Model, e.Version, err)
			}
			if hit {
				return e
			}
		}
	}
}

// renderedRow is an endpoint row of the rendered overview: its drift status and badge class.
type renderedRow struct{ html, status, class string }

// endpointRow finds the endpoint's row in the rendered overview and reads its drift cell.
func endpointRow(t *testing.T, dom, key string) renderedRow {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr data-endpoint="` + regexp.QuoteMeta(key) + `">.*?</tr>`).FindString(dom)
	if m == "" {
		t.Fatalf("the rendered endpoints table has no row %s:\n%.4000s", key, dom)
	}
	r := renderedRow{html: m}
	d := regexp.MustCompile(`<span class="drift" data-status="([A-Z_]+)"><span class="(badge [A-Z_]+)">([A-Z_]+)</span>`).FindStringSubmatch(m)
	if d == nil {
		t.Fatalf("row %s has no drift status cell:\n%s", key, m)
	}
	if d[1] != d[3] || "badge "+d[1] != d[2] {
		t.Errorf("row %s: drift cell disagrees with itself (data-status %s, class %q, text %s)", key, d[1], d[2], d[3])
	}
	r.status, r.class = d[3], d[2]
	return r
}

// badgeColour is the background the stylesheet gives a status badge, "" when none.
func badgeColour(css, status string) string {
	for _, line := range strings.Split(css, "\n") {
		sel, decl, ok := strings.Cut(line, "{")
		if !ok || !regexp.MustCompile(`\.badge\.`+regexp.QuoteMeta(status)+`\b`).MatchString(sel) {
			continue
		}
		if m := regexp.MustCompile(`background:\s*([^;}]+)`).FindStringSubmatch(decl); m != nil {
			return strings.TrimSpace(m[1])
		}
	}
	return ""
}

func httpGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", u, resp.StatusCode, body)
	}
	return string(body)
}

// renderPage loads a console page in Chromium, checks that it rendered without an error and
// logged none, and that its screenshot was written; it returns the rendered DOM.
func renderPage(t *testing.T, bin, base, path, shot string) string {
	t.Helper()
	began := time.Now()
	dom, log := testenv.RenderPage(t, bin, base+path, shot)
	if errs := testenv.ConsoleErrors(log); len(errs) > 0 {
		t.Errorf("%s logged errors:\n%s", path, strings.Join(errs, "\n"))
	}
	for _, bad := range []string{`data-error=`, "Could not load", "update failed", "No console page at"} {
		if strings.Contains(dom, bad) {
			t.Errorf("rendered %s shows %q:\n%.3000s", path, bad, dom)
		}
	}
	if !strings.Contains(dom, `id="main"`) {
		t.Errorf("rendered %s has no console shell:\n%.2000s", path, dom)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Errorf("no screenshot of %s: %v", path, err)
	}
	t.Logf("rendered %s in %s → %s", path, time.Since(began).Round(100*time.Millisecond), shot)
	return dom
}
