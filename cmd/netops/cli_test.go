package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/netopsfn/netops/internal/tables"
)

// TestCLIWorkflow runs the offline tools as a user would: a backfill, a training set, and pattern
// searches over the store and over local files.
func TestCLIWorkflow(t *testing.T) {
	dir := t.TempDir()
	store := "--store=file://" + dir
	runOK := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 0 {
			t.Fatalf("netops %v = %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	out := runOK("generate", "--from=2026-11-22T00:00:00Z", "--to=2026-11-22T03:00:00Z", "--devices=4", "--seed=9", store)
	if !strings.Contains(out, "wrote 2160 ticks, 8640 rows in 3 batches") {
		t.Fatalf("generate: %s", out)
	}
	out = runOK("features", store, "--out=training/t.parquet")
	if !strings.Contains(out, "wrote 8640 training rows") {
		t.Fatalf("features: %s", out)
	}

	out = runOK("train", store, "--data=training/t.parquet", "--models=lr,gbt", "--budget=1", "--max-rows=5000", "--promote=champion")
	if !strings.Contains(out, "[7/7] register") || !strings.Contains(out, "registered netops v1") || !strings.Contains(out, "as champion") {
		t.Fatalf("train: %s", out)
	}
	runOK("train", store, "--data=training/t.parquet", "--models=lr", "--budget=1")
	out = runOK("models", "list", store)
	if !strings.Contains(out, "netops  v1") || !strings.Contains(out, "[champion]") || !strings.Contains(out, "netops  v2") {
		t.Fatalf("models list: %s", out)
	}
	out = runOK("models", "show", "netops", store)
	if !strings.Contains(out, "netops v1") || !strings.Contains(out, "roc.svg") {
		t.Fatalf("models show: %s", out)
	}
	runOK("models", "promote", "netops", "2", store)
	out = runOK("models", "rollback", "netops", store)
	if !strings.Contains(out, "rolled back → v1") {
		t.Fatalf("models rollback: %s", out)
	}
	var mo, me bytes.Buffer
	if code := run(context.Background(), []string{"models", "promote", "netops", "7", store}, &mo, &me); code != 1 || !strings.Contains(me.String(), "not found") {
		t.Fatalf("promote to a missing version: %d %s", code, me.String())
	}

	files, _ := filepath.Glob(filepath.Join(dir, "telemetry", "*", "*", "*.parquet"))
	if len(files) != 3 {
		t.Fatalf("telemetry files: %v", files)
	}
	devices, _ := filepath.Glob(filepath.Join(dir, "devices", "devices.parquet"))
	if len(devices) != 1 {
		t.Fatal("no device table")
	}
	var o, e bytes.Buffer
	run(context.Background(), []string{"patterns", "search", store, "--device=0", "--pattern=1,2,3"}, &o, &e)
	if !strings.Contains(e.String(), `device "0" has no telemetry`) {
		t.Fatalf("unknown device: %s", e.String())
	}
	device := firstDevice(t, files[0])
	out = runOK("patterns", "discords", store, "--device="+device, "--metric=latency", "--window=20", "--k=2", "--json",
		"--from=2026-11-22T00:00:00Z", "--to=2026-11-22T03:00:00Z")
	var res struct {
		Points  int `json:"points"`
		Matches []struct {
			Index    int     `json:"index"`
			Distance float64 `json:"distance"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Points != 2160 || len(res.Matches) != 2 || res.Matches[0].Distance < res.Matches[1].Distance {
		t.Fatalf("discords: %v %s", err, out)
	}
	out = runOK("patterns", "search", "--files="+filepath.Join(dir, "telemetry", "*", "*", "*.parquet"), "--device="+device, "--pattern=70,72,75,71", "--k=3")
	if rows := regexp.MustCompile(`(?m)^[123]\s+\d+\s`).FindAllString(out, -1); len(rows) != 3 {
		t.Fatalf("search table: %s", out)
	}
	o.Reset()
	e.Reset()
	if code := run(context.Background(), []string{"patterns", "search", store, "--device=" + device, "--pattern=1,x"}, &o, &e); code != 1 || !strings.Contains(e.String(), `"x" is not a number`) {
		t.Fatalf("bad pattern: %d %s", code, e.String())
	}
}

func firstDevice(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tables.Decode[tables.Telemetry](data)
	if err != nil || len(rows) == 0 {
		t.Fatalf("read %s: %v", path, err)
	}
	return rows[0].Device
}
