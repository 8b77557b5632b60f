package bus_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/testenv"
)

func sampleEvent(t testing.TB, id string, size int) cloudevents.Event {
	ts := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	e, err := events.New(events.TelemetryBatch, "/netops/generator", id, &events.Batch{
		Key: "telemetry/date=2026-11-22/hour=13/" + strings.Repeat("x", size) + ".parquet", Rows: 100, From: ts, To: ts, SchemaVersion: events.SchemaVersion})
	if err != nil {
		t.Fatal(err)
	}
	e.SetExtension("traceparent", "00-abc-def-01")
	return e
}

func TestBinaryModeRoundTrip(t *testing.T) {
	e := sampleEvent(t, "e1", 10)
	m, err := bus.ToMsg(e)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "netops.telemetry.batch" || m.Header.Get("ce-id") != "e1" || m.Header.Get(nats.MsgIdHdr) != "e1" ||
		m.Header.Get("Content-Type") != "application/json" || m.Header.Get("ce-traceparent") != "00-abc-def-01" {
		t.Fatalf("headers %v subject %s", m.Header, m.Subject)
	}
	got, err := bus.FromMsg(m)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() != e.ID() || got.Type() != e.Type() || got.Source() != e.Source() || got.Subject() != e.Subject() ||
		!got.Time().Equal(e.Time()) || string(got.Data()) != string(e.Data()) || got.Extensions()["traceparent"] != "00-abc-def-01" {
		t.Fatalf("round trip changed the event:\n%v\n%v", got, e)
	}
	for name, mutate := range map[string]func(*nats.Msg){
		"no headers":   func(m *nats.Msg) { m.Header = nil },
		"old spec":     func(m *nats.Msg) { m.Header.Set("ce-specversion", "0.3") },
		"no id":        func(m *nats.Msg) { m.Header.Del("ce-id") },
		"bad time":     func(m *nats.Msg) { m.Header.Set("ce-time", "yesterday") },
		"missing type": func(m *nats.Msg) { m.Header.Del("ce-type") },
	} {
		m, _ := bus.ToMsg(e)
		mutate(m)
		if _, err := bus.FromMsg(m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDuplicatesDropped(t *testing.T) {
	b := testenv.Bus(t)
	ctx := context.Background()
	e := sampleEvent(t, "same-id", 10)
	for range 3 {
		if err := b.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Publish(ctx, sampleEvent(t, "other-id", 10)); err != nil {
		t.Fatal(err)
	}
	s, err := b.JS.Stream(ctx, bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages, want 2", info.State.Msgs)
	}
}

// BenchmarkPublishConsumeAck measures 1 KiB events published to the embedded server, consumed by
// a durable pull consumer and acknowledged.
func BenchmarkPublishConsumeAck(b *testing.B) {
	bs := testenv.Bus(b)
	ctx := context.Background()
	cons, err := bs.JS.CreateOrUpdateConsumer(ctx, bus.StreamName, jetstream.ConsumerConfig{
		Durable: "bench", FilterSubjects: []string{events.Subject(events.TelemetryBatch)}, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 10000})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]*nats.Msg, b.N)
	for i := range msgs {
		e := sampleEvent(b, fmt.Sprintf("bench-%d", i), 1024-200)
		if msgs[i], err = bus.ToMsg(e); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(msgs[0].Data)))
	b.ResetTimer()
	done := make(chan struct{})
	cc, err := cons.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
	})
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()
	go func() {
		defer close(done)
		for _, m := range msgs {
			_, err := bs.JS.PublishMsgAsync(m, jetstream.WithMsgID(m.Header.Get(nats.MsgIdHdr)))
			if err != nil { // too many unacknowledged publishes: let them complete, then retry
				<-bs.JS.PublishAsyncComplete()
				_, err = bs.JS.PublishMsgAsync(m, jetstream.WithMsgID(m.Header.Get(nats.MsgIdHdr)))
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
		<-bs.JS.PublishAsyncComplete()
	}()
	<-done
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		info, err := cons.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if info.AckFloor.Stream >= uint64(b.N) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("acked %d of %d events", info.AckFloor.Stream, b.N)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
