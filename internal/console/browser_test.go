package console

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of a headless-capable Chromium; without one it skips the test, or
// fails it when NETOPS_TEST_REQUIRE_BROWSER=1 (set by scripts/test.sh once Chromium is installed).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("NETOPS_TEST_REQUIRE_BROWSER") == "1" {
		t.Fatal("NETOPS_TEST_REQUIRE_BROWSER=1 but no chromium binary on PATH (apt-get install chromium)")
	}
	t.Skip("no chromium binary on PATH (apt-get install chromium): browser test skipped")
	return ""
}

// runChromium loads url in headless Chromium with enough virtual time for the page's first poll
// and returns the rendered DOM and the browser's log (console messages land there), writing a
// screenshot to shot.
func runChromium(t *testing.T, bin, url, shot string) (dom, log string) {
	t.Helper()
	args := func(extra ...string) []string {
		return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
			"--hide-scrollbars", "--window-size=1400,2400", "--virtual-time-budget=4000", "--enable-logging=stderr", "--v=0",
			"--user-data-dir=" + t.TempDir()}, extra...)
	}
	run := func(a []string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, a...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %s: %v\n%s", url, err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	dom, log = run(args("--dump-dom", url))
	_, _ = run(args("--screenshot="+shot, url))
	return dom, log
}

// consoleErrors picks the page's JavaScript errors out of Chromium's log.
func consoleErrors(log string) []string {
	var out []string
	re := regexp.MustCompile(`(?i)(Uncaught|CONSOLE.*error|SyntaxError|ReferenceError|TypeError)`)
	for _, line := range strings.Split(log, "\n") {
		if re.MatchString(line) && !strings.Contains(line, "favicon") {
			out = append(out, line)
		}
	}
	return out
}

// TestBrowser renders every page in headless Chromium against a console with the fixture and
// checks the rendered DOM: the endpoints table lists the served model with its drift status,
// the model page draws its charts and features, the run page its artifacts, the device page
// its episode. Screenshots go to $NETOPS_TEST_ARTIFACTS (or the test's temporary directory).
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t)
	e.fixture(t)
	dir := os.Getenv("NETOPS_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	must(t, os.MkdirAll(dir, 0o755))
	pages := []struct {
		name, path string
		want       []string
	}{
		{"overview", "/", []string{`data-endpoint="netops.v1"`, `data-status="POSSIBLE_DRIFT"`, "0.56", `data-function="preprocessor"`, "dead-lettering"}},
		{"model", "/console/models/netops/v1", []string{`class="line-chart"`, "General drift", `class="threshold"`, `class="mark"`,
			`data-feature="cpu_utilization_mean"`, "histogram.svg?report=", "Detector events"}},
		{"runs", "/console/runs", []string{`data-run="run-1"`, "deployed", "0.81"}},
		{"run", "/console/runs/run-1", []string{"eda/cpu_utilization_mean.svg", "roc.svg", "Candidate vs champion", "better"}},
		{"device", "/console/devices/dev-7", []string{"Predicted failure probability", `class="band"`, "latency"}},
		{"missing", "/console/runs/nope", []string{`data-error="404"`}},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			dom, log := runChromium(t, bin, e.srv.URL+p.path, filepath.Join(dir, "console-"+p.name+".png"))
			for _, w := range p.want {
				if !strings.Contains(dom, w) {
					t.Errorf("rendered %s lacks %q:\n%.3000s", p.path, w, dom)
				}
			}
			if errs := consoleErrors(log); len(errs) > 0 {
				t.Errorf("%s logged errors:\n%s", p.path, strings.Join(errs, "\n"))
			}
			if fi, err := os.Stat(filepath.Join(dir, "console-"+p.name+".png")); err != nil || fi.Size() == 0 {
				t.Errorf("no screenshot of %s: %v", p.path, err)
			}
		})
	}
}
