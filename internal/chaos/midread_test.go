//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/tables"
)

// TestStoreFailsMidRead is the MinIO outage made deterministic: the store goes away after an
// object was opened (stat'ed) and before its Parquet footer and pages are read — the window a
// 30-second outage hits whenever a handler is reading. That failure is the store's, not the
// object's: it must come back as a retryable error, or the runtime dead-letters the event on its
// first delivery (fault.IsPermanent) and the batch's downstream rows are never written.
func TestStoreFailsMidRead(t *testing.T) {
	minioBin := requireServers(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "minio"), 0o755); err != nil {
		t.Fatal(err)
	}
	user, pass := envOr("NETOPS_TEST_S3_ACCESS_KEY", "netops-chaos"), envOr("NETOPS_TEST_S3_SECRET_KEY", "netops-chaos-secret")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	minio := &proc{name: "minio", bin: minioBin, args: []string{"server", "--quiet", "--address", addr, filepath.Join(dir, "minio")},
		env:     baseEnv("MINIO_ROOT_USER="+user, "MINIO_ROOT_PASSWORD="+pass, "MINIO_BROWSER=off"),
		logPath: filepath.Join(dir, "minio.log"), ready: httpReady("http://" + addr + "/minio/health/ready"), restartDelay: time.Second}
	minio.supervise(t)
	defer minio.stop(syscall.SIGTERM, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := minio.waitReady(ctx); err != nil {
		t.Fatal(err)
	}

	// A proxy in front of MinIO that, once failing, drops every ranged GET (the reads after the
	// stat) by closing the connection, as a MinIO that just went down does.
	target, _ := url.Parse("http://" + addr)
	var failing atomic.Bool
	var dropped atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() && r.Header.Get("Range") != "" {
			dropped.Add(1)
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(w, "store down", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	t.Setenv("NETOPS_S3_ACCESS_KEY", user)
	t.Setenv("NETOPS_S3_SECRET_KEY", pass)
	storeURL := "s3://midread?endpoint=" + proxy.Listener.Addr().String()
	store, err := blob.Open(ctx, storeURL)
	for ; err != nil; store, err = blob.Open(ctx, storeURL) { // MinIO may still be initializing
		if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	const key = "telemetry/date=2026-11-22/hour=13/batch.parquet"
	ts := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	if err := tables.Put(ctx, store, key, []tables.Telemetry{{Timestamp: ts, Device: "0000000000001", CPUUtilization: 1}}); err != nil {
		t.Fatal(err)
	}

	// What tables.Get does (every function's read of its input), with the outage between the
	// open and the read.
	o, err := store.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	_, err = tables.ReadAll[tables.Telemetry](o, o.Size())
	o.Close()
	if err == nil {
		t.Fatalf("read succeeded with the store down (%d requests dropped)", dropped.Load())
	}
	t.Logf("read with the store down (%d ranged requests dropped): %v", dropped.Load(), err)
	if fault.IsPermanent(err) {
		t.Errorf("BUG: a store outage while reading a Parquet object is reported as a permanent error "+
			"(\"corrupt parquet\"), so the runtime dead-letters the event at once instead of retrying it: %v", err)
	}
	failing.Store(false)
	if _, err := tables.Get[tables.Telemetry](ctx, store, key); err != nil {
		t.Errorf("read after the store came back: %v", err)
	}
}
