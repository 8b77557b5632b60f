package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/testenv"
)

// TestTarget: the console as its own deployable target serves its pages and API.
func TestTarget(t *testing.T) {
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Functions: []string{"generator", "model-server"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (&Config{}).Validate(); err == nil {
		t.Fatal("empty function list accepted")
	}
	fn, err := NewFunction(cfg, function.Deps{Store: store, Bus: testenv.Bus(t)})
	if err != nil {
		t.Fatal(err)
	}
	if fn.Name != "console" || fn.Handle != nil || len(fn.Consumes) != 0 {
		t.Fatalf("function %+v", fn)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]string{"/api/console/overview": "model-server", "/console/": "<html"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d, want %q in %.200s", path, resp.StatusCode, want, body)
		}
	}
}
