package features

import (
	"iter"
	"time"

	"github.com/netopsfn/netops/internal/tables"
)

// JoinStats counts what an as-of join did.
type JoinStats struct {
	// Rows is the number of feature rows offered to the join.
	Rows int
	// Joined rows got a label; Dropped rows had no label of their device at or before their
	// timestamp and were left out of the training set.
	Joined, Dropped int
	// Labels is the number of labels consumed from the label stream.
	Labels int
}

// Joiner attaches labels to feature rows by an as-of join on device: a row gets the latest label
// of its device with label.timestamp <= row.timestamp. It reads labels lazily, only as far as the
// row being joined, and keeps one label flag per device, so memory is proportional to devices.
// Both the rows passed to Join and the label stream must be in non-decreasing timestamp order
// across all devices. A Joiner is not safe for concurrent use.
type Joiner struct {
	next func() (tables.Label, error, bool)
	stop func()

	peek    tables.Label // next label, not yet applied, when hasPeek
	hasPeek bool
	done    bool // label stream exhausted
	err     error

	lastLabel, lastRow time.Time
	hasLabel, hasRow   bool

	latest map[string]bool // device → is_error of its latest applied label
	stats  JoinStats
}

// NewJoiner returns a Joiner reading labels from the given stream. Call Close when done.
func NewJoiner(labels iter.Seq2[tables.Label, error]) *Joiner {
	next, stop := iter.Pull2(labels)
	return &Joiner{next: next, stop: stop, latest: make(map[string]bool)}
}

// Join returns the training row of r and true, or false if r's device has no label at or before
// r.Timestamp (the row is dropped and counted). It fails with an *OrderError if r or a label is
// older than its predecessor, or with the label stream's error; the Joiner keeps failing after.
func (j *Joiner) Join(r Row) (TrainingRow, bool, error) {
	if j.err != nil {
		return TrainingRow{}, false, j.err
	}
	if j.hasRow && r.Timestamp.Before(j.lastRow) {
		j.err = &OrderError{Stream: "feature row", Device: r.Device, Last: j.lastRow, Got: r.Timestamp}
		return TrainingRow{}, false, j.err
	}
	j.lastRow, j.hasRow = r.Timestamp, true
	if err := j.advance(r.Timestamp); err != nil {
		j.err = err
		return TrainingRow{}, false, err
	}
	j.stats.Rows++
	isError, ok := j.latest[r.Device]
	if !ok {
		j.stats.Dropped++
		return TrainingRow{}, false, nil
	}
	j.stats.Joined++
	return TrainingRow{Row: r, IsError: isError}, true, nil
}

// advance applies every label with timestamp <= ts.
func (j *Joiner) advance(ts time.Time) error {
	for !j.done {
		if !j.hasPeek {
			l, err, ok := j.next()
			if !ok {
				j.done = true
				return nil
			}
			if err != nil {
				return err
			}
			if j.hasLabel && l.Timestamp.Before(j.lastLabel) {
				return &OrderError{Stream: "label", Device: l.Device, Last: j.lastLabel, Got: l.Timestamp}
			}
			j.lastLabel, j.hasLabel = l.Timestamp, true
			j.peek, j.hasPeek = l, true
		}
		if j.peek.Timestamp.After(ts) {
			return nil
		}
		j.latest[j.peek.Device] = j.peek.IsError
		j.hasPeek = false
		j.stats.Labels++
	}
	return nil
}

// Stats returns the counts so far.
func (j *Joiner) Stats() JoinStats { return j.stats }

// Close stops reading the label stream.
func (j *Joiner) Close() { j.stop() }

// AsOfJoin yields the training rows of rows, each with the latest label of its device at or
// before its timestamp (see Joiner); rows without one are dropped. Iteration stops after the
// first error, which it yields. When stats is not nil it receives the counts once iteration ends.
func AsOfJoin(rows iter.Seq2[Row, error], labels iter.Seq2[tables.Label, error], stats *JoinStats) iter.Seq2[TrainingRow, error] {
	return func(yield func(TrainingRow, error) bool) {
		j := NewJoiner(labels)
		defer j.Close()
		if stats != nil {
			defer func() { *stats = j.Stats() }()
		}
		for r, err := range rows {
			if err != nil {
				yield(TrainingRow{}, err)
				return
			}
			tr, ok, err := j.Join(r)
			if err != nil {
				yield(TrainingRow{}, err)
				return
			}
			if ok && !yield(tr, nil) {
				return
			}
		}
	}
}
