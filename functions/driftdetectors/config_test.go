package driftdetectors

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/detect"
)

func TestConfigDefaults(t *testing.T) {
	c := testConfig(t)
	want := []detect.Config{{Kind: "ddm"}, {Kind: "eddm"}, {Kind: "page_hinkley", Threshold: 10}, {Kind: "adwin"}}
	got := c.plan.forModel("anything")
	if len(got) != len(want) {
		t.Fatalf("detectors %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("detector %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if !c.Warmup || c.History != 256 || c.StateBucket != "drift-detectors-state" {
		t.Errorf("defaults %+v", c)
	}
}

func TestConfigParams(t *testing.T) {
	// The model's own value wins whatever the order.
	c := testConfig(t, "--params=netops.ph.threshold=20,ph.threshold=30,ddm.warning_level=2.5,netops.ddm.out_control_level=4")
	ph := func(m string) detect.Config { return c.plan.forModel(m)[2] }
	ddm := func(m string) detect.Config { return c.plan.forModel(m)[0] }
	if ph("netops").Threshold != 20 || ph("other").Threshold != 30 {
		t.Errorf("ph thresholds: netops %v, other %v; want 20, 30", ph("netops").Threshold, ph("other").Threshold)
	}
	if ddm("netops").WarningLevel != 2.5 || ddm("netops").OutControlLevel != 4 || ddm("other").OutControlLevel != 0 {
		t.Errorf("ddm: netops %+v, other %+v", ddm("netops"), ddm("other"))
	}
}

func TestConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "detectors.yaml")
	if err := os.WriteFile(path, []byte("models:\n  netops:\n    - {kind: ddm, warning_level: 2.5, out_control_level: 3.5}\n    - {kind: ph, threshold: 20}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, "--detectors-file="+path)
	got := c.plan.forModel("netops")
	if len(got) != 2 || got[0] != (detect.Config{Kind: "ddm", WarningLevel: 2.5, OutControlLevel: 3.5}) || got[1] != (detect.Config{Kind: "page_hinkley", Threshold: 20}) {
		t.Errorf("netops detectors %+v", got)
	}
	if len(c.plan.forModel("other")) != 4 {
		t.Errorf("other model: %+v, want the 4 defaults", c.plan.forModel("other"))
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	n := 0
	file := func(s string) string {
		n++
		p := filepath.Join(dir, fmt.Sprint(n, ".yaml"))
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--detectors=ddm,kswin"}, `detectors: unknown detector "kswin"`},
		{[]string{"--detectors=ddm,ddm"}, "detectors: ddm listed twice"},
		{[]string{"--detectors="}, "detectors: at least one"},
		{[]string{"--params=ph.threshold"}, `params: "ph.threshold": want`},
		{[]string{"--params=ph.threshold=abc"}, `threshold: "abc" is not a number`},
		{[]string{"--params=ph.thresh=1"}, `unknown parameter "thresh"`},
		{[]string{"--params=ddm.threshold=1"}, "threshold: not used by ddm"},
		{[]string{"--params=ph.threshold=-1"}, "threshold: must be"},
		{[]string{"--params=hddm_a.lambda=0.1"}, "detector hddm_a is not in detectors"},
		{[]string{"--params=Bad.ddm.warning_level=1"}, `invalid name "Bad"`},
		{[]string{"--params=a.b.c.d=1"}, "want [<model>.]"},
		{[]string{"--applied-history=0"}, "applied-history: 0"},
		{[]string{"--state-bucket=a.b"}, "state-bucket"},
		{[]string{"--detectors-file=/nonexistent/x.yaml"}, "detectors-file:"},
		{[]string{"--detectors-file=" + file("models:\n  netops:\n    - {kind: ddm, treshold: 2}\n")}, "field treshold not found"},
		{[]string{"--detectors-file=" + file("models:\n  netops:\n    - {kind: adwin, delta: 2}\n")}, "netops: adwin: detect config: delta"},
		{[]string{"--detectors-file=" + file("models:\n  netops: []\n")}, "no detectors"},
		{[]string{"--detectors-file=" + file("models:\n  netops: [{kind: ph}]\n"), "--params=netops.ph.threshold=1"}, "model netops is configured in detectors-file"},
	}
	for _, tt := range tests {
		var c Config
		err := config.Parse(newFlagSet(), &c, tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}
