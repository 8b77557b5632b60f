package labeledstream

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
)

// joinKey identifies a row: its device and its timestamp in milliseconds (the tables' precision).
type joinKey struct {
	device string
	ms     int64
}

// labelSet holds the labels that may match a predictions batch: the rows of the overlapping
// labels batches, batch after batch in key order, and a hash index on (device, timestamp) built
// only when needed.
type labelSet struct {
	from, to int64 // the predictions batch's range, in milliseconds
	last     int64 // the latest end of the batches added
	rows     []tables.Label
	// dedupe is set when two labels batches overlap in time: a (device, timestamp) may then be
	// labeled twice, and the first in key order wins. Otherwise each is labeled at most once
	// (checkLabels rejects a batch labeling one twice).
	dedupe bool
	// The index: devices numbered in order of appearance, and (device number << 32 | ms - from)
	// to the row. Integer keys hash and compare several times faster than (string, int64) ones.
	devices map[string]uint32
	index   map[uint64]int32
	// conflicts counts (device, timestamp) pairs in range given different labels.
	conflicts int
}

func newLabelSet(from, to time.Time) *labelSet {
	return &labelSet{from: from.UnixMilli(), to: to.UnixMilli()}
}

// add adds the rows of a labels batch; callers add batches in key order. The rows are shared,
// never modified.
func (s *labelSet) add(rows []tables.Label, from, to time.Time) {
	if ms := from.UnixMilli(); s.rows != nil && ms <= s.last {
		s.dedupe = true
	}
	s.last = max(s.last, to.UnixMilli())
	if s.rows == nil {
		s.rows = slices.Clip(rows)
		return
	}
	s.rows = append(s.rows, rows...)
}

// find returns the index of the row labeling (device, ms), building the index on first use. ms
// must be within the predictions batch's range, whose span checkSpan keeps under 2³² ms.
func (s *labelSet) find(device string, ms int64) (int, bool) {
	if s.index == nil {
		s.build()
	}
	d, ok := s.devices[device]
	if !ok {
		return 0, false
	}
	i, ok := s.index[uint64(d)<<32|uint64(ms-s.from)]
	return int(i), ok
}

func (s *labelSet) build() {
	s.devices = make(map[string]uint32)
	s.index = make(map[uint64]int32, len(s.rows))
	var (
		last string
		have bool
		d    uint32
	)
	for i := range s.rows {
		r := &s.rows[i]
		ms := r.Timestamp.UnixMilli()
		if ms < s.from || ms > s.to {
			continue
		}
		if !have || r.Device != last {
			var ok bool
			if d, ok = s.devices[r.Device]; !ok {
				d = uint32(len(s.devices))
				s.devices[r.Device] = d
			}
			last, have = r.Device, true
		}
		k := uint64(d)<<32 | uint64(ms-s.from)
		if j, ok := s.index[k]; ok {
			if s.rows[j].IsError != r.IsError {
				s.conflicts++
			}
			continue
		}
		s.index[k] = int32(i)
	}
}

// checkPredictionsEvent rejects a predictions batch event the labeled stream cannot place.
func checkPredictionsEvent(b *events.Batch) error {
	if err := registry.ValidName(b.Model); err != nil {
		return fmt.Errorf("predictions batch %s: model: %w", b.Key, err)
	}
	if b.Version < 1 {
		return fmt.Errorf("predictions batch %s: version %d, want >= 1", b.Key, b.Version)
	}
	if b.Source == "" {
		return fmt.Errorf("predictions batch %s: source (its features batch) is required", b.Key)
	}
	return nil
}

// checkPredictions verifies a predictions batch against its event and the features batch it was
// scored from: same row count, and row i of each names the same device and timestamp; every
// row within the event's [From, To], of the event's model and version, with a probability in
// [0, 1]. Errors name the row and are for the caller to mark permanent.
func checkPredictions(b *events.Batch, preds []tables.Prediction, feats []features.Row) error {
	if int64(len(preds)) != b.Rows {
		return fmt.Errorf("predictions batch %s holds %d rows, its event says %d", b.Key, len(preds), b.Rows)
	}
	if len(feats) != len(preds) {
		return fmt.Errorf("predictions batch %s has %d rows but its source %s has %d: they do not line up", b.Key, len(preds), b.Source, len(feats))
	}
	lo, hi := b.From.UnixMilli(), b.To.UnixMilli()
	for i := range preds {
		p, f := &preds[i], &feats[i]
		ms := p.Timestamp.UnixMilli()
		switch {
		case p.Device != f.Device || ms != f.Timestamp.UnixMilli():
			return fmt.Errorf("predictions batch %s row %d is %s at %s but row %d of its source %s is %s at %s: they do not line up",
				b.Key, i, p.Device, fmtTime(p.Timestamp), i, b.Source, f.Device, fmtTime(f.Timestamp))
		case ms < lo || ms > hi:
			return fmt.Errorf("predictions batch %s row %d (%s) at %s is outside the batch's range %s..%s",
				b.Key, i, p.Device, fmtTime(p.Timestamp), fmtTime(b.From), fmtTime(b.To))
		case p.Model != b.Model || int(p.Version) != b.Version:
			return fmt.Errorf("predictions batch %s row %d (%s) is of model %s v%d, its event says %s v%d",
				b.Key, i, p.Device, p.Model, p.Version, b.Model, b.Version)
		case math.IsNaN(p.Probability) || p.Probability < 0 || p.Probability > 1:
			return fmt.Errorf("predictions batch %s row %d (%s at %s): probability %v, want a number in [0, 1]",
				b.Key, i, p.Device, fmtTime(p.Timestamp), p.Probability)
		}
	}
	return nil
}

// checkLabels verifies a labels batch against its event: its row count, every row within
// [From, To], and no (device, timestamp) twice. Errors name the row.
func checkLabels(b *events.Batch, rows []tables.Label) error {
	if int64(len(rows)) != b.Rows {
		return fmt.Errorf("labels batch %s holds %d rows, its event says %d", b.Key, len(rows), b.Rows)
	}
	lo, hi := b.From.UnixMilli(), b.To.UnixMilli()
	seen := make(map[joinKey]int, len(rows))
	for i := range rows {
		r := &rows[i]
		ms := r.Timestamp.UnixMilli()
		if ms < lo || ms > hi {
			return fmt.Errorf("labels batch %s row %d (%s) at %s is outside the batch's range %s..%s",
				b.Key, i, r.Device, fmtTime(r.Timestamp), fmtTime(b.From), fmtTime(b.To))
		}
		k := joinKey{r.Device, ms}
		if j, dup := seen[k]; dup {
			return fmt.Errorf("labels batch %s rows %d and %d both label %s at %s", b.Key, j, i, r.Device, fmtTime(r.Timestamp))
		}
		seen[k] = i
	}
	return nil
}

// join writes into out (len(preds) rows) each prediction with its features and, when labels
// holds its (device, timestamp), its label; it returns the number of labeled rows. Rows of equal
// (device, timestamp) get the same label.
//
// Labels usually come in the order of the predictions (both follow the telemetry's row order),
// so a cursor that walks the labels finds most rows with one comparison; a miss looks the row up
// in the hash index and moves the cursor after the row found.
func join(preds []tables.Prediction, feats []features.Row, labels *labelSet, out []features.LabeledRow) (matched int) {
	rows, cur := labels.rows, 0
	for i := range preds {
		p, o := &preds[i], &out[i]
		o.Row = feats[i]
		o.Model, o.Version, o.Probability, o.Prediction = p.Model, p.Version, p.Probability, p.Prediction
		ms := p.Timestamp.UnixMilli()
		k, ok := cur, false
		if !labels.dedupe && cur < len(rows) && rows[cur].Device == p.Device && rows[cur].Timestamp.UnixMilli() == ms {
			ok = true
		} else {
			k, ok = labels.find(p.Device, ms)
		}
		if !ok {
			o.Labeled, o.Label, o.Error = false, false, false
			continue
		}
		cur = k + 1
		label := rows[k].IsError
		o.Labeled, o.Label, o.Error = true, label, label != p.Prediction
		matched++
	}
	return matched
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
