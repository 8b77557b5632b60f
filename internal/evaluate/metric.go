package evaluate

import (
	"errors"
	"fmt"
	"slices"
)

// Errors of Metric.
var (
	// ErrUnknownMetric marks a metric name that Metric does not know.
	ErrUnknownMetric = errors.New("evaluate: unknown metric")
	// ErrUndefined marks a metric that is undefined for the report, such as ROC AUC when the
	// data hold one class only.
	ErrUndefined = errors.New("evaluate: metric undefined")
)

// metrics maps each name Metric knows to its field and direction.
var metrics = map[string]struct {
	get    func(Report) *float64
	higher bool
}{
	"accuracy":  {func(r Report) *float64 { return &r.Accuracy }, true},
	"precision": {func(r Report) *float64 { return &r.Precision }, true},
	"recall":    {func(r Report) *float64 { return &r.Recall }, true},
	"f1":        {func(r Report) *float64 { return &r.F1 }, true},
	"roc_auc":   {func(r Report) *float64 { return r.ROCAUC }, true},
	"pr_auc":    {func(r Report) *float64 { return r.PRAUC }, true},
	"brier":     {func(r Report) *float64 { return &r.Brier }, false},
	"log_loss":  {func(r Report) *float64 { return &r.LogLoss }, false},
}

// MetricNames returns the names Metric accepts, sorted: accuracy, brier, f1, log_loss,
// pr_auc, precision, recall, roc_auc (the JSON names of Report's fields).
func MetricNames() []string {
	names := make([]string, 0, len(metrics))
	for n := range metrics {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Metric returns the metric of r called name, one of MetricNames, for choosing between
// models. It fails with ErrUnknownMetric for another name and with ErrUndefined for an AUC
// that r does not define.
func Metric(r Report, name string) (float64, error) {
	m, ok := metrics[name]
	if !ok {
		return 0, fmt.Errorf("%w %q (want one of %v)", ErrUnknownMetric, name, MetricNames())
	}
	v := m.get(r)
	if v == nil {
		return 0, fmt.Errorf("%w: %s with %d positives and %d negatives", ErrUndefined, name, r.Positives, r.Negatives)
	}
	return *v, nil
}

// HigherIsBetter reports whether a larger value of the metric called name is better: true
// for every known metric but the losses brier and log_loss, and false for an unknown name
// (check names with Metric or MetricNames).
func HigherIsBetter(name string) bool {
	return metrics[name].higher
}
