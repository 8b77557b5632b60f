package modelserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/tables"
)

func quantile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[min(len(lat)-1, int(q*float64(len(lat))))]
}

// BenchmarkServing measures single-row OIP inference with a GBT champion over real HTTP, with the
// load generator in the same process, against a no-op handler under the same load: req/s of
// both, their ratio, and p99 latency at half the measured rate. b.N is ignored beyond running
// the measurement once per iteration; use -benchtime=1x.
func BenchmarkServing(b *testing.B) {
	store, _ := blob.NewFile(b.TempDir())
	register(b, store, models.KindBoosted, 1, "champion")
	cfg := servingConfig()
	cfg.MonitorInterval = time.Second
	ts := start(b, cfg, function.Deps{Store: store}, true)
	noop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer noop.Close()
	conns, d := 32, 3*time.Second
	load := func(srv *httptest.Server, path string, d time.Duration, rate float64) (float64, int64, []time.Duration) {
		perSec, failed, lat, err := rawLoad(srv.Listener.Addr().String(), path, oneRow, conns, d, rate)
		if err != nil {
			b.Fatal(err)
		}
		return perSec, failed, lat
	}
	for b.Loop() {
		load(ts.srv, "/v2/models/netops/infer", 300*time.Millisecond, 0) // warm up
		ours, failed, _ := load(ts.srv, "/v2/models/netops/infer", d, 0)
		base, _, _ := load(noop, "/", d, 0)
		_, failedHalf, lat := load(ts.srv, "/v2/models/netops/infer", d, ours/2)
		if failed+failedHalf > 0 {
			b.Fatalf("%d requests failed", failed+failedHalf)
		}
		b.ReportMetric(ours, "req/s")
		b.ReportMetric(base, "noop-req/s")
		b.ReportMetric(100*ours/base, "%-of-noop")
		b.ReportMetric(float64(quantile(lat, 0.99).Microseconds())/1000, "p99-ms@half")
		b.ReportMetric(float64(quantile(lat, 0.5).Microseconds())/1000, "p50-ms@half")
	}
}

// BenchmarkBatchScoring scores a features batch of 500,000 rows (Parquet in the store) with an
// LR or a GBT (100 trees of 31 leaves) champion into a predictions batch (Parquet out) and
// reports rows/s, end to end through the handler.
func BenchmarkBatchScoring(b *testing.B) {
	const n = 500_000
	rows := make([]features.Row, n)
	t0 := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	for i := range rows {
		rows[i].Timestamp, rows[i].Device = t0.Add(time.Duration(i/100)*5*time.Second), fmt.Sprintf("%013d", i%100)
		rows[i].CPUUtilization, rows[i].Latency, rows[i].PacketLoss, rows[i].Throughput = 50+float64(i%50), float64(i%5), float64(i%3)/2, 240+float64(i%20)
	}
	for _, kind := range []string{models.KindLogistic, models.KindBoosted} {
		b.Run(kind, func(b *testing.B) {
			store, _ := blob.NewFile(b.TempDir())
			register(b, store, kind, 1, "champion")
			ts := start(b, servingConfig(), function.Deps{Store: store}, false)
			ctx := context.Background()
			if err := tables.Put(ctx, store, "features/in.parquet", rows); err != nil {
				b.Fatal(err)
			}
			in, _ := events.New(events.FeaturesBatch, "/bench", "f1", &events.Batch{Key: "features/in.parquet", Rows: n, From: t0, To: rows[n-1].Timestamp, SchemaVersion: events.SchemaVersion})
			runtime.GC()
			start := time.Now()
			for b.Loop() {
				outs, err := ts.fn.Handle(ctx, in)
				if err != nil || len(outs) != 1 {
					b.Fatal(outs, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "rows/s")
		})
	}
}

// BenchmarkDecodeOIP is the request path without HTTP: decode, score, encode.
func BenchmarkDecodeOIP(b *testing.B) {
	store, _ := blob.NewFile(b.TempDir())
	register(b, store, models.KindBoosted, 1, "champion")
	ts := start(b, servingConfig(), function.Deps{Store: store}, false)
	mux := http.NewServeMux()
	ts.fn.Routes(mux)
	body := []byte(oneRow)
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v2/models/netops/infer", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}

// TestServeForLoad serves the model-server routes (GBT champion, monitoring on unless
// NETOPS_LOAD_MONITOR=false) on $NETOPS_LOAD_ADDR and a no-op handler on $NETOPS_NOOP_ADDR
// for $NETOPS_LOAD_FOR, for an external load generator such as wrk (see
// testdata/wrk-infer.lua) or TestLoadAt in another process. Skipped unless NETOPS_LOAD_ADDR
// is set.
func TestServeForLoad(t *testing.T) {
	addr := os.Getenv("NETOPS_LOAD_ADDR")
	if addr == "" {
		t.Skip("NETOPS_LOAD_ADDR not set")
	}
	d, err := time.ParseDuration(os.Getenv("NETOPS_LOAD_FOR"))
	if err != nil {
		d = time.Minute
	}
	store, _ := blob.NewFile(t.TempDir())
	register(t, store, models.KindBoosted, 1, "champion")
	cfg := servingConfig()
	cfg.Monitor = os.Getenv("NETOPS_LOAD_MONITOR") != "false"
	ts := start(t, cfg, function.Deps{Store: store}, true)
	mux := http.NewServeMux()
	ts.fn.Routes(mux)
	srv := &http.Server{Addr: addr, Handler: mux}
	go srv.ListenAndServe()
	defer srv.Close()
	if noop := os.Getenv("NETOPS_NOOP_ADDR"); noop != "" {
		ns := &http.Server{Addr: noop, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		})}
		go ns.ListenAndServe()
		defer ns.Close()
	}
	t.Logf("serving on %s for %s", addr, d)
	time.Sleep(d)
	t.Logf("served: %v requests", ts.metric(t, "model_infer_request_success", nil))
}

// TestLoadAt sends single-row OIP requests to $NETOPS_LOAD_URL at $NETOPS_LOAD_RATE requests/s
// for 10 s over $NETOPS_LOAD_CONNS connections (default 16) with rawLoad and logs the latency
// quantiles: the p99-at-half-rate measurement against a separately running server. Skipped
// unless NETOPS_LOAD_URL is set.
func TestLoadAt(t *testing.T) {
	target := os.Getenv("NETOPS_LOAD_URL")
	if target == "" {
		t.Skip("NETOPS_LOAD_URL not set")
	}
	var rate float64
	if _, err := fmt.Sscan(os.Getenv("NETOPS_LOAD_RATE"), &rate); err != nil || rate <= 0 {
		t.Fatal("NETOPS_LOAD_RATE: want requests per second")
	}
	conns := 16
	if v := os.Getenv("NETOPS_LOAD_CONNS"); v != "" {
		if _, err := fmt.Sscan(v, &conns); err != nil || conns < 1 {
			t.Fatal("NETOPS_LOAD_CONNS: want a positive number")
		}
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	perSec, failed, lat, err := rawLoad(u.Host, u.RequestURI(), oneRow, conns, 10*time.Second, rate)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.0f req/s offered %.0f over %d connections, %d failed; latency p50 %s p90 %s p99 %s p99.9 %s max %s", perSec, rate, conns, failed,
		quantile(lat, 0.5), quantile(lat, 0.9), quantile(lat, 0.99), quantile(lat, 0.999), quantile(lat, 1))
	if failed > 0 {
		t.Fatalf("%d requests failed", failed)
	}
}

// rawLoad is a load generator light enough to share two cores with the server it measures
// (net/http's client costs more CPU than the handler): conns keep-alive connections speaking
// hand-written HTTP/1.1 over TCP for d. With rate > 0 it is open loop: each connection sends its
// share of rate requests/s on a fixed schedule, and a request's latency counts from when it was
// due, not when it was sent, so a server that falls behind pays for the whole queue (no
// coordinated omission). With rate ≤ 0 it is closed loop: each connection sends its next request
// when the last is answered. A response other than 200 counts as failed.
func rawLoad(addr, path, body string, conns int, d time.Duration, rate float64) (perSec float64, failed int64, lat []time.Duration, err error) {
	req := []byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, addr, len(body), body))
	var interval time.Duration // 0: closed loop
	if rate > 0 {
		interval = time.Duration(float64(conns) / rate * float64(time.Second))
	}
	var n, bad atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	start := time.Now()
	for w := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, 0, nil, err
		}
		wg.Go(func() {
			defer c.Close()
			r := bufio.NewReaderSize(c, 4096)
			var mine []time.Duration
			end := start.Add(d)
			for due := start.Add(time.Duration(w) * interval / time.Duration(conns)); due.Before(end); due = due.Add(interval) {
				if interval == 0 {
					due = time.Now()
					if !due.Before(end) {
						break
					}
				}
				time.Sleep(time.Until(due))
				if _, err := c.Write(req); err != nil {
					errs <- err
					return
				}
				ok, err := readResponse(r)
				if err != nil {
					errs <- err
					return
				}
				mine = append(mine, time.Since(due))
				n.Add(1)
				if !ok {
					bad.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, nil, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), bad.Load(), lat, nil
}

// readResponse reads one HTTP/1.1 response with a Content-Length body and reports whether
// its status was 200.
func readResponse(r *bufio.Reader) (bool, error) {
	status, err := r.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	ok := bytes.HasPrefix(status, []byte("HTTP/1.1 200 "))
	length := -1
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, found := bytes.Cut(line, []byte(":")); found && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return false, fmt.Errorf("content-length %q: %w", v, err)
			}
		}
	}
	if length < 0 {
		return false, fmt.Errorf("response without content-length: %q", status)
	}
	_, err = r.Discard(length)
	return ok, err
}

// TestRawLoad checks the load generator against a server that counts what it receives: every
// request arrives whole, on schedule, and a non-200 answer counts as failed.
func TestRawLoad(t *testing.T) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != oneRow || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request body", http.StatusBadRequest)
			return
		}
		got.Add(1)
		if r.URL.Path == "/fail" {
			http.Error(w, "failing", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	for _, tc := range []struct {
		path   string
		failed bool
	}{{"/ok", false}, {"/fail", true}} {
		got.Store(0)
		perSec, failed, lat, err := rawLoad(u.Host, tc.path, oneRow, 4, 500*time.Millisecond, 400)
		if err != nil {
			t.Fatal(err)
		}
		// 400 req/s for 0.5 s: 200 requests, 50 a connection.
		if len(lat) != 200 || got.Load() != 200 || perSec < 300 || perSec > 450 {
			t.Errorf("%s: %d latencies, %d received, %.0f req/s; want 200, 200, about 400", tc.path, len(lat), got.Load(), perSec)
		}
		if want := map[bool]int64{false: 0, true: 200}[tc.failed]; failed != want {
			t.Errorf("%s: %d failed, want %d", tc.path, failed, want)
		}
	}
	// Closed loop (rate 0): as fast as the server answers, every request counted once.
	got.Store(0)
	perSec, failed, lat, err := rawLoad(u.Host, "/ok", oneRow, 4, 200*time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(lat) < 50 || int64(len(lat)) != got.Load() || failed != 0 || perSec <= 0 {
		t.Errorf("closed loop: %d latencies, %d received, %d failed, %.0f req/s", len(lat), got.Load(), failed, perSec)
	}
}
