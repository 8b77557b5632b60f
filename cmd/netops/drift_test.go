package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
)

// driftRows returns n labeled rows whose feature i ~ N(i, 1), cpu_utilization shifted by shift.
func driftRows(seed uint64, n int, shift float64) []features.LabeledRow {
	r := rand.New(rand.NewPCG(seed, 3))
	ts := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	out := make([]features.LabeledRow, n)
	v := make([]float64, features.NumFeatures)
	for i := range out {
		for j := range v {
			v[j] = float64(j) + r.NormFloat64()
		}
		v[0] += shift
		row, _ := features.FromVector(ts.Add(time.Duration(i)*time.Second), "dev", v)
		out[i] = features.LabeledRow{Row: row, Model: "netops", Version: 1, Probability: r.Float64()}
	}
	return out
}

func writeDriftFile(t *testing.T, path string, rows []features.LabeledRow) {
	t.Helper()
	data, err := tables.Encode(rows)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func runDrift(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"drift"}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestDriftParquetReference(t *testing.T) {
	dir := t.TempDir()
	ref, same, moved := filepath.Join(dir, "ref.parquet"), filepath.Join(dir, "cur-a.parquet"), filepath.Join(dir, "cur-b.parquet")
	writeDriftFile(t, ref, driftRows(1, 4000, 0))
	writeDriftFile(t, same, driftRows(2, 2000, 0))
	writeDriftFile(t, moved, driftRows(3, 2000, 5))

	out, errOut, code := runDrift(t, "--reference="+ref, "--current="+same)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"feature  ", "wasserstein", "cpu_utilization ", "country_G ", "prediction ", "tvd_mean ", "general drift ", ": NO_DRIFT"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "DRIFT_DETECTED") || strings.Contains(out, "NaN") {
		t.Errorf("stationary data drifted:\n%s", out)
	}

	// Both current files (a glob plus an argument) as JSON: cpu_utilization moved.
	out, errOut, code = runDrift(t, "--reference="+ref, "--json", "--current="+filepath.Join(dir, "cur-a.parquet"), moved)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Rows     int64                `json:"rows"`
		Status   drift.Status         `json:"status"`
		Compared int                  `json:"compared"`
		Features []drift.FeatureDrift `json:"features"`
		Pred     *drift.FeatureDrift  `json:"prediction"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Rows != 4000 || got.Compared != features.NumFeatures || got.Pred == nil || got.Features[0].Name != "cpu_utilization" {
		t.Fatalf("rows %d, compared %d, prediction %v, first %q", got.Rows, got.Compared, got.Pred != nil, got.Features[0].Name)
	}
	if cpu := got.Features[0]; cpu.Measures.TVD < 0.4 || cpu.Status == drift.StatusNoDrift || cpu.Actual.Count != 4000 {
		t.Errorf("cpu_utilization half shifted: %+v", cpu.Measures)
	}
	if lat := got.Features[1]; lat.Measures.TVD > 0.05 {
		t.Errorf("latency tvd %g", lat.Measures.TVD)
	}
}

func TestDriftModelReference(t *testing.T) {
	dir := t.TempDir()
	store, err := blob.NewFile(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	rows := driftRows(4, 3000, 0)
	card := &registry.Card{Name: "netops", Features: append(features.Names(), "not_referenced"), Reference: map[string]drift.Reference{}}
	cols := make([][]float64, features.NumFeatures)
	for i := range rows {
		for j, v := range rows[i].Vector() {
			cols[j] = append(cols[j], v)
		}
	}
	for j, name := range features.Names() {
		if card.Reference[name], err = drift.NewReference(cols[j]); err != nil {
			t.Fatal(err)
		}
	}
	card.Importances = map[string]float64{"cpu_utilization": 1}
	if _, err := registry.New(store).Register(context.Background(), card, []byte("{}"), nil); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(dir, "cur.parquet")
	writeDriftFile(t, cur, driftRows(5, 1000, 8))
	storeFlag := "--store=file://" + filepath.Join(dir, "store")
	for _, ref := range []string{"netops", "netops:1"} {
		out, errOut, code := runDrift(t, "--reference="+ref, "--current="+cur, storeFlag)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", ref, code, errOut)
		}
		if !strings.Contains(out, "importance-weighted drift 1.0000") || !strings.Contains(out, "not compared (no reference statistics): not_referenced") {
			t.Errorf("%s:\n%s", ref, out)
		}
		if line := lineOf(out, "cpu_utilization "); !strings.Contains(line, "DRIFT_DETECTED") || !strings.Contains(line, "1.0000") {
			t.Errorf("%s: cpu_utilization line %q", ref, line)
		}
		if strings.Contains(out, "prediction ") {
			t.Errorf("%s: a prediction row without a prediction reference", ref)
		}
		// One feature of 45 moved: MLRun's general verdict stays NO_DRIFT, the window's is
		// raised by the drifted feature.
		if line := lineOf(out, "status "); !strings.Contains(out, ": NO_DRIFT (possible") ||
			!strings.HasPrefix(line, "status POSSIBLE_DRIFT: 1 feature(s) drifted by themselves: cpu_utilization") {
			t.Errorf("%s: status line %q in\n%s", ref, line, out)
		}
	}
	if out, errOut, code := runDrift(t, "--reference=netops", "--current="+cur, storeFlag, "--drifted-features=0"); code != 0 || strings.Contains(out, "drifted by themselves") {
		t.Errorf("--drifted-features=0: exit %d, %s\n%s", code, errOut, out)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--current=" + cur, storeFlag}},
		{[]string{"--reference=netops", storeFlag}},
		{[]string{"--reference=netops", "--current=" + filepath.Join(dir, "none-*.parquet"), storeFlag}},
		{[]string{"--reference=other", "--current=" + cur, storeFlag}},
		{[]string{"--reference=netops:9", "--current=" + cur, storeFlag}},
		{[]string{"--reference=netops", "--current=" + cur, "--possible=0.9", "--detected=0.2", storeFlag}},
		{[]string{"--reference=netops", "--current=" + cur, "--wasserstein=-1", storeFlag}},
		{[]string{"--reference=netops", "--current=" + cur, "--drifted-features=-2", storeFlag}},
		{[]string{"--reference=" + filepath.Join(dir, "store", "models", "netops", "v1", "card.json"), "--current=" + cur}},
	} {
		if out, errOut, code := runDrift(t, tc.args...); code != 1 || errOut == "" {
			t.Errorf("%v: exit %d, %q %q", tc.args, code, out, errOut)
		}
	}
}

func lineOf(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
