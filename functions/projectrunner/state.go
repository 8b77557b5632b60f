package projectrunner

import (
	"context"
	"fmt"
	"github.com/netopsfn/netops/internal/runs"
	"slices"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/tables"
)

// modelState is what the runner remembers per model between events, in KV: event time, the drift
// events counting toward a run, the cooldown, the schedules' next firing and a canary on trial.
type modelState struct {
	EventTime     time.Time            `json:"event_time"`
	Drift         []driftMark          `json:"drift,omitempty"`
	CooldownUntil time.Time            `json:"cooldown_until,omitzero"`
	NextFire      map[string]time.Time `json:"next_fire,omitempty"`
	Canary        *canaryState         `json:"canary,omitempty"`
	// Armed is a drift-triggered run waiting for enough post-drift labeled rows to train on.
	Armed *armed `json:"armed,omitempty"`
}

// armed is a drift trigger that fired: the run starts once PostDriftRows labeled rows newer than
// Since have arrived, and trains on the data since then only.
type armed struct {
	Since   time.Time `json:"since"`
	Rows    int64     `json:"rows"`
	Trigger Trigger   `json:"trigger"`
	Batches []string  `json:"batches,omitempty"` // recent batch keys counted
}

// driftMark is one counted drift event (its id keeps a redelivery from counting twice).
type driftMark struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// canaryState is a deployed canary waiting for enough labeled rows to be judged.
type canaryState struct {
	Model    string   `json:"model"`
	Version  int      `json:"version"`
	Champion int      `json:"champion"`
	RunID    string   `json:"run_id"`
	Rows     int64    `json:"rows"`
	Seen     int64    `json:"seen"`
	Traffic  int      `json:"traffic"`
	Metric   string   `json:"metric"`
	Margin   float64  `json:"margin"`
	Batches  []string `json:"batches,omitempty"` // recent batch keys counted
	Decision string   `json:"decision,omitempty"`
}

func stateKey(model string) string { return "state." + model }

func (r *runner) updateState(ctx context.Context, model string, fn func(*modelState) error) (modelState, error) {
	return bus.UpdateJSON(ctx, r.kv, stateKey(model), func(s *modelState, _ bool) error { return fn(s) })
}

// eventTime is the latest event time seen for a model; before the runner has seen any, the end of
// the newest hour of labeled rows in the store, or the wall clock when there are none.
func (r *runner) eventTime(ctx context.Context, model string) (time.Time, error) {
	s, _, _, err := bus.GetJSON[modelState](ctx, r.kv, stateKey(model))
	if err != nil || !s.EventTime.IsZero() {
		return s.EventTime, err
	}
	objs, err := r.store.List(ctx, "labeled/model="+model+"/")
	if err != nil {
		return time.Time{}, err
	}
	var last time.Time
	for _, o := range objs {
		if h, ok := tables.KeyHour(o.Key); ok && h.After(last) {
			last = h
		}
	}
	if last.IsZero() {
		return time.Now().UTC(), nil
	}
	return last.Add(time.Hour), nil
}

func (r *runner) saveCanary(ctx context.Context, c canaryState) error {
	_, err := r.updateState(ctx, c.Model, func(s *modelState) error {
		s.Canary = &c
		return nil
	})
	return err
}

// handle consumes labeled batches (event time, schedules, canary rows) and drift events (policy).
func (r *runner) handle(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
	switch e.Type() {
	case events.LabeledBatch:
		b, err := events.DecodeBatch(e)
		if err != nil {
			return nil, err
		}
		if r.knownModel(b.Model) != nil {
			return nil, nil
		}
		return nil, r.onLabeled(ctx, b)
	case events.DriftDetected:
		d, err := events.Decode[events.DriftSignal](e)
		if err != nil {
			return nil, err
		}
		if r.knownModel(d.Model) != nil || (len(r.cfg.PolicyDetectors) > 0 && !slices.Contains(r.cfg.PolicyDetectors, d.Detector)) {
			return nil, nil
		}
		return nil, r.onDrift(ctx, d.Model, e.ID(), d.EventTime, Trigger{Kind: "drift", By: d.Detector, At: time.Now().UTC(),
			Detail: map[string]string{"event": e.ID(), "version": fmt.Sprint(d.Version), "index": fmt.Sprint(d.Index), "event_time": d.EventTime.Format(time.RFC3339)}})
	case events.DriftReportType:
		d, err := events.Decode[events.DriftReport](e)
		if err != nil {
			return nil, err
		}
		if r.knownModel(d.Model) != nil || !slices.Contains(r.cfg.PolicyStatuses, d.Status) {
			return nil, nil
		}
		return nil, r.onDrift(ctx, d.Model, e.ID(), d.To, Trigger{Kind: "drift", By: "drift-magnitude " + d.Status, At: time.Now().UTC(),
			Detail: map[string]string{"event": e.ID(), "version": fmt.Sprint(d.Version), "general_drift": fmt.Sprintf("%.4f", d.GeneralDrift), "report": d.Key}})
	}
	return nil, nil
}

// onDrift counts a drift event and, when the policy says so (PolicyEvents events within
// PolicyWindow of event time, outside the cooldown of the last drift-triggered run), arms a run:
// it starts once PostDriftRows labeled rows have arrived since the first counted event (at once
// when PostDriftRows is 0), and trains on the rows since then, so the candidate learns the world
// after the drift rather than the one the champion already knew.
func (r *runner) onDrift(ctx context.Context, model, id string, at time.Time, t Trigger) error {
	fire := false
	var since time.Time
	_, err := r.updateState(ctx, model, func(s *modelState) error {
		fire = false
		if slices.ContainsFunc(s.Drift, func(m driftMark) bool { return m.ID == id }) {
			return nil
		}
		if at.After(s.EventTime) {
			s.EventTime = at
		}
		s.Drift = slices.DeleteFunc(s.Drift, func(m driftMark) bool { return m.At.Before(at.Add(-r.cfg.PolicyWindow)) })
		s.Drift = append(s.Drift, driftMark{ID: id, At: at})
		if len(s.Drift) > 4*r.cfg.PolicyEvents+16 {
			s.Drift = s.Drift[len(s.Drift)-(4*r.cfg.PolicyEvents+16):]
		}
		if len(s.Drift) >= r.cfg.PolicyEvents && !at.Before(s.CooldownUntil) && s.Armed == nil {
			fire = true
			since = s.Drift[0].At
			for _, m := range s.Drift {
				if m.At.Before(since) {
					since = m.At
				}
			}
			s.CooldownUntil = at.Add(r.cfg.Cooldown)
			s.Drift = s.Drift[:0]
			if r.cfg.PostDriftRows > 0 {
				t.Detail["post_drift_since"] = since.Format(time.RFC3339)
				s.Armed = &armed{Since: since, Trigger: t}
			}
		}
		return nil
	})
	if err != nil || !fire {
		if err == nil {
			r.met.suppressed.WithLabelValues(model).Inc()
		}
		return err
	}
	if r.cfg.PostDriftRows > 0 {
		r.log.Info("drift policy armed a run; waiting for post-drift rows", "model", model, "since", since, "rows", r.cfg.PostDriftRows, "by", t.By)
		return nil
	}
	runID, coalesced, err := r.start(ctx, model, t, r.cfg.Run.params())
	if err != nil {
		return err
	}
	r.log.Info("drift policy started a run", "model", model, "run", runID, "coalesced", coalesced, "by", t.By)
	return nil
}

// onLabeled advances the model's event time, fires due schedules and counts a canary's rows.
func (r *runner) onLabeled(ctx context.Context, b *events.Batch) error {
	var due []string
	var judge *canaryState
	var ready *armed
	st, err := r.updateState(ctx, b.Model, func(s *modelState) error {
		due, judge, ready = nil, nil, nil
		if b.To.After(s.EventTime) {
			s.EventTime = b.To
		}
		if s.NextFire == nil {
			s.NextFire = map[string]time.Time{}
		}
		for _, ms := range r.schedules {
			if ms.model != b.Model {
				continue
			}
			next, ok := s.NextFire[ms.sched.expr]
			if ok && !s.EventTime.Before(next) {
				due = append(due, ms.sched.expr)
			}
			if !ok || !s.EventTime.Before(next) {
				s.NextFire[ms.sched.expr] = ms.sched.next(s.EventTime)
			}
		}
		if a := s.Armed; a != nil && !b.To.Before(a.Since) && !slices.Contains(a.Batches, b.Key) {
			a.Rows += b.Rows
			a.Batches = append(a.Batches, b.Key)
			if len(a.Batches) > 64 {
				a.Batches = a.Batches[1:]
			}
			if a.Rows >= r.cfg.PostDriftRows {
				aa := *a
				ready = &aa
				s.Armed = nil
			}
		}
		if c := s.Canary; c != nil && c.Version == b.Version && !slices.Contains(c.Batches, b.Key) {
			c.Seen += b.Rows
			c.Batches = append(c.Batches, b.Key)
			if len(c.Batches) > 64 {
				c.Batches = c.Batches[1:]
			}
			if c.Seen >= c.Rows {
				cc := *c
				judge = &cc
				s.Canary = nil
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, expr := range due {
		if _, _, err := r.start(ctx, b.Model, Trigger{Kind: "schedule", By: expr, At: time.Now().UTC(),
			Detail: map[string]string{"event_time": b.To.Format(time.RFC3339)}}, r.cfg.Run.params()); err != nil {
			return err
		}
	}
	if ready != nil {
		p := r.cfg.Run.params()
		p.Window = runs.Duration(st.EventTime.Sub(ready.Since))
		ready.Trigger.Detail["post_drift_rows"] = fmt.Sprint(ready.Rows)
		id, coalesced, err := r.start(ctx, b.Model, ready.Trigger, p)
		if err != nil {
			return err
		}
		r.log.Info("drift policy started a run on post-drift data", "model", b.Model, "run", id, "coalesced", coalesced, "window", time.Duration(p.Window))
	}
	if judge != nil {
		return r.judgeCanary(ctx, judge)
	}
	return nil
}

// judgeCanary promotes a canary whose labeled F1 is no worse than the champion's by more than
// the margin over the same period, and rolls it back otherwise.
func (r *runner) judgeCanary(ctx context.Context, c *canaryState) error {
	cand, _, err := r.endpoints.Get(ctx, c.Model, c.Version)
	if err != nil {
		return err
	}
	champ, _, err := r.endpoints.Get(ctx, c.Model, c.Champion)
	if err != nil {
		return err
	}
	var cf, hf float64
	if cand.Metrics != nil {
		cf = cand.Metrics.F1
	}
	if champ.Metrics != nil {
		hf = champ.Metrics.F1
	}
	promote := cand.Metrics != nil && cf >= hf-c.Margin
	decision := "promoted"
	reason := fmt.Sprintf("canary v%d labeled F1 %.4f vs champion v%d %.4f after %d rows", c.Version, cf, c.Champion, hf, c.Seen)
	// Either way the canary alias ends on the champion, which the model servers read as "no
	// canary": promoted, the champion moves to the canary's version; rolled back, the canary
	// alias moves back to the champion's.
	if promote {
		if err := r.reg.SetAlias(ctx, c.Model, "champion", c.Version, "canary promoted by run "+c.RunID); err != nil {
			return err
		}
		if err := r.announce(ctx, c.Model, c.Version, "champion", 100, c.RunID); err != nil {
			return err
		}
	} else {
		decision = "rolled_back"
		if err := r.reg.SetAlias(ctx, c.Model, "canary", c.Champion, "canary rolled back by run "+c.RunID); err != nil {
			return err
		}
		if err := r.announce(ctx, c.Model, c.Champion, "canary", 0, c.RunID+"-rollback"); err != nil {
			return err
		}
	}
	r.log.Info("canary judged", "model", c.Model, "version", c.Version, "decision", decision, "reason", reason)
	r.mu.Lock()
	defer r.mu.Unlock()
	run, err := runs.Load(ctx, r.store, c.RunID)
	if err != nil {
		return nil
	}
	if run.Extra == nil {
		run.Extra = map[string]any{}
	}
	run.Extra["canary"] = map[string]any{"decision": decision, "reason": reason, "rows": c.Seen}
	if promote {
		run.Decision = DecisionDeployed
	}
	run.Reason += "; " + reason + ": " + decision
	return runs.Save(ctx, r.store, run)
}
