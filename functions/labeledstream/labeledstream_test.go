package labeledstream

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/netopsfn/netops/internal/config"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/tables"
)

// TestEitherOrder handles the same batches labels-first and predictions-first: the labeled batch
// and its event are byte-identical, and every row carries its label.
func TestEitherOrder(t *testing.T) {
	type result struct {
		raw  []byte
		id   string
		data []byte
	}
	run := func(t *testing.T, labelsFirst bool) result {
		w := newWorld(t)
		w.register("netops", 1)
		s := w.instance()
		d := ticks(1, "netops", 1, 20, 0, 10)
		pe, le := w.predictionsEvent("pred-1", d), w.labelsEvent("lab-1", d.labels)
		var e cloudevents.Event
		if labelsFirst {
			if got := w.handle(s, le); len(got) != 0 {
				t.Fatalf("labels batch returned %d events", len(got))
			}
			outs := w.handle(s, pe)
			if len(outs) != 1 {
				t.Fatalf("complete predictions batch returned %d events, want 1", len(outs))
			}
			if pub := w.received(); len(pub) != 0 {
				t.Fatalf("%d events published besides the one returned", len(pub))
			}
			e = outs[0]
		} else {
			if got := w.handle(s, pe); len(got) != 0 {
				t.Fatalf("incomplete predictions batch returned %d events", len(got))
			}
			if _, _, ok := w.output(pe); ok {
				t.Fatal("labeled batch written before its labels arrived")
			}
			if got := w.handle(s, le); len(got) != 0 {
				t.Fatalf("labels batch returned %d events (releases are published directly)", len(got))
			}
			pub := w.received()
			if len(pub) != 1 {
				t.Fatalf("%d events published, want 1", len(pub))
			}
			e = pub[0]
		}
		rows, raw, ok := w.output(pe)
		if !ok {
			t.Fatal("no labeled batch")
		}
		checkJoined(t, rows, d, d.labels)
		b, err := events.Decode[events.Batch](e)
		if err != nil {
			t.Fatal(err)
		}
		if e.Type() != events.LabeledBatch || e.ID() != events.DerivedID("pred-1", "labeled") || b.Rows != int64(len(d.preds)) ||
			b.Model != "netops" || b.Version != 1 || !strings.HasPrefix(b.Key, "labeled/model=netops/date=2026-11-22/hour=13/") {
			t.Fatalf("event %s %s %+v", e.Type(), e.ID(), b)
		}
		return result{raw: raw, id: e.ID(), data: e.Data()}
	}
	var a, b result
	t.Run("labels first", func(t *testing.T) { a = run(t, true) })
	t.Run("predictions first", func(t *testing.T) { b = run(t, false) })
	if !bytes.Equal(a.raw, b.raw) || a.id != b.id {
		t.Fatalf("outputs differ by arrival order (%d vs %d bytes, ids %s %s)", len(a.raw), len(b.raw), a.id, b.id)
	}
}

// TestPartialArrival: half the labels arrive, then the predictions wait, then the other half
// completes them.
func TestPartialArrival(t *testing.T) {
	w := newWorld(t)
	w.register("netops", 1)
	s := w.instance()
	d := ticks(2, "netops", 1, 10, 0, 10)
	half := len(d.labels) / 2
	w.handle(s, w.labelsEvent("lab-a", d.labels[:half]))
	pe := w.predictionsEvent("pred-1", d)
	if outs := w.handle(s, pe); len(outs) != 0 {
		t.Fatal("predictions batch written with half its labels")
	}
	if g := w.metric("netops_labeled_stream_pending_batches", "model", "netops"); g != 1 {
		t.Fatalf("pending gauge %v, want 1", g)
	}
	w.handle(s, w.labelsEvent("lab-b", d.labels[half:]))
	rows, _, ok := w.output(pe)
	if !ok {
		t.Fatal("not written after the rest of its labels arrived")
	}
	checkJoined(t, rows, d, d.labels)
	if n := len(w.received()); n != 1 {
		t.Fatalf("%d events published, want 1", n)
	}
	if g := w.metric("netops_labeled_stream_pending_batches", "model", "netops"); g != 0 {
		t.Fatalf("pending gauge %v, want 0", g)
	}
	if c := w.metric("netops_labeled_stream_batches_total", "model", "netops", "outcome", "complete"); c != 1 {
		t.Fatalf("complete batches %v, want 1", c)
	}
}

// TestRestart: a batch left pending by one instance is completed by a new one on the same KV and
// store.
func TestRestart(t *testing.T) {
	w := newWorld(t)
	w.register("netops", 1)
	d := ticks(3, "netops", 1, 10, 0, 6)
	pe := w.predictionsEvent("pred-1", d)
	w.handle(w.instance(), pe)

	s2 := w.instance()
	w.handle(s2, w.labelsEvent("lab-1", d.labels))
	rows, _, ok := w.output(pe)
	if !ok {
		t.Fatal("the restarted instance did not release the pending batch")
	}
	checkJoined(t, rows, d, d.labels)
	if n := len(w.received()); n != 1 {
		t.Fatalf("%d events published, want 1", n)
	}
}

// TestHorizonFlush: rows whose labels never come are written unlabeled once the labels'
// watermark passes the batch's end plus the horizon, and counted.
func TestHorizonFlush(t *testing.T) {
	w := newWorld(t)
	w.cfg.Horizon = time.Minute
	w.register("netops", 1)
	s := w.instance()
	d := ticks(4, "netops", 1, 10, 0, 6) // 13:00:00 .. 13:00:25
	var have []tables.Label
	for _, l := range d.labels {
		if l.Device != device(3) && l.Device != device(7) {
			have = append(have, l)
		}
	}
	missing := len(d.labels) - len(have)
	pe := w.predictionsEvent("pred-1", d)
	w.handle(s, w.labelsEvent("lab-1", have))
	if w.handle(s, pe); w.labeledObjects() != 0 {
		t.Fatal("written before the horizon")
	}
	// Labels up to 13:01:25 leave it exactly at the horizon: it still waits.
	w.handle(s, w.labelsEvent("lab-2", ticks(4, "netops", 1, 10, 12, 6).labels[:10]))
	if w.labeledObjects() != 0 {
		t.Fatalf("written at the horizon (watermark %s)", t0.Add(17*interval))
	}
	w.handle(s, w.labelsEvent("lab-3", ticks(4, "netops", 1, 10, 20, 1).labels))
	rows, _, ok := w.output(pe)
	if !ok {
		t.Fatal("not flushed past the horizon")
	}
	checkJoined(t, rows, d, have)
	if u := w.metric("netops_labeled_stream_rows_total", "model", "netops", "labeled", "false"); u != float64(missing) {
		t.Fatalf("unlabeled rows counted %v, want %d", u, missing)
	}
	if c := w.metric("netops_labeled_stream_batches_total", "model", "netops", "outcome", "horizon"); c != 1 {
		t.Fatalf("horizon batches %v, want 1", c)
	}
	r, _ := w.endpoint("netops", 1)
	if r.Metrics == nil || r.Metrics.Unlabeled != int64(missing) || r.Metrics.Labeled != int64(len(have)) {
		t.Fatalf("endpoint metrics %+v, want %d labeled, %d unlabeled", r.Metrics, len(have), missing)
	}

	// A predictions batch that arrives already past the horizon is written at once.
	late := ticks(4, "netops", 1, 10, 1, 1)
	le := w.predictionsEvent("pred-late", late)
	if outs := w.handle(s, le); len(outs) != 1 {
		t.Fatalf("late predictions batch: %d events, want 1", len(outs))
	}
	rows, _, _ = w.output(le)
	checkJoined(t, rows, late, have)
}

// TestMaxPendingEvicts: beyond max-pending the oldest waiting batch is written with what it has.
func TestMaxPendingEvicts(t *testing.T) {
	w := newWorld(t)
	w.cfg.MaxPending = 2
	w.register("netops", 1)
	s := w.instance()
	ds := make([]data, 3)
	for i := range ds {
		ds[i] = ticks(5, "netops", 1, 5, 10*i, 10)
		w.handle(s, w.predictionsEvent("pred-"+string(rune('a'+i)), ds[i]))
	}
	if n := w.labeledObjects(); n != 1 {
		t.Fatalf("%d labeled batches, want the evicted one", n)
	}
	rows, _, ok := w.output(w.predictionsEvent("pred-a", ds[0]))
	if !ok {
		t.Fatal("the oldest batch was not the one evicted")
	}
	checkJoined(t, rows, ds[0], nil)
	if c := w.metric("netops_labeled_stream_batches_total", "model", "netops", "outcome", "evicted"); c != 1 {
		t.Fatalf("evicted %v, want 1", c)
	}
	if g := w.metric("netops_labeled_stream_pending_batches", "model", "netops"); g != 2 {
		t.Fatalf("pending gauge %v, want 2", g)
	}
	if n := len(w.received()); n != 1 {
		t.Fatalf("%d events published, want 1", n)
	}
}

// TestRedelivery: handling the same events again writes no new object, adds no rows to the
// window and publishes the same event id.
func TestRedelivery(t *testing.T) {
	w := newWorld(t)
	w.register("netops", 1)
	s := w.instance()
	d1, d2 := ticks(6, "netops", 1, 10, 0, 10), ticks(6, "netops", 1, 10, 10, 10)
	p1, l1 := w.predictionsEvent("pred-1", d1), w.labelsEvent("lab-1", d1.labels)
	p2, l2 := w.predictionsEvent("pred-2", d2), w.labelsEvent("lab-2", d2.labels)
	w.handle(s, l1)
	first := w.handle(s, p1)
	again := w.handle(s, p1)
	w.handle(s, w.labelsEvent("lab-1", d1.labels)) // a labels batch redelivered
	if len(first) != 1 || len(again) != 1 || first[0].ID() != again[0].ID() || !bytes.Equal(first[0].Data(), again[0].Data()) {
		t.Fatal("a redelivered predictions batch returned a different event")
	}
	w.handle(s, p2) // pending
	w.handle(s, l2) // released and published
	w.handle(s, l2) // redelivered: nothing pending any more
	w.handle(s, p2) // redelivered predictions: complete, same event again
	if n := w.labeledObjects(); n != 2 {
		t.Fatalf("%d labeled objects, want 2", n)
	}
	r, _ := w.endpoint("netops", 1)
	if want := int64(len(d1.preds) + len(d2.preds)); r.Metrics == nil || r.Metrics.Labeled != want {
		t.Fatalf("endpoint labeled total %+v, want %d", r.Metrics, want)
	}
	pub := w.received()
	if len(pub) != 1 || pub[0].ID() != events.DerivedID("pred-2", "labeled") {
		t.Fatalf("published %d events, want pred-2's once", len(pub))
	}
}

// TestOutOfOrder: rows shuffled within batches, and batches arriving in reverse event-time order,
// join the same.
func TestOutOfOrder(t *testing.T) {
	w := newWorld(t)
	w.register("netops", 1)
	s := w.instance()
	rng := rand.New(rand.NewPCG(7, 7))
	var ds []data
	for i := range 3 {
		d := ticks(7, "netops", 1, 8, 10*i, 10)
		perm := rng.Perm(len(d.preds))
		sh := data{}
		for _, j := range perm {
			sh.feats, sh.preds = append(sh.feats, d.feats[j]), append(sh.preds, d.preds[j])
		}
		for _, j := range rng.Perm(len(d.labels)) {
			sh.labels = append(sh.labels, d.labels[j])
		}
		ds = append(ds, sh)
	}
	for i := 2; i >= 0; i-- {
		w.handle(s, w.labelsEvent("lab-"+string(rune('a'+i)), ds[i].labels))
	}
	for i := 2; i >= 0; i-- {
		pe := w.predictionsEvent("pred-"+string(rune('a'+i)), ds[i])
		if outs := w.handle(s, pe); len(outs) != 1 {
			t.Fatalf("batch %d: %d events", i, len(outs))
		}
		rows, _, _ := w.output(pe)
		checkJoined(t, rows, ds[i], ds[i].labels)
	}
}

// TestLabelConflict: two labels batches that disagree on a row: the smaller key wins, counted.
func TestLabelConflict(t *testing.T) {
	w := newWorld(t)
	w.register("netops", 1)
	s := w.instance()
	d := ticks(8, "netops", 1, 4, 0, 2)
	flipped := slices.Clone(d.labels[:1])
	flipped[0].IsError = !flipped[0].IsError
	w.handle(s, w.labelsEvent("lab-b", flipped)) // key labels/…/lab-b.parquet sorts after lab-a
	w.handle(s, w.labelsEvent("lab-a", d.labels))
	pe := w.predictionsEvent("pred-1", d)
	w.handle(s, pe)
	rows, _, _ := w.output(pe)
	checkJoined(t, rows, d, d.labels)
	if c := w.metric("netops_labeled_stream_label_conflicts_total", "model", "netops"); c != 1 {
		t.Fatalf("conflicts %v, want 1", c)
	}
}

// TestUnknownModel: a model version the registry does not hold is joined and written, but gets no
// endpoint record.
func TestUnknownModel(t *testing.T) {
	w := newWorld(t)
	w.register("netops", 1)
	s := w.instance()
	d := ticks(9, "ghost", 3, 4, 0, 2)
	w.handle(s, w.labelsEvent("lab-1", d.labels))
	pe := w.predictionsEvent("pred-1", d)
	if outs := w.handle(s, pe); len(outs) != 1 {
		t.Fatalf("%d events, want 1", len(outs))
	}
	rows, _, _ := w.output(pe)
	checkJoined(t, rows, d, d.labels)
	if _, found := w.endpoint("ghost", 3); found {
		t.Fatal("endpoint record created for an unknown model")
	}
	if c := w.metric("netops_labeled_stream_unknown_model_batches_total", "model", "ghost"); c != 1 {
		t.Fatalf("unknown-model batches %v, want 1", c)
	}
}

func TestConfig(t *testing.T) {
	var cfg Config
	if err := config.Defaults(&cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if cfg.Horizon != 10*time.Minute || cfg.MaxPending != 256 || cfg.WindowRows != 1000 || cfg.Bucket != "labeled-stream" {
		t.Fatalf("defaults %+v", cfg)
	}
	for _, tc := range []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Bucket = "a.b" }, "labeled-bucket"},
		{func(c *Config) { c.Horizon = -time.Second }, "label-horizon"},
		{func(c *Config) { c.MaxPending = 0 }, "max-pending"},
		{func(c *Config) { c.WindowRows = maxWindowRows + 1 }, "window-rows"},
		{func(c *Config) { c.Retention = 5 * time.Minute }, "label-retention"},
	} {
		c := cfg
		tc.mut(&c)
		mustContain(t, c.Validate(), tc.want)
	}
	_, err := New(cfg, function.Deps{})
	mustContain(t, err, "needs NATS KV")
	cfg.MaxPending = -1
	_, err = New(cfg, function.Deps{})
	mustContain(t, err, "max-pending")
}

func TestHandleContextCancelled(t *testing.T) {
	w := newWorld(t)
	s := w.instance()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.handle(ctx, w.labelsEvent("lab-1", ticks(1, "netops", 1, 2, 0, 1).labels))
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

// TestConcurrentLabels: a labels batch handled between a predictions batch's join and its entry
// into the pending list (push mode, another replica) does not leave it waiting.
func TestConcurrentLabels(t *testing.T) {
	w := newWorld(t)
	w.register("netops", 1)
	s, other := w.instance(), w.instance()
	d := ticks(10, "netops", 1, 10, 0, 10)
	le := w.labelsEvent("lab-1", d.labels)
	s.afterJoin = func() {
		if _, err := other.handle(context.Background(), le); err != nil {
			t.Error(err)
		}
	}
	pe := w.predictionsEvent("pred-1", d)
	w.handle(s, pe)
	rows, _, ok := w.output(pe)
	if !ok {
		t.Fatal("the batch was left pending although its labels had been indexed")
	}
	checkJoined(t, rows, d, d.labels)
	if pub := w.received(); len(pub) != 1 {
		t.Fatalf("%d events published, want 1", len(pub))
	}
	if list, err := s.st.pending(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("pending list %v (%v), want empty", list, err)
	}
}

// TestRetention: the label index of hours more than label-retention behind the watermark is
// deleted; a predictions batch that old is written unlabeled.
func TestRetention(t *testing.T) {
	w := newWorld(t)
	w.cfg.Retention = time.Hour
	w.register("netops", 1)
	s := w.instance()
	d := ticks(14, "netops", 1, 3, 0, 2)
	w.handle(s, w.labelsEvent("lab-1", d.labels))
	later := ticks(14, "netops", 1, 3, int(3*time.Hour/interval), 1) // 16:00
	w.handle(s, w.labelsEvent("lab-2", later.labels))
	if refs, err := s.st.labels(context.Background(), t0, t0.Add(time.Minute)); err != nil || len(refs) != 0 {
		t.Fatalf("index of 13:00 kept: %v %v", refs, err)
	}
	if refs, _ := s.st.labels(context.Background(), later.labels[0].Timestamp, later.labels[0].Timestamp); len(refs) != 1 {
		t.Fatal("index of 16:00 lost")
	}
	pe := w.predictionsEvent("pred-old", d)
	if outs := w.handle(s, pe); len(outs) != 1 {
		t.Fatalf("%d events, want 1", len(outs))
	}
	rows, _, _ := w.output(pe)
	checkJoined(t, rows, d, nil)
}
