package console

import (
	"errors"

	"github.com/netopsfn/netops/internal/function"
)

// Config is the console target's configuration (`netops run --target=console`).
type Config struct {
	Functions []string `flag:"console-functions" env:"CONSOLE_FUNCTIONS" default:"generator,preprocessor,model-server,labeled-stream,drift-detectors,drift-magnitude,project-runner" help:"functions the overview lists (their consumer lag and dead letters are read from NATS)"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if len(c.Functions) == 0 {
		return errors.New("console-functions: at least one")
	}
	return nil
}

// NewFunction builds the console as a deployable target: its pages and API on the target's port,
// reading the store and NATS. Function counters live in each function's own process there, so the
// overview shows lag and dead letters from NATS but no event rates (Prometheus has those).
func NewFunction(cfg Config, d function.Deps) (*function.Function, error) {
	c, err := New(Options{Store: d.Store, Bus: d.Bus, Functions: cfg.Functions, Log: d.Log})
	if err != nil {
		return nil, err
	}
	return &function.Function{Name: "console", Routes: c.Routes}, nil
}
