package function

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/fault"
)

// Headers added to a dead-lettered copy of a message.
const (
	HeaderDLQReason     = "Netops-Dlq-Reason"
	HeaderDLQFunction   = "Netops-Dlq-Function"
	HeaderDLQSubject    = "Netops-Dlq-Subject"
	HeaderDLQDeliveries = "Netops-Dlq-Deliveries"
)

// Consume runs the function's durable pull consumer until ctx is done, then drains: it stops
// fetching and gives in-flight events DrainTimeout to finish and be acknowledged. An event is
// acknowledged only after its handler succeeded and its outputs were published.
func (rt *Runtime) Consume(ctx context.Context, fn *Function) error {
	if len(fn.Consumes) == 0 {
		return nil
	}
	subjects := make([]string, len(fn.Consumes))
	for i, t := range fn.Consumes {
		subjects[i] = events.Subject(t)
	}
	workers, pending := rt.Workers, 4*rt.Workers
	if fn.Serial {
		workers, pending = 1, 1
	}
	cons, err := rt.Bus.JS.CreateOrUpdateConsumer(ctx, bus.StreamName, jetstream.ConsumerConfig{
		Durable:        fn.Name,
		Description:    "netops function " + fn.Name,
		FilterSubjects: subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        rt.AckWait,
		// The runtime counts deliveries itself and dead-letters at MaxDeliver; the server must
		// never stop redelivering on its own, or an event would be lost silently.
		MaxDeliver:    -1,
		MaxAckPending: pending,
	})
	if err != nil {
		return fmt.Errorf("consumer %s: %w", fn.Name, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2*workers), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("consumer %s: %w", fn.Name, err)
	}
	// Handlers get a context that outlives ctx by DrainTimeout, so in-flight work can finish.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	stop := context.AfterFunc(ctx, func() {
		it.Drain()
		time.AfterFunc(rt.DrainTimeout, hcancel)
	})
	defer stop()

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				msg, err := it.Next()
				if err != nil {
					return // iterator closed or drained
				}
				rt.deliver(hctx, fn, msg)
			}
		})
	}
	wg.Wait()
	return nil
}

// deliver handles one message and settles it: ack, nak with backoff, or dead-letter and term.
func (rt *Runtime) deliver(ctx context.Context, fn *Function, msg jetstream.Msg) {
	n := 1
	if md, err := msg.Metadata(); err == nil {
		n = int(md.NumDelivered)
	}
	e, err := bus.FromMsg(&nats.Msg{Subject: msg.Subject(), Header: msg.Headers(), Data: msg.Data()})
	typ := e.Type()
	if typ == "" {
		typ = "unknown"
	}
	m := rt.Metrics
	m.received.WithLabelValues(fn.Name, typ).Inc()
	log := rt.Log.With("function", fn.Name, "event", e.ID(), "type", typ, "delivery", n)
	if err != nil {
		rt.settleDeadLetter(ctx, fn, msg, typ, n, err)
		return
	}

	// Keep the message ours while the handler runs longer than AckWait.
	kctx, kcancel := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(rt.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-kctx.Done():
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	err = rt.handle(ctx, fn, e)
	kcancel()

	switch {
	case err == nil:
		if aerr := msg.DoubleAck(context.WithoutCancel(ctx)); aerr != nil {
			// The work is done and idempotent: a redelivery will redo it and publish the same ids.
			log.Warn("ack failed; the event will be redelivered", "err", aerr)
		}
		m.succeeded.WithLabelValues(fn.Name, typ).Inc()
	case ctx.Err() != nil:
		// Shutting down past the drain timeout: hand the event back at once.
		_ = msg.Nak()
		log.Warn("handler interrupted by shutdown; event returned", "err", err)
	case fault.IsPermanent(err) || n >= rt.MaxDeliver:
		rt.settleDeadLetter(ctx, fn, msg, typ, n, err)
	default:
		m.failed.WithLabelValues(fn.Name, typ).Inc()
		delay := rt.Backoff(n)
		log.Warn("handler failed; will retry", "err", err, "retry_in", delay)
		_ = msg.NakWithDelay(delay)
	}
}

// settleDeadLetter publishes a copy of the message, with the reason and the original headers, to
// the function's dead-letter subject and terminates the original. If the copy cannot be
// published the original is returned for redelivery instead, so nothing is lost.
func (rt *Runtime) settleDeadLetter(ctx context.Context, fn *Function, msg jetstream.Msg, typ string, n int, reason error) {
	id := msg.Headers().Get(nats.MsgIdHdr)
	if md, err := msg.Metadata(); err == nil && id == "" {
		id = strconv.FormatUint(md.Sequence.Stream, 10)
	}
	dl := deadLetterMsg(fn.Name, &nats.Msg{Subject: msg.Subject(), Header: msg.Headers(), Data: msg.Data()}, id, n, reason)
	if err := rt.Bus.PublishMsg(context.WithoutCancel(ctx), dl); err != nil {
		rt.Log.Error("dead-letter publish failed; event returned for redelivery", "function", fn.Name, "err", err)
		_ = msg.NakWithDelay(rt.Backoff(n))
		return
	}
	_ = msg.TermWithReason(truncate(reason.Error(), 200))
	rt.Metrics.deadLettered.WithLabelValues(fn.Name, typ).Inc()
	rt.Log.Error("event dead-lettered", "function", fn.Name, "type", typ, "deliveries", n, "reason", reason)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// deadLetterMsg is the copy of a failed message sent to the function's dead-letter subject: the
// original headers and data plus the reason, function, subject and delivery count.
func deadLetterMsg(function string, orig *nats.Msg, id string, deliveries int, reason error) *nats.Msg {
	dl := nats.NewMsg(events.DeadLetterSubject(function))
	for k, vs := range orig.Header {
		for _, v := range vs {
			dl.Header.Add(k, v)
		}
	}
	dl.Header.Set(HeaderDLQReason, reason.Error())
	dl.Header.Set(HeaderDLQFunction, function)
	dl.Header.Set(HeaderDLQSubject, orig.Subject)
	dl.Header.Set(HeaderDLQDeliveries, strconv.Itoa(deliveries))
	dl.Header.Set(nats.MsgIdHdr, "dlq:"+function+":"+id)
	dl.Data = orig.Data
	return dl
}
