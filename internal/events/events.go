// Package events defines the CloudEvents the functions exchange: their types, the NATS subjects
// they travel on, and their typed JSON payloads.
//
// Bulk data never travels in an event: a batch event names a Parquet object in the store. Event ids
// of outputs are derived from the input's id (DerivedID), so a redelivered input re-publishes the
// same ids and JetStream's duplicate window drops the repeats.
package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/fault"
)

// Event types. Subjects mirror them: io.netops.telemetry.batch travels on netops.telemetry.batch.
const (
	TelemetryBatch    = "io.netops.telemetry.batch"
	LabelsBatch       = "io.netops.labels.batch"
	FeaturesBatch     = "io.netops.features.batch"
	PredictionsBatch  = "io.netops.predictions.batch"
	LabeledBatch      = "io.netops.labeled.batch"
	DriftWarning      = "io.netops.drift.warning"
	DriftDetected     = "io.netops.drift.detected"
	DriftReportType   = "io.netops.drift.report"
	ModelDeployed     = "io.netops.model.deployed"
	WorkflowStarted   = "io.netops.workflow.started"
	WorkflowSucceeded = "io.netops.workflow.succeeded"
	WorkflowFailed    = "io.netops.workflow.failed"
	GenerateRequest   = "io.netops.generate.request"
)

const (
	typePrefix = "io.netops."
	// SubjectPrefix is the prefix of every subject in the NETOPS stream.
	SubjectPrefix = "netops."
	// DeadLetterPrefix is the prefix of the dead-letter subjects, one per function.
	DeadLetterPrefix = "netops.dlq."
	// SchemaVersion is the version of the batch payloads and Parquet tables written by this build.
	SchemaVersion = 1
)

// Subject returns the NATS subject an event type travels on.
func Subject(eventType string) string {
	return SubjectPrefix + strings.TrimPrefix(eventType, typePrefix)
}

// DeadLetterSubject returns the dead-letter subject of a function.
func DeadLetterSubject(function string) string { return DeadLetterPrefix + function }

// DerivedID returns a stable event id for an output of the input event id, distinguished by parts
// (e.g. the model name), so reprocessing an input yields the same output ids.
func DerivedID(inputID string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(inputID))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Payload is implemented by every event payload.
type Payload interface {
	Validate() error
}

// New builds a CloudEvent of the given type with a JSON payload. source names the producing
// function (e.g. /netops/generator).
func New(eventType, source, id string, payload Payload) (cloudevents.Event, error) {
	if err := payload.Validate(); err != nil {
		return cloudevents.Event{}, fmt.Errorf("new %s event: %w", eventType, err)
	}
	e := cloudevents.New()
	e.SetID(id)
	e.SetType(eventType)
	e.SetSource(source)
	e.SetTime(time.Now().UTC())
	if b, ok := payload.(*Batch); ok && b.Key != "" {
		e.SetSubject(b.Key)
	}
	if err := e.SetData(cloudevents.ApplicationJSON, payload); err != nil {
		return cloudevents.Event{}, fmt.Errorf("new %s event: %w", eventType, err)
	}
	return e, nil
}

// Decode unmarshals and validates an event's payload. Every failure is permanent: redelivering
// the same bytes cannot fix it.
func Decode[T any, P interface {
	*T
	Payload
}](e cloudevents.Event) (*T, error) {
	if ct := e.DataContentType(); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil, fault.Permanent(fmt.Errorf("event %s (%s): datacontenttype %q, want application/json", e.ID(), e.Type(), ct))
	}
	if len(e.Data()) == 0 {
		return nil, fault.Permanent(fmt.Errorf("event %s (%s): no data", e.ID(), e.Type()))
	}
	p := P(new(T))
	dec := json.NewDecoder(bytes.NewReader(e.Data()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, fault.Permanent(fmt.Errorf("event %s (%s): invalid payload: %w", e.ID(), e.Type(), err))
	}
	if err := p.Validate(); err != nil {
		return nil, fault.Permanent(fmt.Errorf("event %s (%s): invalid payload: %w", e.ID(), e.Type(), err))
	}
	return (*T)(p), nil
}

// Batch announces a Parquet object in the store (telemetry, labels, features, predictions and
// labeled batches).
type Batch struct {
	Key           string    `json:"key"`
	Rows          int64     `json:"rows"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	SchemaVersion int       `json:"schema_version"`
	// Model and Version are set on batches that belong to one model version.
	Model   string `json:"model,omitempty"`
	Version int    `json:"version,omitempty"`
	// Source is the key of the object this batch was computed from (a predictions batch names
	// its features batch), when the consumer needs it.
	Source string `json:"source,omitempty"`
}

// Validate checks the batch reference.
func (b *Batch) Validate() error {
	var errs []error
	if b.Key == "" {
		errs = append(errs, errors.New("key: required"))
	}
	if b.Rows < 0 {
		errs = append(errs, fmt.Errorf("rows: %d is negative", b.Rows))
	}
	if b.To.Before(b.From) {
		errs = append(errs, fmt.Errorf("to: %s is before from %s", b.To.Format(time.RFC3339), b.From.Format(time.RFC3339)))
	}
	if b.SchemaVersion != SchemaVersion {
		errs = append(errs, fmt.Errorf("schema_version: %d, this build reads %d", b.SchemaVersion, SchemaVersion))
	}
	if b.Version < 0 {
		errs = append(errs, fmt.Errorf("version: %d is negative", b.Version))
	}
	return errors.Join(errs...)
}

// DriftSignal is a streaming detector's warning or change (drift.warning, drift.detected).
type DriftSignal struct {
	Model     string    `json:"model"`
	Version   int       `json:"version"`
	Detector  string    `json:"detector"`
	Index     int64     `json:"index"`
	EventTime time.Time `json:"event_time"`
	Statistic float64   `json:"statistic"`
}

// Validate checks the signal.
func (d *DriftSignal) Validate() error {
	var errs []error
	if d.Model == "" {
		errs = append(errs, errors.New("model: required"))
	}
	if d.Detector == "" {
		errs = append(errs, errors.New("detector: required"))
	}
	if d.Index < 0 {
		errs = append(errs, fmt.Errorf("index: %d is negative", d.Index))
	}
	return errors.Join(errs...)
}

// DriftReport announces a drift-magnitude report (drift.report).
type DriftReport struct {
	Model        string    `json:"model"`
	Version      int       `json:"version"`
	Key          string    `json:"key"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	Status       string    `json:"status"`
	GeneralDrift float64   `json:"general_drift"`
}

// Drift statuses of a report, as MLRun names them.
const (
	NoDrift       = "NO_DRIFT"
	PossibleDrift = "POSSIBLE_DRIFT"
	DriftFound    = "DRIFT_DETECTED"
)

// Validate checks the report reference.
func (d *DriftReport) Validate() error {
	var errs []error
	if d.Model == "" {
		errs = append(errs, errors.New("model: required"))
	}
	if d.Key == "" {
		errs = append(errs, errors.New("key: required"))
	}
	switch d.Status {
	case NoDrift, PossibleDrift, DriftFound:
	default:
		errs = append(errs, fmt.Errorf("status: %q, want %s, %s or %s", d.Status, NoDrift, PossibleDrift, DriftFound))
	}
	return errors.Join(errs...)
}

// Deployment announces that an alias of a model now points at a version (model.deployed).
type Deployment struct {
	Model   string `json:"model"`
	Version int    `json:"version"`
	Alias   string `json:"alias"`
	// Traffic is the share (0..100) of requests this version receives; 0 with alias "shadow".
	Traffic int    `json:"traffic"`
	RunID   string `json:"run_id,omitempty"`
}

// Validate checks the deployment.
func (d *Deployment) Validate() error {
	var errs []error
	if d.Model == "" {
		errs = append(errs, errors.New("model: required"))
	}
	if d.Version < 1 {
		errs = append(errs, fmt.Errorf("version: %d, want >= 1", d.Version))
	}
	if d.Alias == "" {
		errs = append(errs, errors.New("alias: required"))
	}
	if d.Traffic < 0 || d.Traffic > 100 {
		errs = append(errs, fmt.Errorf("traffic: %d, want 0..100", d.Traffic))
	}
	return errors.Join(errs...)
}

// Workflow reports a project-runner run starting or ending (workflow.started, workflow.succeeded,
// workflow.failed).
type Workflow struct {
	RunID    string `json:"run_id"`
	Workflow string `json:"workflow"`
	Model    string `json:"model"`
	Trigger  string `json:"trigger"`
	Status   string `json:"status"`
	Decision string `json:"decision,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Version is the candidate version the run registered, when it got that far.
	Version int `json:"version,omitempty"`
}

// Validate checks the run report.
func (w *Workflow) Validate() error {
	var errs []error
	if w.RunID == "" {
		errs = append(errs, errors.New("run_id: required"))
	}
	if w.Workflow == "" {
		errs = append(errs, errors.New("workflow: required"))
	}
	if w.Status == "" {
		errs = append(errs, errors.New("status: required"))
	}
	return errors.Join(errs...)
}

// Generate asks the generator for a number of ticks (generate.request).
type Generate struct {
	Ticks int `json:"ticks"`
}

// MaxGenerateTicks bounds one request so a typo cannot fill the disk.
const MaxGenerateTicks = 1_000_000

// Validate checks the request.
func (g *Generate) Validate() error {
	if g.Ticks < 1 || g.Ticks > MaxGenerateTicks {
		return fmt.Errorf("ticks: %d, want 1..%d", g.Ticks, MaxGenerateTicks)
	}
	return nil
}

// batchTables are the store prefixes the objects of each batch event type live under. A batch
// event naming an object outside its table, or a predictions batch whose source is not a
// features object, is refused: an event cannot make a function read another table's objects
// (a model card, a run record, another model's predictions) as its input.
var batchTables = map[string]string{
	TelemetryBatch:   "telemetry/",
	LabelsBatch:      "labels/",
	FeaturesBatch:    "features/",
	PredictionsBatch: "predictions/",
	LabeledBatch:     "labeled/",
}

// DecodeBatch decodes and validates a batch event (Decode) and checks that its object keys are
// safe store keys under the event type's table: <table>/… for every batch, and
// <table>model=<model>/… for the batches of one model (predictions, labeled). A source, which
// a predictions batch must have, must be a features object for a predictions batch and a
// predictions object of the same model for a labeled batch. Every failure is permanent.
func DecodeBatch(e cloudevents.Event) (*Batch, error) {
	b, err := Decode[Batch](e)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Batch, error) {
		return nil, fault.Permanent(fmt.Errorf("event %s (%s): invalid payload: %w", e.ID(), e.Type(), err))
	}
	prefix, ok := batchTables[e.Type()]
	if !ok {
		return fail(fmt.Errorf("%s is not a batch event type", e.Type()))
	}
	if e.Type() == PredictionsBatch || e.Type() == LabeledBatch {
		if b.Model == "" {
			return fail(errors.New("model: required on a batch of one model"))
		}
		prefix += "model=" + b.Model + "/"
	}
	if err := keyUnder("key", b.Key, prefix); err != nil {
		return fail(err)
	}
	var source string
	switch e.Type() {
	case PredictionsBatch:
		source = batchTables[FeaturesBatch]
	case LabeledBatch:
		source = batchTables[PredictionsBatch] + "model=" + b.Model + "/"
	}
	if b.Source != "" || e.Type() == PredictionsBatch {
		if source == "" {
			return fail(fmt.Errorf("source: %q given, but a %s batch has none", b.Source, e.Type()))
		}
		if err := keyUnder("source", b.Source, source); err != nil {
			return fail(err)
		}
	}
	return b, nil
}

// keyUnder checks that key is a safe store key (blob.ValidKey) under prefix.
func keyUnder(field, key, prefix string) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if !strings.HasPrefix(key, prefix) {
		return fmt.Errorf("%s: %q is outside %s", field, key, prefix)
	}
	return nil
}
