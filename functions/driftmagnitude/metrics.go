package driftmagnitude

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/function"

	"github.com/netopsfn/netops/internal/drift"
)

// metrics are drift-magnitude's Prometheus metrics. Gauges hold the latest report of each
// model version.
type metrics struct {
	general  *prometheus.GaugeVec
	status   *prometheus.GaugeVec
	weighted *prometheus.GaugeVec
	means    *prometheus.GaugeVec
	feature  *prometheus.GaugeVec
	featureS *prometheus.GaugeVec
	window   *prometheus.GaugeVec
	reports  *prometheus.CounterVec
	rows     *prometheus.CounterVec
	skipped  prometheus.Counter
}

// statusValue encodes a status as a gauge value: -1 NO_DATA, 0 NO_DRIFT, 1 POSSIBLE_DRIFT,
// 2 DRIFT_DETECTED, so alert rules can compare it (>= 2).
func statusValue(s drift.Status) float64 {
	switch s {
	case drift.StatusNoDrift:
		return 0
	case drift.StatusPossibleDrift:
		return 1
	case drift.StatusDriftDetected:
		return 2
	}
	return -1
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	mv := []string{"model", "version"}
	m := &metrics{
		general: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_general",
			Help: "General drift (tvd_mean + hellinger_mean) / 2 of the latest window of a model version."}, mv),
		status: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_status",
			Help: "Drift status of the latest window: -1 NO_DATA, 0 NO_DRIFT, 1 POSSIBLE_DRIFT, 2 DRIFT_DETECTED."}, mv),
		weighted: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_weighted",
			Help: "Importance-weighted mean of the features' drift in the latest window (models with importances)."}, mv),
		means: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_mean",
			Help: "Mean over the compared features of a measure (tvd, hellinger, kld) in the latest window."}, append(mv, "measure")),
		feature: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_feature",
			Help: "A feature's (or the prediction's) drift measure in the latest window: drift, tvd, hellinger, kld, psi, js, ks, ks_pvalue, wasserstein."},
			append(mv, "feature", "measure")),
		featureS: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_feature_status",
			Help: "A feature's drift status in the latest window, encoded as netops_drift_status."}, append(mv, "feature")),
		window: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_drift_window_rows",
			Help: "Rows in the latest report window of a model version."}, mv),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_drift_reports_total",
			Help: "Drift reports written, by model, status and trigger (schedule or rows)."}, []string{"model", "status", "trigger"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_drift_rows_total",
			Help: "Labeled rows binned into partial histograms (redeliveries count again)."}, mv),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_drift_rows_skipped_total",
			Help: "Labeled rows of model versions without a usable model card."}),
	}
	var err error
	if m.general, err = function.Register(reg, m.general); err != nil {
		return nil, err
	}
	if m.status, err = function.Register(reg, m.status); err != nil {
		return nil, err
	}
	if m.weighted, err = function.Register(reg, m.weighted); err != nil {
		return nil, err
	}
	if m.means, err = function.Register(reg, m.means); err != nil {
		return nil, err
	}
	if m.feature, err = function.Register(reg, m.feature); err != nil {
		return nil, err
	}
	if m.featureS, err = function.Register(reg, m.featureS); err != nil {
		return nil, err
	}
	if m.window, err = function.Register(reg, m.window); err != nil {
		return nil, err
	}
	if m.reports, err = function.Register(reg, m.reports); err != nil {
		return nil, err
	}
	if m.rows, err = function.Register(reg, m.rows); err != nil {
		return nil, err
	}
	if m.skipped, err = function.Register(reg, m.skipped); err != nil {
		return nil, err
	}
	return m, nil
}

// export sets the gauges from a report.
func (m *metrics) export(r *WindowReport) {
	v := strconv.Itoa(r.Version)
	m.general.WithLabelValues(r.Model, v).Set(r.GeneralDrift)
	m.status.WithLabelValues(r.Model, v).Set(statusValue(r.Status))
	if r.WeightedDrift != nil {
		m.weighted.WithLabelValues(r.Model, v).Set(*r.WeightedDrift)
	}
	m.means.WithLabelValues(r.Model, v, "tvd").Set(r.TVDMean)
	m.means.WithLabelValues(r.Model, v, "hellinger").Set(r.HellingerMean)
	m.means.WithLabelValues(r.Model, v, "kld").Set(r.KLDMean)
	m.window.WithLabelValues(r.Model, v).Set(float64(r.Rows))
	m.reports.WithLabelValues(r.Model, string(r.Status), r.Trigger).Inc()
	for _, fd := range append(r.Features[:len(r.Features):len(r.Features)], predictionOf(r)...) {
		m.featureS.WithLabelValues(r.Model, v, fd.Name).Set(statusValue(fd.Status))
		if fd.Measures == nil {
			// No data: drop the stale measures rather than keep the last window's.
			m.feature.DeletePartialMatch(prometheus.Labels{"model": r.Model, "version": v, "feature": fd.Name})
			continue
		}
		mm := fd.Measures
		for _, kv := range []struct {
			name string
			v    float64
		}{{"drift", fd.Drift}, {"tvd", mm.TVD}, {"hellinger", mm.Hellinger}, {"kld", mm.KLD}, {"psi", mm.PSI},
			{"js", mm.JensenShannon}, {"ks", mm.KS}, {"ks_pvalue", mm.KSPValue}, {"wasserstein", mm.Wasserstein}} {
			m.feature.WithLabelValues(r.Model, v, fd.Name, kv.name).Set(kv.v)
		}
	}
}

// register registers c, or returns the identical collector already registered (a restarted
// function in the same process).
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
