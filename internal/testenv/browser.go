package testenv

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Chromium returns the path of a headless-capable Chromium. Without one it skips the test, or
// fails it when NETOPS_TEST_REQUIRE_BROWSER=1 (the test command sets it once Chromium is there).
func Chromium(t testing.TB) string {
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

// RenderPage loads url in headless Chromium (bin) with enough virtual time for the page's first
// poll and returns the rendered DOM and the browser's log (console messages land there), writing
// a screenshot to shot.
func RenderPage(t testing.TB, bin, url, shot string) (dom, log string) {
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

var jsError = regexp.MustCompile(`(?i)(Uncaught|CONSOLE.*error|SyntaxError|ReferenceError|TypeError)`)

// ConsoleErrors picks a page's JavaScript errors out of Chromium's log.
func ConsoleErrors(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if jsError.MatchString(line) && !strings.Contains(line, "favicon") {
			out = append(out, line)
		}
	}
	return out
}
