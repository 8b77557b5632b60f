// Package projectrunner is the project-runner function: it retrains a model when something says
// so — a signed webhook, an Alertmanager alert, a cron schedule in event time, or drift events
// under a policy — and deploys the candidate only when it beats the champion on the same recent
// held-out data.
//
// A run assembles the last window of labeled rows (or offline features), trains with the training
// workflow, judges candidate and champion on the most recent rows the candidate never saw, and
// moves the champion alias (or a canary alias with a traffic share, promoted or rolled back after
// enough labeled rows) and publishes model.deployed. Every run is recorded at runs/<id>/run.json:
// trigger, parameters, each step's status, duration and log, both models' metrics, the decision
// and its reason. One run per model is active at a time; triggers meanwhile coalesce into it.
// The runner is meant to run as one replica: at start it marks runs a previous process left
// running as failed.
package projectrunner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/tables"
)

// New builds the project runner. It reads the webhook secret from NETOPS_WEBHOOK_SECRET or the
// --webhook-secret-file file (cfg.Secret, when set, wins), and the optional Alertmanager bearer
// token from NETOPS_ALERTMANAGER_TOKEN or the file NETOPS_ALERTMANAGER_TOKEN_FILE names.
func New(cfg Config, d function.Deps) (*function.Function, error) {
	if d.Bus == nil {
		return nil, errors.New("project-runner: needs NATS (run state and events)")
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	if err := cfg.Run.params().Validate(); err != nil {
		return nil, fmt.Errorf("project-runner defaults: %w", err)
	}
	secret := cfg.Secret
	if len(secret) == 0 {
		secret = []byte(os.Getenv("NETOPS_WEBHOOK_SECRET"))
	}
	if len(secret) == 0 && cfg.SecretFile != "" {
		b, err := os.ReadFile(cfg.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("webhook-secret-file: %w", err)
		}
		secret = []byte(strings.TrimSpace(string(b)))
	}
	if len(secret) == 0 {
		log.Warn("no webhook secret configured: POST /webhook rejects every request (set NETOPS_WEBHOOK_SECRET or NETOPS_WEBHOOK_SECRET_FILE)")
	}
	alertToken := os.Getenv("NETOPS_ALERTMANAGER_TOKEN")
	if f := os.Getenv("NETOPS_ALERTMANAGER_TOKEN_FILE"); alertToken == "" && f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("NETOPS_ALERTMANAGER_TOKEN_FILE: %w", err)
		}
		alertToken = strings.TrimSpace(string(b))
	}
	scheds, err := parseSchedules(cfg.Schedules, cfg.Models)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	kv, err := d.Bus.KV(ctx, cfg.Bucket)
	if err != nil {
		return nil, err
	}
	eps, err := endpoint.Open(ctx, d.Bus)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, store: d.Store, reg: registry.New(d.Store), bus: d.Bus, kv: kv, log: log, met: newMetrics(d.Metrics),
		schedules: scheds, endpoints: eps, verifier: newVerifier(secret, cfg.ReplayWindow), alerts: newAlertDedup(),
		alertAuth: alertToken, active: map[string]*Run{}}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	if err := r.recover(ctx); err != nil {
		return nil, fmt.Errorf("project-runner: recover interrupted runs: %w", err)
	}
	return &function.Function{Name: "project-runner", Serial: true,
		Consumes: []string{events.LabeledBatch, events.DriftDetected, events.DriftReportType},
		Handle:   r.handle, Routes: r.routes, Run: r.run}, nil
}

// run lasts as long as the function; on shutdown it cancels active runs (they end failed, with
// the reason) and waits for their records to be written.
func (r *runner) run(ctx context.Context) error {
	<-ctx.Done()
	r.cancel()
	r.wg.Wait()
	return nil
}

// writeRows keeps a run's training and hold-out rows as artifacts.
func writeRows(ctx context.Context, store blob.Store, dir string, a *assembled, artifacts *[]string) error {
	for name, rows := range map[string][]features.TrainingRow{"training.parquet": a.train, "holdout.parquet": a.holdout} {
		if err := tables.Put(ctx, store, dir+"/"+name, rows); err != nil {
			return err
		}
		*artifacts = append(*artifacts, dir+"/"+name)
	}
	return nil
}

type metrics struct {
	started, coalesced *prometheus.CounterVec
	finished           *prometheus.CounterVec
	suppressed         *prometheus.CounterVec
	rejected           *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		started:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_runner_runs_started_total", Help: "Runs started, by model and trigger kind."}, []string{"model", "trigger"}),
		coalesced:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_runner_triggers_coalesced_total", Help: "Triggers folded into an active run."}, []string{"model", "trigger"}),
		finished:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_runner_runs_finished_total", Help: "Runs finished, by status and decision."}, []string{"model", "status", "decision"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_runner_drift_events_counted_total", Help: "Drift events that counted toward the policy without starting a run (below N, or in cooldown)."}, []string{"model"}),
		rejected:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netops_runner_requests_rejected_total", Help: "Webhook and Alertmanager requests rejected, by route and reason."}, []string{"route", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.started, m.coalesced, m.finished, m.suppressed, m.rejected)
	}
	return m
}
