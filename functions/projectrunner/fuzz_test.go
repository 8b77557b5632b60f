package projectrunner

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/runs"
	"github.com/netopsfn/netops/internal/testenv"
)

// FuzzTriggers sends arbitrary bodies and headers to the webhook and Alertmanager routes: every
// answer is a status with a JSON body, never a panic, and an unsigned webhook starts no run.
func FuzzTriggers(f *testing.F) {
	store, err := blob.NewFile(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	var cfg Config
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	if err := config.Bind(fs, &cfg); err != nil {
		f.Fatal(err)
	}
	if err := config.Load(fs, &cfg); err != nil {
		f.Fatal(err)
	}
	cfg.Secret = []byte("fuzz-secret")
	fn, err := New(cfg, function.Deps{Bus: testenv.Bus(f), Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	srv := httptest.NewServer(mux)
	f.Cleanup(srv.Close)

	f.Add("/webhook", []byte(`{"workflow":"train","params":{"budget":1}}`), "sha256=00", strconv.FormatInt(time.Now().Unix(), 10))
	f.Add("/webhook", []byte(`{"workflow":`), "", "")
	f.Add("/alertmanager", []byte(`{"version":"4","status":"resolved","alerts":[{"status":"resolved","labels":{"model":"netops"}}]}`), "", "")
	f.Add("/alertmanager", []byte(`{"version":"4","alerts":[{"status":"firing","labels":{"model":"other"},"startsAt":"2026-11-23T00:00:00Z"}]}`), "", "")
	f.Add("/alertmanager", []byte(`[1,2,3]`), "", "")
	f.Fuzz(func(t *testing.T, path string, body []byte, sig, ts string) {
		if path != "/webhook" {
			path = "/alertmanager"
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.Header.Set(SignatureHeader, sig)
		req.Header.Set(TimestampHeader, ts)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if strings.Contains(err.Error(), "invalid header") {
				t.Skip() // the client refuses to send it; no server sees such a request
			}
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var answer map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
			t.Fatalf("%s answered %d with a body that is not JSON: %v", path, resp.StatusCode, err)
		}
		if path == "/webhook" && resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("a webhook without a valid signature got %d: %v", resp.StatusCode, answer)
		}
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s answered %d: %v", path, resp.StatusCode, answer)
		}
	})
	// Runs the fuzzer may have started (a firing alert for the model) are recorded, not lost.
	if all, err := runs.List(f.Context(), store); err == nil {
		for _, r := range all {
			if r.Trigger.Kind == "webhook" {
				f.Fatalf("run %s started by an unsigned webhook", r.ID)
			}
		}
	}
}
