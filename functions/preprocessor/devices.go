package preprocessor

import (
	"context"
	"fmt"
	"sync"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// deviceTable caches the static device table (tables.Device rows, written by the generator). It
// reads the object on first use and again when a batch names a device it does not hold and the
// object has changed since it was read, which is how devices that join the fleet are found.
type deviceTable struct {
	store blob.Store
	key   string
	loads func() // counts reads of the object

	mu      sync.Mutex
	statics features.Statics // replaced on reload, never mutated: callers may keep it
	info    blob.Info        // of the object statics was read from
	loaded  bool
}

// lookup returns the static attributes to encode devs with and records in each device whether
// it was found. Until the table has been read once, a missing object is a retryable error.
func (t *deviceTable) lookup(ctx context.Context, devs []*device) error {
	statics, err := t.get(ctx, devs)
	if err != nil {
		return err
	}
	for _, d := range devs {
		d.static, d.known = statics[d.id]
	}
	return nil
}

func (t *deviceTable) get(ctx context.Context, devs []*device) (features.Statics, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loaded && t.holds(devs) {
		return t.statics, nil
	}
	info, ok, err := t.stat(ctx)
	if err != nil {
		return nil, fmt.Errorf("devices table %s: %w", t.key, err)
	}
	switch {
	case !ok && !t.loaded:
		return nil, fmt.Errorf("devices table %s: %w (the generator writes it with the fleet)", t.key, blob.ErrNotFound)
	case !ok: // gone since we read it: keep what we have
		return t.statics, nil
	case t.loaded && info.Size == t.info.Size && info.Modified.Equal(t.info.Modified):
		return t.statics, nil // unchanged: the devices are not in it
	}
	rows, err := tables.Get[tables.Device](ctx, t.store, t.key)
	if fault.IsPermanent(err) {
		// Retryable on purpose: the telemetry batch is fine and will succeed once the table is.
		return nil, fmt.Errorf("devices table is unusable: %s", err)
	}
	if err != nil {
		return nil, fmt.Errorf("devices table: %w", err)
	}
	t.statics, t.info, t.loaded = features.NewStatics(rows), info, true
	t.loads()
	return t.statics, nil
}

// holds reports whether the cached table has every device of devs.
func (t *deviceTable) holds(devs []*device) bool {
	for _, d := range devs {
		if _, ok := t.statics[d.id]; !ok {
			return false
		}
	}
	return true
}

// stat returns the object's size and modification time, and whether it exists.
func (t *deviceTable) stat(ctx context.Context) (blob.Info, bool, error) {
	infos, err := t.store.List(ctx, t.key)
	if err != nil {
		return blob.Info{}, false, err
	}
	for _, in := range infos {
		if in.Key == t.key {
			return in, true, nil
		}
	}
	return blob.Info{}, false, nil
}
