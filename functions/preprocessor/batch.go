package preprocessor

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/tables"
)

// device is one device of a batch: where its rows are, its stored record, and what the batch does
// to it.
type device struct {
	id     string
	rows   []int32 // positions of its rows in the batch, in batch order
	newest int32   // position of its newest row with a usable timestamp; -1: none yet

	// From the state bucket (see kvStore.load).
	rev   uint64 // revision of the key's last entry, a value or a delete marker; 0: none
	revOK bool   // rev is known; when not, the key is written with Create
	value []byte // the stored record; nil when there is none

	// From the device table.
	static features.Static
	known  bool

	// Computed.
	applied, late, invalid int
	invalidErr             error  // why the first invalid row was skipped
	lastRow                int32  // position of the last applied row
	record                 []byte // new value for the state bucket
	online                 []byte // new value for the online bucket
	current                bool   // the stored record already holds this batch's result
}

// dirty reports whether the batch changes the device's record.
func (d *device) dirty() bool { return d.applied > 0 && !d.current }

// validDevice reports whether a device id can be a KV key: 1–255 letters, digits, - or _.
func validDevice(id string) bool {
	if len(id) == 0 || len(id) > 255 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// plan groups the rows of a batch by device, in order of first appearance, and rejects (as a
// permanent error) a batch in which the rows of a device go back in time. Rows whose device id
// cannot be a KV key are left out; plan returns how many.
func plan(key string, rows []tables.Telemetry) (devs []*device, badID int, err error) {
	index := make(map[string]*device) // nil for an id that cannot be a key
	for i := range rows {
		t := &rows[i]
		d, ok := index[t.Device]
		if !ok {
			if validDevice(t.Device) {
				d = &device{id: t.Device, newest: -1}
				devs = append(devs, d)
			}
			index[t.Device] = d
		}
		if d == nil {
			badID++
			continue
		}
		// A timestamp features cannot use is skipped later (invalid_value), so it does not order.
		if validTime(t.Timestamp) {
			if p := d.newest; p >= 0 && t.Timestamp.Before(rows[p].Timestamp) {
				return nil, 0, fault.Permanent(fmt.Errorf("telemetry batch %s: device %s: row %d at %s is older than row %d at %s; the rows of a device must be in timestamp order",
					key, d.id, i, stamp(t.Timestamp), p, stamp(rows[p].Timestamp)))
			}
			d.newest = int32(i)
		}
		d.rows = append(d.rows, int32(i))
	}
	return devs, badID, nil
}

// Timestamps features can use: int64 nanoseconds since the epoch (the years 1678–2262).
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// validTime reports whether t is within the range features can use.
func validTime(t time.Time) bool { return !t.Before(minTime) && !t.After(maxTime) }

// stamp formats a timestamp for messages.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// zeroState is the encoding of a device without rows.
var zeroState, _ = (&features.State{}).MarshalBinary()

// compute runs every device's rows through its window state, devices in parallel, and writes each
// feature row to out at its row's batch position. batchID is the input event's id.
func compute(batchID string, rows []tables.Telemetry, devs []*device, out []features.Row) error {
	const chunk = 256
	var next atomic.Int64
	var g errgroup.Group
	for range min(runtime.GOMAXPROCS(0), (len(devs)+chunk-1)/chunk) {
		g.Go(func() error {
			w := worker{}
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(devs) {
					return nil
				}
				for _, d := range devs[lo:min(lo+chunk, len(devs))] {
					if err := w.compute(batchID, rows, d, out); err != nil {
						return err
					}
				}
			}
		})
	}
	return g.Wait()
}

// worker holds the buffers one compute goroutine reuses across devices.
type worker struct {
	state features.State
	after []byte
	block []byte // records and vectors are carved from blocks, so a batch allocates few
}

// blockSize is the size of the blocks a worker carves records and vectors from.
const blockSize = 1 << 20

// carve appends, with enc, at most n bytes to the worker's block and returns them.
func (w *worker) carve(n int, enc func([]byte) ([]byte, error)) ([]byte, error) {
	if cap(w.block)-len(w.block) < n {
		w.block = make([]byte, 0, max(blockSize, n))
	}
	start := len(w.block)
	b, err := enc(w.block)
	if err != nil {
		return nil, err
	}
	w.block = b
	return b[start:len(b):len(b)], nil
}

// compute applies the batch to one device: it restarts from the state before this batch if the
// device's record says the batch was already applied (a redelivery), skips rows not after that
// state's newest row (late) and rows the features cannot be computed from (invalid), and
// prepares the new record and online vector.
func (w *worker) compute(batchID string, rows []tables.Telemetry, d *device, out []features.Row) error {
	base := zeroState
	var rec stored
	if d.value != nil {
		var err error
		if rec, err = parseRecord(d.value); errors.Is(err, errNewerRecord) {
			return fmt.Errorf("state of device %s: %w", d.id, err)
		} else if err != nil {
			return fault.Permanent(fmt.Errorf("state of device %s: %w", d.id, err))
		}
		base = rec.after
		if rec.batch == batchID {
			base = rec.beforeState()
		}
	}
	s := &w.state
	if err := s.UnmarshalBinary(base); err != nil {
		return fault.Permanent(fmt.Errorf("state of device %s: %w", d.id, err))
	}
	newest, has := s.Last()
	for _, i := range d.rows {
		t := &rows[i]
		if has && !t.Timestamp.After(newest) {
			d.late++
			continue
		}
		r, err := s.Update(*t, d.static)
		if errors.Is(err, features.ErrInvalidValue) {
			d.invalid++
			if d.invalidErr == nil {
				d.invalidErr = err
			}
			continue
		}
		if err != nil { // plan has checked the order, so this is a defect, not bad input
			return fmt.Errorf("device %s: %w", d.id, err)
		}
		out[i] = r
		d.applied++
		d.lastRow = i
	}
	if d.applied == 0 {
		return nil
	}
	var err error
	d.online, err = w.carve(features.OnlineSize, func(b []byte) ([]byte, error) {
		return features.AppendOnline(b, features.OnlineOf(&out[d.lastRow]))
	})
	if err != nil {
		return err
	}
	if w.after, err = s.AppendBinary(w.after[:0]); err != nil {
		return err
	}
	if rec.batch == batchID && bytes.Equal(rec.after, w.after) {
		d.current = true
		return nil
	}
	r := record{batch: batchID, before: base, after: w.after}
	d.record, err = w.carve(r.maxSize(), func(b []byte) ([]byte, error) { return r.appendTo(b), nil })
	return err
}
