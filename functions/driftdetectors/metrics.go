package driftdetectors

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/function"
)

// Reasons a row of a labeled batch is not fed (the reason label of rows_skipped_total).
const (
	reasonUnlabeled = "unlabeled"       // its label never arrived (Labeled false)
	reasonNoModel   = "invalid_model"   // no valid model name or version, in the row or the event
	reasonLate      = "late"            // fed, but older than a row an earlier batch fed (counted only)
	reasonReplayed  = "already_applied" // its batch was applied before (a redelivery)
)

// metrics are the function's Prometheus metrics.
type metrics struct {
	warnings   *prometheus.CounterVec
	changes    *prometheus.CounterVec
	estimation *prometheus.GaugeVec
	inWarning  *prometheus.GaugeVec
	rows       *prometheus.CounterVec
	skipped    *prometheus.CounterVec
	late       prometheus.Counter
	conflicts  prometheus.Counter
}

// newMetrics registers the metrics on reg; a second instance on the same registry shares them.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	mv := []string{"model", "version", "detector"}
	m := &metrics{
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_drift_detectors_warnings_total",
			Help: "Times a detector entered its warning zone (drift.warning events), per model version and detector."}, mv),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_drift_detectors_changes_total",
			Help: "Changes detected (drift.detected events), per model version and detector."}, mv),
		estimation: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_detectors_estimation",
			Help: "A detector's current estimate: the error rate (ddm, hddm), the mean distance between errors (eddm), the running mean (page_hinkley, adwin)."}, mv),
		inWarning: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_detectors_in_warning",
			Help: "1 while the detector's last observation was in its warning zone, else 0."}, mv),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_drift_detectors_rows_total",
			Help: "Labeled rows fed to the detectors, per model version (redeliveries are not fed again)."}, []string{"model", "version"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_drift_detectors_rows_skipped_total",
			Help: "Rows not fed, by reason: unlabeled, invalid_model, already_applied (a redelivered batch)."}, []string{"reason"}),
		late: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_drift_detectors_rows_late_total",
			Help: "Rows fed that are older than a row an earlier batch fed (late labels)."}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_drift_detectors_kv_conflicts_total",
			Help: "State writes that lost their compare-and-set (the batch is recomputed from the fresh state)."}),
	}
	var err error
	if m.warnings, err = function.Register(reg, m.warnings); err != nil {
		return nil, err
	}
	if m.changes, err = function.Register(reg, m.changes); err != nil {
		return nil, err
	}
	if m.estimation, err = function.Register(reg, m.estimation); err != nil {
		return nil, err
	}
	if m.inWarning, err = function.Register(reg, m.inWarning); err != nil {
		return nil, err
	}
	if m.rows, err = function.Register(reg, m.rows); err != nil {
		return nil, err
	}
	if m.skipped, err = function.Register(reg, m.skipped); err != nil {
		return nil, err
	}
	if m.late, err = function.Register(reg, m.late); err != nil {
		return nil, err
	}
	if m.conflicts, err = function.Register(reg, m.conflicts); err != nil {
		return nil, err
	}
	for _, r := range []string{reasonUnlabeled, reasonNoModel, reasonReplayed} {
		m.skipped.WithLabelValues(r)
	}
	return m, nil
}

// observe records a freshly applied batch: counts its signals and sets the gauges from rec.
func (m *metrics) observe(rec *record, flags []flagChange, rows int) {
	v := strconv.Itoa(rec.Version)
	m.rows.WithLabelValues(rec.Model, v).Add(float64(rows))
	for _, f := range flags {
		switch f.Signal {
		case signalWarning:
			m.warnings.WithLabelValues(rec.Model, v, f.Detector).Inc()
		case signalChange:
			m.changes.WithLabelValues(rec.Model, v, f.Detector).Inc()
		}
	}
	m.gauges(rec)
}

// gauges sets the estimation and in-warning gauges of rec's detectors.
func (m *metrics) gauges(rec *record) {
	v := strconv.Itoa(rec.Version)
	for _, d := range rec.Detectors {
		m.warnings.WithLabelValues(rec.Model, v, d.Kind)
		m.changes.WithLabelValues(rec.Model, v, d.Kind)
		m.estimation.WithLabelValues(rec.Model, v, d.Kind).Set(d.Estimation)
		w := 0.0
		if d.Warning {
			w = 1
		}
		m.inWarning.WithLabelValues(rec.Model, v, d.Kind).Set(w)
	}
}
