package projectrunner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/netopsfn/netops/internal/runs"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/workflow"
)

const source = "/netops/project-runner"

// runner starts and executes runs. One run per model is active at a time; triggers that arrive
// meanwhile coalesce into it.
type runner struct {
	cfg   Config
	store blob.Store
	reg   *registry.Registry
	bus   *bus.Bus
	kv    jetstream.KeyValue
	log   *slog.Logger
	met   *metrics

	schedules []modelSchedule
	endpoints *endpoint.Store
	verifier  *verifier
	alerts    *alertDedup
	alertAuth string // bearer token Alertmanager must send; empty accepts any caller

	ctx    context.Context // runs live as long as the function, not as long as their trigger
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	active map[string]*Run // model → its active run
}

func activeKey(model string) string { return "active." + model }

func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// start begins a run of the train workflow for model, or adds the trigger to the model's active
// run. It returns the run's id and whether the trigger was coalesced.
func (r *runner) start(ctx context.Context, model string, t Trigger, p Params) (string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if run, ok := r.active[model]; ok {
		run.Coalesced = append(run.Coalesced, t)
		r.met.coalesced.WithLabelValues(model, t.Kind).Inc()
		if err := runs.Save(ctx, r.store, run); err != nil {
			r.log.Warn("coalesced trigger not recorded", "run", run.ID, "err", err)
		}
		return run.ID, true, nil
	}
	now := time.Now().UTC()
	id := newRunID(now)
	if _, err := r.kv.Create(ctx, activeKey(model), []byte(id)); err != nil {
		if bus.IsConflict(err) {
			// Another replica is running this model; its run absorbs the trigger.
			if e, gerr := r.kv.Get(ctx, activeKey(model)); gerr == nil {
				return string(e.Value()), true, nil
			}
		}
		return "", false, fmt.Errorf("claim run for %s: %w", model, err)
	}
	run := &Run{ID: id, Workflow: "train", Model: model, Status: StatusRunning, Trigger: t, Params: p, Created: now}
	if err := runs.Save(ctx, r.store, run); err != nil {
		_ = r.kv.Delete(ctx, activeKey(model))
		return "", false, err
	}
	r.active[model] = run
	r.met.started.WithLabelValues(model, t.Kind).Inc()
	r.publish(events.WorkflowStarted, run)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.execute(run)
	}()
	return id, false, nil
}

// execute runs the steps; whatever happens the run ends succeeded or failed, is saved, and its
// model is free for the next run.
func (r *runner) execute(run *Run) {
	ctx := r.ctx
	err := r.steps(ctx, run)
	r.mu.Lock()
	run.Finished = time.Now().UTC()
	if err != nil {
		run.Status, run.Error = StatusFailed, err.Error()
		if run.Decision == "" {
			run.Decision, run.Reason = DecisionNone, "the run failed: "+err.Error()
		}
	} else {
		run.Status = StatusSucceeded
	}
	saveErr := runs.Save(context.WithoutCancel(ctx), r.store, run)
	delete(r.active, run.Model)
	r.mu.Unlock()
	if saveErr != nil {
		r.log.Error("run record not saved", "run", run.ID, "err", saveErr)
	}
	if err := r.kv.Delete(context.WithoutCancel(ctx), activeKey(run.Model)); err != nil {
		r.log.Warn("active run marker not cleared", "model", run.Model, "err", err)
	}
	r.met.finished.WithLabelValues(run.Model, run.Status, run.Decision).Inc()
	kind := events.WorkflowSucceeded
	if run.Status == StatusFailed {
		kind = events.WorkflowFailed
	}
	r.publish(kind, run)
	r.log.Info("run finished", "run", run.ID, "model", run.Model, "status", run.Status, "decision", run.Decision, "reason", run.Reason)
}

// step runs one step, recording its status, duration and log in the run record.
func (r *runner) step(ctx context.Context, run *Run, name string, fn func(log *bytes.Buffer) error) error {
	r.mu.Lock()
	run.Steps = append(run.Steps, Step{Name: name, Status: StatusRunning, Start: time.Now().UTC()})
	i := len(run.Steps) - 1
	_ = runs.Save(ctx, r.store, run)
	r.mu.Unlock()
	var log bytes.Buffer
	err := fn(&log)
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &run.Steps[i]
	s.Seconds = time.Since(s.Start).Seconds()
	s.Log = tail(log.String(), 16<<10)
	s.Status = StatusSucceeded
	if err != nil {
		s.Status, s.Error = StatusFailed, err.Error()
	}
	if serr := runs.Save(ctx, r.store, run); serr != nil && err == nil {
		return serr
	}
	if err != nil {
		return fmt.Errorf("step %s: %w", name, err)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// steps is the train workflow: assemble → train → evaluate → deploy.
func (r *runner) steps(ctx context.Context, run *Run) error {
	p := run.Params
	dir := "runs/" + run.ID
	var data *assembled
	end, err := r.eventTime(ctx, run.Model)
	if err != nil {
		return err
	}
	if err := r.step(ctx, run, "assemble", func(log *bytes.Buffer) error {
		data, err = assemble(ctx, r.store, run.Model, p, end, dir, log)
		if err != nil {
			return err
		}
		run.Data = &data.summary
		return writeRows(ctx, r.store, dir, data, &run.Artifacts)
	}); err != nil {
		return err
	}
	var res *workflow.Result
	if err := r.step(ctx, run, "train", func(log *bytes.Buffer) error {
		res, err = workflow.Train(ctx, r.store, workflow.Options{Name: run.Model, Data: dir + "/training.parquet", Models: p.Candidates,
			Metric: p.Metric, Budget: p.Budget, Split: "time", MaxRows: p.MaxRows, Seed: p.Seed, RunID: run.ID, Progress: log})
		return err
	}); err != nil {
		return err
	}
	champion, err := r.reg.Resolve(ctx, run.Model, "champion")
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return err
	}
	if err := r.step(ctx, run, "evaluate", func(log *bytes.Buffer) error {
		if run.Candidate, err = judge(ctx, r.reg, run.Model, res.Version, data.holdout); err != nil {
			return fmt.Errorf("candidate: %w", err)
		}
		fmt.Fprintf(log, "candidate v%d (%s): %s %.4f on %d hold-out rows\n", res.Version, res.Kind, p.Metric, run.Candidate.Metrics[p.Metric], len(data.holdout))
		if champion == 0 {
			return nil
		}
		if run.Champion, err = judge(ctx, r.reg, run.Model, champion, data.holdout); err != nil {
			return fmt.Errorf("champion: %w", err)
		}
		fmt.Fprintf(log, "champion v%d (%s): %s %.4f\n", champion, run.Champion.Kind, p.Metric, run.Champion.Metrics[p.Metric])
		return nil
	}); err != nil {
		return err
	}
	return r.step(ctx, run, "deploy", func(log *bytes.Buffer) error {
		return r.deploy(ctx, run, log)
	})
}

// deploy applies the gate and moves an alias when the candidate passes.
func (r *runner) deploy(ctx context.Context, run *Run, log *bytes.Buffer) error {
	p := run.Params
	cand := run.Candidate.Version
	ok, reason := true, fmt.Sprintf("no champion yet; candidate v%d becomes champion", cand)
	if run.Champion != nil {
		ok, reason = better(p.Metric, p.Margin, run.Candidate, run.Champion)
	}
	fmt.Fprintln(log, reason)
	run.Reason = reason
	switch {
	case !ok:
		run.Decision = DecisionRejected
		return nil
	case p.Deploy == "none":
		run.Decision, run.Reason = DecisionRejected, reason+"; deploy=none, so nothing moves"
		return nil
	case p.Deploy == "canary" && run.Champion != nil:
		if err := r.reg.SetAlias(ctx, run.Model, "canary", cand, "run "+run.ID); err != nil {
			return err
		}
		if err := r.saveCanary(ctx, canaryState{Model: run.Model, Version: cand, Champion: run.Champion.Version, RunID: run.ID,
			Rows: p.CanaryRows, Traffic: p.CanaryTraffic, Metric: p.Metric, Margin: p.Margin}); err != nil {
			return err
		}
		run.Decision = DecisionCanary
		return r.announce(ctx, run.Model, cand, "canary", p.CanaryTraffic, run.ID)
	default:
		if err := r.reg.SetAlias(ctx, run.Model, "champion", cand, "run "+run.ID); err != nil {
			return err
		}
		run.Decision = DecisionDeployed
		return r.announce(ctx, run.Model, cand, "champion", 100, run.ID)
	}
}

// announce publishes model.deployed so the model servers reload.
func (r *runner) announce(ctx context.Context, model string, version int, alias string, traffic int, runID string) error {
	e, err := events.New(events.ModelDeployed, source, events.DerivedID(runID, "deployed", alias, fmt.Sprint(version)),
		&events.Deployment{Model: model, Version: version, Alias: alias, Traffic: traffic, RunID: runID})
	if err != nil {
		return err
	}
	return r.bus.Publish(ctx, e)
}

func (r *runner) publish(kind string, run *Run) {
	w := &events.Workflow{RunID: run.ID, Workflow: run.Workflow, Model: run.Model, Trigger: run.Trigger.Kind, Status: run.Status,
		Decision: run.Decision, Reason: run.Reason}
	if run.Candidate != nil {
		w.Version = run.Candidate.Version
	}
	e, err := events.New(kind, source, events.DerivedID(run.ID, kind), w)
	if err == nil {
		err = r.bus.Publish(context.WithoutCancel(r.ctx), e)
	}
	if err != nil {
		r.log.Warn("workflow event not published", "run", run.ID, "type", kind, "err", err)
	}
}

// recover marks runs a previous process left "running" as failed: their goroutine is gone.
func (r *runner) recover(ctx context.Context) error {
	for _, m := range r.cfg.Models {
		e, err := r.kv.Get(ctx, activeKey(m))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		id := string(e.Value())
		run, err := runs.Load(ctx, r.store, id)
		if err == nil && run.Status == StatusRunning {
			step := "start"
			if n := len(run.Steps); n > 0 {
				step = run.Steps[n-1].Name
				if run.Steps[n-1].Status == StatusRunning {
					run.Steps[n-1].Status = StatusFailed
				}
			}
			run.Status, run.Decision = StatusFailed, DecisionNone
			run.Error = fmt.Sprintf("the runner stopped during step %s; marked failed at restart", step)
			run.Reason = run.Error
			run.Finished = time.Now().UTC()
			if err := runs.Save(ctx, r.store, run); err != nil {
				return err
			}
			r.log.Warn("interrupted run marked failed", "run", id, "model", m, "step", step)
		} else if err != nil && !errors.Is(err, blob.ErrNotFound) {
			return err
		}
		if err := r.kv.Delete(ctx, activeKey(m)); err != nil {
			return err
		}
	}
	return nil
}

// knownModel checks a model name from outside.
func (r *runner) knownModel(m string) error {
	for _, x := range r.cfg.Models {
		if x == m {
			return nil
		}
	}
	return fmt.Errorf("model %q is not one this runner retrains (%s)", m, strings.Join(r.cfg.Models, ", "))
}
