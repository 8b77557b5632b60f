package driftdetectors

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/netopsfn/netops/internal/detect"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/features"
)

// Signal kinds of a flag change: the events it publishes.
const (
	signalWarning = "warning" // the detector entered its warning zone (drift.warning)
	signalChange  = "change"  // the detector detected a change (drift.detected)
)

// record is the KV value of one model version: its detectors' state, where the stream stands,
// and what the last applied batches changed (so a redelivery re-publishes the same outputs
// without feeding the rows again).
type record struct {
	Model   string `json:"model"`
	Version int    `json:"version"`
	// Next is the stream index of the next labeled row: rows fed so far, warm-up excluded.
	Next int64 `json:"next"`
	// LastEventTime is the newest event time fed so far.
	LastEventTime time.Time       `json:"last_event_time,omitzero"`
	WarmupRows    int             `json:"warmup_rows"`
	Detectors     []detectorState `json:"detectors"`
	// Applied lists the batches fed, oldest first, at most Config.History.
	Applied []applied `json:"applied"`
}

// detectorState is one detector: its configuration as given (before warm-up), its saved state,
// and its counters for the endpoint record and the metrics.
type detectorState struct {
	Kind       string          `json:"kind"`
	Spec       detect.Config   `json:"spec"`
	State      json.RawMessage `json:"state"`
	Warning    bool            `json:"warning"`
	Change     bool            `json:"change"`
	Estimation float64         `json:"estimation"`
	Warnings   int64           `json:"warnings"`
	Changes    int64           `json:"changes"`
	LastChange time.Time       `json:"last_change,omitzero"`
	// Index and EventTime are those of the last row fed.
	Index     int64     `json:"index"`
	EventTime time.Time `json:"event_time,omitzero"`
}

// applied is one batch fed into the record, with the flag changes it caused.
type applied struct {
	ID    string       `json:"id"`
	Flags []flagChange `json:"flags,omitempty"`
	// Trimmed says Flags were dropped to bound the record's size.
	Trimmed bool `json:"trimmed,omitempty"`
}

// flagChange is a row on which a detector's (warning, change) flags differ from the row before,
// or a change on consecutive rows; Signal says which event it publishes, if any.
type flagChange struct {
	Detector   string    `json:"detector"`
	Index      int64     `json:"index"`
	EventTime  time.Time `json:"event_time"`
	Warning    bool      `json:"warning"`
	Change     bool      `json:"change"`
	Estimation float64   `json:"estimation"`
	Signal     string    `json:"signal,omitempty"`
}

// find returns the applied entry of batch id.
func (r *record) find(id string) (applied, bool) {
	for _, a := range r.Applied {
		if a.ID == id {
			return a, true
		}
	}
	return applied{}, false
}

// live is a detector being fed: its state in the record and the restored detector.
type live struct {
	st  *detectorState
	det detect.Detector
}

// prepare makes rec's detectors match specs: a detector whose spec is unchanged is restored from
// its saved state; a new one, or one whose spec changed, starts from base (warm-up) or cold when
// base is empty; one no longer configured is dropped. base is called only when needed.
func prepare(rec *record, specs []detect.Config, base func() ([]float64, error), log *slog.Logger) ([]live, error) {
	out := make([]live, 0, len(specs))
	kept := make([]detectorState, 0, len(specs))
	for _, spec := range specs {
		i := slices.IndexFunc(rec.Detectors, func(d detectorState) bool { return d.Kind == spec.Kind })
		if i >= 0 && rec.Detectors[i].Spec == spec {
			d, err := detect.Restore(rec.Detectors[i].State)
			if err != nil {
				return nil, fault.Permanent(fmt.Errorf("model %s v%d: detector %s: saved state: %w (delete the key to start over)", rec.Model, rec.Version, spec.Kind, err))
			}
			kept = append(kept, rec.Detectors[i])
			out = append(out, live{det: d})
			continue
		}
		xs, err := base()
		if err != nil {
			return nil, err
		}
		d, err := start(spec, xs)
		if err != nil {
			return nil, fault.Permanent(fmt.Errorf("model %s v%d: detector %s: %w", rec.Model, rec.Version, spec.Kind, err))
		}
		if i >= 0 {
			log.Info("detector configuration changed; restarting it", "model", rec.Model, "version", rec.Version, "detector", spec.Kind)
		}
		kept = append(kept, detectorState{Kind: spec.Kind, Spec: spec, Estimation: d.Estimation(), Index: rec.Next - 1})
		out = append(out, live{det: d})
		rec.WarmupRows = len(xs)
	}
	rec.Detectors = kept
	for i := range out {
		out[i].st = &rec.Detectors[i]
	}
	return out, nil
}

// start returns a detector for spec warmed up on base, or a fresh one when base is empty.
func start(spec detect.Config, base []float64) (detect.Detector, error) {
	if len(base) == 0 {
		return detect.New(spec)
	}
	return detect.Warmup(spec, base)
}

// feed runs rows (sorted, labeled) through the detectors and returns the flag changes, ordered
// by index and then by detector. It updates the detectors' states and counters in rec.
func feed(rec *record, dets []live, rows []features.LabeledRow) ([]flagChange, error) {
	var flags []flagChange
	for i := range rows {
		x := 0.0
		if rows[i].Error {
			x = 1
		}
		idx, t := rec.Next+int64(i), rows[i].Timestamp
		for _, d := range dets {
			if err := d.det.Add(x); err != nil {
				return nil, fault.Permanent(fmt.Errorf("model %s v%d: detector %s: row %d: %w", rec.Model, rec.Version, d.st.Kind, idx, err))
			}
			w, c := d.det.Warning(), d.det.Change()
			st := d.st
			if w == st.Warning && c == st.Change && !c {
				continue
			}
			f := flagChange{Detector: st.Kind, Index: idx, EventTime: t, Warning: w, Change: c, Estimation: d.det.Estimation()}
			switch {
			case c:
				f.Signal = signalChange
				st.Changes++
				st.LastChange = t
			case w && !st.Warning:
				f.Signal = signalWarning
				st.Warnings++
			}
			st.Warning, st.Change = w, c
			flags = append(flags, f)
		}
	}
	n := int64(len(rows))
	for _, d := range dets {
		data, err := json.Marshal(d.det)
		if err != nil {
			return nil, fmt.Errorf("model %s v%d: save detector %s: %w", rec.Model, rec.Version, d.st.Kind, err)
		}
		d.st.State = data
		d.st.Estimation = d.det.Estimation()
		if n > 0 {
			d.st.Index, d.st.EventTime = rec.Next+n-1, rows[n-1].Timestamp
		}
	}
	rec.Next += n
	for i := range rows {
		if rows[i].Timestamp.After(rec.LastEventTime) {
			rec.LastEventTime = rows[i].Timestamp
		}
	}
	return flags, nil
}

// maxFlagBytes bounds the flag changes a record keeps for re-publishing, far below NATS's 1 MiB
// default message size.
const maxFlagBytes = 256 << 10

// remember appends batch id with its flag changes to rec's applied list, keeping the newest
// history ids. Flag changes are kept for the newest batches within maxFlagBytes (always for the
// newest one, which a crash before acknowledging needs); an older batch whose flags were dropped
// is still recognised, and a redelivery of it re-publishes nothing.
func (r *record) remember(id string, flags []flagChange, history int) {
	r.Applied = append(r.Applied, applied{ID: id, Flags: flags})
	if over := len(r.Applied) - history; over > 0 {
		r.Applied = slices.Delete(r.Applied, 0, over)
	}
	size := 0
	for i := len(r.Applied) - 1; i >= 0; i-- {
		a := &r.Applied[i]
		size += 160 * len(a.Flags) // a flag change's JSON is at most about 160 bytes
		if size > maxFlagBytes && i < len(r.Applied)-1 && a.Flags != nil {
			a.Flags, a.Trimmed = nil, true
		}
	}
}
