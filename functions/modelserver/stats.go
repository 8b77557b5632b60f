package modelserver

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netopsfn/netops/internal/endpoint"
)

// bucketWidth and numBuckets give the latency and rate windows their resolution: 10 s buckets
// over the last hour.
const (
	bucketWidth = 10 * time.Second
	numBuckets  = int(time.Hour / bucketWidth)
)

type bucket struct {
	slot             int64 // unix time / bucketWidth; stale when it is not the slot being read
	requests, rows   int64 // scored requests and their rows
	latencyMicrosSum int64
}

// versionStats is what the endpoint record's serving fields are computed from, for one version.
type versionStats struct {
	first, last              time.Time
	requests, errors, batchN int64
	buckets                  [numBuckets]bucket
	dirty                    bool
}

func (v *versionStats) bucket(t time.Time) *bucket {
	slot := t.UnixNano() / int64(bucketWidth)
	b := &v.buckets[int(slot%int64(numBuckets))]
	if b.slot != slot {
		*b = bucket{slot: slot}
	}
	return b
}

func (v *versionStats) add(r *Record) {
	if v.first.IsZero() || r.Start.Before(v.first) {
		v.first = r.Start
	}
	if r.Start.After(v.last) {
		v.last = r.Start
	}
	v.requests++
	v.dirty = true
	if r.Error != "" {
		v.errors++
		return
	}
	b := v.bucket(r.Start)
	b.requests++
	b.rows += int64(len(r.Outputs))
	b.latencyMicrosSum += r.LatencyMicros
}

// serving computes the endpoint record's serving fields at now.
func (v *versionStats) serving(now time.Time) endpoint.Serving {
	s := endpoint.Serving{FirstRequest: v.first, LastRequest: v.last, Requests: v.requests, Errors: v.errors, BatchRows: v.batchN}
	cur := now.UnixNano() / int64(bucketWidth)
	var rows5, n5, lat5, n60, lat60 int64
	for i := range v.buckets {
		b := &v.buckets[i]
		age := cur - b.slot
		if age < 0 || age >= int64(numBuckets) || b.requests == 0 {
			continue
		}
		n60 += b.requests
		lat60 += b.latencyMicrosSum
		if age < int64(5*time.Minute/bucketWidth) {
			rows5 += b.rows
			n5 += b.requests
			lat5 += b.latencyMicrosSum
		}
	}
	s.PredictionsPerSecond = float64(rows5) / 300
	if n5 > 0 {
		s.LatencyAvg5mMicros = float64(lat5) / float64(n5)
	}
	if n60 > 0 {
		s.LatencyAvg1hMicros = float64(lat60) / float64(n60)
	}
	return s
}

// stats aggregates monitoring records per version in memory; the endpoint records are written
// from it every few seconds, never per request.
type stats struct {
	mu       sync.Mutex
	versions map[string]*versionStats // by endpoint.Key
	live     map[string]bool          // versions whose windows still hold data at the last flush
}

func newStats() *stats {
	return &stats{versions: map[string]*versionStats{}, live: map[string]bool{}}
}

func (s *stats) get(model string, version int) *versionStats {
	k := endpoint.Key(model, version)
	v := s.versions[k]
	if v == nil {
		v = &versionStats{}
		s.versions[k] = v
	}
	return v
}

func (s *stats) add(r *Record) {
	s.mu.Lock()
	s.get(r.Model, int(r.Version)).add(r)
	s.mu.Unlock()
}

func (s *stats) addBatch(model string, version, rows int) {
	s.mu.Lock()
	v := s.get(model, version)
	v.batchN += int64(rows)
	v.dirty = true
	s.mu.Unlock()
}

// endpointUpdate is one record's serving part to write.
type endpointUpdate struct {
	model   string
	version int
	serving endpoint.Serving
}

// due returns the versions whose records changed since the last flush, or whose windows still
// decay, and marks them clean.
func (s *stats) due(now time.Time) []endpointUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []endpointUpdate
	for k, v := range s.versions {
		if !v.dirty && !s.live[k] {
			continue
		}
		v.dirty = false
		model, version := splitKey(k)
		sv := v.serving(now)
		s.live[k] = sv.LatencyAvg1hMicros > 0
		out = append(out, endpointUpdate{model: model, version: version, serving: sv})
	}
	return out
}

// flushEndpoints writes the serving fields and the routing role of every version due, and of
// every version whose role changed, with compare-and-set updates.
func (s *server) flushEndpoints(ctx context.Context, roles map[string]endpointRole) error {
	ups := s.stats.due(time.Now())
	seen := map[string]bool{}
	var firstErr error
	write := func(model string, version int, sv *endpoint.Serving) {
		k := endpoint.Key(model, version)
		seen[k] = true
		role := s.roleOf(model, version)
		_, err := s.endpoints.Update(ctx, model, version, func(r *endpoint.Record) error {
			if sv != nil {
				c := *sv
				r.Serving = &c
			}
			r.Function = "model-server"
			if role.class != "" {
				r.Class = role.class
			}
			r.Alias, r.Traffic, r.Shadow = role.alias, role.traffic, role.shadow
			return nil
		})
		if err == nil {
			roles[k] = role
		} else if firstErr == nil {
			firstErr = err
		}
	}
	for _, u := range ups {
		write(u.model, u.version, &u.serving)
	}
	// Versions whose role changed (deployed, promoted, retired) without traffic since.
	cur := s.roles()
	for k, r := range cur {
		if !seen[k] && roles[k] != r {
			write(r.model, r.version, nil)
		}
	}
	for k, r := range roles {
		if _, ok := cur[k]; !ok && !seen[k] && r.alias != "" {
			write(r.model, r.version, nil)
		}
	}
	return firstErr
}

// endpointRole is what the routing table says about a version, as the endpoint record holds it.
type endpointRole struct {
	model   string
	version int
	class   string
	alias   string
	traffic int
	shadow  bool
}

// roles returns the role of every version in the routing table, by endpoint key.
func (s *server) roles() map[string]endpointRole {
	out := map[string]endpointRole{}
	for _, rt := range s.router.table().list() {
		for _, l := range rt.versions {
			out[endpoint.Key(rt.name, l.version)] = s.roleOf(rt.name, l.version)
		}
	}
	return out
}

// roleOf returns a version's role; a version no longer served has no alias and no traffic.
func (s *server) roleOf(model string, version int) endpointRole {
	r := endpointRole{model: model, version: version}
	rt := s.router.table().models[model]
	if rt == nil || rt.versions[version] == nil {
		return r
	}
	l := rt.versions[version]
	r.class, r.traffic, r.shadow = l.model.Kind(), rt.traffic(l), l == rt.shadow
	switch role := rt.roleOf(l); role {
	case roleChampion:
		r.alias = s.cfg.Alias
	case roleCanary:
		r.alias = s.cfg.CanaryAlias
	case roleShadow:
		r.alias = s.cfg.ShadowAlias
	default:
		var als []string
		for a, v := range rt.aliases {
			if v == version {
				als = append(als, a)
			}
		}
		slices.Sort(als)
		r.alias = strings.Join(als, ",")
	}
	return r
}

// splitKey inverts endpoint.Key.
func splitKey(k string) (string, int) {
	i := strings.LastIndex(k, ".v")
	v, _ := strconv.Atoi(k[i+2:])
	return k[:i], v
}
