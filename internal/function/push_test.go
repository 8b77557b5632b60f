package function_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cehttp "github.com/cloudevents/sdk-go/v2/binding"
	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	cenethttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/function"
)

func TestHTTP(t *testing.T) {
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, store)
	rt := h.runtime()
	srv := httptest.NewServer(rt.Handler(h.d.fn()))
	defer srv.Close()

	binary := func(e cloudevents.Event) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", nil)
		if err := cenethttp.WriteRequest(context.Background(), cehttp.ToMessage(&e), req); err != nil {
			t.Fatal(err)
		}
		return req
	}
	structured := func(e cloudevents.Event) *http.Request {
		body, _ := json.Marshal(e)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/cloudevents+json")
		return req
	}
	raw := func(ct, body string, hdr map[string]string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return req
	}

	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
		wantOut    int // rows of the expected output, 0 for none
		wantDLQ    string
	}{
		{"binary mode", binary(h.batch("in/http-bin.parquet", 3)), 200, `"handled"`, 3, ""},
		{"structured mode", structured(h.batch("in/http-struct.parquet", 2)), 200, `"handled"`, 2, ""},
		{"not a CloudEvent", raw("application/json", `{"hello":1}`, nil), 415, "not a CloudEvent", 0, ""},
		{"no content type", raw("", `x`, nil), 415, "(none)", 0, ""},
		{"batch mode", raw("application/cloudevents-batch+json", `[]`, nil), 415, "one event per request", 0, ""},
		{"malformed structured", raw("application/cloudevents+json", `{"specversion":"1.0",`, nil), 400, "malformed CloudEvent", 0, ""},
		{"missing id", raw("application/json", `{}`, map[string]string{"Ce-Specversion": "1.0", "Ce-Type": "io.netops.telemetry.batch", "Ce-Source": "/x"}), 400, "id", 0, ""},
		{"permanent error", binary(h.batch("in/http-bad.parquet", 1)), 422, "cpu_utilization is NaN", 0, "cpu_utilization is NaN"},
		{"retryable error", binary(h.batch("in/http-missing.parquet", 1)), 503, "in/http-missing.parquet", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
				t.Fatalf("got %d %s, want %d containing %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if tc.wantOut > 0 {
				h.checkOutput(recv(t, h.outs, "output"), tc.wantOut)
			}
			if tc.wantDLQ != "" {
				if r := recv(t, h.dlq, "dead letter").Header.Get(function.HeaderDLQReason); !strings.Contains(r, tc.wantDLQ) {
					t.Fatalf("dead-letter reason %q", r)
				}
			}
		})
	}
	quiet(t, h.outs, "output")
	quiet(t, h.dlq, "dead letter")

	for _, path := range []string{"/healthz", "/_/health", "/readyz", "/_/ready"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`netops_events_succeeded_total{function="doubler",type="io.netops.telemetry.batch"} 2`,
		`netops_events_dead_lettered_total{function="doubler",type="io.netops.telemetry.batch"} 1`,
		`netops_events_failed_total{function="doubler",type="io.netops.telemetry.batch"} 1`,
		`netops_handler_duration_seconds_count{function="doubler",type="io.netops.telemetry.batch"} 4`,
		`netops_events_in_flight{function="doubler"} 0`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	resp, err = http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET / = %d, want 405", resp.StatusCode)
	}
}
