package modelserver

import (
	"context"
	"fmt"
	"iter"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/tables"
)

// Series is one device's metric over time, in timestamp order.
type Series struct {
	Times  []time.Time
	Values []float64
}

// metricIndex returns the position of a metric in tables.Metrics.
func metricIndex(metric string) (int, error) {
	if i := slices.Index(tables.Metrics[:], metric); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("unknown metric %q (one of: %s)", metric, strings.Join(tables.Metrics[:], ", "))
}

// LoadSeries reads a device's metric between from and to (inclusive) from the telemetry objects
// under prefix, reading only the hourly partitions that overlap the range. A zero to means the
// latest data; a zero from means 24 hours before to.
func LoadSeries(ctx context.Context, store blob.Store, prefix, device, metric string, from, to time.Time) (Series, error) {
	mi, err := metricIndex(metric)
	if err != nil {
		return Series{}, err
	}
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return Series{}, err
	}
	type part struct {
		key  string
		hour time.Time
	}
	var parts []part
	for _, in := range infos {
		if h, ok := tables.KeyHour(in.Key); ok && strings.HasSuffix(in.Key, ".parquet") {
			parts = append(parts, part{in.Key, h})
		}
	}
	if len(parts) == 0 {
		return Series{}, fmt.Errorf("no telemetry under %q", prefix)
	}
	if to.IsZero() {
		to = parts[len(parts)-1].hour.Add(time.Hour)
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if to.Before(from) {
		return Series{}, fmt.Errorf("to %s is before from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	var keys []string
	for _, p := range parts {
		if !p.hour.Add(time.Hour).Before(from) && !p.hour.After(to) {
			keys = append(keys, p.key)
		}
	}
	return collect(device, mi, from, to, func(yield func([]tables.Telemetry, error) bool) {
		for _, k := range keys {
			rows, err := tables.Get[tables.Telemetry](ctx, store, k)
			if !yield(rows, err) || err != nil {
				return
			}
		}
	})
}

// SeriesFromFiles reads a device's metric from local Parquet telemetry files (zero from/to: all).
func SeriesFromFiles(paths []string, device, metric string, from, to time.Time) (Series, error) {
	mi, err := metricIndex(metric)
	if err != nil {
		return Series{}, err
	}
	if to.IsZero() {
		to = time.Unix(1<<40, 0)
	}
	return collect(device, mi, from, to, func(yield func([]tables.Telemetry, error) bool) {
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				yield(nil, err)
				return
			}
			st, err := f.Stat()
			var rows []tables.Telemetry
			if err == nil {
				rows, err = tables.ReadAll[tables.Telemetry](f, st.Size())
			}
			f.Close()
			if err != nil {
				err = fmt.Errorf("%s: %w", p, err)
			}
			if !yield(rows, err) || err != nil {
				return
			}
		}
	})
}

// collect keeps one device's metric in [from, to] from batches of telemetry, sorted by time.
func collect(device string, mi int, from, to time.Time, batches iter.Seq2[[]tables.Telemetry, error]) (Series, error) {
	var s Series
	for rows, err := range batches {
		if err != nil {
			return Series{}, err
		}
		for _, r := range rows {
			if r.Device != device || r.Timestamp.Before(from) || r.Timestamp.After(to) {
				continue
			}
			s.Times = append(s.Times, r.Timestamp)
			s.Values = append(s.Values, r.Values()[mi])
		}
	}
	if len(s.Values) == 0 {
		return Series{}, fmt.Errorf("%w: device %q has no telemetry between %s and %s", errNoData, device, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if !slices.IsSortedFunc(s.Times, func(a, b time.Time) int { return a.Compare(b) }) {
		idx := make([]int, len(s.Times))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return s.Times[a].Compare(s.Times[b]) })
		t2, v2 := make([]time.Time, len(idx)), make([]float64, len(idx))
		for i, j := range idx {
			t2[i], v2[i] = s.Times[j], s.Values[j]
		}
		s.Times, s.Values = t2, v2
	}
	return s, nil
}
