// Package endpoint is the model endpoint record (SPEC §8): one JSON record per served (model,
// version) in the NATS KV bucket model-endpoints, under the key <model>.v<version>. Several
// functions own parts of it — the model server the serving fields, the labeled stream the
// label-based metrics, the drift detectors their flags, drift-magnitude the drift status — and each
// changes only its part with a compare-and-set update, so they never overwrite one another.
package endpoint

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/bus"
)

// Bucket is the KV bucket of the records.
const Bucket = "model-endpoints"

// Record is a model endpoint: one model version being served, with what serving, the labeled
// stream, the detectors and drift-magnitude know about it.
type Record struct {
	Model    string            `json:"model"`
	Version  int               `json:"version"`
	Class    string            `json:"class,omitempty"`    // model kind: lr, rf, gbt
	Function string            `json:"function,omitempty"` // the serving function
	Labels   map[string]string `json:"labels,omitempty"`
	// Alias and Traffic: which alias serves this version and its share of requests (0..100).
	Alias   string `json:"alias,omitempty"`
	Traffic int    `json:"traffic"`
	Shadow  bool   `json:"shadow,omitempty"`

	Serving   *Serving          `json:"serving,omitempty"`
	Metrics   *LabelMetrics     `json:"metrics,omitempty"`
	Detectors map[string]Signal `json:"detectors,omitempty"`
	Drift     *Drift            `json:"drift,omitempty"`

	UpdatedAt time.Time `json:"updated_at"`
}

// Serving holds the fields the model server knows.
type Serving struct {
	FirstRequest time.Time `json:"first_request"`
	LastRequest  time.Time `json:"last_request"`
	Requests     int64     `json:"requests"`
	// Errors counts failed requests plus malformed records.
	Errors int64 `json:"errors"`
	// PredictionsPerSecond is the 5-minute window's prediction count / 300.
	PredictionsPerSecond float64 `json:"predictions_per_second"`
	// Latency averages in microseconds over the last 5 minutes and the last hour.
	LatencyAvg5mMicros float64 `json:"latency_avg_5m_us"`
	LatencyAvg1hMicros float64 `json:"latency_avg_1h_us"`
	// BatchRows counts rows scored from features batches.
	BatchRows int64 `json:"batch_rows"`
}

// LabelMetrics are the label-based metrics from the labeled stream over a sliding window of the
// most recent labeled rows.
type LabelMetrics struct {
	WindowRows int64     `json:"window_rows"`
	Accuracy   float64   `json:"accuracy"`
	Precision  float64   `json:"precision"`
	Recall     float64   `json:"recall"`
	F1         float64   `json:"f1"`
	TP         int64     `json:"tp"`
	FP         int64     `json:"fp"`
	TN         int64     `json:"tn"`
	FN         int64     `json:"fn"`
	Labeled    int64     `json:"labeled_total"`
	Unlabeled  int64     `json:"unlabeled_total"`
	EventTime  time.Time `json:"event_time"`
}

// Signal is a streaming detector's latest flags.
type Signal struct {
	Warning    bool      `json:"warning"`
	Change     bool      `json:"change"`
	Index      int64     `json:"index"`
	Changes    int64     `json:"changes"`
	Warnings   int64     `json:"warnings"`
	LastChange time.Time `json:"last_change,omitempty"`
	EventTime  time.Time `json:"event_time"`
}

// Drift is drift-magnitude's latest verdict.
type Drift struct {
	// Status is the window's status; GeneralStatus the general drift's alone (MLRun's), which
	// Status exceeds when the Drifted features (DRIFT_DETECTED each, or past the Wasserstein
	// threshold) raised it.
	Status        string                  `json:"status"`
	GeneralStatus string                  `json:"general_status,omitempty"`
	Drifted       []string                `json:"drifted,omitempty"`
	Measure       float64                 `json:"general_drift"`
	Possible      float64                 `json:"possible_threshold"`
	Detected      float64                 `json:"detected_threshold"`
	From          time.Time               `json:"from"`
	To            time.Time               `json:"to"`
	Report        string                  `json:"report,omitempty"` // object key of the full report
	Features      map[string]FeatureDrift `json:"features,omitempty"`
	TVDMean       float64                 `json:"tvd_mean"`
	HellingerMean float64                 `json:"hellinger_mean"`
	KLDMean       float64                 `json:"kld_mean"`
}

// FeatureDrift is one feature's drift in a window.
type FeatureDrift struct {
	TVD       float64 `json:"tvd"`
	Hellinger float64 `json:"hellinger"`
	KLD       float64 `json:"kld"`
	Status    string  `json:"status"`
}

// Key returns the record's KV key.
func Key(model string, version int) string { return model + ".v" + strconv.Itoa(version) }

// Store reads and updates the records.
type Store struct{ kv jetstream.KeyValue }

// Open opens (creating if needed) the records bucket.
func Open(ctx context.Context, b *bus.Bus) (*Store, error) {
	kv, err := b.KV(ctx, Bucket)
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv}, nil
}

// Get returns a record; found is false when the version has none yet.
func (s *Store) Get(ctx context.Context, model string, version int) (r Record, found bool, err error) {
	r, _, found, err = bus.GetJSON[Record](ctx, s.kv, Key(model, version))
	return r, found, err
}

// Update changes a record with compare-and-set, creating it when absent. fn may run more than once
// and must change only the fields its caller owns.
func (s *Store) Update(ctx context.Context, model string, version int, fn func(*Record) error) (Record, error) {
	return bus.UpdateJSON(ctx, s.kv, Key(model, version), func(r *Record, _ bool) error {
		r.Model, r.Version = model, version
		if err := fn(r); err != nil {
			return err
		}
		r.UpdatedAt = time.Now().UTC()
		return nil
	})
}

// List returns every record, ordered by model then version.
func (s *Store) List(ctx context.Context) ([]Record, error) {
	lister, err := s.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", Bucket, err)
	}
	var out []Record
	for k := range lister.Keys() {
		i := strings.LastIndex(k, ".v")
		if i < 0 {
			continue
		}
		r, _, found, err := bus.GetJSON[Record](ctx, s.kv, k)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Record) int {
		if c := strings.Compare(a.Model, b.Model); c != 0 {
			return c
		}
		return a.Version - b.Version
	})
	return out, nil
}
