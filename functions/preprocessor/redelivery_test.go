package preprocessor

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/testenv"
)

// TestRedelivery delivers a batch again after simulated crashes at every point of its first
// delivery — before any write, after the features object and vectors, after some devices' states
// — by putting the KV buckets and the store back in the state such a crash leaves. Every
// redelivery must write the same object bytes and leave the same states and vectors, and the
// batches after it the offline features.
func TestRedelivery(t *testing.T) {
	h := simulate(t, 11, 8, 0, 0, 2*time.Hour, 20)
	devs := h.tables[len(h.tables)-1]
	want := offline(t, devs, h.all())
	const k = 6 // the batch that crashes

	for name, store := range testenv.Stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, store)
			e.putDevices(devs)
			p := e.instance()
			var got []features.Row
			for i := range k {
				_, rows := e.handle(p, e.put(&h.batches[i]))
				got = append(got, rows...)
			}
			pre, preOnline := e.snapshot(e.cfg.StateBucket), e.snapshot(e.cfg.OnlineBucket)
			in := e.put(&h.batches[k])
			out, rows := e.handle(p, in)
			obj, err := blob.GetBytes(ctx, store, out.Key)
			if err != nil {
				t.Fatal(err)
			}
			post, postOnline := e.snapshot(e.cfg.StateBucket), e.snapshot(e.cfg.OnlineBucket)
			keys := slices.Sorted(func(yield func(string) bool) {
				for k := range post {
					if !yield(k) {
						return
					}
				}
			})

			half := func(odd int) func(int) bool { return func(i int) bool { return i%2 == odd } }
			all := func(int) bool { return true }
			none := func(int) bool { return false }
			tests := []struct {
				name         string
				stateBefore  func(i int) bool // devices whose state was not saved
				onlineBefore func(i int) bool // devices whose vector was not written
				lostOutput   bool             // the features object was not written
				restart      bool             // a new process handles the redelivery
				noWrites     bool             // the redelivery must not write states
			}{
				{name: "delivered twice", stateBefore: none, onlineBefore: none, noWrites: true},
				{name: "crash before any write", stateBefore: all, onlineBefore: all, lostOutput: true},
				{name: "crash after the object", stateBefore: all, onlineBefore: all},
				{name: "crash after object and some vectors", stateBefore: all, onlineBefore: half(0)},
				{name: "crash after some states", stateBefore: half(0), onlineBefore: none},
				{name: "crash after some states, new process", stateBefore: half(1), onlineBefore: none, restart: true},
				{name: "crash after some states, object lost", stateBefore: half(1), onlineBefore: none, lostOutput: true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					e.restore(e.cfg.StateBucket, post)
					e.restore(e.cfg.OnlineBucket, postOnline)
					for i, dev := range keys {
						if tt.stateBefore(i) {
							e.restore(e.cfg.StateBucket, map[string][]byte{dev: pre[dev]})
						}
						if tt.onlineBefore(i) {
							e.restore(e.cfg.OnlineBucket, map[string][]byte{dev: preOnline[dev]})
						}
					}
					if tt.lostOutput {
						if err := store.Delete(ctx, out.Key); err != nil {
							t.Fatal(err)
						}
					}
					seqs := e.lastSeqs()
					q := p
					if tt.restart {
						q = e.instance()
					}
					out2, rows2 := e.handle(q, in)
					if *out2 != *out {
						t.Fatalf("output event %+v, want %+v", out2, out)
					}
					obj2, err := blob.GetBytes(ctx, store, out.Key)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(obj2, obj) {
						t.Fatalf("features object differs from the first delivery's (%d vs %d bytes)", len(obj2), len(obj))
					}
					sameRows(t, rows2, rows)
					sameValues(t, "state", e.snapshot(e.cfg.StateBucket), post)
					sameValues(t, "online", e.snapshot(e.cfg.OnlineBucket), postOnline)
					if tt.noWrites && e.lastSeqs()[0] != seqs[0] {
						t.Error("a delivery of an applied batch wrote states")
					}
				})
			}

			got = append(got, rows...)
			for i := k + 1; i < len(h.batches); i++ {
				_, rows := e.handle(p, e.put(&h.batches[i]))
				got = append(got, rows...)
			}
			sameRows(t, got, want)
		})
	}
}

// lastSeqs returns the last sequence of the two buckets' streams: it moves with every write.
func (e *env) lastSeqs() [2]uint64 {
	e.t.Helper()
	var seqs [2]uint64
	for i, b := range []string{e.cfg.StateBucket, e.cfg.OnlineBucket} {
		s, err := e.bus.JS.Stream(context.Background(), "KV_"+b)
		if err != nil {
			e.t.Fatal(err)
		}
		info, err := s.Info(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		seqs[i] = info.State.LastSeq
	}
	return seqs
}

// TestReplayOfOldBatch replays a batch after newer ones were applied (say, from the dead-letter
// subject): its rows are late, nothing in KV changes, and the features object written when it was
// first handled is kept rather than overwritten with fewer rows.
func TestReplayOfOldBatch(t *testing.T) {
	h := simulate(t, 5, 4, 0, 0, time.Hour, 20)
	e := fileEnv(t)
	e.putDevices(h.tables[len(h.tables)-1])
	p := e.instance()
	first := e.put(&h.batches[0])
	out, rows := e.handle(p, first)
	for i := 1; i < len(h.batches); i++ {
		e.handle(p, e.put(&h.batches[i]))
	}
	state, seqs := e.snapshot(e.cfg.StateBucket), e.lastSeqs()
	late := e.counter("netops_preprocessor_rows_skipped_total", "reason", reasonLate)

	out2, rows2 := e.handle(p, first)
	if *out2 != *out {
		t.Fatalf("output event %+v, want %+v", out2, out)
	}
	sameRows(t, rows2, rows)
	sameValues(t, "state", e.snapshot(e.cfg.StateBucket), state)
	if e.lastSeqs() != seqs {
		t.Error("replaying an old batch wrote to KV")
	}
	if d := e.counter("netops_preprocessor_rows_skipped_total", "reason", reasonLate) - late; d != float64(len(rows)) {
		t.Errorf("%v rows skipped as late, want %d", d, len(rows))
	}
}

// TestConflicts checks the compare-and-set of state writes: a record changed or created by
// another writer since it was read fails (retryably) and is counted, the others are written.
func TestConflicts(t *testing.T) {
	ctx := context.Background()
	e := fileEnv(t)
	p := e.instance()
	kv, err := e.bus.KV(ctx, e.cfg.StateBucket)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(batch string) []byte {
		return (&record{batch: batch, before: zeroState, after: zeroState}).appendTo(nil)
	}
	ids := []string{"a", "b", "c", "d"}
	if _, err := kv.Create(ctx, "a", rec("b0")); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "b", rec("b0")); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, "b"); err != nil { // a delete marker: its revision is the one to match
		t.Fatal(err)
	}
	for _, load := range []struct {
		name string
		fn   func(context.Context, []*device) error
	}{{"get", p.kv.loadEach}, {"watch", p.kv.loadAll}} {
		t.Run(load.name, func(t *testing.T) {
			devs := make([]*device, len(ids))
			for i, id := range ids {
				devs[i] = &device{id: id, applied: 1, record: rec("b1-" + load.name)}
			}
			if err := load.fn(ctx, devs); err != nil {
				t.Fatal(err)
			}
			// Another writer gets in between: it changes c, or creates it, and creates d.
			if _, err := kv.Put(ctx, "c", rec("other")); err != nil {
				t.Fatal(err)
			}
			if _, err := kv.Put(ctx, "d", rec("other")); err != nil {
				t.Fatal(err)
			}
			conflicts, err := p.kv.saveStates(ctx, devs)
			if conflicts != 2 || !errors.Is(err, errConflict) || fault.IsPermanent(err) {
				t.Fatalf("%d conflicts, error %v; want 2 conflicts", conflicts, err)
			}
			for id, want := range map[string]string{"a": "b1-" + load.name, "b": "b1-" + load.name, "c": "other", "d": "other"} {
				en, err := kv.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if r, err := parseRecord(en.Value()); err != nil || r.batch != want {
					t.Errorf("%s holds batch %q (%v), want %q", id, r.batch, err, want)
				}
			}
			if err := kv.Purge(ctx, "c"); err != nil { // for the next loader: c absent, d present
				t.Fatal(err)
			}
		})
	}
}
