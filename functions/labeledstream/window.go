package labeledstream

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/features"
)

// window is the sliding window of a model version's label-based metrics, kept in the state
// bucket under window.<model>.v<version>: the outcomes of its most recent labeled rows, in the
// order their batches were written, and the totals behind the endpoint record's counts.
type window struct {
	// Codes holds one byte per labeled row, oldest first: 2 if predicted 1, plus 1 if labeled 1.
	Codes []byte `json:"codes"`
	// Applied lists the ids of the last batches added, oldest first, so a redelivery adds
	// nothing.
	Applied   []string  `json:"applied"`
	Labeled   int64     `json:"labeled_total"`
	Unlabeled int64     `json:"unlabeled_total"`
	EventTime time.Time `json:"event_time"`
}

// maxApplied is how many batch ids a window remembers: far more than can be redelivered while
// newer batches are handled.
const maxApplied = 256

func windowKey(model string, version int) string {
	return "window." + model + ".v" + strconv.Itoa(version)
}

// add adds a written batch's rows unless id was already added, keeping the last size labeled
// rows. It reports whether it changed anything.
func (w *window) add(id string, rows []features.LabeledRow, to time.Time, size int) bool {
	if slices.Contains(w.Applied, id) {
		return false
	}
	w.Applied = append(w.Applied, id)
	if n := len(w.Applied) - maxApplied; n > 0 {
		w.Applied = slices.Delete(w.Applied, 0, n)
	}
	for i := range rows {
		r := &rows[i]
		if !r.Labeled {
			w.Unlabeled++
			continue
		}
		w.Labeled++
		var c byte
		if r.Prediction {
			c = 2
		}
		if r.Label {
			c++
		}
		w.Codes = append(w.Codes, c)
	}
	if n := len(w.Codes) - size; n > 0 {
		w.Codes = slices.Delete(w.Codes, 0, n)
	}
	if to.After(w.EventTime) {
		w.EventTime = to.UTC()
	}
	return true
}

// metrics computes the endpoint's label-based metrics over the window. Precision, recall and F1
// are 0 when their denominator is (scikit-learn's zero_division=0).
func (w *window) metrics() endpoint.LabelMetrics {
	m := endpoint.LabelMetrics{WindowRows: int64(len(w.Codes)), Labeled: w.Labeled, Unlabeled: w.Unlabeled, EventTime: w.EventTime}
	for _, c := range w.Codes {
		switch c {
		case 3:
			m.TP++
		case 2:
			m.FP++
		case 1:
			m.FN++
		default:
			m.TN++
		}
	}
	m.Accuracy = ratio(m.TP+m.TN, m.WindowRows)
	m.Precision = ratio(m.TP, m.TP+m.FP)
	m.Recall = ratio(m.TP, m.TP+m.FN)
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	return m
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// record adds a written batch to its model version's window and, when the version is known to
// the registry, copies the window's metrics into the endpoint record. The endpoint fields are a
// function of the window alone, so a redelivery that finds the batch already added still
// rewrites them (the crash may have come between the two updates).
func (s *stream) record(ctx context.Context, id string, model string, version int, rows []features.LabeledRow, to time.Time) error {
	w, err := bus.UpdateJSON(ctx, s.st.kv, windowKey(model, version), func(w *window, _ bool) error {
		w.add(id, rows, to, s.cfg.WindowRows)
		return nil
	})
	if err != nil {
		return fmt.Errorf("metric window of %s v%d: %w", model, version, err)
	}
	known, err := s.isKnown(ctx, model, version)
	if err != nil {
		return err
	}
	if !known {
		s.m.unknown.WithLabelValues(model).Inc()
		s.log.Warn("labeled batch of a model version the registry does not hold: no endpoint record updated", "model", model, "version", version, "batch", id)
		return nil
	}
	m := w.metrics()
	if _, err := s.endpoints.Update(ctx, model, version, func(r *endpoint.Record) error {
		r.Metrics = &m
		return nil
	}); err != nil {
		return fmt.Errorf("endpoint record of %s v%d: %w", model, version, err)
	}
	return nil
}
