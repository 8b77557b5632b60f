package config

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Port int `flag:"port" env:"PORT" rawenv:"PORT" default:"8080" help:"HTTP port"`
}

type sample struct {
	inner
	Name    string        `flag:"name" env:"NAME" default:"gen" help:"name"`
	Rate    float64       `flag:"rate" env:"RATE" default:"1.5" help:"rate"`
	Wait    time.Duration `flag:"wait" env:"WAIT" default:"2s" help:"wait"`
	Verbose bool          `flag:"verbose" env:"VERBOSE" default:"false" help:"verbose"`
	Models  []string      `flag:"models" env:"MODELS" default:"a,b" help:"models"`
	Ignored string
}

func (s *sample) Validate() error {
	if s.Port < 1 || s.Port > 65535 {
		return errors.New("port: must be 1..65535")
	}
	return nil
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(*sample) bool
		wantErr string
	}{
		{"defaults", nil, nil, func(s *sample) bool {
			return s.Port == 8080 && s.Name == "gen" && s.Rate == 1.5 && s.Wait == 2*time.Second && !s.Verbose && strings.Join(s.Models, "|") == "a|b"
		}, ""},
		{"env overrides default", map[string]string{"NETOPS_PORT": "9000", "NETOPS_MODELS": "x, y", "NETOPS_VERBOSE": "true"}, nil,
			func(s *sample) bool { return s.Port == 9000 && strings.Join(s.Models, "|") == "x|y" && s.Verbose }, ""},
		{"flag overrides env", map[string]string{"NETOPS_PORT": "9000"}, []string{"--port=7000", "--wait=1m"},
			func(s *sample) bool { return s.Port == 7000 && s.Wait == time.Minute }, ""},
		{"raw env applies", map[string]string{"PORT": "9100"}, nil, func(s *sample) bool { return s.Port == 9100 }, ""},
		{"prefixed env wins over raw", map[string]string{"PORT": "9100", "NETOPS_PORT": "9200"}, nil, func(s *sample) bool { return s.Port == 9200 }, ""},
		{"bad env names variable", map[string]string{"NETOPS_RATE": "fast"}, nil, nil, "NETOPS_RATE"},
		{"bad flag", nil, []string{"--wait=soon"}, nil, "wait"},
		{"validation names field", nil, []string{"--port=0"}, nil, "port: must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var s sample
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			err := Parse(fs, &s, tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want mention of %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(&s) {
				t.Fatalf("unexpected config %+v", s)
			}
		})
	}
}

func TestHelpNamesEnv(t *testing.T) {
	var s sample
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	if err := Bind(fs, &s); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	for _, want := range []string{"NETOPS_PORT", "HTTP port", "-wait"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, b.String())
		}
	}
}
