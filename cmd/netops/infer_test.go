package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/netopsfn/netops/functions/modelserver"
	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/models"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
)

// inferServer runs the real model-server routes over a store holding an LR champion (v1) on the
// four raw metrics and a device table, and returns its URL and the model.
func inferServer(t *testing.T) (string, models.Classifier) {
	t.Helper()
	store, err := blob.NewFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"cpu_utilization", "latency", "packet_loss", "throughput"}
	r := rand.New(rand.NewPCG(3, 4))
	rows := make([][]float64, 2000)
	y := make([]bool, len(rows))
	for i := range rows {
		rows[i] = []float64{70 + 10*r.NormFloat64(), 5 * r.Float64(), 2 * r.Float64(), 250 + 20*r.NormFloat64()}
		y[i] = rows[i][0]+3*rows[i][1] > 80
	}
	ds, err := models.FromRows(names, rows, y)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.FitLogistic(ds, models.DefaultLogisticParams())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := models.Marshal(m)
	ctx := context.Background()
	reg := registry.New(store)
	v, err := reg.Register(ctx, &registry.Card{Name: "netops", Kind: m.Kind(), Features: names, Threshold: 0.5}, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.SetAlias(ctx, "netops", "champion", v); err != nil {
		t.Fatal(err)
	}
	if err := tables.Put(ctx, store, "devices/devices.parquet", []tables.Device{{Device: "0000000000001"}, {Device: "0000000000002"}}); err != nil {
		t.Fatal(err)
	}
	fn, err := modelserver.New(modelserver.Config{Models: []string{"netops"}, TelemetryPrefix: "telemetry/", MaxPoints: 1000}, function.Deps{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fn.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, m
}

func TestInfer(t *testing.T) {
	url, m := inferServer(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p0 := fmt.Sprintf("%.6f", m.PredictProba([]float64{78, 1, 1, 250}))
	p1 := fmt.Sprintf("%.6f", m.PredictProba([]float64{70, 3, 0.1, 260}))
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"rows", []string{"--rows", write("rows.json", `[[78, 1, 1, 250], [70, 3, 0.1, 260]]`)}, "",
			[]string{"model netops version 1", "0 " + p0, "1 " + p1}},
		{"records", []string{"--rows", write("records.json", `[{"throughput": 250, "latency": 1, "packet_loss": 1, "cpu_utilization": 78}]`), "--id=rec-1"}, "",
			[]string{"id rec-1", "0 " + p0}},
		{"request", []string{"--version=1", "--rows", write("req.json", `{"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [70, 3, 0.1, 260]}]}`)}, "",
			[]string{"version 1", "0 " + p1}},
		{"stdin", []string{"-"}, `[[78, 1, 1, 250]]`, []string{"0 " + p0}},
		{"devices", []string{"--device", "0000000000001", "--device=0000000000002", "--sticky"}, "",
			[]string{"2 rows imputed", "0000000000001 ", "0000000000002 "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inferStdin = strings.NewReader(tc.stdin)
			var out bytes.Buffer
			if err := cmdInfer(context.Background(), append([]string{"--url", url}, tc.args...), &out); err != nil {
				t.Fatal(err)
			}
			got := regexp.MustCompile(` +`).ReplaceAllString(out.String(), " ")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}

	var out bytes.Buffer
	if err := cmdInfer(context.Background(), []string{"--url", url, "--json", "--rows", write("j.json", `[[78, 1, 1, 250]]`)}, &out); err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Outputs []float64 `json:"outputs"`
	}
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil || len(resp.Outputs) != 1 || fmt.Sprintf("%.6f", resp.Outputs[0]) != p0 {
		t.Fatalf("--json: %v %s", err, out.String())
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--device", "0000000009999"}, `answered 404: inputs[0]: unknown device "0000000009999"`},
		{[]string{"--rows", write("short.json", `[[1, 2]]`)}, "answered 400: inputs[0]: 2 values, the model takes 4"},
		{[]string{"--model", "other", "--device", "1"}, `answered 404: model not loaded: "other"`},
		{[]string{"--version", "5", "--device", "1"}, `version "5" of model "netops"`},
		{[]string{}, "give either --device ids or --rows"},
		{[]string{"--device", "1", "--rows", "x.json"}, "give either --device ids or --rows"},
		{[]string{"--rows", write("bad.json", `{"x": 1}`)}, `must be a request with "inputs"`},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		var out bytes.Buffer
		err := cmdInfer(context.Background(), append([]string{"--url", url}, tc.args...), &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("netops infer %v: %v; want an error with %q", tc.args, err, tc.want)
		}
	}

	// Through the command table, as a user runs it.
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"infer", "--url", url, "--rows", write("r.json", `[[78, 1, 1, 250]]`)}, &o, &e); code != 0 ||
		!regexp.MustCompile(`(?m)^0\s+\d\.\d{6}\s+(true|false)$`).MatchString(o.String()) {
		t.Fatalf("netops infer = %d: %s %s", code, o.String(), e.String())
	}
}
