package modelserver

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/netopsfn/netops/internal/registry"
)

// Roles a loaded version plays for its model.
const (
	roleChampion = "champion" // answers the requests the canary does not take
	roleCanary   = "canary"   // answers its traffic share of the requests
	roleShadow   = "shadow"   // scores a copy of every routed request; never answers
	rolePinned   = "pinned"   // any version asked for by number (/versions/{v}/infer)
)

var (
	errNoModel   = errors.New("model not loaded")
	errNoVersion = errors.New("version not served")
)

// route is how one model's requests are served: the versions its aliases point at and the
// canary's share. A route is immutable once published.
type route struct {
	name     string
	champion *loaded
	canary   *loaded
	share    int // canary's share of requests, percent
	shadow   *loaded
	versions map[int]*loaded // every loaded version, by number
	aliases  map[string]int
}

// table is the immutable routing table of every served model, swapped whole on reload so a
// request sees one consistent table from start to end.
type table struct {
	models map[string]*route
}

// router owns the routing table: it loads versions from the registry and publishes new tables.
type router struct {
	reg                         *registry.Registry
	champion, canary, shadowAls string
	defaultShare                int
	attach                      func(*loaded) // gives a newly loaded version its metrics

	mu     sync.Mutex     // serialises reloads
	shares map[string]int // canary share per model from model.deployed, overriding the default
	cur    atomic.Pointer[table]
}

func newRouter(reg *registry.Registry, cfg Config, attach func(*loaded)) *router {
	r := &router{reg: reg, champion: cfg.Alias, canary: cfg.CanaryAlias, shadowAls: cfg.ShadowAlias,
		defaultShare: cfg.CanaryTraffic, attach: attach, shares: map[string]int{}}
	r.cur.Store(&table{models: map[string]*route{}})
	return r
}

// table returns the current routing table.
func (r *router) table() *table { return r.cur.Load() }

// get returns a model's route.
func (t *table) get(name string) (*route, error) {
	rt, ok := t.models[name]
	if !ok || rt.champion == nil && rt.canary == nil {
		return nil, fmt.Errorf("%w: %q (no champion version registered and loaded)", errNoModel, name)
	}
	return rt, nil
}

// list returns the routes sorted by model name.
func (t *table) list() []*route {
	out := slices.Collect(maps.Values(t.models))
	slices.SortFunc(out, func(a, b *route) int { return strings.Compare(a.name, b.name) })
	return out
}

// pick chooses the version that answers a request whose routing key is key: the canary for its
// share of the key space, the champion otherwise.
func (rt *route) pick(key uint64) *loaded {
	if rt.canary != nil && (rt.champion == nil || key%10000 < uint64(rt.share)*100) {
		return rt.canary
	}
	return rt.champion
}

// primary is the version that speaks for the model: the champion, or the canary without one.
func (rt *route) primary() *loaded {
	if rt.champion != nil {
		return rt.champion
	}
	return rt.canary
}

// version returns a version asked for by number.
func (rt *route) version(v string) (*loaded, error) {
	n, err := strconv.Atoi(v)
	l, ok := rt.versions[n]
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: version %q of model %q (served: %s)", errNoVersion, v, rt.name, rt.describe())
	}
	return l, nil
}

// roleOf returns the role a version plays in the route.
func (rt *route) roleOf(l *loaded) string {
	switch l {
	case rt.champion:
		return roleChampion
	case rt.canary:
		return roleCanary
	case rt.shadow:
		return roleShadow
	}
	return rolePinned
}

// traffic returns a version's share of the requests, percent.
func (rt *route) traffic(l *loaded) int {
	switch {
	case l == rt.canary && rt.champion != nil:
		return rt.share
	case l == rt.canary:
		return 100
	case l == rt.champion && rt.canary != nil:
		return 100 - rt.share
	case l == rt.champion:
		return 100
	}
	return 0
}

// scorers returns the versions that score every features batch: champion, canary and shadow.
func (rt *route) scorers() []*loaded {
	var out []*loaded
	for _, l := range []*loaded{rt.champion, rt.canary, rt.shadow} {
		if l != nil && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// describe lists the served versions with their aliases, for error messages.
func (rt *route) describe() string {
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(rt.versions)) {
		var als []string
		for a, av := range rt.aliases {
			if av == v {
				als = append(als, a)
			}
		}
		slices.Sort(als)
		parts = append(parts, fmt.Sprintf("%d (%s)", v, strings.Join(als, ", ")))
	}
	return strings.Join(parts, ", ")
}

// randomKey is the routing key of a request that did not ask to be sticky.
func randomKey() uint64 { return rand.Uint64() }

// stickyKey is the routing key of a device or request id: the same id always takes the same
// version as long as the share does not change.
func stickyKey(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	// FNV's low bits are weak for short similar ids; mix before taking the remainder.
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x
}

// setShare records a canary share announced by model.deployed; it applies from the next reload.
func (r *router) setShare(model string, share int) {
	r.mu.Lock()
	r.shares[model] = share
	r.mu.Unlock()
}

// reload reads a model's aliases and publishes a table in which they are served. New versions
// are loaded completely before the swap; versions already loaded are reused, so requests in
// flight finish on whatever version they picked and none waits for a load.
func (r *router) reload(ctx context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	aliases, err := r.reg.Aliases(ctx, name)
	if err != nil {
		return fmt.Errorf("aliases of %s: %w", name, err)
	}
	old := r.table()
	prev := old.models[name]
	share, ok := r.shares[name]
	if !ok {
		share = r.defaultShare
	}
	if prev != nil && maps.Equal(prev.aliases, aliases) && prev.share == share {
		return nil // nothing moved: keep the table (and every version) as it is
	}
	rt := &route{name: name, versions: map[int]*loaded{}, aliases: aliases}
	for _, v := range slices.Sorted(maps.Values(aliases)) {
		if _, ok := rt.versions[v]; ok {
			continue
		}
		if prev != nil && prev.versions[v] != nil {
			rt.versions[v] = prev.versions[v]
			continue
		}
		l, err := load(ctx, r.reg, name, v)
		if errors.Is(err, registry.ErrNotFound) {
			continue // an alias at a deleted version: serve the others
		}
		if err != nil {
			return err
		}
		if r.attach != nil {
			r.attach(l)
		}
		rt.versions[v] = l
	}
	byAlias := func(a string) *loaded {
		if v, ok := aliases[a]; ok && a != "" {
			return rt.versions[v]
		}
		return nil
	}
	rt.champion, rt.canary, rt.shadow = byAlias(r.champion), byAlias(r.canary), byAlias(r.shadowAls)
	if rt.canary == rt.champion {
		rt.canary = nil
	}
	if rt.shadow == rt.champion || rt.shadow == rt.canary {
		rt.shadow = nil
	}
	rt.share = share
	next := &table{models: maps.Clone(old.models)}
	if len(rt.versions) == 0 {
		delete(next.models, name)
	} else {
		next.models[name] = rt
	}
	r.cur.Store(next)
	return nil
}
