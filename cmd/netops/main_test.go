package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// upRun is `netops up` running in this process for an end-to-end test.
type upRun struct {
	out    syncBuffer
	done   chan int
	cancel context.CancelFunc
	store  blob.Store // the file store under --dir
	exited bool       // its exit code has been received from done
}

// startUp writes sim as the simulator config in dir, points NETOPS_SIM_CONFIG at it and starts
// `netops up --port=0 --nats-listen=127.0.0.1:0 --dir=<dir>` with args added. Unless the test
// stopped it, the test's cleanup stops it and fails the test if it takes more than a minute.
func startUp(t *testing.T, dir, sim string, args ...string) *upRun {
	t.Helper()
	path := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(path, []byte(sim), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NETOPS_SIM_CONFIG", path)
	store, err := blob.NewFile(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	u := &upRun{done: make(chan int, 1), cancel: cancel, store: store}
	t.Cleanup(func() {
		if !u.exited {
			cancel()
			u.wait(t)
		}
	})
	args = append([]string{"up", "--port=0", "--nats-listen=127.0.0.1:0", "--dir=" + dir}, args...)
	go func() { u.done <- run(ctx, args, &u.out, io.Discard) }()
	return u
}

// wait waits up to a minute for netops up to exit and returns its exit code; false when it
// did not exit, which fails the test.
func (u *upRun) wait(t *testing.T) (int, bool) {
	t.Helper()
	select {
	case code := <-u.done:
		u.exited = true
		return code, true
	case <-time.After(time.Minute):
		t.Error("netops up did not stop within a minute")
		return 0, false
	}
}

// failIfExited fails the test, with netops up's output, if netops up has exited.
func (u *upRun) failIfExited(t *testing.T) {
	t.Helper()
	select {
	case code := <-u.done:
		u.exited = true
		t.Fatalf("netops up exited %d: %s", code, u.out.String())
	default:
	}
}

// stop stops netops up and fails the test unless it exits with 0 within a minute.
func (u *upRun) stop(t *testing.T) {
	t.Helper()
	u.cancel()
	if code, ok := u.wait(t); ok && code != 0 {
		t.Fatalf("netops up exited %d", code)
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		want     string
		inStderr bool
	}{
		{nil, 0, "Commands:", false},
		{[]string{"version"}, 0, "netops dev", false},
		{[]string{"up", "--help"}, 0, "-nats-listen", false},
		{[]string{"run", "--help"}, 0, "NETOPS_TARGET", false},
		{[]string{"run"}, 1, "--target is required", true},
		{[]string{"run", "--target=nope"}, 1, `unknown target "nope"`, true},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`, true},
		{[]string{"up", "--workers=0"}, 1, "workers: 0", true},
		{[]string{"up", "--bootstrap-hours=0"}, 1, "bootstrap-hours: 0", true},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		got := out.String()
		if tc.inStderr {
			got = errOut.String()
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("netops %v = %d, %q; want %d containing %q", tc.args, code, got, tc.code, tc.want)
		}
	}
}

func TestUp(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NETOPS_LOG_LEVEL", "error")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"up", "--port=0", "--nats-listen=127.0.0.1:0", "--bootstrap=false", "--dir=" + dir}, &out, io.Discard)
	}()
	re := regexp.MustCompile(`http://localhost:(\d+)`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = "http://127.0.0.1:" + m[1]
			break
		}
	}
	if base == "" {
		t.Fatalf("netops up never reported its address: %q", out.String())
	}
	for _, path := range []string{"/healthz", "/readyz", "/_/health", "/_/ready", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
	}
	resp, err := http.Post(base+"/generate", "application/json", strings.NewReader(`{"ticks": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"rows":300`) {
		t.Fatalf("POST /generate = %d %s", resp.StatusCode, body)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "data", "telemetry", "date=*", "hour=*", "*.parquet")); len(m) == 0 {
		t.Fatal("no telemetry object in the store after /generate")
	}
	// The preprocessor consumes the batch from JetStream and writes features.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if m, _ := filepath.Glob(filepath.Join(dir, "data", "features", "date=*", "hour=*", "*.parquet")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no features object 30s after /generate: the preprocessor did not run")
		}
	}
	for _, want := range []string{"nats:      nats://127.0.0.1:", "store:     file://" + dir + "/data"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("netops up exited %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("netops up did not stop")
	}
	if !strings.Contains(out.String(), "netops stopped") {
		t.Error("no clean-stop message")
	}
}

// TestUpBootstrap starts netops up on an empty store: it must train and promote a first model
// before going live, and not again on the next start.
func TestUpBootstrap(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NETOPS_LOG_LEVEL", "error")
	t.Setenv("NETOPS_DEVICES", "8")
	for i, want := range []string{"is champion", ""} {
		ctx, cancel := context.WithCancel(context.Background())
		var out syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"up", "--port=0", "--nats-listen=127.0.0.1:0", "--bootstrap-hours=2", "--speed=0", "--dir=" + dir}, &out, io.Discard)
		}()
		for deadline := time.Now().Add(3 * time.Minute); !strings.Contains(out.String(), "is up"); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("start %d: not up: %s", i, out.String())
			}
		}
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("start %d exited %d: %s", i, code, out.String())
		}
		if want != "" && !strings.Contains(out.String(), want) {
			t.Fatalf("start %d: no bootstrap: %s", i, out.String())
		}
		if i == 1 && strings.Contains(out.String(), "bootstrap:") {
			t.Fatalf("second start bootstrapped again: %s", out.String())
		}
	}
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"models", "list", "--store=file://" + filepath.Join(dir, "data")}, &o, &e); code != 0 ||
		!strings.Contains(o.String(), "[champion]") {
		t.Fatalf("models list after bootstrap: %s %s", o.String(), e.String())
	}
}
