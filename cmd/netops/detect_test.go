package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/netopsfn/netops/functions/driftdetectors"
	"github.com/netopsfn/netops/internal/detect"
)

// detectVectors are scikit-multiflow 0.4.1's change indices on internal/detect/testdata (see its
// README), with the CLI arguments that select the detector.
var detectVectors = []struct {
	file    string
	args    []string
	changes []int
}{
	{"skm_drift_stream.txt", []string{"--method", "ph"}, []int{1013, 1335, 1505, 1758}},
	{"skm_drift_stream.txt", []string{"--method", "adwin", "--param", "delta=0.002"}, []int{1023, 1055, 1087, 1151}},
	{"skm_seed1_stream_A.txt", []string{"--method", "ddm"}, []int{103, 1060}},
	{"skm_seed1_stream_A.txt", []string{"--method", "eddm"}, []int{64, 1135}},
	{"skm_seed1_stream_A.txt", []string{"--method", "page_hinkley", "--param", "threshold=50", "--param", "delta=0.005"}, []int{1099}},
	{"skm_seed1_stream_A.txt", []string{"--method", "hddm_a"}, []int{1052}},
	{"skm_seed1_stream_A.txt", []string{"--method", "hddm_w"}, []int{1018}},
}

func vectorPath(name string) string {
	return filepath.Join("..", "..", "internal", "detect", "testdata", name)
}

// parseDetectOutput splits the JSON lines into warning and change indices.
func parseDetectOutput(t *testing.T, out string) (warnings, changes []int) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var v struct {
			Index *int   `json:"index"`
			Kind  string `json:"kind"`
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil || v.Index == nil {
			t.Fatalf("line %q: %v", line, err)
		}
		switch v.Kind {
		case "warning":
			warnings = append(warnings, *v.Index)
		case "change":
			changes = append(changes, *v.Index)
		default:
			t.Fatalf("line %q: kind %q", line, v.Kind)
		}
	}
	return warnings, changes
}

func TestDetectVectors(t *testing.T) {
	for _, v := range detectVectors {
		t.Run(strings.Join(v.args, " ")+"/"+v.file, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"detect", "--input", vectorPath(v.file)}, v.args...)
			if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			warnings, changes := parseDetectOutput(t, stdout.String())
			if !slices.Equal(changes, v.changes) {
				t.Errorf("changes = %v, want %v", changes, v.changes)
			}
			// Warnings have no published vector: they must be the library's.
			kind := map[string]string{"ph": detect.KindPageHinkley, "page_hinkley": detect.KindPageHinkley}[v.args[1]]
			if kind == "" {
				kind = v.args[1]
			}
			cfg := detect.Config{Kind: kind}
			if kind == detect.KindPageHinkley && len(v.args) > 2 {
				cfg.Threshold, cfg.Delta = 50, 0.005
			}
			if kind == detect.KindADWIN {
				cfg.Delta = 0.002
			}
			d, err := detect.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			wantW, _, err := detect.Run(d, readValues(t, vectorPath(v.file)))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(warnings, wantW) {
				t.Errorf("warnings = %v, want %v", warnings, wantW)
			}
		})
	}
}

func readValues(t *testing.T, path string) []float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var xs []float64
	for _, l := range strings.Fields(string(data)) {
		x, err := strconv.ParseFloat(l, 64)
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	return xs
}

// TestDetectStdin reads the values from stdin (the default input) with a parameter changed.
func TestDetectStdin(t *testing.T) {
	d, err := detect.New(detect.Config{Kind: detect.KindPageHinkley, Threshold: 1, MinInstances: 3})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := detectStream(context.Background(), d, strings.NewReader("0\n0\n\n0\n5\n0\n"), "-", &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "{\"index\": 3, \"kind\": \"change\"}\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

// TestDetectErrors: bad flags, parameters and values fail with a message naming the parameter or
// the line, and exit 1.
func TestDetectErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := file("ok.txt", "0\n1\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--input", ok}, "method: required"},
		{[]string{"--method", "kswin", "--input", ok}, `method: unknown detector "kswin"`},
		{[]string{"--method", "ph", "--param", "threshold=abc", "--input", ok}, `param threshold: "abc" is not a number`},
		{[]string{"--method", "ph", "--param", "threshold", "--input", ok}, `param "threshold": want name=value`},
		{[]string{"--method", "ph", "--param", "treshold=3", "--input", ok}, `unknown parameter "treshold"`},
		{[]string{"--method", "ph", "--param", "warning_level=3", "--input", ok}, "param warning_level: not used by page_hinkley"},
		{[]string{"--method", "adwin", "--param", "delta=1.5", "--input", ok}, "param delta: must be in (0, 1)"},
		{[]string{"--method", "ddm", "--param", "min_instances=x", "--input", ok}, `param min_instances: "x" is not an integer`},
		{[]string{"--method", "ddm", "--input", file("bad.txt", "0\n1\n\nzero\n")}, `bad.txt line 4: "zero" is not a number`},
		{[]string{"--method", "ddm", "--input", file("two.txt", "0\n2\n")}, "two.txt line 2: detect: invalid input: ddm takes 0 or 1, got 2"},
		{[]string{"--method", "adwin", "--input", file("nan.txt", "1\nNaN\n")}, "nan.txt line 2: detect: invalid input"},
		{[]string{"--method", "ddm", "--input", filepath.Join(dir, "missing.txt")}, "input: open"},
		{[]string{"--method", "ddm", "--input", ok, "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"detect"}, tt.args...), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 naming %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}

func TestDetectHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"detect", "--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, s := range []string{"--method", "--param", "--input", "NETOPS_DETECT_METHOD"} {
		if !strings.Contains(stdout.String(), strings.TrimPrefix(s, "-")) {
			t.Errorf("help lacks %s:\n%s", s, stdout.String())
		}
	}
}

// FuzzDetectStream: any input gives JSON lines or an error naming a line, never a panic.
func FuzzDetectStream(f *testing.F) {
	f.Add("ddm", "0\n1\n1\n0\n")
	f.Add("adwin", "1e308\n-1e308\n3\n")
	f.Add("hddm_w", "0.5\n\n1\nInf\n")
	f.Fuzz(func(t *testing.T, method, input string) {
		kind, err := driftdetectors.Kind(method)
		if err != nil {
			return
		}
		d, err := detect.New(detect.Config{Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err = detectStream(context.Background(), d, strings.NewReader(input), "in", &out)
		if err != nil && !strings.Contains(err.Error(), "in line ") {
			t.Errorf("error %v names no line", err)
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			if line != "" && !json.Valid([]byte(line)) {
				t.Errorf("invalid JSON line %q", line)
			}
		}
	})
}
