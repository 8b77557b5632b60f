package generator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/sim"
	"github.com/netopsfn/netops/internal/tables"
)

// DevicesKey is where the static device table of the fleet is written.
const DevicesKey = tables.DevicesKey

const source = "/netops/generator"

// fleetID names a fleet by its simulator config and seed: changing either starts a new fleet.
func fleetID(cfg sim.Config, seed int64) (string, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(append(b, []byte(strconv.FormatInt(seed, 10))...))
	return hex.EncodeToString(h[:8]), nil
}

// checkpoint is the KV value of a fleet: where it started and its simulator snapshot.
type checkpoint struct {
	Start    time.Time `json:"start"`
	Seed     int64     `json:"seed"`
	Devices  int       `json:"devices"`
	Snapshot []byte    `json:"snapshot"`
}

// batchWriter writes one group of ticks as a telemetry and a labels object and returns the
// events announcing them. Keys and ids derive from the fleet id and the tick range.
func batchWriter(ctx context.Context, store blob.Store, fleet string, tel []tables.Telemetry, lab []tables.Label) ([]cloudevents.Event, error) {
	if len(tel) == 0 {
		return nil, nil
	}
	from, to := tel[0].Timestamp, tel[len(tel)-1].Timestamp
	name := fmt.Sprintf("%s-%d-%d", fleet, from.UnixMilli(), to.UnixMilli())
	var out []cloudevents.Event
	for _, part := range []struct {
		table, typ string
		put        func(key string) error
		rows       int
	}{
		{"telemetry", events.TelemetryBatch, func(k string) error { return tables.Put(ctx, store, k, tel) }, len(tel)},
		{"labels", events.LabelsBatch, func(k string) error { return tables.Put(ctx, store, k, lab) }, len(lab)},
	} {
		key := tables.Key(part.table, from, name)
		if err := part.put(key); err != nil {
			return nil, fmt.Errorf("write %s: %w", key, err)
		}
		e, err := events.New(part.typ, source, events.DerivedID(key), &events.Batch{
			Key: key, Rows: int64(part.rows), From: from, To: to, SchemaVersion: events.SchemaVersion})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// state loads the fleet checkpoint from KV, or creates the fleet (and writes its device table)
// when there is none. It returns the fleet, the KV revision (0: not stored yet) and its start.
func (g *Generator) state(ctx context.Context) (*sim.Fleet, uint64, error) {
	entry, err := g.kv.Get(ctx, g.key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		start := g.start
		if start.IsZero() {
			start = time.Now().UTC().Truncate(time.Minute)
		}
		f, err := sim.NewFleet(g.sim, uint64(g.seed), start)
		if err != nil {
			return nil, 0, err
		}
		g.fleetStart = start
		return f, 0, g.writeDevices(ctx, f)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load fleet checkpoint: %w", err)
	}
	var cp checkpoint
	if err := json.Unmarshal(entry.Value(), &cp); err != nil {
		return nil, 0, fmt.Errorf("fleet checkpoint %s: %w", g.key, err)
	}
	f, err := sim.NewFleet(g.sim, uint64(cp.Seed), cp.Start)
	if err != nil {
		return nil, 0, err
	}
	if err := f.UnmarshalBinary(cp.Snapshot); err != nil {
		return nil, 0, fmt.Errorf("fleet checkpoint %s: %w", g.key, err)
	}
	g.fleetStart = cp.Start
	return f, entry.Revision(), nil
}

func (g *Generator) writeDevices(ctx context.Context, f *sim.Fleet) error {
	if err := tables.Put(ctx, g.store, DevicesKey, f.Devices()); err != nil {
		return fmt.Errorf("write device table: %w", err)
	}
	return nil
}

// save checkpoints the fleet with compare-and-set on the revision it was loaded at.
func (g *Generator) save(ctx context.Context, f *sim.Fleet, rev uint64) (uint64, error) {
	snap, err := f.MarshalBinary()
	if err != nil {
		return 0, err
	}
	val, err := json.Marshal(checkpoint{Start: g.fleetStart, Seed: g.seed, Devices: len(f.Devices()), Snapshot: snap})
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		rev, err = g.kv.Create(ctx, g.key, val)
	} else {
		rev, err = g.kv.Update(ctx, g.key, val, rev)
	}
	if err != nil {
		return 0, fmt.Errorf("save fleet checkpoint (another generator may have advanced it): %w", err)
	}
	return rev, nil
}
