//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/parquet-go/parquet-go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/tables"
)

// waitQuiet waits until no durable consumer has an event pending or out for acknowledgement,
// three polls in a row, two seconds apart.
func (e *env) waitQuiet(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	calm := 0
	var last string
	for time.Now().Before(deadline) {
		busy, err := e.busyConsumers(ctx)
		switch {
		case err != nil:
			calm, last = 0, err.Error()
		case len(busy) > 0:
			calm, last = 0, strings.Join(busy, ", ")
		default:
			calm++
			if calm == 3 {
				return nil
			}
		}
		time.Sleep(2 * time.Second)
	}
	return fmt.Errorf("pipeline not quiet after %s: %s", timeout, last)
}

func (e *env) busyConsumers(ctx context.Context) ([]string, error) {
	var busy []string
	for _, r := range replicas {
		ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := e.bus.JS.Consumer(ictx, bus.StreamName, r.target)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("consumer %s: %w", r.target, err)
		}
		info, err := c.Info(ictx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("consumer %s: %w", r.target, err)
		}
		if info.NumPending > 0 || info.NumAckPending > 0 {
			busy = append(busy, fmt.Sprintf("%s (pending %d, unacked %d)", r.target, info.NumPending, info.NumAckPending))
		}
	}
	return busy, nil
}

// storeReport is what the store holds after the run.
type storeReport struct {
	objects, parquetObjects, jsonObjects int
	telemetryRows, labelRows             int
	featureRows, predictionRows          int
	labeledRows, unlabeledRows           int
	versions                             []string
	problems                             []string
}

func (r *storeReport) problem(format string, args ...any) {
	if len(r.problems) < 60 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	} else if len(r.problems) == 60 {
		r.problems = append(r.problems, "… more problems left out")
	}
}

type rowKey struct {
	device string
	ts     int64
}

func (k rowKey) String() string {
	return k.device + "@" + time.UnixMilli(k.ts).UTC().Format(time.RFC3339)
}

// checkStore reads every object of the store: every Parquet object must open and read fully,
// every JSON object must parse, and every telemetry row must have exactly one label row, one
// feature row, and one prediction and one labeled row per served model version — and no row may
// exist that no telemetry row explains.
func (e *env) checkStore(ctx context.Context) (*storeReport, error) {
	infos, err := e.store.List(ctx, "")
	if err != nil {
		return nil, err
	}
	rep := &storeReport{objects: len(infos)}
	tel := map[rowKey]int{}
	lab := map[rowKey]int{}
	feat := map[rowKey]int{}
	pred := map[string]map[rowKey]int{} // model/version → rows
	labd := map[string]map[rowKey]int{}
	for _, in := range infos {
		data, err := blob.GetBytes(ctx, e.store, in.Key)
		if err != nil {
			rep.problem("read %s: %v", in.Key, err)
			continue
		}
		switch {
		case strings.HasSuffix(in.Key, ".parquet"):
			rep.parquetObjects++
			if n, err := readParquet(data); err != nil {
				rep.problem("partial or corrupt Parquet object %s (%d bytes): %v", in.Key, len(data), err)
				continue
			} else if n == 0 && !strings.HasPrefix(in.Key, "features/") {
				// An empty features batch is legitimate (a replayed batch whose rows were all late).
				rep.problem("empty Parquet object %s", in.Key)
			}
		case strings.HasSuffix(in.Key, ".json"):
			rep.jsonObjects++
			if !json.Valid(data) {
				rep.problem("partial or corrupt JSON object %s (%d bytes)", in.Key, len(data))
			}
			continue
		default:
			continue
		}
		table := in.Key[:strings.Index(in.Key+"/", "/")]
		switch table {
		case "telemetry":
			countRows(rep, in.Key, data, tel, func(r tables.Telemetry) rowKey { return rowKey{r.Device, r.Timestamp.UnixMilli()} })
		case "labels":
			countRows(rep, in.Key, data, lab, func(r tables.Label) rowKey { return rowKey{r.Device, r.Timestamp.UnixMilli()} })
		case "features":
			countRows(rep, in.Key, data, feat, func(r features.Row) rowKey { return rowKey{r.Device, r.Timestamp.UnixMilli()} })
		case "predictions":
			rows, err := tables.Decode[tables.Prediction](data)
			if err != nil {
				rep.problem("predictions %s: %v", in.Key, err)
				continue
			}
			for _, r := range rows {
				v := r.Model + " v" + strconv.Itoa(int(r.Version))
				if pred[v] == nil {
					pred[v] = map[rowKey]int{}
				}
				pred[v][rowKey{r.Device, r.Timestamp.UnixMilli()}]++
			}
		case "labeled":
			rows, err := tables.Decode[features.LabeledRow](data)
			if err != nil {
				rep.problem("labeled %s: %v", in.Key, err)
				continue
			}
			for _, r := range rows {
				v := r.Model + " v" + strconv.Itoa(int(r.Version))
				if labd[v] == nil {
					labd[v] = map[rowKey]int{}
				}
				labd[v][rowKey{r.Device, r.Timestamp.UnixMilli()}]++
				if !r.Labeled {
					rep.unlabeledRows++
					rep.problem("labeled row %s of %s never got its label (%s)", rowKey{r.Device, r.Timestamp.UnixMilli()}, v, in.Key)
				}
			}
		}
	}
	rep.telemetryRows, rep.labelRows, rep.featureRows = sum(tel), sum(lab), sum(feat)
	for k, n := range tel {
		if n != 1 {
			rep.problem("telemetry row %s generated %d times", k, n)
		}
	}
	compare(rep, "label", tel, lab)
	compare(rep, "feature", tel, feat)
	for v := range pred {
		rep.versions = append(rep.versions, v)
	}
	for v := range labd {
		if pred[v] == nil {
			rep.versions = append(rep.versions, v)
		}
	}
	sort.Strings(rep.versions)
	if len(rep.versions) == 0 {
		rep.problem("no predictions at all")
	}
	for _, v := range rep.versions {
		compare(rep, "prediction ("+v+")", tel, pred[v])
		compare(rep, "labeled ("+v+")", tel, labd[v])
		rep.predictionRows += sum(pred[v])
		rep.labeledRows += sum(labd[v])
	}
	if rep.telemetryRows < batches*ticksPerBatch*devices {
		rep.problem("only %d telemetry rows; the generator acknowledged %d", rep.telemetryRows, batches*ticksPerBatch*devices)
	}
	return rep, nil
}

func countRows[T any](rep *storeReport, key string, data []byte, into map[rowKey]int, keyOf func(T) rowKey) {
	rows, err := tables.Decode[T](data)
	if err != nil {
		rep.problem("%s: %v", key, err)
		return
	}
	for _, r := range rows {
		into[keyOf(r)]++
	}
}

// compare reports rows of want missing from got or present more than once, and rows of got that
// want does not have, summarised per kind.
func compare(rep *storeReport, what string, want, got map[rowKey]int) {
	var missing, dup, extra []rowKey
	for k := range want {
		switch n := got[k]; {
		case n == 0:
			missing = append(missing, k)
		case n > 1:
			dup = append(dup, k)
		}
	}
	for k := range got {
		if want[k] == 0 {
			extra = append(extra, k)
		}
	}
	for _, c := range []struct {
		kind string
		keys []rowKey
	}{{"lost", missing}, {"duplicated", dup}, {"unexplained (no telemetry row)", extra}} {
		if len(c.keys) == 0 {
			continue
		}
		sort.Slice(c.keys, func(i, j int) bool {
			if c.keys[i].ts != c.keys[j].ts {
				return c.keys[i].ts < c.keys[j].ts
			}
			return c.keys[i].device < c.keys[j].device
		})
		ex := c.keys[:min(5, len(c.keys))]
		rep.problem("%s rows %s: %d of %d telemetry rows (e.g. %v)", what, c.kind, len(c.keys), len(want), ex)
	}
}

func sum(m map[rowKey]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// readParquet opens a Parquet file and reads every row of every row group, whatever its schema.
func readParquet(data []byte) (n int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic reading: %v", p)
		}
	}()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return 0, err
	}
	buf := make([]parquet.Row, 256)
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			k, err := rows.ReadRows(buf)
			n += int64(k)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rows.Close()
				return n, err
			}
			if k == 0 {
				break
			}
		}
		rows.Close()
	}
	if n != f.NumRows() {
		return n, fmt.Errorf("read %d of %d rows", n, f.NumRows())
	}
	return n, nil
}

// deadLetter is one message found on a dead-letter subject.
type deadLetter struct {
	function, id, typ, reason string
}

// readDeadLetters reads every message on netops.dlq.> from the stream.
func (e *env) readDeadLetters(ctx context.Context) ([]deadLetter, error) {
	cons, err := e.bus.JS.OrderedConsumer(ctx, bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.DeadLetterPrefix + ">"}})
	if err != nil {
		return nil, err
	}
	var out []deadLetter
	for {
		batch, err := cons.Fetch(100, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			h := m.Headers()
			out = append(out, deadLetter{function: h.Get(function.HeaderDLQFunction), id: h.Get("ce-id"), typ: h.Get("ce-type"), reason: h.Get(function.HeaderDLQReason)})
		}
		if batch.Error() != nil && !errors.Is(batch.Error(), context.DeadlineExceeded) {
			return nil, batch.Error()
		}
		if n == 0 {
			return out, nil
		}
	}
}

// checkDeadLetters matches the dead letters against the poison events: each poison must be
// dead-lettered once by each function that consumes it, with its reason, and nothing else may be.
func checkDeadLetters(dls []deadLetter, ps []*poison) []string {
	var problems []string
	type fid struct{ fn, id string }
	want := map[fid]*poison{}
	for _, p := range ps {
		for _, fn := range p.fns {
			want[fid{fn, p.id}] = p
		}
	}
	seen := map[fid]int{}
	for _, d := range dls {
		k := fid{d.function, d.id}
		seen[k]++
		p, ok := want[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("unexpected dead letter from %s: event %s (%s): %s", d.function, d.id, d.typ, d.reason))
		case !strings.Contains(d.reason, p.reason):
			problems = append(problems, fmt.Sprintf("poison %s dead-lettered by %s with reason %q, want it to mention %q", d.id, d.function, d.reason, p.reason))
		}
	}
	for k, p := range want {
		switch seen[k] {
		case 0:
			problems = append(problems, fmt.Sprintf("poison %s (%s) not dead-lettered by %s", k.id, p.typ, k.fn))
		case 1:
		default:
			problems = append(problems, fmt.Sprintf("poison %s dead-lettered %d times by %s", k.id, seen[k], k.fn))
		}
	}
	sort.Strings(problems)
	return problems
}
