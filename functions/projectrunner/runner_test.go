package projectrunner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/netopsfn/netops/internal/runs"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/registry"
)

func post(t *testing.T, url string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func signed(secret []byte, ts time.Time, body []byte) map[string]string {
	return map[string]string{SignatureHeader: Sign(secret, ts, body), TimestampHeader: strconv.FormatInt(ts.Unix(), 10)}
}

func startRun(t *testing.T, url string, secret []byte, body string) RunStarted {
	t.Helper()
	code, resp := post(t, url+"/webhook", []byte(body), signed(secret, time.Now(), []byte(body)))
	if code != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", code, resp)
	}
	var rs RunStarted
	if err := json.Unmarshal([]byte(resp), &rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestRunDeploysBetterCandidate(t *testing.T) {
	fx := newFixture(t, 10, 12)
	weak := fx.weakChampion(t)
	deployed := fx.subscribe(t, events.Subject(events.ModelDeployed))
	finished := fx.subscribe(t, events.Subject(events.WorkflowSucceeded))
	cfg := testConfig(t)
	_, srv, _ := fx.start(t, cfg)

	rs := startRun(t, srv.URL, cfg.Secret, `{"workflow": "train", "model": "netops", "params": {"candidates": ["gbt"]}}`)
	run := fx.waitRun(t, rs.RunID)
	if run.Status != StatusSucceeded || run.Decision != DecisionDeployed {
		t.Fatalf("run %s: status %s decision %s reason %q error %q", run.ID, run.Status, run.Decision, run.Reason, run.Error)
	}
	if len(run.Steps) != 4 || run.Steps[3].Name != "deploy" || run.Trigger.Kind != "webhook" || run.Params.Candidates[0] != "gbt" {
		t.Fatalf("run record %+v", run)
	}
	for _, s := range run.Steps {
		if s.Status != StatusSucceeded || s.Seconds <= 0 {
			t.Errorf("step %+v", s)
		}
	}
	if run.Champion == nil || run.Champion.Version != weak || run.Candidate.Version != weak+1 ||
		run.Candidate.Metrics["f1"] < run.Champion.Metrics["f1"]+0.01 {
		t.Fatalf("candidate %+v champion %+v", run.Candidate, run.Champion)
	}
	if run.Data == nil || run.Data.HoldoutRows == 0 || run.Data.TrainRows < 4*run.Data.HoldoutRows-10 {
		t.Fatalf("data %+v", run.Data)
	}
	if v, _ := registry.New(fx.store).Resolve(context.Background(), "netops", "champion"); v != weak+1 {
		t.Fatalf("champion is v%d, want v%d", v, weak+1)
	}
	select {
	case m := <-deployed:
		e, err := bus.FromMsg(m)
		if err != nil {
			t.Fatal(err)
		}
		d, err := events.Decode[events.Deployment](e)
		if err != nil || d.Version != weak+1 || d.Alias != "champion" || d.Traffic != 100 || d.RunID != run.ID {
			t.Fatalf("model.deployed %+v %v", d, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no model.deployed")
	}
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("no workflow.succeeded")
	}
	// The run and its artifacts are listed.
	resp, err := http.Get(srv.URL + "/runs/" + run.ID)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET run: %v %v", resp, err)
	}
	resp.Body.Close()
	if resp, _ := http.Get(srv.URL + "/runs/nope"); resp.StatusCode != 404 {
		t.Fatalf("GET unknown run: %d", resp.StatusCode)
	}
}

func TestGateRejectsAndFailuresLeaveChampion(t *testing.T) {
	fx := newFixture(t, 10, 12)
	weak := fx.weakChampion(t)
	cfg := testConfig(t)
	_, srv, _ := fx.start(t, cfg)
	reg := registry.New(fx.store)

	// A margin nothing can meet: the candidate is registered but not deployed.
	rs := startRun(t, srv.URL, cfg.Secret, `{"workflow": "train", "params": {"candidates": ["lr"], "margin": 1}}`)
	run := fx.waitRun(t, rs.RunID)
	if run.Status != StatusSucceeded || run.Decision != DecisionRejected || !strings.Contains(run.Reason, "below the margin") {
		t.Fatalf("run: %s %s %q", run.Status, run.Decision, run.Reason)
	}
	// Too little data in the window: the assemble step fails with the reason.
	rs = startRun(t, srv.URL, cfg.Secret, `{"workflow": "train", "params": {"window": "1m"}}`)
	run = fx.waitRun(t, rs.RunID)
	if run.Status != StatusFailed || run.Decision != DecisionNone || !strings.Contains(run.Error, "min_rows") ||
		run.Steps[0].Status != StatusFailed || len(run.Steps) != 1 {
		t.Fatalf("run: %+v", run)
	}
	// The store disappears under a run: it fails with the store's error.
	if err := fx.store.Delete(context.Background(), "models/netops/v1/model.json"); err != nil {
		t.Fatal(err)
	}
	rs = startRun(t, srv.URL, cfg.Secret, `{"workflow": "train", "params": {"candidates": ["lr"]}}`)
	run = fx.waitRun(t, rs.RunID)
	if run.Status != StatusFailed || !strings.Contains(run.Error, "champion") {
		t.Fatalf("run: %s %q", run.Status, run.Error)
	}
	if v, _ := reg.Resolve(context.Background(), "netops", "champion"); v != weak {
		t.Fatalf("champion moved to v%d", v)
	}
}

func TestWebhookRejectsBadRequests(t *testing.T) {
	fx := newFixture(t, 3, 2)
	cfg := testConfig(t)
	_, srv, _ := fx.start(t, cfg)
	body := []byte(`{"workflow": "train"}`)
	now := time.Now()
	good := signed(cfg.Secret, now, body)
	tests := []struct {
		name string
		body []byte
		hdr  map[string]string
		code int
		want string
	}{
		{"unsigned", body, nil, 401, "missing X-Netops-Signature"},
		{"no timestamp", body, map[string]string{SignatureHeader: good[SignatureHeader]}, 401, "missing X-Netops-Timestamp"},
		{"wrong secret", body, signed([]byte("other"), now, body), 401, "does not match"},
		{"body changed", []byte(`{"workflow": "train" }`), good, 401, "does not match"},
		{"timestamp changed", body, map[string]string{SignatureHeader: good[SignatureHeader], TimestampHeader: strconv.FormatInt(now.Unix()+1, 10)}, 401, "does not match"},
		{"stale", body, signed(cfg.Secret, now.Add(-time.Hour), body), 401, "replay window"},
		{"oversized", bytes.Repeat([]byte("x"), int(cfg.MaxBody)+1), good, 413, "larger than"},
		{"malformed", []byte(`{"workflow":`), signed(cfg.Secret, now, []byte(`{"workflow":`)), 400, "invalid JSON"},
		{"unknown workflow", []byte(`{"workflow":"deploy"}`), signed(cfg.Secret, now, []byte(`{"workflow":"deploy"}`)), 400, "unknown workflow"},
		{"unknown model", []byte(`{"workflow":"train","model":"x"}`), signed(cfg.Secret, now, []byte(`{"workflow":"train","model":"x"}`)), 400, "not one this runner"},
		{"bad params", []byte(`{"workflow":"train","params":{"budget":0}}`), signed(cfg.Secret, now, []byte(`{"workflow":"train","params":{"budget":0}}`)), 400, "budget"},
	}
	for _, tt := range tests {
		code, resp := post(t, srv.URL+"/webhook", tt.body, tt.hdr)
		if code != tt.code || !strings.Contains(resp, tt.want) || strings.Contains(resp, string(cfg.Secret)) {
			t.Errorf("%s: %d %s, want %d with %q", tt.name, code, resp, tt.code, tt.want)
		}
	}
	// The first use of a signature is accepted, the same request again is a replay.
	if code, resp := post(t, srv.URL+"/webhook", body, good); code != 202 {
		t.Fatalf("good request: %d %s", code, resp)
	}
	if code, resp := post(t, srv.URL+"/webhook", body, good); code != 401 || !strings.Contains(resp, "replayed") {
		t.Fatalf("replay: %d %s", code, resp)
	}
	// Without a secret the webhook refuses everything and says why.
	cfg2 := testConfig(t)
	cfg2.Secret = nil
	cfg2.Bucket = "runner-2"
	t.Setenv("NETOPS_WEBHOOK_SECRET", "")
	_, srv2, _ := fx.start(t, cfg2)
	if code, resp := post(t, srv2.URL+"/webhook", body, good); code != 401 || !strings.Contains(resp, "no webhook secret") {
		t.Fatalf("no secret: %d %s", code, resp)
	}
}

func TestDriftFloodStartsOneRun(t *testing.T) {
	fx := newFixture(t, 10, 12)
	fx.weakChampion(t)
	cfg := testConfig(t)
	cfg.PolicyEvents = 3
	cfg.PostDriftRows = 0 // start at once
	fn, _, _ := fx.start(t, cfg)
	ctx := context.Background()
	send := func(i int, at time.Time) {
		e, err := events.New(events.DriftDetected, "/test", fmt.Sprintf("drift-%d", i),
			&events.DriftSignal{Model: "netops", Version: 1, Detector: "ddm", Index: int64(i), EventTime: at})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fn.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	at := fx.end.Add(-time.Hour)
	send(0, at)
	send(0, at) // a redelivery counts once
	send(1, at.Add(time.Minute))
	if all, _ := runs.List(ctx, fx.store); len(all) != 0 {
		t.Fatalf("%d runs after 2 distinct events, policy wants 3", len(all))
	}
	for i := 2; i < 60; i++ {
		send(i, at.Add(time.Duration(i)*time.Minute))
	}
	all, _ := runs.List(ctx, fx.store)
	if len(all) != 1 || all[0].Trigger.Kind != "drift" || all[0].Trigger.By != "ddm" {
		t.Fatalf("%d runs after a flood in cooldown, want 1: %+v", len(all), all)
	}
	fx.waitRun(t, all[0].ID)
	// After the cooldown the policy fires again.
	for i := 100; i < 103; i++ {
		send(i, at.Add(cfg.Cooldown+time.Duration(i)*time.Minute))
	}
	if all, _ := runs.List(ctx, fx.store); len(all) != 2 {
		t.Fatalf("%d runs after the cooldown, want 2", len(all))
	}
}

func TestAlertmanager(t *testing.T) {
	fx := newFixture(t, 3, 2)
	cfg := testConfig(t)
	_, srv, _ := fx.start(t, cfg)
	payload := `{"receiver":"netops","status":"firing","version":"4","groupKey":"{}:{alertname=\"ModelDrift\"}","truncatedAlerts":0,
	  "groupLabels":{"alertname":"ModelDrift"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093",
	  "alerts":[
	    {"status":"firing","labels":{"alertname":"ModelDrift","model":"netops"},"annotations":{"summary":"drift"},"startsAt":"2026-11-23T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom","fingerprint":"a1"},
	    {"status":"resolved","labels":{"alertname":"ModelDrift","model":"netops"},"startsAt":"2026-11-23T09:00:00Z","fingerprint":"a0"},
	    {"status":"firing","labels":{"alertname":"DiskFull"},"startsAt":"2026-11-23T10:00:00Z","fingerprint":"b1"}
	  ]}`
	code, resp := post(t, srv.URL+"/alertmanager", []byte(payload), nil)
	if code != 200 || !strings.Contains(resp, `"action":"started"`) || strings.Count(resp, `"ignored"`) != 2 {
		t.Fatalf("%d %s", code, resp)
	}
	code, resp = post(t, srv.URL+"/alertmanager", []byte(payload), nil)
	if code != 200 || !strings.Contains(resp, `"duplicate"`) || strings.Contains(resp, `"started"`) {
		t.Fatalf("repeat notification: %d %s", code, resp)
	}
	if code, resp := post(t, srv.URL+"/alertmanager", []byte(`{"version":"3","alerts":[]}`), nil); code != 400 || !strings.Contains(resp, "version") {
		t.Fatalf("v3: %d %s", code, resp)
	}
	if code, _ := post(t, srv.URL+"/alertmanager", []byte(`not json`), nil); code != 400 {
		t.Fatalf("bad JSON: %d", code)
	}
	all, _ := runs.List(context.Background(), fx.store)
	if len(all) != 1 || all[0].Trigger.Kind != "alertmanager" || !strings.Contains(all[0].Trigger.By, "a1") {
		t.Fatalf("runs %+v", all)
	}
	fx.waitRun(t, all[0].ID)
}

func TestScheduleInEventTime(t *testing.T) {
	fx := newFixture(t, 3, 2)
	cfg := testConfig(t)
	cfg.Schedules = "netops=0 */6 * * *"
	fn, _, _ := fx.start(t, cfg)
	ctx := context.Background()
	batch := func(i int, to time.Time) {
		e, err := events.New(events.LabeledBatch, "/test", fmt.Sprintf("b%d", i), &events.Batch{Key: fmt.Sprintf("labeled/model=netops/%d.parquet", i),
			Rows: 10, From: to.Add(-time.Minute), To: to, SchemaVersion: events.SchemaVersion, Model: "netops", Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fn.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	for i := range 100 { // 04:00 → 05:39: no boundary
		batch(i, base.Add(time.Duration(i)*time.Minute))
	}
	if all, _ := runs.List(ctx, fx.store); len(all) != 0 {
		t.Fatalf("%d runs before 06:00", len(all))
	}
	batch(200, base.Add(2*time.Hour+time.Minute)) // 06:01 crosses 06:00
	all, _ := runs.List(ctx, fx.store)
	if len(all) != 1 || all[0].Trigger.Kind != "schedule" || all[0].Trigger.By != "0 */6 * * *" {
		t.Fatalf("runs %+v", all)
	}
	fx.waitRun(t, all[0].ID)
}

func TestRecoverMarksInterruptedRunFailed(t *testing.T) {
	fx := newFixture(t, 3, 2)
	cfg := testConfig(t)
	ctx := context.Background()
	run := &Run{ID: "20261123-000000-dead", Workflow: "train", Model: "netops", Status: StatusRunning, Created: time.Now().UTC(),
		Steps: []Step{{Name: "assemble", Status: StatusSucceeded}, {Name: "train", Status: StatusRunning}}}
	if err := runs.Save(ctx, fx.store, run); err != nil {
		t.Fatal(err)
	}
	kv, err := fx.bus.KV(ctx, cfg.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, activeKey("netops"), []byte(run.ID)); err != nil {
		t.Fatal(err)
	}
	fx.start(t, cfg)
	got, err := runs.Load(ctx, fx.store, run.ID)
	if err != nil || got.Status != StatusFailed || !strings.Contains(got.Error, "during step train") || got.Steps[1].Status != StatusFailed {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := kv.Get(ctx, activeKey("netops")); err == nil {
		t.Fatal("active marker left behind")
	}
}

func TestDriftRunWaitsForPostDriftRows(t *testing.T) {
	fx := newFixture(t, 10, 12)
	fx.weakChampion(t)
	cfg := testConfig(t)
	cfg.PostDriftRows = 2000
	fn, _, _ := fx.start(t, cfg)
	ctx := context.Background()
	handle := func(typ, id string, p events.Payload) {
		e, err := events.New(typ, "/test", id, p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fn.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	onset := fx.end.Add(-3 * time.Hour)
	handle(events.DriftDetected, "d1", &events.DriftSignal{Model: "netops", Version: 1, Detector: "ddm", Index: 5, EventTime: onset})
	labeled := func(i int, to time.Time, rows int64) {
		handle(events.LabeledBatch, fmt.Sprintf("l%d", i), &events.Batch{Key: fmt.Sprintf("labeled/model=netops/x/%d.parquet", i), Rows: rows,
			From: to.Add(-time.Minute), To: to, SchemaVersion: events.SchemaVersion, Model: "netops", Version: 1})
	}
	labeled(1, onset.Add(-time.Hour), 5000) // before the drift: does not count
	labeled(2, onset.Add(time.Hour), 1000)
	labeled(2, onset.Add(time.Hour), 1000) // redelivered: counts once
	if all, _ := runs.List(ctx, fx.store); len(all) != 0 {
		t.Fatalf("%d runs with 1000 post-drift rows, want 0 until 2000", len(all))
	}
	labeled(3, fx.end, 1000)
	all, _ := runs.List(ctx, fx.store)
	if len(all) != 1 {
		t.Fatalf("%d runs after 2000 post-drift rows, want 1", len(all))
	}
	run := fx.waitRun(t, all[0].ID)
	if run.Trigger.Kind != "drift" || run.Trigger.Detail["post_drift_rows"] != "2000" || run.Data == nil ||
		!run.Data.From.Equal(onset) || !run.Data.To.Equal(fx.end) || time.Duration(run.Params.Window) != 3*time.Hour {
		t.Fatalf("run %+v data %+v", run, run.Data)
	}
	if run.Status != StatusSucceeded || run.Decision != DecisionDeployed {
		t.Fatalf("run %s %s: %s %s", run.Status, run.Decision, run.Reason, run.Error)
	}
}

func TestCanaryPromotedOrRolledBack(t *testing.T) {
	fx := newFixture(t, 10, 12)
	weak := fx.weakChampion(t)
	cfg := testConfig(t)
	fn, srv, _ := fx.start(t, cfg)
	ctx := context.Background()
	reg := registry.New(fx.store)
	eps, err := endpoint.Open(ctx, fx.bus)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name            string
		canaryF1, champ float64
		want            string
		champion        func(cand int) int
	}{
		{"better canary is promoted", 0.6, 0.5, "promoted", func(cand int) int { return cand }},
		{"worse canary is rolled back", 0.3, 0.5, "rolled_back", func(int) int { return weak }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := startRun(t, srv.URL, cfg.Secret, `{"workflow": "train", "params": {"candidates": ["lr"], "deploy": "canary", "canary_traffic": 30, "canary_rows": 500, "margin": 0}}`)
			run := fx.waitRun(t, rs.RunID)
			if run.Decision != DecisionCanary {
				t.Fatalf("run %s: %s %q", run.Status, run.Decision, run.Reason)
			}
			cand := run.Candidate.Version
			if v, _ := reg.Resolve(ctx, "netops", "canary"); v != cand {
				t.Fatalf("canary alias at v%d, want v%d", v, cand)
			}
			for v, f1 := range map[int]float64{cand: tc.canaryF1, weak: tc.champ} {
				if _, err := eps.Update(ctx, "netops", v, func(r *endpoint.Record) error {
					r.Metrics = &endpoint.LabelMetrics{F1: f1, WindowRows: 500}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 3 {
				e, err := events.New(events.LabeledBatch, "/test", fmt.Sprintf("%s-%d", rs.RunID, i), &events.Batch{Key: fmt.Sprintf("labeled/model=netops/%s/%d.parquet", rs.RunID, i),
					Rows: 200, From: fx.end, To: fx.end.Add(time.Minute), SchemaVersion: events.SchemaVersion, Model: "netops", Version: cand})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := fn.Handle(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			if v, _ := reg.Resolve(ctx, "netops", "champion"); v != tc.champion(cand) {
				t.Fatalf("champion v%d, want v%d", v, tc.champion(cand))
			}
			champ, _ := reg.Resolve(ctx, "netops", "champion")
			if v, _ := reg.Resolve(ctx, "netops", "canary"); v != champ {
				t.Fatalf("canary alias at v%d after the trial, want the champion v%d (no canary)", v, champ)
			}
			got, err := runs.Load(ctx, fx.store, rs.RunID)
			if err != nil || !strings.Contains(got.Reason, tc.want) {
				t.Fatalf("run reason %q %v", got.Reason, err)
			}
			weak = champ
		})
	}
}
