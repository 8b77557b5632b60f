package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/tables"
)

// TelemetryPoint is one tick of a device's metrics.
type TelemetryPoint struct {
	T              time.Time `json:"t"`
	CPUUtilization float64   `json:"cpu_utilization"`
	Latency        float64   `json:"latency"`
	PacketLoss     float64   `json:"packet_loss"`
	Throughput     float64   `json:"throughput"`
}

// PredictionPoint is one scored row of a device.
type PredictionPoint struct {
	T           time.Time `json:"t"`
	Model       string    `json:"model"`
	Version     int       `json:"version"`
	Probability float64   `json:"probability"`
	Prediction  bool      `json:"prediction"`
}

// Episode is a run of consecutive labelled ticks on which the device was in error, with the
// metrics that erred in it.
type Episode struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Ticks   int       `json:"ticks"`
	Metrics []string  `json:"metrics"`
}

// DeviceDetail is a device's recent telemetry, predictions and error episodes.
type DeviceDetail struct {
	Device      string            `json:"device"`
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	Telemetry   []TelemetryPoint  `json:"telemetry"`
	Predictions []PredictionPoint `json:"predictions"`
	Episodes    []Episode         `json:"episodes"`
}

// listCache keeps the telemetry key listing for a few seconds: finding the latest hour of the
// lake needs the whole listing, and every open device page polls.
type listCache struct {
	mu    sync.Mutex
	at    time.Time
	infos []blob.Info
}

func (l *listCache) get(ctx context.Context, store blob.Store, prefix string) ([]blob.Info, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.at) < 10*time.Second {
		return l.infos, nil
	}
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	l.at, l.infos = time.Now(), infos
	return infos, nil
}

// deviceList returns the fleet's device ids: the generator's device table, or the devices of the
// latest telemetry object when there is none.
func (c *Console) deviceList(r *http.Request) (any, error) {
	ctx := r.Context()
	devs, err := readTable[tables.Device](ctx, c.store, tables.DevicesKey)
	out := []string{}
	switch {
	case err == nil:
		for _, d := range devs {
			out = append(out, d.Device)
		}
	case errors.Is(err, blob.ErrNotFound):
		infos, err := c.lists.get(ctx, c.store, "telemetry/")
		if err != nil || len(infos) == 0 {
			return out, err
		}
		rows, err := readTable[tables.Telemetry](ctx, c.store, infos[len(infos)-1].Key)
		if err != nil {
			return nil, err
		}
		for _, t := range rows {
			if !slices.Contains(out, t.Device) {
				out = append(out, t.Device)
			}
		}
	default:
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// deviceDetail serves a device's last ?hours= (default 2, at most 24) hours of event time that
// the lake holds: its telemetry, every model's predictions for it and its error episodes.
func (c *Console) deviceDetail(r *http.Request) (any, error) {
	ctx := r.Context()
	id := r.PathValue("id")
	hours := queryInt(r, "hours", 2, 1, 24)
	infos, err := c.lists.get(ctx, c.store, "telemetry/")
	if err != nil {
		return nil, err
	}
	var last time.Time
	for _, in := range infos {
		if h, ok := tables.KeyHour(in.Key); ok && h.After(last) {
			last = h
		}
	}
	if last.IsZero() {
		return nil, notFound("device %q: the store holds no telemetry yet", id)
	}
	d := &DeviceDetail{Device: id, From: last.Add(-time.Duration(hours-1) * time.Hour), To: last.Add(time.Hour),
		Telemetry: []TelemetryPoint{}, Predictions: []PredictionPoint{}, Episodes: []Episode{}}
	var labels []tables.Label
	for h := d.From; h.Before(d.To); h = h.Add(time.Hour) {
		tel, err := hourRows[tables.Telemetry](ctx, c.store, tables.Key("telemetry", h, ""), func(t tables.Telemetry) bool { return t.Device == id })
		if err != nil {
			return nil, err
		}
		for _, t := range tel {
			d.Telemetry = append(d.Telemetry, TelemetryPoint{t.Timestamp.UTC(), t.CPUUtilization, t.Latency, t.PacketLoss, t.Throughput})
		}
		lab, err := hourRows[tables.Label](ctx, c.store, tables.Key("labels", h, ""), func(l tables.Label) bool { return l.Device == id })
		if err != nil {
			return nil, err
		}
		labels = append(labels, lab...)
	}
	if len(d.Telemetry) == 0 && len(labels) == 0 {
		return nil, notFound("device %q has no telemetry between %s and %s", id, d.From.Format(time.RFC3339), d.To.Format(time.RFC3339))
	}
	if d.Predictions, err = c.devicePredictions(ctx, id, d.From, d.To); err != nil {
		return nil, err
	}
	sortBy(d.Telemetry, func(p TelemetryPoint) time.Time { return p.T })
	sortBy(labels, func(l tables.Label) time.Time { return l.Timestamp })
	d.Episodes = episodes(labels)
	return d, nil
}

// devicePredictions reads every model's predictions for the device in [from, to).
func (c *Console) devicePredictions(ctx context.Context, id string, from, to time.Time) ([]PredictionPoint, error) {
	models, err := c.reg.Models(ctx)
	if err != nil {
		return nil, err
	}
	out := []PredictionPoint{}
	for _, m := range models {
		for h := from; h.Before(to); h = h.Add(time.Hour) {
			rows, err := hourRows[tables.Prediction](ctx, c.store, tables.Key("predictions/model="+m, h, ""), func(p tables.Prediction) bool { return p.Device == id })
			if err != nil {
				return nil, err
			}
			for _, p := range rows {
				out = append(out, PredictionPoint{p.Timestamp.UTC(), p.Model, int(p.Version), p.Probability, p.Prediction})
			}
		}
	}
	sortBy(out, func(p PredictionPoint) time.Time { return p.T })
	return out, nil
}

// hourRows reads the rows keep accepts from every Parquet object of one hour partition; key is
// the partition's key for an empty name (…/hour=HH/.parquet), whose directory is listed.
func hourRows[T any](ctx context.Context, store blob.Store, key string, keep func(T) bool) ([]T, error) {
	prefix := strings.TrimSuffix(key, ".parquet")
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, in := range infos {
		if !strings.HasSuffix(in.Key, ".parquet") {
			continue
		}
		rows, err := readTable[T](ctx, store, in.Key)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if keep(r) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// episodes groups consecutive error ticks of time-ordered labels: an episode ends at the first
// label without an error.
func episodes(labels []tables.Label) []Episode {
	out := []Episode{}
	var cur *Episode
	for _, l := range labels {
		if !l.IsError {
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, Episode{From: l.Timestamp.UTC(), Metrics: []string{}})
			cur = &out[len(out)-1]
		}
		cur.To = l.Timestamp.UTC()
		cur.Ticks++
		for i, bad := range []bool{l.CPUUtilizationIsError, l.LatencyIsError, l.PacketLossIsError, l.ThroughputIsError} {
			if bad && !slices.Contains(cur.Metrics, tables.Metrics[i]) {
				cur.Metrics = append(cur.Metrics, tables.Metrics[i])
			}
		}
	}
	return out
}

// sortBy sorts s by a time key, stably.
func sortBy[T any](s []T, key func(T) time.Time) {
	slices.SortStableFunc(s, func(a, b T) int { return key(a).Compare(key(b)) })
}

func itoa(v int) string { return strconv.Itoa(v) }
