package console

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/tables"
)

// windowReport mirrors the JSON of drift-magnitude's stored report
// (monitoring/<model>/v<N>/reports/<end>.json): the window's provenance and a drift.Report.
type windowReport struct {
	Model        string    `json:"model"`
	Version      int       `json:"version"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	Trigger      string    `json:"trigger"`
	Rows         int64     `json:"rows"`
	Partials     int       `json:"partials"`
	Unreferenced []string  `json:"unreferenced,omitempty"`
	drift.Report
}

// DriftPoint is one report window on the drift chart.
type DriftPoint struct {
	Key     string    `json:"key"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Trigger string    `json:"trigger"`
	Rows    int64     `json:"rows"`
	// RowsPerSecond is the window's labeled predictions per second of event time.
	RowsPerSecond float64  `json:"rows_per_second"`
	Status        string   `json:"status"`
	GeneralDrift  float64  `json:"general_drift"`
	TVDMean       float64  `json:"tvd_mean"`
	HellingerMean float64  `json:"hellinger_mean"`
	KLDMean       float64  `json:"kld_mean"`
	WeightedDrift *float64 `json:"weighted_drift,omitempty"`
	Compared      int      `json:"compared"`
	Possible      float64  `json:"possible_threshold"`
	Detected      float64  `json:"detected_threshold"`
}

// DetectorEvent is one flag change of a streaming drift detector, a row of the detectors' log.
type DetectorEvent struct {
	EventTime  time.Time `json:"event_time"`
	Version    int       `json:"version"`
	Detector   string    `json:"detector"`
	Index      int64     `json:"index"`
	Warning    bool      `json:"warning"`
	Change     bool      `json:"change"`
	Estimation float64   `json:"estimation"`
	Signal     string    `json:"signal"` // warning, change, or "" when a flag went off
}

// logRow mirrors the drift detectors' flag-change log row
// (monitoring/<model>/detectors/date=…/hour=…/<id>.parquet).
type logRow struct {
	EventTime  time.Time `parquet:"event_time,timestamp(millisecond)"`
	Model      string    `parquet:"model,dict"`
	Version    int32     `parquet:"version"`
	Detector   string    `parquet:"detector,dict"`
	Index      int64     `parquet:"index"`
	Warning    bool      `parquet:"warning"`
	Change     bool      `parquet:"change"`
	Estimation float64   `parquet:"estimation"`
	Signal     string    `parquet:"signal,dict"`
	Batch      string    `parquet:"batch"`
}

// reportPrefix is where drift-magnitude keeps a model version's reports.
func reportPrefix(model string, version int) string {
	return fmt.Sprintf("monitoring/%s/v%d/reports/", model, version)
}

// reportCache remembers decoded report summaries and detector logs by key, size and modification
// time: stored objects are rewritten only by redelivery, with the same bytes, so a week of
// history is read once and each poll reads only what is new.
type reportCache struct {
	mu     sync.Mutex
	points map[string]cached[DriftPoint]
	logs   map[string]cached[[]DetectorEvent]
}

type cached[T any] struct {
	size     int64
	modified time.Time
	value    T
}

func lookup[T any](mu *sync.Mutex, m *map[string]cached[T], in blob.Info) (T, bool) {
	mu.Lock()
	defer mu.Unlock() // the map itself is created under the lock too (remember), so read it here
	c, ok := (*m)[in.Key]
	if !ok || c.size != in.Size || !c.modified.Equal(in.Modified) {
		var zero T
		return zero, false
	}
	return c.value, true
}

func remember[T any](mu *sync.Mutex, m *map[string]cached[T], in blob.Info, v T) {
	mu.Lock()
	defer mu.Unlock()
	if *m == nil {
		*m = map[string]cached[T]{}
	}
	(*m)[in.Key] = cached[T]{size: in.Size, modified: in.Modified, value: v}
}

// reportKeys lists a version's report JSON objects in window order, the last limit of them.
func (c *Console) reportKeys(ctx context.Context, model string, version, limit int) ([]blob.Info, error) {
	infos, err := c.store.List(ctx, reportPrefix(model, version))
	if err != nil {
		return nil, err
	}
	out := infos[:0]
	for _, in := range infos {
		if strings.HasSuffix(in.Key, ".json") {
			out = append(out, in)
		}
	}
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// reportHead is the part of a stored report the drift chart needs. Decoding only it skips the
// per-feature histograms, most of a report's bytes: a week of history decodes several times
// faster on a console's first load.
type reportHead struct {
	From          time.Time        `json:"from"`
	To            time.Time        `json:"to"`
	Trigger       string           `json:"trigger"`
	Rows          int64            `json:"rows"`
	Status        string           `json:"status"`
	GeneralDrift  float64          `json:"general_drift"`
	Thresholds    drift.Thresholds `json:"thresholds"`
	TVDMean       float64          `json:"tvd_mean"`
	HellingerMean float64          `json:"hellinger_mean"`
	KLDMean       float64          `json:"kld_mean"`
	WeightedDrift *float64         `json:"weighted_drift,omitempty"`
	Compared      int              `json:"compared"`
}

// loadHead reads one stored report's summary fields.
func (c *Console) loadHead(ctx context.Context, key string) (*reportHead, error) {
	data, err := blob.GetBytes(ctx, c.store, key)
	if err != nil {
		return nil, err
	}
	var h reportHead
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("report %s: %w", key, err)
	}
	return &h, nil
}

// loadReport reads and decodes one stored report.
func (c *Console) loadReport(ctx context.Context, key string) (*windowReport, error) {
	data, err := blob.GetBytes(ctx, c.store, key)
	if err != nil {
		return nil, err
	}
	var r windowReport
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("report %s: %w", key, err)
	}
	return &r, nil
}

// driftPoints returns the summaries of the last limit reports of a version, oldest first.
func (c *Console) driftPoints(ctx context.Context, model string, version, limit int) ([]DriftPoint, error) {
	infos, err := c.reportKeys(ctx, model, version, limit)
	if err != nil {
		return nil, err
	}
	points := make([]DriftPoint, len(infos))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, in := range infos {
		if p, ok := lookup(&c.reports.mu, &c.reports.points, in); ok {
			points[i] = p
			continue
		}
		g.Go(func() error {
			h, err := c.loadHead(gctx, in.Key)
			if err != nil {
				return err
			}
			points[i] = summarizeHead(in.Key, h)
			remember(&c.reports.mu, &c.reports.points, in, points[i])
			return nil
		})
	}
	return points, g.Wait()
}

func summarize(key string, r *windowReport) DriftPoint {
	return summarizeHead(key, &reportHead{From: r.From, To: r.To, Trigger: r.Trigger, Rows: r.Rows, Status: string(r.Status),
		GeneralDrift: r.GeneralDrift, Thresholds: r.Thresholds, TVDMean: r.TVDMean, HellingerMean: r.HellingerMean,
		KLDMean: r.KLDMean, WeightedDrift: r.WeightedDrift, Compared: r.Compared})
}

func summarizeHead(key string, r *reportHead) DriftPoint {
	p := DriftPoint{Key: key, From: r.From, To: r.To, Trigger: r.Trigger, Rows: r.Rows, Status: r.Status,
		GeneralDrift: r.GeneralDrift, TVDMean: r.TVDMean, HellingerMean: r.HellingerMean, KLDMean: r.KLDMean,
		WeightedDrift: r.WeightedDrift, Compared: r.Compared, Possible: r.Thresholds.Possible, Detected: r.Thresholds.Detected}
	if d := r.To.Sub(r.From).Seconds(); d > 0 {
		p.RowsPerSecond = float64(r.Rows) / d
	}
	return p
}

// detectorEvents returns a version's detector flag changes at or after since, oldest first, at
// most limit of the latest.
func (c *Console) detectorEvents(ctx context.Context, model string, version int, since time.Time, limit int) ([]DetectorEvent, error) {
	infos, err := c.store.List(ctx, "monitoring/"+model+"/detectors/")
	if err != nil {
		return nil, err
	}
	var keep []blob.Info
	for _, in := range infos {
		if !strings.HasSuffix(in.Key, ".parquet") {
			continue
		}
		if h, ok := tables.KeyHour(in.Key); ok && !since.IsZero() && h.Add(time.Hour).Before(since) {
			continue
		}
		keep = append(keep, in)
	}
	logs := make([][]DetectorEvent, len(keep))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, in := range keep {
		if evs, ok := lookup(&c.reports.mu, &c.reports.logs, in); ok {
			logs[i] = evs
			continue
		}
		g.Go(func() error {
			evs, err := readLog(gctx, c.store, in.Key)
			if err != nil {
				return err
			}
			logs[i] = evs
			remember(&c.reports.mu, &c.reports.logs, in, evs)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []DetectorEvent
	for _, evs := range logs {
		for _, e := range evs {
			if e.Version == version && !e.EventTime.Before(since) {
				out = append(out, e)
			}
		}
	}
	sortBy(out, func(e DetectorEvent) time.Time { return e.EventTime })
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

func readLog(ctx context.Context, store blob.Store, key string) ([]DetectorEvent, error) {
	rows, err := readTable[logRow](ctx, store, key)
	if err != nil {
		return nil, err
	}
	out := make([]DetectorEvent, len(rows))
	for i, r := range rows {
		out[i] = DetectorEvent{EventTime: r.EventTime.UTC(), Version: int(r.Version), Detector: r.Detector, Index: r.Index,
			Warning: r.Warning, Change: r.Change, Estimation: r.Estimation, Signal: r.Signal}
	}
	return out, nil
}

// readTable reads every row of a Parquet object.
func readTable[T any](ctx context.Context, store blob.Store, key string) ([]T, error) {
	o, err := store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	rows, err := tables.ReadAll[T](o, o.Size())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return rows, nil
}

// featureDrift is one feature's comparison in a stored report.
type featureDrift = drift.FeatureDrift
