// Package generator is the generator function: it simulates the device fleet (internal/sim) and
// writes a telemetry batch and a labels batch per group of ticks to the store, announcing them as
// telemetry.batch and labels.batch. Triggers: its clock (ticks per wall second, so a simulated day
// can pass in minutes), POST /generate {"ticks": N}, the generate.request CloudEvent, and the
// `netops generate` backfill, which writes history at full speed.
//
// The fleet state (random streams, episodes) is checkpointed in a NATS KV bucket after every batch
// with compare-and-set, so a restart continues the identical sequence. Batches are deterministic
// and their keys and event ids derive from the fleet and the tick range, so redoing a batch after a
// crash rewrites the same bytes and re-publishes ids the stream drops as duplicates.
package generator

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/netopsfn/netops/internal/sim"
)

// Config is the generator's configuration.
type Config struct {
	SimConfig      string  `flag:"sim-config" env:"SIM_CONFIG" default:"" help:"metrics-gen YAML config (default: the built-in config of SPEC §1)"`
	Seed           int64   `flag:"seed" env:"SEED" default:"1" help:"random seed: the same seed and config give byte-identical data"`
	Start          string  `flag:"start" env:"START" default:"" help:"simulated start time, RFC 3339 (default: when the fleet is first created, to the minute)"`
	Devices        int     `flag:"devices" env:"DEVICES" default:"0" help:"number of devices (0: the config's num_items)"`
	TicksPerBatch  int     `flag:"ticks-per-batch" env:"TICKS_PER_BATCH" default:"10" help:"ticks written per telemetry/labels batch"`
	TicksPerSecond float64 `flag:"ticks-per-second" env:"TICKS_PER_SECOND" default:"0" help:"clock: simulated ticks per wall-clock second (0: no clock; 0.2 is real time at 5s ticks)"`
	StateBucket    string  `flag:"state-bucket" env:"GENERATOR_BUCKET" default:"generator" help:"NATS KV bucket holding the fleet checkpoint"`
}

// Validate checks the configuration, including the simulator config it names.
func (c *Config) Validate() error {
	var errs []error
	if _, err := c.simConfig(); err != nil {
		errs = append(errs, err)
	}
	if c.Start != "" {
		if _, err := time.Parse(time.RFC3339, c.Start); err != nil {
			errs = append(errs, fmt.Errorf("start: %q is not an RFC 3339 time", c.Start))
		}
	}
	if c.Devices < 0 || c.Devices > sim.MaxDevices {
		errs = append(errs, fmt.Errorf("devices: %d, want 0..%d", c.Devices, sim.MaxDevices))
	}
	if c.TicksPerBatch < 1 || c.TicksPerBatch > 100_000 {
		errs = append(errs, fmt.Errorf("ticks-per-batch: %d, want 1..100000", c.TicksPerBatch))
	}
	if c.TicksPerSecond < 0 || c.TicksPerSecond > 10_000 {
		errs = append(errs, fmt.Errorf("ticks-per-second: %v, want 0..10000", c.TicksPerSecond))
	}
	if c.StateBucket == "" {
		errs = append(errs, errors.New("state-bucket: required"))
	}
	return errors.Join(errs...)
}

// simConfig loads the simulator config the flags describe.
func (c *Config) simConfig() (sim.Config, error) {
	cfg := sim.DefaultConfig()
	if c.SimConfig != "" {
		data, err := os.ReadFile(c.SimConfig)
		if err != nil {
			return cfg, fmt.Errorf("sim-config: %w", err)
		}
		if cfg, err = sim.ParseConfig(data); err != nil {
			return cfg, fmt.Errorf("sim-config %s: %w", c.SimConfig, err)
		}
	}
	if c.Devices > 0 {
		cfg.Deployment.Device.NumItems = c.Devices
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("sim-config: %w", err)
	}
	return cfg, nil
}
