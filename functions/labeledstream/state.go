package labeledstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
)

// state is the join state in the KV bucket:
//
//	labels.<YYYYMMDDHH>  the labels batches whose range touches that hour (labelIndex)
//	pending              the predictions batches waiting for labels (pendingList)
//	watermark            the latest labels batch end seen (watermark)
//	window.<m>.v<N>      the metric window of a model version (window.go)
//
// Every change is a compare-and-set (bus.UpdateJSON) and idempotent, so a redelivered event can
// redo any of them.
type state struct {
	kv jetstream.KeyValue
}

// maxSpan bounds the range of a batch: it is indexed and looked up hour by hour.
const maxSpan = 7 * 24 * time.Hour

const (
	keyPending   = "pending"
	keyWatermark = "watermark"
)

// labelRef is a labels batch as the index holds it.
type labelRef struct {
	Key  string    `json:"key"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

type labelIndex struct {
	Batches []labelRef `json:"batches"`
}

// pendingEntry is a predictions batch waiting for labels: its event id and payload.
type pendingEntry struct {
	ID    string       `json:"id"`
	Batch events.Batch `json:"batch"`
}

type pendingList struct {
	Batches []pendingEntry `json:"batches"`
}

type watermark struct {
	Time time.Time `json:"time"`
}

func hourKey(t time.Time) string { return "labels." + t.UTC().Format("2006010215") }

// hours returns the hours [from, to] touches.
func hours(from, to time.Time) []time.Time {
	var out []time.Time
	for h := from.UTC().Truncate(time.Hour); !h.After(to); h = h.Add(time.Hour) {
		out = append(out, h)
	}
	return out
}

// index adds a labels batch to the index of every hour it touches.
func (s *state) index(ctx context.Context, ref labelRef) error {
	for _, h := range hours(ref.From, ref.To) {
		_, err := bus.UpdateJSON(ctx, s.kv, hourKey(h), func(ix *labelIndex, _ bool) error {
			i, found := slices.BinarySearchFunc(ix.Batches, ref.Key, func(r labelRef, k string) int { return cmp.Compare(r.Key, k) })
			if !found {
				ix.Batches = slices.Insert(ix.Batches, i, ref)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("index labels batch %s: %w", ref.Key, err)
		}
	}
	return nil
}

// labels returns the indexed labels batches overlapping [from, to], ordered by key.
func (s *state) labels(ctx context.Context, from, to time.Time) ([]labelRef, error) {
	var out []labelRef
	for _, h := range hours(from, to) {
		ix, _, _, err := bus.GetJSON[labelIndex](ctx, s.kv, hourKey(h))
		if err != nil {
			return nil, fmt.Errorf("label index: %w", err)
		}
		for _, r := range ix.Batches {
			if !r.From.After(to) && !r.To.Before(from) {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b labelRef) int { return cmp.Compare(a.Key, b.Key) })
	return slices.CompactFunc(out, func(a, b labelRef) bool { return a.Key == b.Key }), nil
}

// forget deletes the label index of the hours in [from, to).
func (s *state) forget(ctx context.Context, from, to time.Time) error {
	for h := from.UTC().Truncate(time.Hour); h.Before(to.UTC().Truncate(time.Hour)); h = h.Add(time.Hour) {
		if err := s.kv.Delete(ctx, hourKey(h)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("label index: delete %s: %w", hourKey(h), err)
		}
	}
	return nil
}

// watermark returns the latest labels batch end seen (zero before the first).
func (s *state) watermark(ctx context.Context) (time.Time, error) {
	w, _, _, err := bus.GetJSON[watermark](ctx, s.kv, keyWatermark)
	if err != nil {
		return time.Time{}, fmt.Errorf("watermark: %w", err)
	}
	return w.Time, nil
}

// advance moves the watermark to t unless it is already later, and returns it before and after.
func (s *state) advance(ctx context.Context, t time.Time) (before, after time.Time, err error) {
	w, err := bus.UpdateJSON(ctx, s.kv, keyWatermark, func(w *watermark, _ bool) error {
		before = w.Time
		if t.After(w.Time) {
			w.Time = t.UTC()
		}
		return nil
	})
	if err != nil {
		return before, before, fmt.Errorf("watermark: %w", err)
	}
	return before, w.Time, nil
}

// pending returns the waiting predictions batches, oldest (by end, then id) first.
func (s *state) pending(ctx context.Context) ([]pendingEntry, error) {
	l, _, _, err := bus.GetJSON[pendingList](ctx, s.kv, keyPending)
	if err != nil {
		return nil, fmt.Errorf("pending list: %w", err)
	}
	return l.Batches, nil
}

func oldestFirst(a, b pendingEntry) int {
	if c := a.Batch.To.Compare(b.Batch.To); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// addPending adds a predictions batch to the pending list (once) and returns the list.
func (s *state) addPending(ctx context.Context, e pendingEntry) ([]pendingEntry, error) {
	l, err := bus.UpdateJSON(ctx, s.kv, keyPending, func(l *pendingList, _ bool) error {
		if !slices.ContainsFunc(l.Batches, func(p pendingEntry) bool { return p.ID == e.ID }) {
			l.Batches = append(l.Batches, e)
			slices.SortFunc(l.Batches, oldestFirst)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending list: add %s: %w", e.Batch.Key, err)
	}
	return l.Batches, nil
}

// removePending removes a predictions batch from the pending list; absent is fine (and costs no
// write, the common case of a batch that never waited).
func (s *state) removePending(ctx context.Context, id string) ([]pendingEntry, error) {
	cur, err := s.pending(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(cur, func(p pendingEntry) bool { return p.ID == id }) {
		return cur, nil
	}
	l, err := bus.UpdateJSON(ctx, s.kv, keyPending, func(l *pendingList, _ bool) error {
		l.Batches = slices.DeleteFunc(l.Batches, func(p pendingEntry) bool { return p.ID == id })
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending list: remove %s: %w", id, err)
	}
	return l.Batches, nil
}
