package generator

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/tables"
	"github.com/netopsfn/netops/internal/testenv"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func testConfig(t testing.TB, devices int) Config {
	var c Config
	if err := config.Defaults(&c); err != nil {
		t.Fatal(err)
	}
	c.Devices = devices
	c.Start = t0.Format(time.RFC3339)
	c.TicksPerBatch = 10
	return c
}

func readAll[T any](t *testing.T, s blob.Store, prefix string) (rows []T, keys []string) {
	t.Helper()
	infos, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		r, err := tables.Get[T](context.Background(), s, in.Key)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r...)
		keys = append(keys, in.Key)
	}
	return rows, keys
}

func TestBackfill(t *testing.T) {
	dirs := [2]string{t.TempDir(), t.TempDir()}
	var out bytes.Buffer
	for i, dir := range dirs {
		s, _ := blob.NewFile(dir)
		res, err := Backfill{Config: testConfig(t, 50), From: t0, To: t0.Add(6 * time.Hour), Progress: &out}.Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if res.Ticks != 4320 || res.Rows != 4320*50 || res.Batches != 6 || !res.From.Equal(t0.Add(5*time.Second)) || !res.To.Equal(t0.Add(6*time.Hour)) {
			t.Fatalf("run %d: %+v", i, res)
		}
	}
	if !strings.Contains(out.String(), "100%") {
		t.Errorf("no progress bar: %q", out.String())
	}
	a, _ := blob.NewFile(dirs[0])
	b, _ := blob.NewFile(dirs[1])
	ia, _ := a.List(context.Background(), "")
	ib, _ := b.List(context.Background(), "")
	if len(ia) != 13 || len(ia) != len(ib) {
		t.Fatalf("%d and %d objects, want 13 (6 hours × telemetry+labels, and the device table)", len(ia), len(ib))
	}
	for i := range ia {
		da, _ := blob.GetBytes(context.Background(), a, ia[i].Key)
		db, _ := blob.GetBytes(context.Background(), b, ib[i].Key)
		if ia[i].Key != ib[i].Key || !bytes.Equal(da, db) {
			t.Fatalf("same seed gave different objects: %s vs %s", ia[i].Key, ib[i].Key)
		}
	}
	tel, keys := readAll[tables.Telemetry](t, a, "telemetry/")
	if len(tel) != 4320*50 || !strings.HasPrefix(keys[0], "telemetry/date=2026-11-22/hour=00/") || !strings.HasPrefix(keys[5], "telemetry/date=2026-11-22/hour=05/") {
		t.Fatalf("%d rows in %v", len(tel), keys)
	}
	lab, _ := readAll[tables.Label](t, a, "labels/")
	pos := 0
	for i, l := range lab {
		if l.Device != tel[i].Device || !l.Timestamp.Equal(tel[i].Timestamp) {
			t.Fatalf("label %d does not line up with telemetry", i)
		}
		if l.IsError {
			pos++
		}
	}
	if rate := float64(pos) / float64(len(lab)); rate < 0.08 || rate > 0.12 {
		t.Errorf("label rate %.3f, want about 0.10", rate)
	}
	devs, err := tables.Get[tables.Device](context.Background(), a, DevicesKey)
	if err != nil || len(devs) != 50 {
		t.Fatalf("device table: %d rows, %v", len(devs), err)
	}
}

func TestBackfillRejectsBadRange(t *testing.T) {
	s, _ := blob.NewFile(t.TempDir())
	_, err := Backfill{Config: testConfig(t, 5), From: t0, To: t0}.Run(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "must be after") {
		t.Fatalf("err = %v", err)
	}
}

func newRuntime(t *testing.T, b *bus.Bus, s blob.Store) *function.Runtime {
	return &function.Runtime{
		Config: function.Config{Workers: 1, MaxDeliver: 3, AckWait: 5 * time.Second, BackoffBase: 50 * time.Millisecond, BackoffMax: time.Second, DrainTimeout: time.Second},
		Bus:    b, Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: function.NewMetrics(),
	}
}

// TestFunction drives the function over HTTP and CloudEvents, restarts it, and checks that the
// data equals one uninterrupted run and every batch was announced.
func TestFunction(t *testing.T) {
	b := testenv.Bus(t)
	s, _ := blob.NewFile(t.TempDir())
	announced := make(chan *nats.Msg, 1000)
	if _, err := b.NC.ChanSubscribe("netops.>", announced); err != nil {
		t.Fatal(err)
	}
	rt := newRuntime(t, b, s)
	fn, err := New(testConfig(t, 20), rt.Deps("generator"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt.Handler(fn))
	defer srv.Close()

	post := func(body string) (int, string) {
		resp, err := http.Post(srv.URL+"/generate", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(msg)
	}
	if code, body := post(`{"ticks": 15}`); code != 200 || !strings.Contains(body, `"rows":300`) || !strings.Contains(body, `"batches":2`) {
		t.Fatalf("POST /generate = %d %s", code, body)
	}
	for _, bad := range []string{`{"ticks": 0}`, `{"ticks": "many"}`, `{"tick": 5}`, ``, `{"ticks": 5000000}`} {
		if code, body := post(bad); code != 400 || !strings.Contains(body, "error") {
			t.Errorf("POST /generate %s = %d %s, want 400", bad, code, body)
		}
	}

	// A new process continues the fleet from its checkpoint; this time through a CloudEvent.
	rt2 := newRuntime(t, b, s)
	fn2, err := New(testConfig(t, 20), rt2.Deps("generator"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt2.Run(ctx, fn2) }()
	req, _ := events.New(events.GenerateRequest, "/test", "gen-1", &events.Generate{Ticks: 25})
	if err := b.Publish(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var tel, lab int
	for deadline := time.After(20 * time.Second); tel < 5 || lab < 5; {
		select {
		case m := <-announced:
			switch m.Subject {
			case "netops.telemetry.batch":
				tel++
			case "netops.labels.batch":
				lab++
			}
		case <-deadline:
			t.Fatalf("saw %d telemetry and %d labels batches, want 5 each", tel, lab)
		}
	}
	cancel()
	<-done

	got, _ := readAll[tables.Telemetry](t, s, "telemetry/")
	ref, _ := blob.NewFile(t.TempDir())
	if _, err := (Backfill{Config: testConfig(t, 20), From: t0, To: t0.Add(40 * 5 * time.Second)}).Run(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	want, _ := readAll[tables.Telemetry](t, ref, "telemetry/")
	if len(got) != 40*20 || len(got) != len(want) {
		t.Fatalf("%d rows after restart, want %d", len(got), len(want))
	}
	for i := range got {
		if !got[i].Timestamp.Equal(want[i].Timestamp) || got[i].Device != want[i].Device || got[i].CPUUtilization != want[i].CPUUtilization {
			t.Fatalf("row %d differs from an uninterrupted run: %+v vs %+v", i, got[i], want[i])
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Start = "yesterday" }, "start:"},
		{func(c *Config) { c.TicksPerBatch = 0 }, "ticks-per-batch"},
		{func(c *Config) { c.TicksPerSecond = -1 }, "ticks-per-second"},
		{func(c *Config) { c.SimConfig = "/nonexistent.yaml" }, "sim-config"},
		{func(c *Config) { c.Devices = -3 }, "devices"},
	} {
		c := testConfig(t, 5)
		tc.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// BenchmarkBackfill writes 7 days × 100 devices (12.1M rows) of telemetry and labels to a file
// store, the reference workload.
func BenchmarkBackfill(b *testing.B) {
	var rows int64
	for b.Loop() {
		s, _ := blob.NewFile(b.TempDir())
		res, err := Backfill{Config: testConfig(b, 100), From: t0, To: t0.Add(7 * 24 * time.Hour)}.Run(context.Background(), s)
		if err != nil {
			b.Fatal(err)
		}
		rows += res.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// TestTwoGenerators runs two generators of one fleet against the same KV: a stale one loses the
// compare-and-set, rewrites nothing different, and continues from the checkpoint on the next call.
func TestTwoGenerators(t *testing.T) {
	b := testenv.Bus(t)
	s, _ := blob.NewFile(t.TempDir())
	gen := func() *Generator {
		g, err := newGenerator(context.Background(), testConfig(t, 5), newRuntime(t, b, s).Deps("generator"))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	a, c := gen(), gen()
	ctx := context.Background()
	if _, err := a.Generate(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Generate(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Generate(ctx, 10); err == nil || !strings.Contains(err.Error(), "another generator") {
		t.Fatalf("stale generator saved: %v", err)
	}
	res, err := a.Generate(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(21 * 5 * time.Second); !res.From.Equal(want) {
		t.Fatalf("after reloading, the stale generator starts at %v, want %v", res.From, want)
	}
	got, _ := readAll[tables.Telemetry](t, s, "telemetry/")
	if len(got) != 30*5 {
		t.Fatalf("%d rows, want %d", len(got), 30*5)
	}
}
