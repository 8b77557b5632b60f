// Package runs is the record of the project runner's workflow runs (MLflow-style tracking): what
// triggered a run, its parameters, each step's status, duration and log, the candidate's and the
// champion's metrics, and the decision with its reason. Records live in the object store at
// runs/<id>/run.json, where the runner writes them and the CLI and the console read them.
package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/blob"
)

// Run statuses.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Decisions a run ends with.
const (
	DecisionDeployed = "deployed"
	DecisionCanary   = "canary"
	DecisionRejected = "rejected"
	DecisionNone     = "none" // the run failed before a decision
)

// Trigger says what started a run and who or what fired it.
type Trigger struct {
	Kind   string            `json:"kind"` // webhook, alertmanager, schedule, drift, cli
	By     string            `json:"by"`   // remote address, alert fingerprint, cron expression, detector…
	At     time.Time         `json:"at"`
	Detail map[string]string `json:"detail,omitempty"`
}

// Step is one step of a run as it happened.
type Step struct {
	Name    string    `json:"name"`
	Status  string    `json:"status"`
	Start   time.Time `json:"start"`
	Seconds float64   `json:"seconds"`
	Log     string    `json:"log,omitempty"`
	Error   string    `json:"error,omitempty"`
}

// Evaluation is one model version scored on the run's held-out recent data.
type Evaluation struct {
	Version   int                `json:"version"`
	Kind      string             `json:"kind"`
	Threshold float64            `json:"threshold"`
	Metrics   map[string]float64 `json:"metrics"`
}

// Run is the record of one workflow run (MLflow-style tracking), kept at runs/<id>/run.json.
type Run struct {
	ID        string         `json:"id"`
	Workflow  string         `json:"workflow"`
	Model     string         `json:"model"`
	Status    string         `json:"status"`
	Trigger   Trigger        `json:"trigger"`
	Coalesced []Trigger      `json:"coalesced,omitempty"`
	Params    Params         `json:"params"`
	Created   time.Time      `json:"created"`
	Finished  time.Time      `json:"finished,omitzero"`
	Steps     []Step         `json:"steps"`
	Data      *DataSummary   `json:"data,omitempty"`
	Candidate *Evaluation    `json:"candidate,omitempty"`
	Champion  *Evaluation    `json:"champion,omitempty"`
	Decision  string         `json:"decision,omitempty"`
	Reason    string         `json:"reason,omitempty"`
	Artifacts []string       `json:"artifacts,omitempty"`
	Error     string         `json:"error,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
}

// DataSummary describes the data a run trained and judged on.
type DataSummary struct {
	Source      string    `json:"source"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Objects     int       `json:"objects"`
	TrainRows   int       `json:"train_rows"`
	HoldoutRows int       `json:"holdout_rows"`
	Positives   int       `json:"positives"`
}

// Key returns the object key of a run record.
func Key(id string) string { return "runs/" + id + "/run.json" }

// Load reads a run record.
func Load(ctx context.Context, store blob.Store, id string) (*Run, error) {
	data, err := blob.GetBytes(ctx, store, Key(id))
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	var r Run
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	return &r, nil
}

// Save writes a run record.
func Save(ctx context.Context, store blob.Store, r *Run) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return blob.PutBytes(ctx, store, Key(r.ID), data)
}

// List returns the run records in the store, newest first.
func List(ctx context.Context, store blob.Store) ([]*Run, error) {
	objs, err := store.List(ctx, "runs/")
	if err != nil {
		return nil, err
	}
	var runs []*Run
	for _, obj := range objs {
		id, ok := strings.CutSuffix(strings.TrimPrefix(obj.Key, "runs/"), "/run.json")
		if !ok || strings.Contains(id, "/") {
			continue
		}
		r, err := Load(ctx, store, id)
		if err != nil {
			if errors.Is(err, blob.ErrNotFound) {
				continue
			}
			return nil, err
		}
		runs = append(runs, r)
	}
	slices.SortFunc(runs, func(a, b *Run) int { return b.Created.Compare(a.Created) })
	return runs, nil
}
