package main

import (
	"bytes"
	"context"
	"github.com/netopsfn/netops/internal/runs"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/functions/projectrunner"
	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/testenv"
)

// TestTriggerAndRuns starts a run through `netops trigger` against a real runner and reads it
// back with `netops runs`.
func TestTriggerAndRuns(t *testing.T) {
	dir := t.TempDir()
	store, err := blob.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NETOPS_WEBHOOK_SECRET", "cli-secret")
	fn, err := projectrunner.New(projectrunner.Config{Models: []string{"netops"}, ReplayWindow: time.Minute, MaxBody: 1 << 16,
		PolicyEvents: 1, PolicyWindow: time.Hour, Bucket: "runner-cli", Run: projectrunner.RunDefaults{Window: time.Hour, Data: "labeled",
			Candidates: []string{"lr"}, Budget: 1, MaxRows: 1000, MinRows: 500, Holdout: 0.2, Metric: "pr_auc", Deploy: "direct",
			CanaryTraffic: 25, CanaryRows: 100, Seed: 1}},
		function.Deps{Bus: testenv.Bus(t), Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	netops := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		return out.String(), errOut.String(), code
	}
	out, errOut, code := netops("trigger", "train", "--url="+srv.URL, `--params={"window":"30m"}`)
	m := regexp.MustCompile(`run (\S+) `).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("trigger = %d: %s %s", code, out, errOut)
	}
	id := m[1]
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r, err := runs.Load(context.Background(), store, id)
		if err == nil && r.Status != runs.StatusRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("run did not finish")
		}
	}
	out, errOut, code = netops("runs", "list", "--store=file://"+dir)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "webhook") || !strings.Contains(out, "failed") {
		t.Fatalf("runs list = %d: %s %s", code, out, errOut)
	}
	out, _, code = netops("runs", "show", id, "--store=file://"+dir)
	if code != 0 || !strings.Contains(out, "assemble") || !strings.Contains(out, "min_rows") {
		t.Fatalf("runs show = %d: %s", code, out)
	}
	if _, errOut, code = netops("runs", "show", "no-such-run", "--store=file://"+dir); code == 0 || !strings.Contains(errOut, "no-such-run") {
		t.Fatalf("unknown run = %d: %s", code, errOut)
	}
	t.Setenv("NETOPS_WEBHOOK_SECRET", "wrong")
	if _, errOut, code = netops("trigger", "train", "--url="+srv.URL); code == 0 || !strings.Contains(errOut, "401") || strings.Contains(errOut, "wrong") {
		t.Fatalf("wrong secret = %d: %s", code, errOut)
	}
	if _, errOut, code = netops("trigger", "train", "--url="+srv.URL, "--params={"); code == 0 || !strings.Contains(errOut, "params") {
		t.Fatalf("bad params = %d: %s", code, errOut)
	}
}
