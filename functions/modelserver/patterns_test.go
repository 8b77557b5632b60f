package modelserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
)

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// fixture writes 6 hours of telemetry for 5 devices in hourly partitions. Device 0's
// cpu_utilization is a noisy periodic signal (period 24 ticks) with an anomaly planted at ticks
// 2000..2049 (a faster oscillation) that a discord search must find.
func fixture(t *testing.T) (blob.Store, string, []float64) {
	t.Helper()
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := sim.DefaultConfig()
	cfg.Deployment.Device.NumItems = 5
	f, err := sim.NewFleet(cfg, 3, t0)
	if err != nil {
		t.Fatal(err)
	}
	device := f.Devices()[0].Device
	var cpu []float64
	tick := 0
	err = f.Run(t0.Add(6*time.Hour), 720, func(tel []tables.Telemetry, lab []tables.Label) error {
		for i := range tel {
			if tel[i].Device != device {
				continue
			}
			period := 24.0
			if tick >= 2000 && tick < 2050 {
				period = 7
			}
			tel[i].CPUUtilization = 50 + 20*math.Sin(2*math.Pi*float64(tick)/period) + tel[i].Latency/10

			cpu = append(cpu, tel[i].CPUUtilization)
			tick++
		}
		from := tel[0].Timestamp
		key := fmt.Sprintf("telemetry/date=%s/hour=%02d/x-%d.parquet", from.Format("2006-01-02"), from.Hour(), from.UnixMilli())
		return tables.Put(context.Background(), store, key, tel)
	})
	if err != nil {
		t.Fatal(err)
	}
	return store, device, cpu
}

func newServer(t *testing.T, store blob.Store) *httptest.Server {
	var cfg Config
	cfg.TelemetryPrefix, cfg.MaxPoints = "telemetry/", 1_000_000
	fn, err := New(cfg, function.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPatternRoutes(t *testing.T) {
	store, device, cpu := fixture(t)
	srv := newServer(t, store)
	all := fmt.Sprintf(`"from": %q, "to": %q`, t0.Format(time.RFC3339), t0.Add(6*time.Hour).Format(time.RFC3339))

	// The pattern is a stretch of the series itself, scaled and shifted: z-normalised distance 0.
	pattern := make([]float64, 30)
	for i := range pattern {
		pattern[i] = 3*cpu[1000+i] + 7
	}
	pj, _ := json.Marshal(pattern)
	code, body := post(t, srv.URL+"/patterns/search", fmt.Sprintf(`{"device": %q, "metric": "cpu_utilization", "pattern": %s, "k": 3, %s}`, device, pj, all))
	if code != 200 {
		t.Fatalf("search = %d %s", code, body)
	}
	var res PatternResult
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if res.Points != len(cpu) || len(res.Matches) != 3 || res.Matches[0].Index != 1000 || res.Matches[0].Distance > 1e-6 {
		t.Fatalf("search result %+v", res)
	}
	if want := t0.Add(1001 * 5 * time.Second); !res.Matches[0].Start.Equal(want) {
		t.Fatalf("start %v, want %v", res.Matches[0].Start, want)
	}
	for i := 1; i < 3; i++ {
		if d := res.Matches[i].Index - res.Matches[0].Index; d >= -8 && d <= 8 {
			t.Fatalf("match %d overlaps the first within the exclusion zone: %+v", i, res.Matches)
		}
		if res.Matches[i].Distance < res.Matches[i-1].Distance {
			t.Fatalf("matches not best first: %+v", res.Matches)
		}
	}

	code, body = post(t, srv.URL+"/patterns/discords", fmt.Sprintf(`{"device": %q, "metric": "cpu_utilization", "window": 50, "k": 2, %s}`, device, all))
	if code != 200 {
		t.Fatalf("discords = %d %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 2 || res.Matches[0].Index < 1950 || res.Matches[0].Index > 2050 || res.Matches[0].Neighbor == nil {
		t.Fatalf("top discord %+v, want it at the anomaly planted at 2000..2049", res.Matches)
	}

	code, body = post(t, srv.URL+"/v2/models/pattern-search/infer", fmt.Sprintf(`{"id": "q1", "inputs": [
		{"name": "pattern", "shape": [30], "datatype": "FP64", "data": %s},
		{"name": "device", "shape": [1], "datatype": "BYTES", "data": [%q]},
		{"name": "metric", "shape": [1], "datatype": "BYTES", "data": ["cpu_utilization"]},
		{"name": "k", "shape": [1], "datatype": "INT32", "data": [1]}]}`, pj, device))
	if code != 200 || !strings.Contains(body, `"name":"index","shape":[1],"datatype":"INT64","data":[1000]`) || !strings.Contains(body, `"id":"q1"`) {
		t.Fatalf("OIP infer = %d %s", code, body)
	}
}

func TestPatternBadInput(t *testing.T) {
	store, device, _ := fixture(t)
	srv := newServer(t, store)
	tests := []struct {
		path, body string
		code       int
		want       string
	}{
		{"/patterns/search", `{"device": "%s", "metric": "cpu_utilization", "pattern": []}`, 400, "pattern: required"},
		{"/patterns/search", `{"device": "%s", "metric": "cpu_utilization", "pattern": [1, 2, 1e999]}`, 400, "invalid JSON"},
		{"/patterns/search", `{"device": "%s", "metric": "cpu_utilization", "pattern": [1, 2, 3], "k": 0}`, 400, "k: 0"},
		{"/patterns/search", `{"device": "0000000000000", "metric": "cpu_utilization", "pattern": [1, 2, 3]}`, 404, "has no telemetry"},
		{"/patterns/search", `{"device": "%s", "metric": "temperature", "pattern": [1, 2, 3]}`, 400, "unknown metric"},
		{"/patterns/search", `{"device": "%s", "metric": "cpu_utilization", "pattern": [1, 2, 3], "colour": 1}`, 400, "unknown field"},
		{"/patterns/search", `{"metric": "cpu_utilization", "pattern": [1, 2, 3]}`, 400, "device: required"},
		{"/patterns/discords", `{"device": "%s", "metric": "latency", "window": 100000}`, 400, "longer than series"},
		{"/patterns/discords", `{"device": "%s", "metric": "latency", "window": 2}`, 400, "too short"},
		{"/v2/models/pattern-search/infer", `{"inputs": [{"name": "pattern", "datatype": "FP64", "shape": [1], "data": ["NaN"]}]}`, 400, "cannot unmarshal"},
		{"/v2/models/pattern-search/infer", `{"inputs": [{"name": "colour", "datatype": "FP64", "shape": [1], "data": [1]}]}`, 400, "unknown input"},
	}
	for _, tc := range tests {
		body := tc.body
		if strings.Contains(body, "%s") {
			body = fmt.Sprintf(body, device)
		}
		code, got := post(t, srv.URL+tc.path, body)
		if code != tc.code || !strings.Contains(got, tc.want) || !strings.Contains(got, `"error"`) {
			t.Errorf("POST %s %s = %d %s; want %d with %q", tc.path, body, code, got, tc.code, tc.want)
		}
	}
}
