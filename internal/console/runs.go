package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/registry"
	"github.com/netopsfn/netops/internal/runs"
)

// RunSummary is one row of the runs page.
type RunSummary struct {
	ID       string        `json:"id"`
	Workflow string        `json:"workflow"`
	Model    string        `json:"model"`
	Status   string        `json:"status"`
	Trigger  runs.Trigger  `json:"trigger"`
	Created  time.Time     `json:"created"`
	Finished time.Time     `json:"finished,omitzero"`
	Seconds  float64       `json:"seconds"`
	Steps    []StepSummary `json:"steps"`
	// Metric names the metric the run judged by; Candidate and Champion are its values.
	Metric    string   `json:"metric"`
	Candidate *float64 `json:"candidate,omitempty"`
	Champion  *float64 `json:"champion,omitempty"`
	Version   int      `json:"version,omitempty"` // the candidate's registered version
	Decision  string   `json:"decision,omitempty"`
	Reason    string   `json:"reason,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// StepSummary is one step's status and duration.
type StepSummary struct {
	Name    string  `json:"name"`
	Status  string  `json:"status"`
	Seconds float64 `json:"seconds"`
}

// Artifact is a viewable artifact of a run's model version.
type Artifact struct {
	Name  string `json:"name"`
	Group string `json:"group"` // eda, test or table
	URL   string `json:"url"`
	Image bool   `json:"image"`
}

// RunDetail is a run record with the registry artifacts of the version it trained.
type RunDetail struct {
	Run       *runs.Run    `json:"run"`
	Summary   RunSummary   `json:"summary"`
	Version   int          `json:"version,omitempty"`
	Artifacts []Artifact   `json:"artifacts"`
	Card      *CardSummary `json:"card,omitempty"`
}

func (c *Console) runList(r *http.Request) (any, error) {
	all, err := runs.List(r.Context(), c.store)
	if err != nil {
		return nil, err
	}
	limit := queryInt(r, "limit", 200, 1, 5000)
	out := []RunSummary{}
	for _, run := range all[:min(len(all), limit)] {
		out = append(out, summarizeRun(run))
	}
	return out, nil
}

func summarizeRun(run *runs.Run) RunSummary {
	s := RunSummary{ID: run.ID, Workflow: run.Workflow, Model: run.Model, Status: run.Status, Trigger: run.Trigger,
		Created: run.Created, Finished: run.Finished, Metric: run.Params.Metric, Decision: run.Decision,
		Reason: run.Reason, Error: run.Error, Steps: []StepSummary{}}
	for _, st := range run.Steps {
		s.Steps = append(s.Steps, StepSummary{Name: st.Name, Status: st.Status, Seconds: st.Seconds})
		s.Seconds += st.Seconds
	}
	if !run.Finished.IsZero() {
		s.Seconds = run.Finished.Sub(run.Created).Seconds()
	}
	if run.Candidate != nil {
		s.Version = run.Candidate.Version
		if v, ok := run.Candidate.Metrics[s.Metric]; ok {
			s.Candidate = &v
		}
	}
	if run.Champion != nil {
		if v, ok := run.Champion.Metrics[s.Metric]; ok {
			s.Champion = &v
		}
	}
	return s
}

func (c *Console) runDetail(r *http.Request) (any, error) {
	ctx := r.Context()
	id := r.PathValue("id")
	run, err := runs.Load(ctx, c.store, id)
	if err != nil {
		if isNotFound(err) {
			return nil, notFound("no run %q", id)
		}
		return nil, err
	}
	d := &RunDetail{Run: run, Summary: summarizeRun(run), Artifacts: []Artifact{}}
	card, err := c.runCard(r, run)
	if err != nil || card == nil {
		return d, err
	}
	d.Version = card.Version
	d.Card = &CardSummary{Kind: card.Kind, CreatedAt: card.CreatedAt, RunID: card.RunID, Features: card.Features,
		Training: card.Training, Metrics: card.Metrics, Threshold: card.Threshold, Importances: card.Importances, Artifacts: card.Artifacts}
	for _, name := range card.Artifacts {
		a := Artifact{Name: name, URL: "/api/console/models/" + card.Name + "/versions/" + itoa(card.Version) + "/artifacts/" + name,
			Image: strings.HasSuffix(name, ".svg"), Group: "table"}
		switch {
		case strings.HasPrefix(name, "eda/"):
			a.Group = "eda"
		case a.Image:
			a.Group = "test"
		}
		d.Artifacts = append(d.Artifacts, a)
	}
	return d, nil
}

// runCard finds the card of the version a run registered: its candidate's version, else the
// version whose card names the run.
func (c *Console) runCard(r *http.Request, run *runs.Run) (*registry.Card, error) {
	ctx := r.Context()
	if registry.ValidName(run.Model) != nil {
		return nil, nil
	}
	if run.Candidate != nil && run.Candidate.Version > 0 {
		card, err := c.reg.Card(ctx, run.Model, run.Candidate.Version)
		if err == nil && (card.RunID == "" || card.RunID == run.ID) {
			return card, nil
		}
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return nil, err
		}
	}
	versions, err := c.reg.Versions(ctx, run.Model)
	if err != nil {
		return nil, err
	}
	for i := len(versions) - 1; i >= 0; i-- {
		card, err := c.reg.Card(ctx, run.Model, versions[i])
		if err != nil {
			return nil, err
		}
		if card.RunID == run.ID {
			return card, nil
		}
	}
	return nil, nil
}
