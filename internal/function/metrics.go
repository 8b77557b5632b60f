package function

import (
	"errors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the runtime's Prometheus metrics, on a registry of their own.
type Metrics struct {
	Registry     *prometheus.Registry
	received     *prometheus.CounterVec
	succeeded    *prometheus.CounterVec
	failed       *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	inFlight     *prometheus.GaugeVec
}

// NewMetrics creates the runtime metrics plus Go and process collectors on a new registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	labels := []string{"function", "type"}
	m := &Metrics{
		Registry: reg,
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_events_received_total",
			Help: "Events delivered to a function, by event type (redeliveries count again)."}, labels),
		succeeded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_events_succeeded_total",
			Help: "Events handled successfully and acknowledged."}, labels),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_events_failed_total",
			Help: "Handler failures that will be retried."}, labels),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_events_dead_lettered_total",
			Help: "Events sent to the dead-letter subject (permanent error or too many deliveries)."}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "netops_handler_duration_seconds",
			Help: "Handler duration, including publishing its outputs.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, labels),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netops_events_in_flight",
			Help: "Events being handled now."}, []string{"function"}),
	}
	reg.MustRegister(m.received, m.succeeded, m.failed, m.deadLettered, m.duration, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register registers c on reg, or returns the identical collector a previous instance of the same
// function already registered there (several instances in one process share their metrics).
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}
