// Package bus carries CloudEvents over NATS JetStream: the NETOPS stream, publishing in CloudEvents
// binary mode, durable pull consumers, key-value buckets, and the embedded server `netops up` runs.
//
// It is the project's own thin binding because the sdk-go NATS bindings ack before the handler has
// finished; the ack policy itself (retry, dead-letter) lives in package function.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/events"
)

// StreamName is the one stream every event is stored in.
const StreamName = "NETOPS"

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id to drop a repeated publish.
const DuplicateWindow = 10 * time.Minute

// Bus is a connection to NATS with JetStream and the NETOPS stream.
type Bus struct {
	NC *nats.Conn
	JS jetstream.JetStream
}

// Options tune Connect.
type Options struct {
	// Name is the client name shown in NATS monitoring.
	Name string
	// MaxAge is how long the stream keeps events (0: 24h).
	MaxAge time.Duration
}

// Connect dials NATS and creates or updates the NETOPS stream on netops.>.
func Connect(ctx context.Context, url string, opt Options) (*Bus, error) {
	nc, err := nats.Connect(url,
		nats.Name(opt.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				slog.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { slog.Info("nats reconnected", "url", nc.ConnectedUrl()) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	b := &Bus{NC: nc, JS: js}
	if err := b.ensureStream(ctx, opt.MaxAge); err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) ensureStream(ctx context.Context, maxAge time.Duration) error {
	if maxAge <= 0 {
		maxAge = 24 * time.Hour
	}
	_, err := b.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "netops events (CloudEvents binary mode)",
		Subjects:    []string{events.SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      maxAge,
		Duplicates:  DuplicateWindow,
	})
	if err != nil {
		return fmt.Errorf("create or update stream %s: %w", StreamName, err)
	}
	return nil
}

// Close drains and closes the connection.
func (b *Bus) Close() {
	if err := b.NC.Drain(); err != nil {
		b.NC.Close()
	}
}

// Publish sends an event on its type's subject in binary mode; Nats-Msg-Id is the event id, so a
// repeated publish within the duplicate window is stored once.
func (b *Bus) Publish(ctx context.Context, e cloudevents.Event) error {
	msg, err := ToMsg(e)
	if err != nil {
		return err
	}
	msg.Subject = events.Subject(e.Type())
	return b.PublishMsg(ctx, msg)
}

// PublishMsg publishes a prepared message, deduplicated on its Nats-Msg-Id header.
func (b *Bus) PublishMsg(ctx context.Context, msg *nats.Msg) error {
	var opts []jetstream.PublishOpt
	if id := msg.Header.Get(nats.MsgIdHdr); id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	if _, err := b.JS.PublishMsg(ctx, msg, opts...); err != nil {
		return fmt.Errorf("publish to %s: %w", msg.Subject, err)
	}
	return nil
}

// KV returns a key-value bucket, creating it if needed.
func (b *Bus) KV(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	kv, err := b.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %s: %w", bucket, err)
	}
	return kv, nil
}

const cePrefix = "ce-"

// ToMsg encodes an event in CloudEvents binary mode: attributes and extensions as ce-* headers,
// data as the body, Content-Type from datacontenttype.
func ToMsg(e cloudevents.Event) (*nats.Msg, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("invalid event: %w", err)
	}
	m := nats.NewMsg(events.Subject(e.Type()))
	h := m.Header
	h.Set(cePrefix+"specversion", e.SpecVersion())
	h.Set(cePrefix+"id", e.ID())
	h.Set(cePrefix+"type", e.Type())
	h.Set(cePrefix+"source", e.Source())
	if s := e.Subject(); s != "" {
		h.Set(cePrefix+"subject", s)
	}
	if !e.Time().IsZero() {
		h.Set(cePrefix+"time", e.Time().UTC().Format(time.RFC3339Nano))
	}
	if s := e.DataSchema(); s != "" {
		h.Set(cePrefix+"dataschema", s)
	}
	if ct := e.DataContentType(); ct != "" {
		h.Set("Content-Type", ct)
	}
	for k, v := range e.Extensions() {
		h.Set(cePrefix+k, fmt.Sprint(v))
	}
	h.Set(nats.MsgIdHdr, e.ID())
	m.Data = e.Data()
	return m, nil
}

// FromMsg decodes a binary-mode message into an event and validates it.
func FromMsg(m *nats.Msg) (cloudevents.Event, error) {
	e := cloudevents.New()
	if m.Header == nil {
		return e, errors.New("not a CloudEvent: message has no headers")
	}
	if sv := m.Header.Get(cePrefix + "specversion"); sv != "1.0" {
		return e, fmt.Errorf("not a CloudEvent: ce-specversion %q, want 1.0", sv)
	}
	for k, vs := range m.Header {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, cePrefix) || len(vs) == 0 {
			continue
		}
		name, v := strings.TrimPrefix(lk, cePrefix), vs[0]
		switch name {
		case "specversion":
		case "id":
			e.SetID(v)
		case "type":
			e.SetType(v)
		case "source":
			e.SetSource(v)
		case "subject":
			e.SetSubject(v)
		case "dataschema":
			e.SetDataSchema(v)
		case "time":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return e, fmt.Errorf("malformed CloudEvent: ce-time %q: %w", v, err)
			}
			e.SetTime(t)
		default:
			e.SetExtension(name, v)
		}
	}
	if ct := m.Header.Get("Content-Type"); ct != "" {
		e.SetDataContentType(ct)
	}
	if len(m.Data) > 0 {
		if err := e.SetData(e.DataContentType(), m.Data); err != nil {
			return e, fmt.Errorf("malformed CloudEvent: %w", err)
		}
	}
	if err := e.Validate(); err != nil {
		return e, fmt.Errorf("malformed CloudEvent: %w", err)
	}
	return e, nil
}
