package sim

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/netopsfn/netops/internal/tables"
)

//go:embed default.yaml
var defaultYAML []byte

// Config is the simulator configuration: the metrics-gen YAML schema of SPEC §1 plus the
// label horizon and the scenarios.
type Config struct {
	// Errors sets how often error episodes start and how long they last.
	Errors Errors `yaml:"errors"`
	// Timestamps sets the tick interval.
	Timestamps Timestamps `yaml:"timestamps"`
	// Deployment sets the size of the initial fleet.
	Deployment Deployment `yaml:"deployment"`
	// Static sets how the static attributes of a device are drawn.
	Static Static `yaml:"static"`
	// Metrics configures the four telemetry metrics.
	Metrics Metrics `yaml:"metrics"`
	// LabelHorizon k labels a row positive when its device is in error at that tick or within the
	// next k ticks; 0 is the original labelling.
	LabelHorizon int `yaml:"label_horizon"`
	// Scenarios change the simulated world from a given time on.
	Scenarios []Scenario `yaml:"scenarios"`
}

// Errors configures error episodes.
type Errors struct {
	// LengthInTicks is the length L of an episode in ticks.
	LengthInTicks int `yaml:"length_in_ticks"`
	// RateInTicks r makes a device that is not in error enter one with probability 1/r per tick.
	RateInTicks int `yaml:"rate_in_ticks"`
}

// Timestamps configures the tick clock.
type Timestamps struct {
	// Interval is the time between ticks, such as 5s.
	Interval time.Duration `yaml:"interval"`
	// StochasticInterval is part of the metrics-gen schema, which ignores it; only false is accepted.
	StochasticInterval bool `yaml:"stochastic_interval"`
}

// Deployment configures the initial fleet.
type Deployment struct {
	// Device configures the device ids.
	Device Items `yaml:"device"`
}

// Items configures generated identifiers.
type Items struct {
	// Faker names the id generator; only "msisdn" (13-digit numeric strings) exists.
	Faker string `yaml:"faker"`
	// NumItems is how many ids to generate.
	NumItems int `yaml:"num_items"`
}

// Static configures the static attributes of a device.
type Static struct {
	// Models is the device model number, kind "range" with as_integer true.
	Models Attribute `yaml:"models"`
	// Country is the device country, kind "choice".
	Country Attribute `yaml:"country"`
}

// Attribute configures how one static attribute is drawn.
type Attribute struct {
	// Kind is "range" (uniform integer in [min_range, max_range)) or "choice" (uniform choice).
	Kind string `yaml:"kind"`
	// MinRange is the inclusive lower bound of a range attribute.
	MinRange int `yaml:"min_range"`
	// MaxRange is the exclusive upper bound of a range attribute.
	MaxRange int `yaml:"max_range"`
	// AsInteger must be true for a range attribute: the models column is an integer.
	AsInteger bool `yaml:"as_integer"`
	// Choices are the values of a choice attribute.
	Choices []string `yaml:"choices"`
}

// Metrics configures the four metrics, in the order of tables.Metrics.
type Metrics struct {
	// CPUUtilization configures cpu_utilization.
	CPUUtilization Metric `yaml:"cpu_utilization"`
	// Latency configures latency.
	Latency Metric `yaml:"latency"`
	// PacketLoss configures packet_loss.
	PacketLoss Metric `yaml:"packet_loss"`
	// Throughput configures throughput.
	Throughput Metric `yaml:"throughput"`
}

// list returns the metrics in the order of tables.Metrics.
func (m *Metrics) list() [4]*Metric {
	return [4]*Metric{&m.CPUUtilization, &m.Latency, &m.PacketLoss, &m.Throughput}
}

// Metric configures one metric.
type Metric struct {
	// Distribution is the distribution of a normal tick's value; only "normal" exists.
	Distribution string `yaml:"distribution"`
	// DistributionParams are the parameters of the distribution.
	DistributionParams Normal `yaml:"distribution_params"`
	// IsThresholdBelow makes the metric peak at its max during errors (true) or its min (false).
	IsThresholdBelow bool `yaml:"is_threshold_below"`
	// Validation bounds the metric's values.
	Validation Validation `yaml:"validation"`
}

// Normal is a normal distribution with additive normal noise: N(mu, sigma) + N(0, noise).
type Normal struct {
	// Mu is the mean.
	Mu float64 `yaml:"mu"`
	// Sigma is the standard deviation, > 0.
	Sigma float64 `yaml:"sigma"`
	// Noise is the standard deviation of the added noise, >= 0; 0 adds none.
	Noise float64 `yaml:"noise"`
}

// Validation holds a metric's bounds.
type Validation struct {
	// Metric bounds the emitted value.
	Metric Bounds `yaml:"metric"`
}

// Bounds is a closed interval [Min, Max]. Its ends are also the metric's peak values.
type Bounds struct {
	// Min is the lower bound.
	Min float64 `yaml:"min"`
	// Max is the upper bound.
	Max float64 `yaml:"max"`
	// Validate clips every value into [Min, Max].
	Validate bool `yaml:"validate"`
}

// DefaultConfig returns the default configuration of SPEC §1 (the embedded default.yaml): no
// scenarios and label horizon 0.
func DefaultConfig() Config {
	var c Config
	if err := decode(defaultYAML, &c); err != nil {
		panic("sim: embedded default.yaml: " + err.Error()) // a build defect, caught by the tests
	}
	return c
}

// ParseConfig decodes a YAML configuration on top of DefaultConfig and validates it. Decoding is
// strict: an unknown field is an error that names it.
func ParseConfig(data []byte) (Config, error) {
	c := DefaultConfig()
	if err := decode(data, &c); err != nil {
		return Config{}, fmt.Errorf("parse sim config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("invalid sim config: %w", err)
	}
	return c, nil
}

// decode decodes YAML into c, strictly. When the decoder fails, checkFields finds the field to
// blame, since the decoder's messages name only a line.
func decode(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) == nil {
		if ferr := checkFields(&root, c); ferr != nil {
			return ferr
		}
	}
	return err
}

// metricIndex returns the position of a metric name in tables.Metrics, or -1.
func metricIndex(name string) int {
	for i, m := range tables.Metrics {
		if m == name {
			return i
		}
	}
	return -1
}
