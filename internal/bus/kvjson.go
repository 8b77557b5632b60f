package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// IsConflict reports whether a key-value write failed its compare-and-set (another writer got
// there first).
func IsConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// GetJSON reads a JSON value and its revision; found is false when the key does not exist.
func GetJSON[T any](ctx context.Context, kv jetstream.KeyValue, key string) (v T, rev uint64, found bool, err error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return v, 0, false, nil
	}
	if err != nil {
		return v, 0, false, fmt.Errorf("get %s/%s: %w", kv.Bucket(), key, err)
	}
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return v, 0, false, fmt.Errorf("get %s/%s: %w", kv.Bucket(), key, err)
	}
	return v, e.Revision(), true, nil
}

// UpdateJSON reads the JSON value under key (the zero value when absent), lets fn change it and
// writes it back with compare-and-set, retrying from a fresh read when another writer got there
// first. fn may run several times and must only change v. It returns the value written.
func UpdateJSON[T any](ctx context.Context, kv jetstream.KeyValue, key string, fn func(v *T, found bool) error) (T, error) {
	const attempts = 50
	var zero T
	for range attempts {
		v, rev, found, err := GetJSON[T](ctx, kv, key)
		if err != nil {
			return zero, err
		}
		if err := fn(&v, found); err != nil {
			return zero, err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return zero, fmt.Errorf("update %s/%s: %w", kv.Bucket(), key, err)
		}
		if found {
			_, err = kv.Update(ctx, key, data, rev)
		} else {
			_, err = kv.Create(ctx, key, data)
		}
		if err == nil {
			return v, nil
		}
		if !IsConflict(err) {
			return zero, fmt.Errorf("update %s/%s: %w", kv.Bucket(), key, err)
		}
		if err := ctx.Err(); err != nil {
			return zero, err
		}
	}
	return zero, fmt.Errorf("update %s/%s: still conflicting after %d attempts", kv.Bucket(), key, attempts)
}
