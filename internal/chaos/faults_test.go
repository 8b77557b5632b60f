//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
)

// figures are what a run measured, reported at the end.
type figures struct {
	mu              sync.Mutex
	kills           int
	killsInFlight   int // kills while the function's consumer had an event out for acknowledgement
	killsByTarget   map[string]int
	natsDowntime    time.Duration
	minioDowntime   time.Duration
	pauses          int
	dupsDropped     int // republished with the same Nats-Msg-Id: dropped by the duplicate window
	dupsRedelivered int // republished with a new Nats-Msg-Id: delivered and handled again
	genCalls        int
	genFailures     int
	genTicks        int
}

func (f *figures) add(fn func(f *figures)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// driveGenerator asks the generator for batches, one POST /generate at a time, retrying through
// faults, and reports progress (successful batches) on the channel.
func (e *env) driveGenerator(ctx context.Context, fig *figures, progress chan<- int) error {
	defer close(progress)
	client := &http.Client{Timeout: 90 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/generate", e.generatorPort)
	for done := 0; done < batches; {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		body := fmt.Sprintf(`{"ticks":%d}`, ticksPerBatch)
		resp, err := client.Post(url, "application/json", strings.NewReader(body))
		ok := err == nil && resp.StatusCode == http.StatusOK
		if resp != nil {
			resp.Body.Close()
		}
		fig.add(func(f *figures) {
			f.genCalls++
			if !ok {
				f.genFailures++
			} else {
				f.genTicks += ticksPerBatch
			}
		})
		if !ok {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		done++
		progress <- done
		time.Sleep(time.Second) // a batch every second or so: processing overlaps generation
	}
	return nil
}

// killLoop sends kill -9 to a random function process every 1.5–3.5s, preferring moments when
// that function has an event out for acknowledgement, until stop is closed and at least minKills
// kills were done.
func (e *env) killLoop(ctx context.Context, t *testing.T, rng *rand.Rand, fig *figures, minKills int, stop <-chan struct{}) {
	stopped := false
	for {
		select {
		case <-stop:
			stopped = true
		default:
		}
		fig.mu.Lock()
		n := fig.kills
		fig.mu.Unlock()
		if stopped && n >= minKills || ctx.Err() != nil {
			return
		}
		time.Sleep(time.Duration(1500+rng.IntN(2000)) * time.Millisecond)
		p := e.fns[rng.IntN(len(e.fns))]
		target := targetOf(p.name)
		inFlight := e.waitInFlight(ctx, target, 1500*time.Millisecond)
		pid, err := p.signal(syscall.SIGKILL)
		if err != nil {
			continue // restarting; pick another next time
		}
		t.Logf("chaos: kill -9 %s (pid %d, event in flight: %v)", p.name, pid, inFlight)
		fig.add(func(f *figures) {
			f.kills++
			f.killsByTarget[target]++
			if inFlight {
				f.killsInFlight++
			}
		})
	}
}

// targetOf returns the function of a replica's process name (model-server-2 → model-server).
func targetOf(name string) string { return name[:strings.LastIndex(name, "-")] }

// waitInFlight polls the function's durable consumer for up to d until an event is out for
// acknowledgement, so the kill lands mid-batch when there is work.
func (e *env) waitInFlight(ctx context.Context, target string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ictx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := e.bus.JS.Consumer(ictx, bus.StreamName, target)
		if err == nil {
			var info *jetstream.ConsumerInfo
			if info, err = c.Info(ictx); err == nil && info.NumAckPending > 0 {
				cancel()
				return true
			}
		}
		cancel()
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// restartNATS stops the NATS server gracefully, keeps it down for a few seconds and starts it
// again on the same port and JetStream directory; it returns the downtime.
func (e *env) restartNATS(ctx context.Context, t *testing.T) time.Duration {
	start := time.Now()
	e.nats.pause(syscall.SIGTERM, 20*time.Second)
	time.Sleep(3 * time.Second)
	e.nats.resume(t)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := e.nats.waitReady(wctx); err != nil {
		t.Errorf("NATS did not come back: %v\n%s", err, e.nats.tail(20))
	}
	return time.Since(start)
}

// outageMinIO stops MinIO for 30 seconds and starts it again on the same address and data.
func (e *env) outageMinIO(ctx context.Context, t *testing.T, during func()) time.Duration {
	start := time.Now()
	e.minio.pause(syscall.SIGTERM, 20*time.Second)
	down := time.Now()
	if during != nil {
		during()
	}
	time.Sleep(30*time.Second - time.Since(down))
	e.minio.resume(t)
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := e.minio.waitReady(wctx); err != nil {
		t.Errorf("MinIO did not come back: %v\n%s", err, e.minio.tail(20))
	}
	return time.Since(start)
}

// pauseProcess freezes a process (SIGSTOP) for longer than its AckWait and thaws it: the events
// it held are redelivered to the other replica after the ack timeout, and then the thawed process
// finishes them too — a batch handled twice, concurrently.
func (e *env) pauseProcess(t *testing.T, name string, d time.Duration) bool {
	for _, p := range e.fns {
		if p.name != name {
			continue
		}
		// Wait for the process to be up (it may be restarting after a kill) and, briefly, for its
		// function to have an event out, so the pause holds one.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.waitReady(ctx); err != nil {
			return false
		}
		inFlight := e.waitInFlight(ctx, targetOf(name), 3*time.Second)
		if _, err := p.signal(syscall.SIGSTOP); err != nil {
			return false
		}
		t.Logf("chaos: SIGSTOP %s for %s (event in flight: %v)", name, d, inFlight)
		time.Sleep(d)
		_, _ = p.signal(syscall.SIGCONT)
		return true
	}
	return false
}

// recorder keeps the latest events seen on each batch subject, to republish as duplicates.
type recorder struct {
	mu   sync.Mutex
	msgs map[string][]*nats.Msg
	sub  *nats.Subscription
}

func (e *env) record(t *testing.T) *recorder {
	r := &recorder{msgs: map[string][]*nats.Msg{}}
	var err error
	r.sub, err = e.bus.NC.Subscribe(events.SubjectPrefix+">", func(m *nats.Msg) {
		if strings.HasPrefix(m.Subject, events.DeadLetterPrefix) || m.Header.Get("Chaos-Poison") != "" {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		l := append(r.msgs[m.Subject], m)
		if len(l) > 20 {
			l = l[1:]
		}
		r.msgs[m.Subject] = l
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// duplicate republishes one recorded event of each batch subject twice: with its own
// Nats-Msg-Id (the duplicate window must drop it) and with a new one (stored and delivered again:
// the consumer must handle the same CloudEvent a second time without a trace in the output).
func (e *env) duplicate(ctx context.Context, t *testing.T, rng *rand.Rand, r *recorder, fig *figures, round int) {
	subjects := []string{events.TelemetryBatch, events.LabelsBatch, events.FeaturesBatch, events.PredictionsBatch, events.LabeledBatch}
	for _, typ := range subjects {
		subj := events.Subject(typ)
		r.mu.Lock()
		l := r.msgs[subj]
		var m *nats.Msg
		if len(l) > 0 {
			m = l[rng.IntN(len(l))]
		}
		r.mu.Unlock()
		if m == nil {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		same := copyMsg(m)
		ack, err := e.bus.JS.PublishMsg(pctx, same, jetstream.WithMsgID(same.Header.Get(nats.MsgIdHdr)))
		if err == nil && ack.Duplicate {
			fig.add(func(f *figures) { f.dupsDropped++ })
		} else if err == nil {
			t.Errorf("duplicate of %s %s with the same Nats-Msg-Id was stored again (duplicate window)", subj, m.Header.Get(nats.MsgIdHdr))
		}
		again := copyMsg(m)
		again.Header.Set(nats.MsgIdHdr, fmt.Sprintf("chaos-dup-%d:%s", round, m.Header.Get(nats.MsgIdHdr)))
		if _, err := e.bus.JS.PublishMsg(pctx, again, jetstream.WithMsgID(again.Header.Get(nats.MsgIdHdr))); err == nil {
			fig.add(func(f *figures) { f.dupsRedelivered++ })
			t.Logf("chaos: duplicate %s ce-id %s (round %d)", subj, m.Header.Get("ce-id"), round)
		}
		cancel()
	}
}

func copyMsg(m *nats.Msg) *nats.Msg {
	c := nats.NewMsg(m.Subject)
	for k, vs := range m.Header {
		for _, v := range vs {
			c.Header.Add(k, v)
		}
	}
	c.Data = bytes.Clone(m.Data)
	return c
}

// poison is an event no retry can fix, with the functions that must dead-letter it and a piece of
// the reason they must give.
type poison struct {
	typ    string
	data   string
	fns    []string
	reason string
	id     string
}

// poisons are one bad event per function: undecodable JSON, a wrong JSON type, a schema version
// this build does not read, an invalid field, and object keys that leave their table (another
// table's object, a ".." path out of the table).
func poisons() []*poison {
	return []*poison{
		{typ: events.GenerateRequest, data: `{"ticks":0}`, fns: []string{"generator"}, reason: "ticks: 0"},
		{typ: events.TelemetryBatch, data: `{"key":"telemetry/date=2026-11-22/hour=03/poison.parquet","rows":`, fns: []string{"preprocessor"}, reason: "invalid payload"},
		{typ: events.FeaturesBatch, data: `{"key":"features/date=2026-11-22/hour=03/poison.parquet","rows":10,"from":"2026-11-22T03:00:00Z","to":"2026-11-22T03:01:00Z","schema_version":99}`,
			fns: []string{"model-server"}, reason: "schema_version: 99"},
		{typ: events.LabelsBatch, data: `{"key":"labels/date=2026-11-22/hour=03/poison.parquet","rows":"ten","schema_version":1}`, fns: []string{"labeled-stream"}, reason: "invalid payload"},
		{typ: events.PredictionsBatch, data: `[1,2,3]`, fns: []string{"labeled-stream"}, reason: "invalid payload"},
		{typ: events.PredictionsBatch, data: `{"key":"models/netops/v1/model.json","rows":10,"from":"2026-11-22T03:00:00Z","to":"2026-11-22T03:01:00Z","schema_version":1,"model":"netops","version":1,"source":"features/date=2026-11-22/hour=03/x.parquet"}`,
			fns: []string{"labeled-stream"}, reason: "is outside predictions/model=netops/"},
		{typ: events.TelemetryBatch, data: `{"key":"telemetry/../runs/r1.json","rows":10,"from":"2026-11-22T03:00:00Z","to":"2026-11-22T03:01:00Z","schema_version":1}`,
			fns: []string{"preprocessor"}, reason: `".." segment`},
		{typ: events.LabeledBatch, data: `{"key":"","rows":-1,"schema_version":1,"model":"netops","version":1}`,
			fns: []string{"drift-detectors", "drift-magnitude", "project-runner"}, reason: "key: required"},
	}
}

var poisonSeq atomic.Int64

// publishPoison publishes a poison event as a valid CloudEvent whose data is bad.
func (e *env) publishPoison(ctx context.Context, p *poison) error {
	p.id = fmt.Sprintf("chaos-poison-%d-%s", poisonSeq.Add(1), strings.TrimPrefix(p.typ, "io.netops."))
	ev := cloudevents.New()
	ev.SetID(p.id)
	ev.SetType(p.typ)
	ev.SetSource("/netops/chaos")
	ev.SetTime(time.Now().UTC())
	if err := ev.SetData(cloudevents.ApplicationJSON, []byte(p.data)); err != nil {
		return err
	}
	msg, err := bus.ToMsg(ev)
	if err != nil {
		return err
	}
	msg.Header.Set("Chaos-Poison", "1")
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		if err = e.bus.PublishMsg(pctx, msg); err == nil || pctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}
