package driftmagnitude

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/drift"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/tables"
)

// timeLayout names partial buckets and report windows in object keys (UTC, to the minute).
const timeLayout = "20060102T1504Z"

// Prefix returns the monitoring prefix of a model version: monitoring/<model>/v<N>/.
func Prefix(model string, version int) string {
	return fmt.Sprintf("monitoring/%s/v%d/", model, version)
}

// PartialKey is the key of the partial of one batch (by its derived id) in the bucket starting
// at bucket: monitoring/<model>/v<N>/partials/<bucket>/<id>.json.
func PartialKey(model string, version int, bucket time.Time, id string) string {
	return Prefix(model, version) + "partials/" + bucket.UTC().Format(timeLayout) + "/" + id + ".json"
}

// ReportKey is the key of the report of the window ending at end, without its extension:
// monitoring/<model>/v<N>/reports/<end>; the report is <key>.json and its rows <key>.parquet.
func ReportKey(model string, version int, end time.Time) string {
	return Prefix(model, version) + "reports/" + end.UTC().Format(timeLayout)
}

// WindowReport is a stored drift report: the drift.Report of one model version's window and
// where it came from.
type WindowReport struct {
	Model   string    `json:"model"`
	Version int       `json:"version"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Trigger string    `json:"trigger"`
	// Rows and Partials count the rows and the batch partials merged into the window.
	Rows     int64 `json:"rows"`
	Partials int   `json:"partials"`
	// Unreferenced lists card features without reference statistics (not compared).
	Unreferenced []string `json:"unreferenced,omitempty"`
	drift.Report
}

// LoadWindow merges the partials of a model version whose buckets start in [from, to), bucket
// by bucket (every interval) and in key order, and returns the merged partial and how many
// partials it holds. Hourly, daily or weekly views are the same call with another range.
func LoadWindow(ctx context.Context, store blob.Store, model string, version int, from, to time.Time, interval time.Duration) (*drift.Partial, int, error) {
	window := &drift.Partial{}
	n := 0
	for b := floorTime(from, interval); b.Before(to); b = b.Add(interval) {
		if b.Before(from) {
			continue
		}
		prefix := Prefix(model, version) + "partials/" + b.Format(timeLayout) + "/"
		infos, err := store.List(ctx, prefix)
		if err != nil {
			return nil, 0, fmt.Errorf("list %s: %w", prefix, err)
		}
		keys := make([]string, 0, len(infos))
		for _, in := range infos {
			if strings.HasSuffix(in.Key, ".json") {
				keys = append(keys, in.Key)
			}
		}
		sort.Strings(keys)
		for _, key := range keys {
			data, err := blob.GetBytes(ctx, store, key)
			if err != nil {
				return nil, 0, fmt.Errorf("read partial %s: %w", key, err)
			}
			var p drift.Partial
			if err := json.Unmarshal(data, &p); err != nil {
				return nil, 0, fault.Permanent(fmt.Errorf("partial %s: %w", key, err))
			}
			if err := window.Merge(&p); err != nil {
				return nil, 0, fault.Permanent(fmt.Errorf("partial %s: %w", key, err))
			}
			n++
		}
	}
	return window, n, nil
}

// ReportRow is one feature (or the prediction) of one window report, as the report's Parquet
// object stores it: one row per feature per window, for DuckDB, Spark or pandas. A NO_DATA
// feature has zero measures.
type ReportRow struct {
	WindowStart   time.Time `parquet:"window_start,timestamp(millisecond)"`
	WindowEnd     time.Time `parquet:"window_end,timestamp(millisecond)"`
	Model         string    `parquet:"model,dict"`
	Version       int32     `parquet:"version"`
	Feature       string    `parquet:"feature"`
	IsPrediction  bool      `parquet:"is_prediction"`
	Status        string    `parquet:"status,dict"`
	Drift         float64   `parquet:"drift"`
	TVD           float64   `parquet:"tvd"`
	Hellinger     float64   `parquet:"hellinger"`
	KLD           float64   `parquet:"kld"`
	PSI           float64   `parquet:"psi"`
	JensenShannon float64   `parquet:"jensen_shannon"`
	KS            float64   `parquet:"ks"`
	KSPValue      float64   `parquet:"ks_pvalue"`
	Wasserstein   float64   `parquet:"wasserstein"`
	Importance    float64   `parquet:"importance"`
	ExpectedCount int64     `parquet:"expected_count"`
	ExpectedMean  float64   `parquet:"expected_mean"`
	ExpectedStd   float64   `parquet:"expected_std"`
	ExpectedMin   float64   `parquet:"expected_min"`
	ExpectedMax   float64   `parquet:"expected_max"`
	ActualCount   int64     `parquet:"actual_count"`
	ActualInvalid int64     `parquet:"actual_invalid"`
	ActualMean    float64   `parquet:"actual_mean"`
	ActualStd     float64   `parquet:"actual_std"`
	ActualMin     float64   `parquet:"actual_min"`
	ActualMax     float64   `parquet:"actual_max"`
	GeneralDrift  float64   `parquet:"general_drift"`
	GeneralStatus string    `parquet:"general_status,dict"`
	// WindowStatus is the window's status (Report.Status): GeneralStatus, raised by drifted
	// features.
	WindowStatus string `parquet:"window_status,dict"`
}

// Table flattens the report into one ReportRow per feature, then the prediction's.
func (r *WindowReport) Table(importances map[string]float64) []ReportRow {
	out := make([]ReportRow, 0, len(r.Features)+1)
	add := func(fd drift.FeatureDrift, pred bool) {
		row := ReportRow{WindowStart: r.From, WindowEnd: r.To, Model: r.Model, Version: int32(r.Version),
			Feature: fd.Name, IsPrediction: pred, Status: string(fd.Status), Drift: fd.Drift, Importance: importances[fd.Name],
			ExpectedCount: fd.Expected.Count, ExpectedMean: fd.Expected.Mean, ExpectedStd: fd.Expected.Std,
			ExpectedMin: fd.Expected.Min, ExpectedMax: fd.Expected.Max,
			ActualCount: fd.Actual.Count, ActualInvalid: fd.Actual.Invalid, ActualMean: fd.Actual.Mean,
			ActualStd: fd.Actual.Std, ActualMin: fd.Actual.Min, ActualMax: fd.Actual.Max,
			GeneralDrift: r.GeneralDrift, GeneralStatus: string(r.GeneralStatus), WindowStatus: string(r.Status)}
		if m := fd.Measures; m != nil {
			row.TVD, row.Hellinger, row.KLD, row.PSI = m.TVD, m.Hellinger, m.KLD, m.PSI
			row.JensenShannon, row.KS, row.KSPValue, row.Wasserstein = m.JensenShannon, m.KS, m.KSPValue, m.Wasserstein
		}
		out = append(out, row)
	}
	for _, fd := range r.Features {
		add(fd, false)
	}
	if r.Prediction != nil {
		add(*r.Prediction, true)
	}
	return out
}

// writeReport stores a report as JSON and as Parquet rows under key (without extension).
func writeReport(ctx context.Context, store blob.Store, key string, r *WindowReport, importances map[string]float64) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fault.Permanent(fmt.Errorf("encode report %s: %w", key, err))
	}
	if err := blob.PutBytes(ctx, store, key+".json", data); err != nil {
		return fmt.Errorf("write report %s.json: %w", key, err)
	}
	if err := tables.Put(ctx, store, key+".parquet", r.Table(importances)); err != nil {
		return fmt.Errorf("write report %s.parquet: %w", key, err)
	}
	return nil
}

// analyze compares a window's partial with a model version's baseline. Invalid references on
// a card are bad input: permanent.
func analyze(b *baseline, p *drift.Partial) (*drift.Report, error) {
	r, err := b.Analyze(p, drift.Options{Thresholds: b.thresholds, Importances: b.importances, DriftedFeatures: b.drifted, Wasserstein: b.wasserstein})
	if err != nil && (errors.Is(err, drift.ErrInvalidReference) || errors.Is(err, drift.ErrInvalidOptions) ||
		errors.Is(err, drift.ErrInvalidHistogram) || errors.Is(err, drift.ErrEdgeMismatch) || errors.Is(err, drift.ErrDuplicateFeature)) {
		return nil, fault.Permanent(err)
	}
	return r, err
}
