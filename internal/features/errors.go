package features

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors for errors.Is. All of them mean bad input, never a transient failure: retrying
// the same data fails the same way.
var (
	// ErrOutOfOrder marks a row older than one already processed for the same stream.
	ErrOutOfOrder = errors.New("row out of order")
	// ErrInvalidValue marks a row with a NaN or infinite value or an unusable timestamp.
	ErrInvalidValue = errors.New("invalid value")
	// ErrBadState marks a state encoding that cannot be decoded.
	ErrBadState = errors.New("bad feature state encoding")
)

// OrderError reports a row older than the newest row already processed.
type OrderError struct {
	// Stream is what was out of order: "telemetry", "label" or "feature row".
	Stream string
	// Device is the row's device.
	Device string
	// Last is the newest timestamp already processed; Got is the offending row's.
	Last, Got time.Time
}

// Error implements error.
func (e *OrderError) Error() string {
	return fmt.Sprintf("%s row for device %q at %s is older than %s already processed",
		e.Stream, e.Device, e.Got.UTC().Format(time.RFC3339Nano), e.Last.UTC().Format(time.RFC3339Nano))
}

// Unwrap makes errors.Is(err, ErrOutOfOrder) true.
func (e *OrderError) Unwrap() error { return ErrOutOfOrder }

// ValueError reports a value the features cannot be computed from.
type ValueError struct {
	// Device and Timestamp identify the row.
	Device    string
	Timestamp time.Time
	// Column is the offending column, e.g. "latency" or "timestamp".
	Column string
	// Reason says what is wrong with it.
	Reason string
}

// Error implements error.
func (e *ValueError) Error() string {
	return fmt.Sprintf("telemetry row for device %q at %s: column %s: %s",
		e.Device, e.Timestamp.UTC().Format(time.RFC3339Nano), e.Column, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidValue) true.
func (e *ValueError) Unwrap() error { return ErrInvalidValue }
