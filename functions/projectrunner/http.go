package projectrunner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/netopsfn/netops/internal/runs"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/httpjson"
)

func (r *runner) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /webhook", r.serveWebhook)
	mux.HandleFunc("POST /alertmanager", r.serveAlertmanager)
	mux.HandleFunc("GET /runs", r.serveRuns)
	mux.HandleFunc("GET /runs/{id}", r.serveRun)
}

// WebhookRequest is the body of POST /webhook.
type WebhookRequest struct {
	Workflow string          `json:"workflow"`
	Model    string          `json:"model"`
	Params   json.RawMessage `json:"params,omitempty"`
}

// RunStarted is the answer to a trigger: the run that will do the work.
type RunStarted struct {
	RunID     string `json:"run_id"`
	Model     string `json:"model"`
	Coalesced bool   `json:"coalesced"`
}

// readBody reads at most limit bytes; the status says what went wrong.
func readBody(req *http.Request, limit int64) ([]byte, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, req.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", limit)
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("read body: %w", err)
	}
	return body, 0, nil
}

func (r *runner) reject(w http.ResponseWriter, req *http.Request, route string, status int, reason string, err error) {
	r.met.rejected.WithLabelValues(route, reason).Inc()
	r.log.Warn("request rejected", "route", route, "remote", req.RemoteAddr, "status", status, "err", err)
	httpjson.Error(w, status, "%v", err)
}

// serveWebhook authenticates a signed request and starts (or joins) a run.
func (r *runner) serveWebhook(w http.ResponseWriter, req *http.Request) {
	body, status, err := readBody(req, r.cfg.MaxBody)
	if err != nil {
		r.reject(w, req, "webhook", status, "body", err)
		return
	}
	if err := r.verifier.verify(req.Header.Get(SignatureHeader), req.Header.Get(TimestampHeader), body); err != nil {
		r.reject(w, req, "webhook", http.StatusUnauthorized, "signature", err)
		return
	}
	var wr WebhookRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wr); err != nil {
		r.reject(w, req, "webhook", http.StatusBadRequest, "json", fmt.Errorf("invalid JSON body: %w", err))
		return
	}
	if wr.Workflow != "train" {
		r.reject(w, req, "webhook", http.StatusBadRequest, "workflow", fmt.Errorf("unknown workflow %q (this runner knows: train)", wr.Workflow))
		return
	}
	if wr.Model == "" && len(r.cfg.Models) == 1 {
		wr.Model = r.cfg.Models[0]
	}
	if err := r.knownModel(wr.Model); err != nil {
		r.reject(w, req, "webhook", http.StatusBadRequest, "model", err)
		return
	}
	p := r.cfg.Run.params()
	if len(wr.Params) > 0 {
		dec := json.NewDecoder(bytes.NewReader(wr.Params))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			r.reject(w, req, "webhook", http.StatusBadRequest, "params", fmt.Errorf("params: %w", err))
			return
		}
		if err := p.Validate(); err != nil {
			r.reject(w, req, "webhook", http.StatusBadRequest, "params", fmt.Errorf("params: %w", err))
			return
		}
	}
	id, coalesced, err := r.start(req.Context(), wr.Model, Trigger{Kind: "webhook", By: req.RemoteAddr, At: time.Now().UTC()}, p)
	if err != nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "start run: %v", err)
		return
	}
	httpjson.Write(w, http.StatusAccepted, RunStarted{RunID: id, Model: wr.Model, Coalesced: coalesced})
}

// AlertmanagerPayload is the part of Alertmanager's webhook payload (version 4) the runner reads;
// other fields are ignored.
type AlertmanagerPayload struct {
	Version  string  `json:"version"`
	GroupKey string  `json:"groupKey"`
	Status   string  `json:"status"`
	Receiver string  `json:"receiver"`
	Alerts   []Alert `json:"alerts"`
}

// Alert is one alert of an Alertmanager notification.
type Alert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// AlertResult says what the runner did with each alert.
type AlertResult struct {
	Fingerprint string `json:"fingerprint"`
	Action      string `json:"action"` // started, coalesced, duplicate, ignored
	RunID       string `json:"run_id,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// serveAlertmanager starts a run for each firing alert whose labels name a model (label "model"
// or "netops_model"), once per alert instance (group key, fingerprint and start time).
func (r *runner) serveAlertmanager(w http.ResponseWriter, req *http.Request) {
	if r.alertAuth != "" && req.Header.Get("Authorization") != "Bearer "+r.alertAuth {
		r.reject(w, req, "alertmanager", http.StatusUnauthorized, "token", errors.New("unauthorized: missing or wrong bearer token"))
		return
	}
	body, status, err := readBody(req, r.cfg.MaxBody)
	if err != nil {
		r.reject(w, req, "alertmanager", status, "body", err)
		return
	}
	var p AlertmanagerPayload
	if err := json.Unmarshal(body, &p); err != nil {
		r.reject(w, req, "alertmanager", http.StatusBadRequest, "json", fmt.Errorf("invalid Alertmanager payload: %w", err))
		return
	}
	if p.Version != "4" {
		r.reject(w, req, "alertmanager", http.StatusBadRequest, "version", fmt.Errorf("Alertmanager payload version %q, want \"4\"", p.Version))
		return
	}
	out := make([]AlertResult, 0, len(p.Alerts))
	for _, a := range p.Alerts {
		res := AlertResult{Fingerprint: a.Fingerprint}
		model := a.Labels["model"]
		if model == "" {
			model = a.Labels["netops_model"]
		}
		switch {
		case a.Status != "firing":
			res.Action, res.Reason = "ignored", "alert is "+a.Status
		case model == "":
			res.Action, res.Reason = "ignored", "no model or netops_model label"
		case r.knownModel(model) != nil:
			res.Action, res.Reason = "ignored", r.knownModel(model).Error()
		case !r.alerts.first(p.GroupKey + "\x00" + a.Fingerprint + "\x00" + a.StartsAt.UTC().Format(time.RFC3339Nano)):
			res.Action, res.Reason = "duplicate", "this alert already triggered a run"
		default:
			id, coalesced, err := r.start(req.Context(), model, Trigger{Kind: "alertmanager", By: a.Labels["alertname"] + " " + a.Fingerprint,
				At: time.Now().UTC(), Detail: a.Labels}, r.cfg.Run.params())
			if err != nil {
				httpjson.Error(w, http.StatusServiceUnavailable, "start run: %v", err)
				return
			}
			res.RunID, res.Action = id, "started"
			if coalesced {
				res.Action = "coalesced"
			}
		}
		out = append(out, res)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"alerts": out})
}

// alertDedup remembers alert instances for a day, so Alertmanager's repeat notifications of a
// still-firing alert do not start runs again.
type alertDedup struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func newAlertDedup() *alertDedup { return &alertDedup{seen: map[string]time.Time{}} }

func (d *alertDedup) first(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	for k, t := range d.seen {
		if now.Sub(t) > 24*time.Hour {
			delete(d.seen, k)
		}
	}
	if _, ok := d.seen[key]; ok {
		return false
	}
	d.seen[key] = now
	return true
}

func (r *runner) serveRuns(w http.ResponseWriter, req *http.Request) {
	all, err := runs.List(req.Context(), r.store)
	if err != nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "list runs: %v", err)
		return
	}
	if m := req.URL.Query().Get("model"); m != "" {
		all = slices.DeleteFunc(all, func(x *Run) bool { return x.Model != m })
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"runs": all})
}

func (r *runner) serveRun(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	run, err := runs.Load(req.Context(), r.store, id)
	switch {
	case errors.Is(err, blob.ErrNotFound), errors.Is(err, blob.ErrInvalidKey):
		httpjson.Error(w, http.StatusNotFound, "no run %q", id)
	case err != nil:
		httpjson.Error(w, http.StatusServiceUnavailable, "%v", err)
	default:
		httpjson.Write(w, http.StatusOK, run)
	}
}
