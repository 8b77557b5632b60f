package preprocessor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/netopsfn/netops/internal/bus"
)

// kvStore reads and writes the preprocessor's two buckets: a record per device in the state
// bucket and the latest vector per device in the online bucket, both keyed by device id.
//
// Reads are concurrent gets, or one watch of the whole bucket when the batch holds most of its
// devices. Writes are asynchronous publishes to the buckets' subjects ($KV.<bucket>.<key>, the
// buckets being plain ones made by bus.KV), at most inFlight unacknowledged: a state write
// carries the key's revision as Nats-Expected-Last-Subject-Sequence, exactly as KeyValue.Update
// does, so it is the same compare-and-set; a key never written goes through KeyValue.Create.
type kvStore struct {
	state, online         jetstream.KeyValue
	stateName, onlineName string
	js                    jetstream.JetStream
	inFlight              int
}

// publishTimeout is how long a write may wait for its acknowledgement.
const publishTimeout = time.Minute

// openKV creates or opens the buckets.
func openKV(ctx context.Context, b *bus.Bus, cfg Config) (*kvStore, error) {
	state, err := b.KV(ctx, cfg.StateBucket)
	if err != nil {
		return nil, err
	}
	online, err := b.KV(ctx, cfg.OnlineBucket)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(b.NC, jetstream.WithPublishAsyncMaxPending(2*cfg.KVInFlight),
		jetstream.WithPublishAsyncTimeout(publishTimeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &kvStore{state: state, online: online, stateName: cfg.StateBucket, onlineName: cfg.OnlineBucket,
		js: js, inFlight: cfg.KVInFlight}, nil
}

// load reads the records of devs.
func (s *kvStore) load(ctx context.Context, devs []*device) error {
	if len(devs) >= 256 {
		st, err := s.state.Status(ctx)
		if err != nil {
			return fmt.Errorf("state bucket %s: %w", s.stateName, err)
		}
		if uint64(2*len(devs)) >= st.Values() {
			return s.loadAll(ctx, devs)
		}
	}
	return s.loadEach(ctx, devs)
}

// loadEach gets the records of devs one by one, inFlight at a time.
func (s *kvStore) loadEach(ctx context.Context, devs []*device) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.inFlight)
	for _, d := range devs {
		g.Go(func() error {
			e, err := s.state.Get(gctx, d.id)
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return nil // absent or deleted: revOK stays false, so the write is a Create
			}
			if err != nil {
				return fmt.Errorf("state bucket %s: get %s: %w", s.stateName, d.id, err)
			}
			d.rev, d.revOK, d.value = e.Revision(), true, e.Value()
			return nil
		})
	}
	return g.Wait()
}

// loadAll reads the latest entry of every key of the bucket in one watch and keeps those of devs.
func (s *kvStore) loadAll(ctx context.Context, devs []*device) error {
	index := make(map[string]*device, len(devs))
	for _, d := range devs {
		index[d.id] = d
		d.rev, d.revOK = 0, true // a key the watch does not deliver was never written
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.state.WatchAll(wctx)
	if err != nil {
		return fmt.Errorf("state bucket %s: watch: %w", s.stateName, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("state bucket %s: watch: %w", s.stateName, ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("state bucket %s: watch ended early", s.stateName)
			}
			if e == nil { // every key's latest entry has been delivered
				return nil
			}
			if d := index[e.Key()]; d != nil {
				d.rev, d.value = e.Revision(), nil
				if e.Operation() == jetstream.KeyValuePut {
					d.value = e.Value()
				}
			}
		}
	}
}

// errConflict marks a compare-and-set that lost: another writer changed a device's record.
var errConflict = errors.New("state changed concurrently")

// saveStates writes the new record of every dirty device with compare-and-set. It returns the
// number of conflicts and, if any write failed, an error (wrapping errConflict for conflicts);
// every failure is retryable.
func (s *kvStore) saveStates(ctx context.Context, devs []*device) (conflicts int, err error) {
	var create, update []*device
	for _, d := range devs {
		switch {
		case !d.dirty():
		case d.revOK:
			update = append(update, d)
		default:
			create = append(create, d)
		}
	}
	var first error
	nfail := 0
	fail := func(d *device, err error) {
		nfail++
		if bus.IsConflict(err) {
			conflicts++
			err = fmt.Errorf("%w: device %s (revision %d): %w", errConflict, d.id, d.rev, err)
		} else {
			err = fmt.Errorf("device %s: %w", d.id, err)
		}
		if first == nil {
			first = err
		}
	}
	perr := s.publish(ctx, len(update), func(i int) (*nats.Msg, []jetstream.PublishOpt) {
		d := update[i]
		return &nats.Msg{Subject: "$KV." + s.stateName + "." + d.id, Data: d.record},
			[]jetstream.PublishOpt{jetstream.WithExpectLastSequencePerSubject(d.rev)}
	}, func(i int, err error) { fail(update[i], err) })
	if perr != nil {
		return conflicts, fmt.Errorf("state bucket %s: %w", s.stateName, perr)
	}
	s.createEach(ctx, create, fail)
	if first != nil {
		return conflicts, fmt.Errorf("state bucket %s: %d of %d writes failed (%d conflicts), first: %w",
			s.stateName, nfail, len(update)+len(create), conflicts, first)
	}
	return conflicts, nil
}

// createEach creates the keys of devs, inFlight at a time, and reports every failed one to failed.
func (s *kvStore) createEach(ctx context.Context, devs []*device, failed func(d *device, err error)) {
	errs := make([]error, len(devs))
	var g errgroup.Group
	g.SetLimit(s.inFlight)
	for i, d := range devs {
		g.Go(func() error {
			_, errs[i] = s.state.Create(ctx, d.id, d.record)
			return nil
		})
	}
	_ = g.Wait()
	for i, err := range errs {
		if err != nil {
			failed(devs[i], err)
		}
	}
}

// saveOnline writes the vector of every device with a feature row in the batch, also when its
// record already holds the batch (a redelivery cannot know whether the vector was written).
func (s *kvStore) saveOnline(ctx context.Context, devs []*device) error {
	var dirty []*device
	for _, d := range devs {
		if d.applied > 0 {
			dirty = append(dirty, d)
		}
	}
	var first error
	err := s.publish(ctx, len(dirty), func(i int) (*nats.Msg, []jetstream.PublishOpt) {
		return &nats.Msg{Subject: "$KV." + s.onlineName + "." + dirty[i].id, Data: dirty[i].online}, nil
	}, func(i int, err error) {
		if first == nil {
			first = fmt.Errorf("device %s: %w", dirty[i].id, err)
		}
	})
	if err == nil {
		err = first
	}
	if err != nil {
		return fmt.Errorf("online bucket %s: %w", s.onlineName, err)
	}
	return nil
}

// publish publishes n messages asynchronously, at most inFlight unacknowledged, and reports every
// failed one to failed. Its own error means it stopped early (context done, connection closed).
func (s *kvStore) publish(ctx context.Context, n int, msg func(i int) (*nats.Msg, []jetstream.PublishOpt), failed func(i int, err error)) error {
	type pending struct {
		i int
		f jetstream.PubAckFuture
	}
	ring := make([]pending, min(n, s.inFlight))
	head, size := 0, 0
	wait := func() error {
		p := ring[head]
		head, size = (head+1)%len(ring), size-1
		select {
		case <-p.f.Ok():
		case err := <-p.f.Err():
			failed(p.i, err)
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	for i := range n {
		if size == len(ring) {
			if err := wait(); err != nil {
				return err
			}
		}
		m, opts := msg(i)
		f, err := s.js.PublishMsgAsync(m, append(opts, jetstream.WithStallWait(publishTimeout))...)
		if err != nil {
			return err
		}
		ring[(head+size)%len(ring)] = pending{i, f}
		size++
	}
	for size > 0 {
		if err := wait(); err != nil {
			return err
		}
	}
	return nil
}
