package labeledstream

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Config is the labeled stream's own configuration; the runtime's (NATS, store, retries) is
// function.Config.
type Config struct {
	// Bucket is the KV bucket of the join state (private to the labeled stream).
	Bucket string `flag:"labeled-bucket" env:"LABELED_BUCKET" default:"labeled-stream" help:"KV bucket of the join state: label index, pending predictions batches, watermark, metric windows"`
	// Horizon is how much event time a predictions batch waits for missing labels.
	Horizon time.Duration `flag:"label-horizon" env:"LABELED_HORIZON" default:"10m" help:"event time a predictions batch waits for labels after its last row (measured on the labels' watermark); then unmatched rows are written unlabeled"`
	// MaxPending bounds the predictions batches waiting for labels.
	MaxPending int `flag:"max-pending" env:"LABELED_MAX_PENDING" default:"256" help:"predictions batches that may wait for labels at once; beyond it the oldest is written with the labels it has"`
	// WindowRows is the size of the sliding window of the endpoint's label-based metrics.
	WindowRows int `flag:"window-rows" env:"LABELED_WINDOW_ROWS" default:"1000" help:"most recent labeled rows per model version over which accuracy, precision, recall and F1 are computed"`
	// Retention is how long, in event time behind the watermark, the label index is kept.
	Retention time.Duration `flag:"label-retention" env:"LABELED_RETENTION" default:"24h" help:"event time behind the labels' watermark after which the label index of an hour is deleted (predictions older than that find no labels)"`
}

// Limits of the configuration: the pending list and a metric window are single KV values, which
// must stay well under NATS's 1 MiB default payload.
const (
	maxPendingLimit = 1000
	maxWindowRows   = 100_000
)

// bucketName is what NATS accepts as a KV bucket name.
var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// Validate checks the configuration; each error names its flag.
func (c *Config) Validate() error {
	var errs []error
	if !bucketName.MatchString(c.Bucket) {
		errs = append(errs, fmt.Errorf("labeled-bucket: %q is not a KV bucket name (letters, digits, - and _)", c.Bucket))
	}
	if c.Horizon < 0 {
		errs = append(errs, fmt.Errorf("label-horizon: %s is negative", c.Horizon))
	}
	if c.MaxPending < 1 || c.MaxPending > maxPendingLimit {
		errs = append(errs, fmt.Errorf("max-pending: %d, want 1..%d", c.MaxPending, maxPendingLimit))
	}
	if c.WindowRows < 1 || c.WindowRows > maxWindowRows {
		errs = append(errs, fmt.Errorf("window-rows: %d, want 1..%d", c.WindowRows, maxWindowRows))
	}
	if c.Retention < time.Hour || c.Retention < c.Horizon {
		errs = append(errs, errors.New("label-retention: "+c.Retention.String()+", want >= 1h and >= label-horizon"))
	}
	return errors.Join(errs...)
}
