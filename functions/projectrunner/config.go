package projectrunner

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/runs"
)

// Config is the project runner's configuration. The webhook secret itself is read from the
// NETOPS_WEBHOOK_SECRET environment variable or the file named by --webhook-secret-file, never
// from a flag (flags show up in process listings).
type Config struct {
	Models       []string      `flag:"models" env:"RUNNER_MODELS" default:"netops" help:"models the runner retrains"`
	SecretFile   string        `flag:"webhook-secret-file" env:"WEBHOOK_SECRET_FILE" help:"file holding the webhook HMAC secret (OpenFaaS mounts secrets at /var/openfaas/secrets/<name>)"`
	ReplayWindow time.Duration `flag:"replay-window" env:"REPLAY_WINDOW" default:"5m" help:"how far a signed webhook's timestamp may be from now"`
	MaxBody      int64         `flag:"max-body" env:"RUNNER_MAX_BODY" default:"65536" help:"largest webhook or Alertmanager body in bytes"`
	Schedules    string        `flag:"schedules" env:"SCHEDULES" help:"cron schedules in event time, model=expr separated by ';', e.g. 'netops=0 */6 * * *'"`

	PolicyDetectors []string      `flag:"policy-detectors" env:"POLICY_DETECTORS" default:"ddm,adwin" help:"detectors whose drift.detected counts toward a run (empty: all); the default leaves out EDDM and Page-Hinkley, whose demo settings raise false alarms every few thousand rows of a stationary stream"`
	PolicyStatuses  []string      `flag:"policy-statuses" env:"POLICY_STATUSES" default:"DRIFT_DETECTED" help:"drift.report statuses that count toward a run (empty: none)"`
	PolicyEvents    int           `flag:"policy-events" env:"POLICY_EVENTS" default:"1" help:"drift events within --policy-window that start a run"`
	PolicyWindow    time.Duration `flag:"policy-window" env:"POLICY_WINDOW" default:"1h" help:"event-time window in which --policy-events must arrive"`
	PostDriftRows   int64         `flag:"post-drift-rows" env:"POST_DRIFT_ROWS" default:"20000" help:"labeled rows since the drift a drift-triggered run waits for and trains on (0: start at once on the usual window)"`
	Cooldown        time.Duration `flag:"cooldown" env:"COOLDOWN" default:"2h" help:"event time after a drift-triggered run during which drift events start no other run"`

	Run    RunDefaults // the default run parameters
	Bucket string      `flag:"runner-bucket" env:"RUNNER_BUCKET" default:"project-runner" help:"KV bucket of active runs, policy and canary state"`

	// Secret is the webhook secret; New fills it from the environment or SecretFile.
	Secret []byte
}

// RunDefaults are the default run parameters as flags; a webhook's "params" object overrides them
// per run.
type RunDefaults struct {
	Window        time.Duration `flag:"window" env:"TRAIN_WINDOW" default:"6h" help:"event-time span of recent data a run trains and judges on"`
	Data          string        `flag:"data" env:"TRAIN_DATA" default:"labeled" help:"training data: labeled (the labeled stream's rows) or features (offline features from telemetry)"`
	Candidates    []string      `flag:"candidates" env:"CANDIDATES" default:"lr,gbt" help:"model kinds a run tries"`
	Budget        int           `flag:"budget" env:"BUDGET" default:"2" help:"hyperparameter trials per kind"`
	MaxRows       int           `flag:"max-rows" env:"TRAIN_MAX_ROWS" default:"100000" help:"rows sampled for training"`
	MinRows       int           `flag:"min-rows" env:"TRAIN_MIN_ROWS" default:"500" help:"fewest labeled rows a run trains on"`
	Holdout       float64       `flag:"holdout" env:"HOLDOUT" default:"0.2" help:"most recent fraction of the window held out to judge candidate and champion"`
	Metric        string        `flag:"gate-metric" env:"GATE_METRIC" default:"f1" help:"metric the deploy gate compares, each model at its own decision threshold (f1 sees a threshold the world moved away from; pr_auc only ranking)"`
	Margin        float64       `flag:"margin" env:"GATE_MARGIN" default:"0.01" help:"how much better the candidate must be to deploy"`
	Deploy        string        `flag:"deploy" env:"DEPLOY" default:"direct" help:"direct (champion), canary (traffic share first, then promote or roll back) or none"`
	CanaryTraffic int           `flag:"canary-traffic" env:"CANARY_TRAFFIC" default:"25" help:"percent of requests a canary receives"`
	CanaryRows    int64         `flag:"canary-rows" env:"CANARY_ROWS" default:"2000" help:"labeled rows of the canary after which it is promoted or rolled back"`
	Seed          int64         `flag:"seed" env:"TRAIN_SEED" default:"1" help:"seed of sampling and models"`
}

func (p RunDefaults) params() runs.Params {
	return runs.Params{Window: runs.Duration(p.Window), Data: p.Data, Candidates: p.Candidates, Budget: p.Budget, MaxRows: p.MaxRows,
		MinRows: p.MinRows, Holdout: p.Holdout, Metric: p.Metric, Margin: p.Margin, Deploy: p.Deploy,
		CanaryTraffic: p.CanaryTraffic, CanaryRows: p.CanaryRows, Seed: uint64(p.Seed)}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Models) == 0 {
		errs = append(errs, errors.New("models: at least one model"))
	}
	for _, m := range c.Models {
		if err := registry.ValidName(m); err != nil {
			errs = append(errs, fmt.Errorf("models: %w", err))
		}
	}
	if c.ReplayWindow <= 0 {
		errs = append(errs, fmt.Errorf("replay-window: %s, want > 0", c.ReplayWindow))
	}
	if c.MaxBody < 1024 {
		errs = append(errs, fmt.Errorf("max-body: %d, want >= 1024", c.MaxBody))
	}
	if _, err := parseSchedules(c.Schedules, c.Models); err != nil {
		errs = append(errs, fmt.Errorf("schedules: %w", err))
	}
	if c.PolicyEvents < 1 {
		errs = append(errs, fmt.Errorf("policy-events: %d, want >= 1", c.PolicyEvents))
	}
	if c.PolicyWindow <= 0 {
		errs = append(errs, fmt.Errorf("policy-window: %s, want > 0", c.PolicyWindow))
	}
	if c.PostDriftRows < 0 {
		errs = append(errs, fmt.Errorf("post-drift-rows: %d, want >= 0", c.PostDriftRows))
	}
	if c.Cooldown < 0 {
		errs = append(errs, fmt.Errorf("cooldown: %s, want >= 0", c.Cooldown))
	}
	if c.Bucket == "" {
		errs = append(errs, errors.New("runner-bucket: required"))
	}
	return errors.Join(errs...)
}

// modelSchedule is one model's cron schedule.
type modelSchedule struct {
	model string
	sched schedule
}

func parseSchedules(s string, models []string) ([]modelSchedule, error) {
	var out []modelSchedule
	for _, item := range strings.Split(s, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		m, expr, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want model=cron expression", item)
		}
		m = strings.TrimSpace(m)
		if !slices.Contains(models, m) {
			return nil, fmt.Errorf("%q: model %q is not one of --models %v", item, m, models)
		}
		sc, err := parseSchedule(strings.TrimSpace(expr))
		if err != nil {
			return nil, err
		}
		out = append(out, modelSchedule{m, sc})
	}
	return out, nil
}
