package features

import (
	"fmt"
	"iter"
	"slices"

	"github.com/netopsfn/netops/internal/tables"
)

// Compute appends to dst the feature rows of batch, in batch order, advancing the state of each
// row's device in states; a device without a state starts from the zero State, which is added to
// states, which must not be nil. Offline, one states map serves the whole history; online,
// states holds the batch's devices as loaded from KV and is stored back afterwards.
//
// The rows of a device must be in non-decreasing timestamp order, within the batch and after the
// rows its state has already seen. On error the rows before the failing one have advanced their
// states, so callers discard states and rows of a failed batch.
func Compute(states map[string]*State, statics Statics, batch []tables.Telemetry, dst []Row) ([]Row, error) {
	dst = slices.Grow(dst, len(batch))
	var v [NumFeatures]float64
	// Consecutive rows of one device (a per-device batch) skip the map lookups.
	var (
		dev string
		s   *State
		st  Static
	)
	for i := range batch {
		t := &batch[i]
		if s == nil || t.Device != dev {
			dev = t.Device
			if s = states[dev]; s == nil {
				s = new(State)
				states[dev] = s
			}
			st = statics[dev]
		}
		if err := s.update(t, st, &v); err != nil {
			return dst, fmt.Errorf("telemetry row %d: %w", i, err)
		}
		dst = append(dst, Row{Timestamp: t.Timestamp, Device: t.Device})
		dst[len(dst)-1].setVector(&v)
	}
	return dst, nil
}

// Stream yields the feature rows of a sequence of telemetry batches, computed with Compute over
// one states map: the offline pipeline's source for AsOfJoin. Iteration stops after the first
// error, which it yields.
func Stream(states map[string]*State, statics Statics, batches iter.Seq2[[]tables.Telemetry, error]) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		var rows []Row
		for batch, err := range batches {
			if err == nil {
				rows, err = Compute(states, statics, batch, rows[:0])
			}
			if err != nil {
				yield(Row{}, err)
				return
			}
			for _, r := range rows {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// Devices returns the distinct devices of batch in order of first appearance: the states an
// online caller loads before Compute and stores after it.
func Devices(batch []tables.Telemetry) []string {
	seen := make(map[string]struct{}, len(batch))
	var out []string
	for i := range batch {
		d := batch[i].Device
		if _, ok := seen[d]; !ok {
			seen[d] = struct{}{}
			out = append(out, d)
		}
	}
	return out
}
