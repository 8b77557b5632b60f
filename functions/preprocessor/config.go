package preprocessor

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/netopsfn/netops/internal/blob"
)

// Config is the preprocessor's own configuration; the runtime's (NATS, store, retries) is
// function.Config.
type Config struct {
	// StateBucket is the KV bucket of per-device window states (private to the preprocessor).
	StateBucket string `flag:"state-bucket" env:"PREPROCESSOR_STATE_BUCKET" default:"preprocessor-state" help:"KV bucket of each device's window state"`
	// OnlineBucket is the KV bucket of the latest feature vector per device, which the model
	// server reads; its env variable is shared with the model server on purpose.
	OnlineBucket string `flag:"online-bucket" env:"ONLINE_BUCKET" default:"online-features" help:"KV bucket of each device's latest feature vector (read by the model server)"`
	// DevicesKey is the object key of the static device table the generator writes.
	DevicesKey string `flag:"devices-key" env:"DEVICES_KEY" default:"devices/devices.parquet" help:"object key of the static device table (tables.Device rows)"`
	// KVInFlight bounds the KV reads, and the writes per bucket, a batch keeps in flight.
	KVInFlight int `flag:"kv-in-flight" env:"PREPROCESSOR_KV_IN_FLIGHT" default:"1024" help:"KV reads, and writes per bucket, in flight at once"`
}

// bucketName is what NATS accepts as a KV bucket name.
var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// Validate checks the configuration; each error names its flag.
func (c *Config) Validate() error {
	var errs []error
	for _, b := range []struct{ flag, v string }{{"state-bucket", c.StateBucket}, {"online-bucket", c.OnlineBucket}} {
		if !bucketName.MatchString(b.v) {
			errs = append(errs, fmt.Errorf("%s: %q is not a KV bucket name (letters, digits, - and _)", b.flag, b.v))
		}
	}
	if c.StateBucket == c.OnlineBucket {
		errs = append(errs, fmt.Errorf("online-bucket: %q is also the state-bucket", c.OnlineBucket))
	}
	if err := blob.ValidKey(c.DevicesKey); err != nil {
		errs = append(errs, fmt.Errorf("devices-key: %w", err))
	}
	if c.KVInFlight < 1 || c.KVInFlight > 65536 {
		errs = append(errs, fmt.Errorf("kv-in-flight: %d, want 1..65536", c.KVInFlight))
	}
	return errors.Join(errs...)
}
