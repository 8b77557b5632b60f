package preprocessor

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/function"
)

// Reasons a telemetry row produces no feature row (the reason label of rows_skipped_total).
const (
	// reasonLate: not after the newest row its device's state already holds from an earlier batch.
	reasonLate = "late"
	// reasonInvalidValue: a NaN or infinite metric, a timestamp outside 1678–2262, or a value so
	// large that a window sum overflows.
	reasonInvalidValue = "invalid_value"
	// reasonInvalidDevice: a device id that cannot be a KV key (see validDevice).
	reasonInvalidDevice = "invalid_device"
)

// metrics are the preprocessor's Prometheus metrics.
type metrics struct {
	rows      prometheus.Counter
	skipped   *prometheus.CounterVec
	unknown   prometheus.Counter
	conflicts prometheus.Counter
	loads     prometheus.Counter
}

// newMetrics registers the metrics on reg. A second preprocessor on the same registry (a restart
// within one process) shares the first one's counters.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		rows: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_preprocessor_rows_total",
			Help: "Feature rows computed and written (redeliveries count again)."}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_preprocessor_rows_skipped_total",
			Help: "Telemetry rows that produced no feature row, by reason: late, invalid_value, invalid_device."}, []string{"reason"}),
		unknown: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_preprocessor_unknown_devices_total",
			Help: "Devices missing from the device table (encoded with all-zero one-hot features), once per batch they appear in."}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_preprocessor_kv_conflicts_total",
			Help: "State writes that lost their compare-and-set to another writer (the batch is retried)."}),
		loads: prometheus.NewCounter(prometheus.CounterOpts{Name: "netops_preprocessor_device_table_loads_total",
			Help: "Reads of the static device table."}),
	}
	var err error
	if m.rows, err = function.Register(reg, m.rows); err != nil {
		return nil, err
	}
	if m.skipped, err = function.Register(reg, m.skipped); err != nil {
		return nil, err
	}
	if m.unknown, err = function.Register(reg, m.unknown); err != nil {
		return nil, err
	}
	if m.conflicts, err = function.Register(reg, m.conflicts); err != nil {
		return nil, err
	}
	if m.loads, err = function.Register(reg, m.loads); err != nil {
		return nil, err
	}
	for _, r := range []string{reasonLate, reasonInvalidValue, reasonInvalidDevice} {
		m.skipped.WithLabelValues(r)
	}
	return m, nil
}
