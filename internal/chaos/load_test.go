//go:build load

package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// TestLoad measures whether `netops up` keeps up with a fleet in real time (5-second ticks, one
// tick per batch): it runs the whole system for NETOPS_LOAD_MINUTES (default 3) with
// NETOPS_LOAD_DEVICES devices (default 1000) and reports the end-to-end lag of every tick — from
// its telemetry object being written to its labeled object being written — as percentiles, and
// the ticks that were generated but never labeled. Not part of CI:
//
//	NETOPS_LOAD_DEVICES=10000 go test -tags load -run TestLoad -v -timeout 60m ./internal/chaos/
func TestLoad(t *testing.T) {
	n := envInt(t, "NETOPS_LOAD_DEVICES", 1000)
	minutes := envInt(t, "NETOPS_LOAD_MINUTES", 3)
	ctx := context.Background()
	dir := t.TempDir()
	root, _ := filepath.Abs("../..")
	bin := filepath.Join(dir, "netops")
	build := exec.Command("go", "build", "-o", bin, "./cmd/netops")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	storeURL := "file://" + filepath.Join(dir, "data")
	// A champion trained on a small fleet, so `netops up` skips its bootstrap (which would
	// simulate hours of the whole fleet first).
	for _, args := range [][]string{
		{"generate", "--from=2026-11-22T00:00:00Z", "--to=2026-11-22T03:00:00Z", "--devices=10", "--seed=7"},
		{"features", "--out=training/bootstrap.parquet"},
		{"train", "--data=training/bootstrap.parquet", "--models=lr", "--budget=1", "--max-rows=5000", "--promote=champion"},
	} {
		cmd := exec.Command(bin, append(args, "--store="+storeURL)...)
		cmd.Env = baseEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("netops %v: %v\n%s", args, err, out)
		}
	}
	store, err := blob.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"telemetry/", "labels/", "training/"} {
		infos, _ := store.List(ctx, prefix)
		for _, in := range infos {
			_ = store.Delete(ctx, in.Key)
		}
	}

	port := freePort(t)
	up := &proc{name: "up", bin: bin, args: []string{"up", "--dir=" + dir, "--nats-listen=127.0.0.1:0", "--speed=0.2"},
		env: baseEnv(fmt.Sprintf("PORT=%d", port), fmt.Sprintf("NETOPS_DEVICES=%d", n), "NETOPS_TICKS_PER_BATCH=1",
			"NETOPS_POLICY_EVENTS=1000000", "NETOPS_POST_DRIFT_ROWS=100000000"),
		logPath: filepath.Join(dir, "up.log"), ready: httpReady(fmt.Sprintf("http://127.0.0.1:%d/readyz", port)), restartDelay: time.Second}
	up.supervise(t)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	if err := up.waitReady(wctx); err != nil {
		t.Fatalf("%v\n%s", err, up.tail(30))
	}
	cancel()
	time.Sleep(time.Duration(minutes) * time.Minute)
	up.stop(syscall.SIGTERM, time.Minute) // drains: in-flight batches finish, but the backlog stays

	written := func(prefix string, first func([]byte) (time.Time, error)) map[int64]time.Time {
		out := map[int64]time.Time{}
		infos, err := store.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			data, err := blob.GetBytes(ctx, store, in.Key)
			if err != nil {
				t.Fatal(err)
			}
			ts, err := first(data)
			if err != nil {
				t.Fatalf("%s: %v", in.Key, err)
			}
			if old, ok := out[ts.UnixMilli()]; !ok || in.Modified.Before(old) {
				out[ts.UnixMilli()] = in.Modified
			}
		}
		return out
	}
	tel := written("telemetry/", func(b []byte) (time.Time, error) {
		rows, err := tables.Decode[tables.Telemetry](b)
		if err != nil || len(rows) == 0 {
			return time.Time{}, fmt.Errorf("%d rows: %v", len(rows), err)
		}
		return rows[0].Timestamp, nil
	})
	lab := written("labeled/", func(b []byte) (time.Time, error) {
		rows, err := tables.Decode[features.LabeledRow](b)
		if err != nil || len(rows) == 0 {
			return time.Time{}, fmt.Errorf("%d rows: %v", len(rows), err)
		}
		return rows[0].Timestamp, nil
	})
	var lags []time.Duration
	unlabeled := 0
	for tick, w := range tel {
		l, ok := lab[tick]
		if !ok {
			unlabeled++
			continue
		}
		lags = append(lags, l.Sub(w))
	}
	slices.Sort(lags)
	t.Logf("load: %d devices for %d min at 5s ticks in real time: %d ticks generated (%d rows), %d labeled, %d not labeled when stopped; lag p50 %s p90 %s p99 %s max %s",
		n, minutes, len(tel), len(tel)*n, len(lags), unlabeled, pct(lags, 50), pct(lags, 90), pct(lags, 99), pct(lags, 100))
	if len(lags) == 0 || pct(lags, 99) > 5*time.Second || unlabeled > 2 {
		t.Errorf("does not keep up with %d devices in real time (p99 lag ≤ 5s, at most the last ticks unlabeled)", n)
	}
}

func envInt(t *testing.T, k string, def int) int {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return n
}
