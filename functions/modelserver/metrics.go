package modelserver

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the model server's Prometheus metrics, labelled by model and version as MLServer and
// KServe label theirs, so a canary and its champion can be compared on one dashboard:
//
//	model_infer_requests_total{model,version,code}        requests answered, by HTTP status
//	model_infer_request_success{model,version}             requests scored (MLServer's name)
//	model_infer_request_failure{model,version}             requests refused or failed (MLServer's name)
//	model_infer_request_duration_seconds{model,version}    latency of scored requests
//	model_prediction_probability{model,version}            predicted probability of each row
//	model_infer_rows_total{model,version,source}           rows scored: source http, shadow or batch
//	model_traffic_percent{model,version,role}              the routing table: share of requests
//	model_monitoring_records_dropped_total                 monitoring records dropped (buffer full)
//
// Shadow scoring counts as a request of the shadow version (its rows under source="shadow").
// A request that failed before a version was chosen has version=""; one for a model that is not
// served has model="" too, so arbitrary names in URLs cannot create series.
type metrics struct {
	requests *prometheus.CounterVec
	success  *prometheus.CounterVec
	failure  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	proba    *prometheus.HistogramVec
	rows     *prometheus.CounterVec
	traffic  *prometheus.GaugeVec
	dropped  prometheus.Counter
}

// versionMetrics are one version's metric children, resolved once at load so the request path
// does no label lookups.
type versionMetrics struct {
	ok                         prometheus.Counter
	success                    prometheus.Counter
	duration, proba            prometheus.Observer
	httpRows, shadowRows, rows prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	mv := []string{"model", "version"}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "model_infer_requests_total",
			Help: "Inference requests answered, by model, version and HTTP status code."}, append(mv, "code")),
		success: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "model_infer_request_success",
			Help: "Inference requests scored successfully (shadow scoring included)."}, mv),
		failure: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "model_infer_request_failure",
			Help: "Inference requests refused (4xx) or failed (5xx)."}, mv),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "model_infer_request_duration_seconds",
			Help:    "Duration of scored inference requests, from the first byte read to the response written.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14)}, mv),
		proba: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "model_prediction_probability",
			Help: "Predicted probability of the positive class, per scored row.", Buckets: prometheus.LinearBuckets(0.05, 0.05, 20)}, mv),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "model_infer_rows_total",
			Help: "Rows scored, by source: http (answered requests), shadow or batch (features batches)."}, append(mv, "source")),
		traffic: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "model_traffic_percent",
			Help: "Share of a model's requests each served version answers, by role (champion, canary, shadow)."}, append(mv, "role")),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "model_monitoring_records_dropped_total",
			Help: "Monitoring records dropped because the buffer to the writer was full."}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.success, m.failure, m.duration, m.proba, m.rows, m.traffic, m.dropped} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// attach resolves a newly loaded version's metric children.
func (m *metrics) attach(l *loaded) {
	v := strconv.Itoa(l.version)
	l.metrics = &versionMetrics{
		ok:         m.requests.WithLabelValues(l.name, v, "200"),
		success:    m.success.WithLabelValues(l.name, v),
		duration:   m.duration.WithLabelValues(l.name, v),
		proba:      m.proba.WithLabelValues(l.name, v),
		httpRows:   m.rows.WithLabelValues(l.name, v, "http"),
		shadowRows: m.rows.WithLabelValues(l.name, v, "shadow"),
		rows:       m.rows.WithLabelValues(l.name, v, "batch"),
	}
}

// publishTable sets the traffic gauges to a routing table.
func (m *metrics) publishTable(t *table) {
	m.traffic.Reset()
	for _, rt := range t.list() {
		for _, l := range rt.scorers() {
			m.traffic.WithLabelValues(rt.name, l.label, rt.roleOf(l)).Set(float64(rt.traffic(l)))
		}
	}
}
