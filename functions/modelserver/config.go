package modelserver

import (
	"errors"
	"fmt"
	"time"

	"github.com/netopsfn/netops/internal/registry"
)

// Config is the model server's configuration.
type Config struct {
	Models          []string      `flag:"models" env:"SERVE_MODELS" default:"netops" help:"registry models to serve (every version an alias points at is loaded)"`
	Alias           string        `flag:"alias" env:"SERVE_ALIAS" default:"champion" help:"the alias whose version answers the requests the canary does not take"`
	CanaryAlias     string        `flag:"canary-alias" env:"SERVE_CANARY_ALIAS" default:"canary" help:"the alias whose version answers canary-traffic percent of the requests"`
	CanaryTraffic   int           `flag:"canary-traffic" env:"SERVE_CANARY_TRAFFIC" default:"10" help:"percent of requests the canary answers (0..100) unless a model.deployed event for the canary alias gives its traffic"`
	ShadowAlias     string        `flag:"shadow-alias" env:"SERVE_SHADOW_ALIAS" default:"shadow" help:"the alias whose version scores a copy of every routed request without answering (results to monitoring only)"`
	Sticky          bool          `flag:"sticky" env:"SERVE_STICKY" default:"false" help:"route by a hash of the device id (else the request id, else the body) so a device always gets the same version; a request can also ask with parameters.sticky"`
	MaxBody         int64         `flag:"max-body" env:"SERVE_MAX_BODY" default:"4194304" help:"largest inference request body in bytes (larger: 413)"`
	OnlineBucket    string        `flag:"online-bucket" env:"ONLINE_BUCKET" default:"online-features" help:"KV bucket of the online feature vectors, for device-id requests"`
	DevicesKey      string        `flag:"devices-key" env:"DEVICES_KEY" default:"devices/devices.parquet" help:"object key of the device table: a device id in it without online features is imputed, one in neither is unknown (404)"`
	Monitor         bool          `flag:"monitor" env:"SERVE_MONITOR" default:"true" help:"write every request to the serving log (Parquet under monitor-prefix, notices on netops.serving.<model>)"`
	MonitorPrefix   string        `flag:"monitor-prefix" env:"SERVE_MONITOR_PREFIX" default:"serving" help:"table the serving log is written to: <prefix>/model=<m>/date=…/hour=…/<id>.parquet"`
	MonitorRows     int           `flag:"monitor-rows" env:"SERVE_MONITOR_ROWS" default:"10000" help:"requests per serving-log object at most"`
	MonitorInterval time.Duration `flag:"monitor-interval" env:"SERVE_MONITOR_INTERVAL" default:"10s" help:"longest time a request waits in memory before its serving-log object is written"`
	ReloadEvery     time.Duration `flag:"reload-interval" env:"SERVE_RELOAD_INTERVAL" default:"30s" help:"how often the registry's aliases are re-read, so an alias moved without a model.deployed event (netops models promote) is served too; 0 turns it off"`
	MonitorBuffer   int           `flag:"monitor-buffer" env:"SERVE_MONITOR_BUFFER" default:"65536" help:"monitoring records held between the request path and the writer; beyond it records are dropped and counted"`
	EndpointEvery   time.Duration `flag:"endpoint-interval" env:"SERVE_ENDPOINT_INTERVAL" default:"5s" help:"how often the model endpoint records (KV model-endpoints) are updated"`
	TelemetryPrefix string        `flag:"telemetry-prefix" env:"TELEMETRY_PREFIX" default:"telemetry/" help:"key prefix of the telemetry the pattern routes search"`
	MaxPoints       int           `flag:"max-points" env:"MAX_POINTS" default:"1000000" help:"longest series a pattern request may load"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Models) == 0 {
		errs = append(errs, errors.New("models: at least one model to serve"))
	}
	for _, m := range c.Models {
		if err := registry.ValidName(m); err != nil {
			errs = append(errs, fmt.Errorf("models: %w", err))
		}
	}
	if c.Alias == "" {
		errs = append(errs, errors.New("alias: required"))
	}
	if c.CanaryAlias == c.Alias || c.ShadowAlias == c.Alias || c.CanaryAlias != "" && c.CanaryAlias == c.ShadowAlias {
		errs = append(errs, fmt.Errorf("alias, canary-alias, shadow-alias: %q, %q, %q must differ", c.Alias, c.CanaryAlias, c.ShadowAlias))
	}
	if c.CanaryTraffic < 0 || c.CanaryTraffic > 100 {
		errs = append(errs, fmt.Errorf("canary-traffic: %d, want 0..100", c.CanaryTraffic))
	}
	if c.MaxBody < 1024 {
		errs = append(errs, fmt.Errorf("max-body: %d, want >= 1024", c.MaxBody))
	}
	if c.MonitorPrefix == "" {
		errs = append(errs, errors.New("monitor-prefix: required"))
	}
	if c.MonitorRows < 1 {
		errs = append(errs, fmt.Errorf("monitor-rows: %d, want >= 1", c.MonitorRows))
	}
	if c.MonitorInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("monitor-interval: %s, want >= 100ms", c.MonitorInterval))
	}
	if c.MonitorBuffer < 1 {
		errs = append(errs, fmt.Errorf("monitor-buffer: %d, want >= 1", c.MonitorBuffer))
	}
	if c.ReloadEvery < 0 {
		errs = append(errs, fmt.Errorf("reload-interval: %s is negative", c.ReloadEvery))
	}
	if c.EndpointEvery < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("endpoint-interval: %s, want >= 100ms", c.EndpointEvery))
	}
	if c.TelemetryPrefix == "" {
		errs = append(errs, errors.New("telemetry-prefix: required"))
	}
	if c.MaxPoints < 10 {
		errs = append(errs, fmt.Errorf("max-points: %d, want >= 10", c.MaxPoints))
	}
	return errors.Join(errs...)
}

// withDefaults fills the fields a configuration built in code (not from flags) left zero.
func (c Config) withDefaults() Config {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	if len(c.Models) == 0 {
		c.Models = []string{"netops"}
	}
	def(&c.Alias, "champion")
	def(&c.CanaryAlias, "canary")
	def(&c.ShadowAlias, "shadow")
	def(&c.OnlineBucket, "online-features")
	def(&c.DevicesKey, "devices/devices.parquet")
	def(&c.MonitorPrefix, "serving")
	if c.MaxBody == 0 {
		c.MaxBody = 4 << 20
	}
	if c.MonitorRows == 0 {
		c.MonitorRows = 10000
	}
	if c.MonitorInterval == 0 {
		c.MonitorInterval = 10 * time.Second
	}
	if c.MonitorBuffer == 0 {
		c.MonitorBuffer = 65536
	}
	if c.EndpointEvery == 0 {
		c.EndpointEvery = 5 * time.Second
	}
	return c
}
