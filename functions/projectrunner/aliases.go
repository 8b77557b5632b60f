package projectrunner

import "github.com/netopsfn/netops/internal/runs"

// The run record types live in internal/runs, where the CLI and the console read them too.
type (
	// Run is a workflow run's record.
	Run = runs.Run
	// Trigger says what started a run.
	Trigger = runs.Trigger
	// Step is one step of a run.
	Step = runs.Step
	// Evaluation is a version scored on a run's hold-out rows.
	Evaluation = runs.Evaluation
	// DataSummary describes a run's data.
	DataSummary = runs.DataSummary
	// Params are a run's parameters.
	Params = runs.Params
)

// Run statuses and decisions.
const (
	StatusRunning    = runs.StatusRunning
	StatusSucceeded  = runs.StatusSucceeded
	StatusFailed     = runs.StatusFailed
	DecisionDeployed = runs.DecisionDeployed
	DecisionCanary   = runs.DecisionCanary
	DecisionRejected = runs.DecisionRejected
	DecisionNone     = runs.DecisionNone
)
