package driftmagnitude

import (
	"slices"
	"time"
)

// Triggers of a report.
const (
	// TriggerSchedule: a batch's event time reached the next interval boundary.
	TriggerSchedule = "schedule"
	// TriggerRows: Config.Rows new rows arrived before the boundary.
	TriggerRows = "rows"
)

// Bounds of the schedule's memory of batches, which makes redelivery idempotent.
const (
	maxCounted = 1024
	maxFired   = 64
)

// schedule is one model version's report schedule, kept in the state bucket. All times are
// event times.
type schedule struct {
	// Next is the window end of the next scheduled report.
	Next time.Time `json:"next"`
	// Rows counts the rows since the last report.
	Rows int64 `json:"rows"`
	// Counted are the latest batches counted in Rows, so a redelivered batch is not counted twice.
	Counted []string `json:"counted,omitempty"`
	// Fired are the latest reports with the batch that triggered each, so a redelivered batch
	// makes the same report again.
	Fired []firing `json:"fired,omitempty"`
}

// firing is one report decision.
type firing struct {
	Batch   string    `json:"batch"`
	End     time.Time `json:"end"`
	Trigger string    `json:"trigger"`
}

// floorTime is t rounded down to a multiple of d since the Unix epoch.
func floorTime(t time.Time, d time.Duration) time.Time {
	ms, dm := t.UnixMilli(), d.Milliseconds()
	f := ms / dm * dm
	if ms < 0 && f != ms {
		f -= dm
	}
	return time.UnixMilli(f).UTC()
}

// apply records a batch of rows of the model version, the latest at event time t, and returns
// the report it triggers, if any:
//
//   - the first batch only starts the schedule: the next boundary is the end of t's interval;
//   - when t reaches the next boundary, the report is for the window ending at the latest
//     boundary at or before t (boundaries skipped over by a gap in the data are not reported),
//     and the next boundary moves one interval past it;
//   - otherwise, when limit > 0 and at least limit rows arrived since the last report, the report is for
//     the window ending at the end of t's interval, ahead of its scheduled report, which later
//     replaces it with the complete interval.
//
// A batch already applied changes nothing and returns the report it triggered then, if any.
func (s *schedule) apply(batch string, rows int64, t time.Time, interval time.Duration, limit int64) *firing {
	for i := range s.Fired {
		if s.Fired[i].Batch == batch {
			f := s.Fired[i]
			return &f
		}
	}
	if slices.Contains(s.Counted, batch) {
		return nil
	}
	s.Counted = append(s.Counted, batch)
	if len(s.Counted) > maxCounted {
		s.Counted = slices.Delete(s.Counted, 0, len(s.Counted)-maxCounted)
	}
	s.Rows += rows
	if s.Next.IsZero() {
		s.Next = floorTime(t, interval).Add(interval)
		if limit <= 0 || s.Rows < limit {
			return nil
		}
	}
	var f *firing
	switch {
	case !t.Before(s.Next):
		end := floorTime(t, interval)
		s.Next = end.Add(interval)
		f = &firing{Batch: batch, End: end, Trigger: TriggerSchedule}
	case limit > 0 && s.Rows >= limit:
		f = &firing{Batch: batch, End: floorTime(t, interval).Add(interval), Trigger: TriggerRows}
	default:
		return nil
	}
	s.Rows = 0
	s.Fired = append(s.Fired, *f)
	if len(s.Fired) > maxFired {
		s.Fired = slices.Delete(s.Fired, 0, len(s.Fired)-maxFired)
	}
	return f
}
