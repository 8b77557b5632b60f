package labeledstream

import (
	"context"
	"sync"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/tables"
)

// labelCacheRows bounds the label rows kept in memory: each labels batch is read by its own
// event and by every model's predictions batch it overlaps, usually within seconds.
const labelCacheRows = 1 << 20

// labelCache keeps the most recently read labels batches, first in first out. Labels objects
// never change once announced, so a cached batch is never stale; the rows are shared read-only.
type labelCache struct {
	store blob.Store
	limit int

	mu    sync.Mutex
	rows  map[string][]tables.Label
	order []string
	size  int
}

func newLabelCache(store blob.Store, limit int) *labelCache {
	return &labelCache{store: store, limit: limit, rows: map[string][]tables.Label{}}
}

// get returns the rows of the labels batch under key, reading it when not cached.
func (c *labelCache) get(ctx context.Context, key string) ([]tables.Label, error) {
	c.mu.Lock()
	rows, ok := c.rows[key]
	c.mu.Unlock()
	if ok {
		return rows, nil
	}
	rows, err := tables.Get[tables.Label](ctx, c.store, key)
	if err != nil {
		return nil, err
	}
	c.put(key, rows)
	return rows, nil
}

// put caches the rows of a labels batch, evicting the oldest batches beyond the limit.
func (c *labelCache) put(key string, rows []tables.Label) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.rows[key]; ok || len(rows) > c.limit {
		return
	}
	c.rows[key] = rows
	c.order = append(c.order, key)
	c.size += len(rows)
	for c.size > c.limit {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.rows[old])
		delete(c.rows, old)
	}
}
