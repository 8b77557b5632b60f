package preprocessor

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/function"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		want  string // error substring; empty for a valid configuration
		check func(c Config) bool
	}{
		{name: "defaults", check: func(c Config) bool {
			return c == Config{StateBucket: "preprocessor-state", OnlineBucket: "online-features", DevicesKey: "devices/devices.parquet", KVInFlight: 1024}
		}},
		{name: "flags", args: []string{"--state-bucket=s", "--online-bucket=o", "--devices-key=fleet/d.parquet", "--kv-in-flight=8"},
			check: func(c Config) bool { return c == Config{"s", "o", "fleet/d.parquet", 8} }},
		{name: "environment", env: map[string]string{"NETOPS_PREPROCESSOR_STATE_BUCKET": "s2", "NETOPS_ONLINE_BUCKET": "o2", "NETOPS_DEVICES_KEY": "x.parquet"},
			check: func(c Config) bool {
				return c.StateBucket == "s2" && c.OnlineBucket == "o2" && c.DevicesKey == "x.parquet"
			}},
		{name: "bad bucket", args: []string{"--state-bucket=a.b"}, want: `state-bucket: "a.b" is not a KV bucket name`},
		{name: "empty bucket", args: []string{"--online-bucket="}, want: `online-bucket: "" is not a KV bucket name`},
		{name: "same bucket", args: []string{"--state-bucket=x", "--online-bucket=x"}, want: `online-bucket: "x" is also the state-bucket`},
		{name: "bad key", args: []string{"--devices-key=../etc/passwd"}, want: "devices-key: invalid key"},
		{name: "in flight", args: []string{"--kv-in-flight=0"}, want: "kv-in-flight: 0, want 1..65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var c Config
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			err := config.Parse(fs, &c, tt.args)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("config %+v", c)
			}
		})
	}
}

// TestFlagsDoNotClash binds the runtime's flags and the preprocessor's on one flag set, as
// `netops run --target=preprocessor` does; a clash would panic.
func TestFlagsDoNotClash(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var rt function.Config
	var c Config
	if err := config.Bind(fs, &rt); err != nil {
		t.Fatal(err)
	}
	if err := config.Bind(fs, &c); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Config{StateBucket: "s"}, function.Deps{})
	if err == nil || !strings.Contains(err.Error(), "online-bucket") {
		t.Fatalf("error %v, want one naming online-bucket", err)
	}
}
