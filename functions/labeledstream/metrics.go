package labeledstream

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/function"
)

// How a predictions batch came to be written (the outcome label of batches_total).
const (
	// outcomeComplete: every row found its label.
	outcomeComplete = "complete"
	// outcomeHorizon: the labels' watermark passed the batch's end plus the horizon.
	outcomeHorizon = "horizon"
	// outcomeEvicted: more batches were pending than max-pending and this was the oldest.
	outcomeEvicted = "evicted"
)

// metrics are the labeled stream's Prometheus metrics. Counters count again on redelivery.
type metrics struct {
	rows      *prometheus.CounterVec
	batches   *prometheus.CounterVec
	pending   *prometheus.GaugeVec
	conflicts *prometheus.CounterVec
	unknown   *prometheus.CounterVec
	late      prometheus.Counter
	dropped   prometheus.Counter

	mu     sync.Mutex
	models map[string]bool // models the pending gauge has shown, so they drop back to 0
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_labeled_stream_rows_total",
			Help: "Rows written to labeled batches, by model and whether their label had arrived (labeled=true|false)."}, []string{"model", "labeled"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_labeled_stream_batches_total",
			Help: "Labeled batches written, by model and outcome: complete, horizon (unmatched rows past the horizon), evicted (pending list full)."}, []string{"model", "outcome"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_labeled_stream_pending_batches",
			Help: "Predictions batches waiting for labels, by model."}, []string{"model"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_labeled_stream_label_conflicts_total",
			Help: "Rows whose (device, timestamp) two labels batches label differently (the batch with the smaller key wins)."}, []string{"model"}),
		unknown: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_labeled_stream_unknown_model_batches_total",
			Help: "Labeled batches of a model version the registry does not hold (written, but no endpoint record is updated)."}, []string{"model"}),
		late: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_labeled_stream_late_label_batches_total",
			Help: "Labels batches that ended more than the horizon before the watermark (batches they would have completed may already be written)."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_labeled_stream_dropped_pending_total",
			Help: "Pending predictions batches dropped because their objects had become unreadable (logged with the reason)."}),
		models: map[string]bool{},
	}
	var err error
	if m.rows, err = function.Register(reg, m.rows); err != nil {
		return nil, err
	}
	if m.batches, err = function.Register(reg, m.batches); err != nil {
		return nil, err
	}
	if m.pending, err = function.Register(reg, m.pending); err != nil {
		return nil, err
	}
	if m.conflicts, err = function.Register(reg, m.conflicts); err != nil {
		return nil, err
	}
	if m.unknown, err = function.Register(reg, m.unknown); err != nil {
		return nil, err
	}
	if m.late, err = function.Register(reg, m.late); err != nil {
		return nil, err
	}
	if m.dropped, err = function.Register(reg, m.dropped); err != nil {
		return nil, err
	}
	return m, nil
}

// setPending sets the pending gauge from the pending list.
func (m *metrics) setPending(list []pendingEntry) {
	counts := map[string]int{}
	for _, e := range list {
		counts[e.Batch.Model]++
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for model := range counts {
		m.models[model] = true
	}
	for model := range m.models {
		m.pending.WithLabelValues(model).Set(float64(counts[model]))
	}
}

// register registers c, or returns the identical collector already registered (a restart within
// one process shares the first instance's metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
