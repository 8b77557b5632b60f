package console

import (
	"github.com/netopsfn/netops/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowser renders every page in headless Chromium against a console with the fixture and
// checks the rendered DOM: the endpoints table lists the served model with its drift status,
// the model page draws its charts and features, the run page its artifacts, the device page
// its episode. Screenshots go to $NETOPS_TEST_ARTIFACTS (or the test's temporary directory).
func TestBrowser(t *testing.T) {
	bin := testenv.Chromium(t)
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
			dom, log := testenv.RenderPage(t, bin, e.srv.URL+p.path, filepath.Join(dir, "console-"+p.name+".png"))
			for _, w := range p.want {
				if !strings.Contains(dom, w) {
					t.Errorf("rendered %s lacks %q:\n%.3000s", p.path, w, dom)
				}
			}
			if errs := testenv.ConsoleErrors(log); len(errs) > 0 {
				t.Errorf("%s logged errors:\n%s", p.path, strings.Join(errs, "\n"))
			}
			if fi, err := os.Stat(filepath.Join(dir, "console-"+p.name+".png")); err != nil || fi.Size() == 0 {
				t.Errorf("no screenshot of %s: %v", p.path, err)
			}
		})
	}
}
