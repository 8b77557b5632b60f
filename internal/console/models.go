package console

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/httpjson"
	"github.com/netopsfn/netops/internal/plot"
	"github.com/netopsfn/netops/internal/registry"
)

// CardSummary is the part of a model card the model page shows (the reference histograms and
// the test error stream stay out: the features analysis carries the histograms).
type CardSummary struct {
	Kind        string             `json:"kind"`
	CreatedAt   time.Time          `json:"created_at"`
	RunID       string             `json:"run_id,omitempty"`
	Features    []string           `json:"features"`
	Training    registry.Training  `json:"training"`
	Metrics     map[string]float64 `json:"metrics"`
	Threshold   float64            `json:"threshold"`
	Importances map[string]float64 `json:"importances,omitempty"`
	Artifacts   []string           `json:"artifacts,omitempty"`
}

// ModelDetail is the model page's header: the endpoint record, the card, the aliases and the
// serving rates the console sampled while it ran.
type ModelDetail struct {
	Model    string           `json:"model"`
	Version  int              `json:"version"`
	Endpoint *endpoint.Record `json:"endpoint"`
	Card     *CardSummary     `json:"card"`
	Aliases  map[string]int   `json:"aliases"`
	Versions []int            `json:"versions"`
	// Samples are the endpoint's serving rates as sampled by this console process, oldest first.
	Samples []Sample `json:"samples"`
	Reports int      `json:"reports"`
}

func (c *Console) modelDetail(r *http.Request) (any, error) {
	ctx := r.Context()
	model, version, err := modelVersion(r)
	if err != nil {
		return nil, err
	}
	d := &ModelDetail{Model: model, Version: version, Samples: c.samples.get(endpoint.Key(model, version))}
	if st, err := c.endpointStore(ctx); err != nil {
		return nil, err
	} else if st != nil {
		rec, found, err := st.Get(ctx, model, version)
		if err != nil {
			return nil, err
		}
		if found {
			d.Endpoint = &rec
		}
	}
	card, err := c.reg.Card(ctx, model, version)
	switch {
	case errors.Is(err, registry.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		d.Card = &CardSummary{Kind: card.Kind, CreatedAt: card.CreatedAt, RunID: card.RunID, Features: card.Features,
			Training: card.Training, Metrics: card.Metrics, Threshold: card.Threshold, Importances: card.Importances, Artifacts: card.Artifacts}
	}
	keys, err := c.reportKeys(ctx, model, version, 1<<30)
	if err != nil {
		return nil, err
	}
	d.Reports = len(keys)
	if d.Endpoint == nil && d.Card == nil && d.Reports == 0 {
		return nil, notFound("model %s v%d: no endpoint record, model card or drift report", model, version)
	}
	if d.Aliases, err = c.reg.Aliases(ctx, model); err != nil {
		return nil, err
	}
	if d.Versions, err = c.reg.Versions(ctx, model); err != nil {
		return nil, err
	}
	return d, nil
}

// DriftSeries is the data of the model page's charts: one point per report window, the latest
// thresholds and the detectors' flag changes over the same span.
type DriftSeries struct {
	Model     string          `json:"model"`
	Version   int             `json:"version"`
	Points    []DriftPoint    `json:"points"`
	Possible  float64         `json:"possible_threshold"`
	Detected  float64         `json:"detected_threshold"`
	Detectors []DetectorEvent `json:"detectors"`
}

// modelDrift serves the last ?limit= report windows (default a week of 10-minute reports).
func (c *Console) modelDrift(r *http.Request) (any, error) {
	ctx := r.Context()
	model, version, err := modelVersion(r)
	if err != nil {
		return nil, err
	}
	limit := queryInt(r, "limit", 1008, 1, 5000)
	pts, err := c.driftPoints(ctx, model, version, limit)
	if err != nil {
		return nil, err
	}
	s := &DriftSeries{Model: model, Version: version, Points: pts, Detectors: []DetectorEvent{}}
	var since time.Time
	if len(pts) > 0 {
		last := pts[len(pts)-1]
		s.Possible, s.Detected = last.Possible, last.Detected
		since = pts[0].From
	}
	evs, err := c.detectorEvents(ctx, model, version, since, 2000)
	if err != nil {
		return nil, err
	}
	if evs != nil {
		s.Detectors = evs
	}
	return s, nil
}

// FeatureRow is one row of the features analysis: expected (training reference) against actual
// (the report's window) statistics and the distances between them.
type FeatureRow struct {
	Name       string  `json:"name"`
	Prediction bool    `json:"prediction,omitempty"`
	Status     string  `json:"status"`
	Drift      float64 `json:"drift"`
	TVD        float64 `json:"tvd"`
	Hellinger  float64 `json:"hellinger"`
	KLD        float64 `json:"kld"`
	Expected   Stats   `json:"expected"`
	Actual     Stats   `json:"actual"`
}

// Stats are one side of a feature's comparison.
type Stats struct {
	Count   int64   `json:"count"`
	Mean    float64 `json:"mean"`
	Std     float64 `json:"std"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Invalid int64   `json:"invalid,omitempty"`
}

// Features is the features analysis of one report window.
type Features struct {
	Report       DriftPoint   `json:"report"`
	Features     []FeatureRow `json:"features"`
	Unreferenced []string     `json:"unreferenced,omitempty"`
}

// modelFeatures serves the features analysis of the latest report, or of the one named by
// ?report=<object key>. Without reports it answers an empty analysis.
func (c *Console) modelFeatures(r *http.Request) (any, error) {
	wr, key, err := c.pickReport(r)
	if err != nil || wr == nil {
		if err == nil {
			return &Features{Features: []FeatureRow{}}, nil
		}
		return nil, err
	}
	out := &Features{Report: summarize(key, wr), Unreferenced: wr.Unreferenced, Features: []FeatureRow{}}
	for _, fd := range wr.Features {
		out.Features = append(out.Features, featureRow(fd, false))
	}
	if wr.Prediction != nil {
		out.Features = append(out.Features, featureRow(*wr.Prediction, true))
	}
	return out, nil
}

// pickReport loads the report a request names (?report=key) or the version's latest; nil when
// the version has none.
func (c *Console) pickReport(r *http.Request) (*windowReport, string, error) {
	model, version, err := modelVersion(r)
	if err != nil {
		return nil, "", err
	}
	key := r.URL.Query().Get("report")
	if key == "" {
		infos, err := c.reportKeys(r.Context(), model, version, 1)
		if err != nil || len(infos) == 0 {
			return nil, "", err
		}
		key = infos[0].Key
	} else if path.Dir(key)+"/" != reportPrefix(model, version) || path.Ext(key) != ".json" {
		return nil, "", notFound("report %q is not a report of %s v%d", key, model, version)
	}
	wr, err := c.loadReport(r.Context(), key)
	return wr, key, err
}

func featureRow(fd featureDrift, pred bool) FeatureRow {
	row := FeatureRow{Name: fd.Name, Prediction: pred, Status: string(fd.Status), Drift: fd.Drift,
		Expected: Stats{fd.Expected.Count, fd.Expected.Mean, fd.Expected.Std, fd.Expected.Min, fd.Expected.Max, fd.Expected.Invalid},
		Actual:   Stats{fd.Actual.Count, fd.Actual.Mean, fd.Actual.Std, fd.Actual.Min, fd.Actual.Max, fd.Actual.Invalid}}
	if m := fd.Measures; m != nil {
		row.TVD, row.Hellinger, row.KLD = m.TVD, m.Hellinger, m.KLD
	}
	return row
}

// serveHistogram draws a feature's expected and actual distributions side by side as SVG, as
// proportions since the two counts differ. The feature "prediction" is the predicted probability.
func (c *Console) serveHistogram(w http.ResponseWriter, r *http.Request) {
	wr, _, err := c.pickReport(r)
	if err == nil && wr == nil {
		err = notFound("no drift report yet")
	}
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	name := r.PathValue("feature")
	var fd *featureDrift
	for i := range wr.Features {
		if wr.Features[i].Name == name {
			fd = &wr.Features[i]
		}
	}
	if fd == nil && wr.Prediction != nil && (name == "prediction" || name == wr.Prediction.Name) {
		fd = wr.Prediction
	}
	if fd == nil {
		httpjson.Error(w, http.StatusNotFound, "feature %q is not in report %s v%d to %s", name, wr.Model, wr.Version, wr.To.Format(time.RFC3339))
		return
	}
	svg := plot.Histograms(fmt.Sprintf("%s: expected vs actual", fd.Name), fd.Name, "share of values", fd.Edges,
		[]plot.Counts{{Name: "expected (training)", Values: shares(fd.Expected.Counts)}, {Name: "actual (window)", Values: shares(fd.Actual.Counts)}})
	writeSVG(w, svg)
}

func shares(counts []int64) []float64 {
	var total int64
	for _, n := range counts {
		total += n
	}
	out := make([]float64, len(counts))
	for i, n := range counts {
		if total > 0 {
			out[i] = float64(n) / float64(total)
		}
	}
	return out
}

// serveArtifact serves one registry artifact of a version (an EDA or test plot, a JSON table).
// Artifacts are shown as images or downloads, never run: the policy forbids scripts.
func (c *Console) serveArtifact(w http.ResponseWriter, r *http.Request) {
	model, version, err := modelVersion(r)
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	name := r.PathValue("name")
	card, err := c.reg.Card(r.Context(), model, version)
	if err == nil && !slices.Contains(card.Artifacts, name) {
		err = notFound("%s v%d has no artifact %q", model, version, name)
	}
	var data []byte
	if err == nil {
		data, err = c.reg.Artifact(r.Context(), model, version, name)
	}
	if err != nil {
		c.writeError(w, r, err)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".svg" {
		ct = "image/svg+xml"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(data)
}

func writeSVG(w http.ResponseWriter, svg []byte) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(svg)
}

// Sample is an endpoint's serving rates at one moment, as the console saw them.
type Sample struct {
	At                   time.Time `json:"at"`
	Requests             int64     `json:"requests"`
	Errors               int64     `json:"errors"`
	PredictionsPerSecond float64   `json:"predictions_per_second"`
	LatencyAvg5mMicros   float64   `json:"latency_avg_5m_us"`
	Accuracy             *float64  `json:"accuracy,omitempty"`
}

// sampleBook keeps the last samples of every endpoint, at most one per 5 seconds: the endpoint
// record holds only current values, so this is the console's short history of them.
type sampleBook struct {
	mu sync.Mutex
	m  map[string][]Sample
}

const maxSamples = 720 // an hour at one sample per 5s

func (b *sampleBook) add(eps []endpoint.Record, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string][]Sample{}
	}
	for _, e := range eps {
		if e.Serving == nil {
			continue
		}
		k := endpoint.Key(e.Model, e.Version)
		s := b.m[k]
		if n := len(s); n > 0 && now.Sub(s[n-1].At) < 5*time.Second {
			continue
		}
		smp := Sample{At: now.UTC(), Requests: e.Serving.Requests, Errors: e.Serving.Errors,
			PredictionsPerSecond: e.Serving.PredictionsPerSecond, LatencyAvg5mMicros: e.Serving.LatencyAvg5mMicros}
		if e.Metrics != nil && e.Metrics.WindowRows > 0 {
			acc := e.Metrics.Accuracy
			smp.Accuracy = &acc
		}
		s = append(s, smp)
		if len(s) > maxSamples {
			s = slices.Clone(s[len(s)-maxSamples:])
		}
		b.m[k] = s
	}
}

func (b *sampleBook) get(key string) []Sample {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := slices.Clone(b.m[key])
	if out == nil {
		out = []Sample{}
	}
	return out
}
