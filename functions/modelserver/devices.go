package modelserver

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/tables"
)

// deviceRefresh is how often at most the device table is re-read when an id is not in it.
const deviceRefresh = 30 * time.Second

// deviceSet knows the fleet's device ids from the device table, so that a device that has no
// online feature vector yet (imputed with the training means) can be told from an id that is
// not a device at all (404).
type deviceSet struct {
	store blob.Store
	key   string

	mu     sync.Mutex
	ids    map[string]bool
	loaded time.Time
}

// known reports whether id is in the device table, re-reading the table when the id is missing
// and the last read is older than deviceRefresh.
func (d *deviceSet) known(ctx context.Context, id string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ids[id] {
		return true, nil
	}
	if time.Since(d.loaded) < deviceRefresh {
		return false, nil
	}
	rows, err := tables.Get[tables.Device](ctx, d.store, d.key)
	if errors.Is(err, blob.ErrNotFound) {
		d.ids, d.loaded = map[string]bool{}, time.Now()
		return false, nil
	}
	if err != nil {
		return false, err
	}
	d.ids = make(map[string]bool, len(rows))
	for _, r := range rows {
		d.ids[r.Device] = true
	}
	d.loaded = time.Now()
	return d.ids[id], nil
}
