package function_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/events"
	"github.com/netopsfn/netops/internal/function"
	"github.com/netopsfn/netops/internal/testenv"
)

// FuzzEventHandler posts arbitrary CloudEvents over HTTP (binary or structured mode, any headers
// and body) to a function's push endpoint whose handler decodes a batch: the server must never
// panic and must answer only with the statuses EventHandler documents — never 500.
func FuzzEventHandler(f *testing.F) {
	store, err := blob.NewFile(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	rt := &function.Runtime{
		Config: function.Config{Workers: 1, MaxDeliver: 1, AckWait: time.Second, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond},
		Bus:    testenv.Bus(f), Store: store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: function.NewMetrics(),
	}
	fn := &function.Function{Name: "fuzz", Consumes: []string{events.TelemetryBatch}, Handle: func(ctx context.Context, e cloudevents.Event) ([]cloudevents.Event, error) {
		_, err := events.Decode[events.Batch](e)
		return nil, err
	}}
	h := rt.Handler(fn)

	batch := `{"key":"telemetry/date=2026-11-22/hour=13/a.parquet","rows":1,"from":"2026-11-22T13:00:00Z","to":"2026-11-22T13:00:00Z","schema_version":9}`
	f.Add("1.0", "id-1", events.TelemetryBatch, "/src", "application/json", "", batch)
	f.Add("1.0", "id-2", events.TelemetryBatch, "/src", "application/json", "not a time", "{")
	f.Add("", "", "", "", "application/cloudevents+json", "",
		`{"specversion":"1.0","id":"s1","type":"`+events.TelemetryBatch+`","source":"/src","datacontenttype":"application/json","data":`+batch+`}`)
	f.Add("", "", "", "", "application/cloudevents+json", "", `{"specversion":"1.0","id":"s2","type":"x","source":"/src","data_base64":"!!"}`)
	f.Add("0.3", "id", "io.netops.unknown", "::", "text/plain; charset=\xff", "2026-11-22T13:00:00Z", "\x00")
	f.Add("", "", "", "", "application/cloudevents-batch+json", "", "[]")
	f.Fuzz(func(t *testing.T, specversion, id, typ, source, contentType, ceTime, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		for k, v := range map[string]string{"Ce-Specversion": specversion, "Ce-Id": id, "Ce-Type": typ, "Ce-Source": source, "Content-Type": contentType, "Ce-Time": ceTime} {
			if v != "" {
				req.Header[k] = []string{v}
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
			http.StatusUnprocessableEntity, http.StatusServiceUnavailable:
		default:
			t.Fatalf("status %d for a pushed event: %s", rec.Code, rec.Body.String())
		}
	})
}

// FuzzFromMsg decodes arbitrary NATS messages as binary-mode CloudEvents, as the pull consumer does
// for every message it receives: it must never panic, and an event it accepts must be valid and
// come back the same through ToMsg → FromMsg.
func FuzzFromMsg(f *testing.F) {
	f.Add("1.0", "id-1", events.TelemetryBatch, "/src", "application/json", "2026-11-22T13:00:00Z", "ce-model", "netops", []byte(`{"key":"k"}`))
	f.Add("1.0", "", "", "", "", "", "", "", []byte(nil))
	f.Add("1.0", "id", "t", "::not a uri", "text/plain", "yesterday", "ce-", "x", []byte{0xff})
	f.Add("0.3", "id", "t", "/s", "application/json", "", "ce-Time", "2026-13-45T00:00:00Z", []byte("{}"))
	f.Fuzz(func(t *testing.T, specversion, id, typ, source, contentType, ceTime, extKey, extValue string, data []byte) {
		m := nats.NewMsg(events.Subject(events.TelemetryBatch))
		set := func(k, v string) {
			if v != "" {
				m.Header[k] = []string{v}
			}
		}
		set("ce-specversion", specversion)
		set("ce-id", id)
		set("ce-type", typ)
		set("ce-source", source)
		set("Content-Type", contentType)
		set("ce-time", ceTime)
		if extKey != "" {
			set(extKey, extValue)
		}
		m.Data = data
		e, err := bus.FromMsg(m)
		if err != nil {
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("FromMsg accepted an invalid event: %v", err)
		}
		again, err := bus.ToMsg(e)
		if err != nil {
			t.Fatalf("ToMsg of an accepted event: %v", err)
		}
		e2, err := bus.FromMsg(again)
		if err != nil {
			t.Fatalf("FromMsg(ToMsg(e)): %v", err)
		}
		if e2.ID() != e.ID() || e2.Type() != e.Type() || e2.Source() != e.Source() || !bytes.Equal(e2.Data(), e.Data()) {
			t.Fatalf("round trip changed the event: %v → %v", e, e2)
		}
	})
}
