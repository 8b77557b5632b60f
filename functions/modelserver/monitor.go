package modelserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/endpoint"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/tables"
)

// ServingBatch is the type of the notice published for every serving-log object, on the subject
// netops.serving.<model> (no function's durable consumer filters it; drift monitoring and
// `nats sub` read it).
const ServingBatch = "io.netops.serving.batch"

// ServingSubject returns the subject a model's serving-log notices travel on.
func ServingSubject(model string) string { return events.SubjectPrefix + "serving." + model }

// FeatureNamesKey is the Parquet key-value metadata entry holding a serving-log object's feature
// names (a JSON list), the column order of every row of "inputs".
const FeatureNamesKey = "netops.feature_names"

// Record is one inference request in the serving log, one row of
// serving/model=<m>/date=…/hour=…/<id>.parquet (SPEC §4): which version answered it in what role,
// its inputs (rows in the model's feature order) and outputs, when it started, how long it took
// in microseconds (the full duration) and its error, if any. A log object holds one version.
type Record struct {
	Model         string      `parquet:"model,dict"`
	Version       int32       `parquet:"version"`
	Role          string      `parquet:"role,dict"`     // champion, canary, shadow or pinned
	Protocol      string      `parquet:"protocol,dict"` // oip, mlrun, mlflow or seldon
	ID            string      `parquet:"id"`
	Start         time.Time   `parquet:"start,timestamp(millisecond)"`
	LatencyMicros int64       `parquet:"latency_us"`
	Status        int32       `parquet:"status"`
	Error         string      `parquet:"error"`
	Inputs        [][]float64 `parquet:"inputs,list"`
	Outputs       []float64   `parquet:"outputs,list"` // probability of each row
	Labels        []bool      `parquet:"labels,list"`  // decision of each row at the card's threshold
}

// record hands a finished request to the monitor without ever blocking: when the buffer is full
// the record is dropped and counted.
func (s *server) record(r *Record) {
	select {
	case s.records <- r:
	default:
		s.metrics.dropped.Inc()
	}
}

type logKey struct {
	model   string
	version int32
}

type logBatch struct {
	key      logKey
	features []string
	rows     []Record
}

// monitor runs until ctx is done: it aggregates records into the endpoint statistics, cuts the
// serving log into objects every MonitorRows records or MonitorInterval, and writes the endpoint
// records every EndpointInterval; on shutdown it drains and flushes what it holds.
func (s *server) monitor(ctx context.Context) error {
	writes := make(chan logBatch, 16)
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := range writes {
			if err := s.writeLog(context.WithoutCancel(ctx), b); err != nil {
				s.log.Error("serving log not written", "model", b.key.model, "version", b.key.version, "rows", len(b.rows), "err", err)
			}
		}
	})
	if s.endpoints != nil {
		wg.Go(func() { s.endpointLoop(ctx) })
	}
	pending := map[logKey]*logBatch{}
	cut := func(k logKey) {
		if b := pending[k]; b != nil && len(b.rows) > 0 {
			writes <- *b
		}
		delete(pending, k)
	}
	take := func(r *Record) {
		s.stats.add(r)
		if !s.cfg.Monitor || r.Version == 0 {
			return
		}
		k := logKey{r.Model, r.Version}
		b := pending[k]
		if b == nil {
			b = &logBatch{key: k, rows: make([]Record, 0, min(s.cfg.MonitorRows, 4096))}
			if rt := s.router.table().models[r.Model]; rt != nil && rt.versions[int(r.Version)] != nil {
				b.features = rt.versions[int(r.Version)].model.FeatureNames()
			}
			pending[k] = b
		}
		b.rows = append(b.rows, *r)
		if len(b.rows) >= s.cfg.MonitorRows {
			cut(k)
		}
	}
	tick := time.NewTicker(s.cfg.MonitorInterval)
	defer tick.Stop()
	for {
		select {
		case r := <-s.records:
			take(r)
		case <-tick.C:
			for k := range pending {
				cut(k)
			}
		case <-ctx.Done():
			for drained := false; !drained; {
				select {
				case r := <-s.records:
					take(r)
				default:
					drained = true
				}
			}
			for k := range pending {
				cut(k)
			}
			close(writes)
			wg.Wait()
			return nil
		}
	}
}

// endpointLoop writes the endpoint records every EndpointInterval and once more on shutdown.
func (s *server) endpointLoop(ctx context.Context) {
	// Start from what the records say, so versions retired while no server ran lose their role.
	roles := map[string]endpointRole{}
	if recs, err := s.endpoints.List(ctx); err == nil {
		for _, r := range recs {
			if slices.Contains(s.cfg.Models, r.Model) {
				roles[endpoint.Key(r.Model, r.Version)] = endpointRole{model: r.Model, version: r.Version, class: r.Class,
					alias: r.Alias, traffic: r.Traffic, shadow: r.Shadow}
			}
		}
	}
	tick := time.NewTicker(s.cfg.EndpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if err := s.flushEndpoints(ctx, roles); err != nil {
				s.log.Warn("endpoint records not updated; retrying next interval", "err", err)
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			// Let the monitor hand over its last records first.
			time.Sleep(50 * time.Millisecond)
			if err := s.flushEndpoints(fctx, roles); err != nil {
				s.log.Warn("endpoint records not updated at shutdown", "err", err)
			}
			cancel()
			return
		}
	}
}

var logCodec = &zstd.Codec{Level: zstd.SpeedFastest}

// writeLog writes one serving-log object and publishes its notice.
func (s *server) writeLog(ctx context.Context, b logBatch) error {
	from, to := b.rows[0].Start, b.rows[0].Start
	for _, r := range b.rows {
		from, to = minTime(from, r.Start), maxTime(to, r.Start)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	id := fmt.Sprintf("v%d-%s-%s", b.key.version, from.UTC().Format("20060102T150405.000"), hex.EncodeToString(rnd[:]))
	key := tables.Key(s.cfg.MonitorPrefix+"/model="+b.key.model, from, id)
	names, _ := json.Marshal(b.features)
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[Record](&buf, parquet.Compression(logCodec), parquet.KeyValueMetadata(FeatureNamesKey, string(names)))
	if _, err := w.Write(b.rows); err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if err := blob.PutBytes(ctx, s.store, key, buf.Bytes()); err != nil {
		return err
	}
	if s.bus == nil {
		return nil
	}
	e, err := events.New(ServingBatch, source, events.DerivedID(key), &events.Batch{Key: key, Rows: int64(len(b.rows)),
		From: from, To: to, SchemaVersion: events.SchemaVersion, Model: b.key.model, Version: int(b.key.version)})
	if err != nil {
		return err
	}
	msg, err := bus.ToMsg(e)
	if err != nil {
		return err
	}
	msg.Subject = ServingSubject(b.key.model)
	return s.bus.PublishMsg(ctx, msg)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
