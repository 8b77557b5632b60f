package labeledstream

import (
	"math"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/features"
)

// outcomes builds one tick of len(pl) devices whose prediction and label are given as "pl" pairs
// of '0'/'1' (e.g. "10" is predicted 1, labeled 0).
func outcomes(model string, tick int, pl ...string) data {
	d := ticks(20, model, 1, len(pl), tick, 1)
	for i, s := range pl {
		d.preds[i].Prediction = s[0] == '1'
		d.preds[i].Probability = map[bool]float64{true: 0.9, false: 0.1}[s[0] == '1']
		d.labels[i].IsError = s[1] == '1'
	}
	return d
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestEndpointMetrics checks the endpoint record against a hand computation over a 6-row window.
func TestEndpointMetrics(t *testing.T) {
	w := newWorld(t)
	w.cfg.WindowRows = 6
	w.register("netops", 1)
	s := w.instance()
	step := func(id string, d data) {
		w.handle(s, w.labelsEvent("lab-"+id, d.labels))
		w.handle(s, w.predictionsEvent("pred-"+id, d))
	}
	// Batch 1: TP, FP, TN, FN — every metric 0.5.
	step("1", outcomes("netops", 0, "11", "10", "00", "01"))
	r, found := w.endpoint("netops", 1)
	if !found || r.Metrics == nil {
		t.Fatal("no endpoint metrics")
	}
	want := endpoint.LabelMetrics{WindowRows: 4, Accuracy: 0.5, Precision: 0.5, Recall: 0.5, F1: 0.5, TP: 1, FP: 1, TN: 1, FN: 1, Labeled: 4, EventTime: t0}
	checkMetrics(t, *r.Metrics, want)

	// Batch 2: TP, FP, FP, TN. The 6-row window drops batch 1's TP and FP: it holds
	// TN FN | TP FP FP TN, so TP=1 FP=2 TN=2 FN=1: accuracy 3/6, precision 1/3, recall 1/2,
	// F1 = 2·(1/3)·(1/2) / (1/3 + 1/2) = 2/5.
	step("2", outcomes("netops", 1, "11", "10", "10", "00"))
	r, _ = w.endpoint("netops", 1)
	want = endpoint.LabelMetrics{WindowRows: 6, Accuracy: 0.5, Precision: 1.0 / 3, Recall: 0.5, F1: 0.4,
		TP: 1, FP: 2, TN: 2, FN: 1, Labeled: 8, EventTime: t0.Add(interval)}
	checkMetrics(t, *r.Metrics, want)

	// Batch 3: two rows whose labels never come (flushed by a later labels batch): the window and
	// its metrics stay, the unlabeled total grows.
	s.cfg.Horizon = 0
	d := outcomes("netops", 2, "11", "00")
	w.handle(s, w.predictionsEvent("pred-3", d))
	w.handle(s, w.labelsEvent("lab-later", outcomes("netops", 4, "00").labels))
	r, _ = w.endpoint("netops", 1)
	want.Unlabeled, want.EventTime = 2, t0.Add(2*interval)
	checkMetrics(t, *r.Metrics, want)
	if r.Model != "netops" || r.Version != 1 {
		t.Fatalf("record %s v%d", r.Model, r.Version)
	}
}

func checkMetrics(t *testing.T, got, want endpoint.LabelMetrics) {
	t.Helper()
	if got.WindowRows != want.WindowRows || got.TP != want.TP || got.FP != want.FP || got.TN != want.TN || got.FN != want.FN ||
		got.Labeled != want.Labeled || got.Unlabeled != want.Unlabeled || !got.EventTime.Equal(want.EventTime) ||
		!near(got.Accuracy, want.Accuracy) || !near(got.Precision, want.Precision) || !near(got.Recall, want.Recall) || !near(got.F1, want.F1) {
		t.Fatalf("metrics\n got %+v\nwant %+v", got, want)
	}
}

func TestWindow(t *testing.T) {
	rows := func(pl ...string) []features.LabeledRow {
		out := make([]features.LabeledRow, len(pl))
		for i, s := range pl {
			out[i] = features.LabeledRow{Prediction: s[0] == '1', Labeled: s != "--", Label: s[1] == '1'}
		}
		return out
	}
	var w window
	// Nothing predicted or labeled positive: precision, recall and F1 are 0, not NaN.
	w.add("a", rows("00", "00", "--"), t0, 4)
	m := w.metrics()
	if m.Accuracy != 1 || m.Precision != 0 || m.Recall != 0 || m.F1 != 0 || m.TN != 2 || m.Unlabeled != 1 {
		t.Fatalf("all negative: %+v", m)
	}
	if w.add("a", rows("11"), t0, 4) {
		t.Fatal("a batch was added twice")
	}
	w.add("b", rows("11", "01", "10"), t0.Add(time.Minute), 4) // window: 00 11 01 10
	m = w.metrics()
	if m.WindowRows != 4 || m.TP != 1 || m.FN != 1 || m.FP != 1 || m.TN != 1 || !m.EventTime.Equal(t0.Add(time.Minute)) {
		t.Fatalf("sliding: %+v", m)
	}
	w.add("c", nil, t0, 4) // an older event time does not move it back
	if !w.metrics().EventTime.Equal(t0.Add(time.Minute)) {
		t.Fatal("event time moved back")
	}
	for i := range maxApplied + 10 {
		w.add(string(rune(1000+i)), nil, t0, 4)
	}
	if len(w.Applied) != maxApplied {
		t.Fatalf("%d applied ids kept, want %d", len(w.Applied), maxApplied)
	}
}
