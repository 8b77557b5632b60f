package function

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"

	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/nats-io/nats.go"

	"github.com/netopsfn/netops/internal/bus"
	"github.com/netopsfn/netops/internal/fault"
	"github.com/netopsfn/netops/internal/httpjson"
)

// maxEventBytes bounds a pushed CloudEvent; batch events are a few hundred bytes.
const maxEventBytes = 1 << 20

// EventHandler accepts CloudEvents over HTTP (POST, binary or structured mode), as Knative
// Triggers and the OpenFaaS NATS connector deliver them. It answers 200 when the event was handled
// and its outputs published, 400 for a malformed event, 415 for a body that is not a CloudEvent,
// 422 (and a dead-letter copy) for a permanent error, and 503 for a retryable one.
func (rt *Runtime) EventHandler(fn *Function) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			httpjson.Error(w, http.StatusMethodNotAllowed, "method %s not allowed: POST a CloudEvent", r.Method)
			return
		}
		if status, msg := notCloudEvent(r); status != 0 {
			httpjson.Error(w, status, "%s", msg)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxEventBytes)
		e, err := cehttp.NewEventFromHTTPRequest(r)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				httpjson.Error(w, http.StatusRequestEntityTooLarge, "CloudEvent larger than %d bytes", maxEventBytes)
				return
			}
			httpjson.Error(w, http.StatusBadRequest, "malformed CloudEvent: %v", err)
			return
		}
		if err := e.Validate(); err != nil {
			httpjson.Error(w, http.StatusBadRequest, "malformed CloudEvent: %v", err)
			return
		}
		typ := e.Type()
		rt.Metrics.received.WithLabelValues(fn.Name, typ).Inc()
		err = rt.handle(r.Context(), fn, *e)
		switch {
		case err == nil:
			rt.Metrics.succeeded.WithLabelValues(fn.Name, typ).Inc()
			httpjson.Write(w, http.StatusOK, map[string]string{"id": e.ID(), "status": "handled"})
		case fault.IsPermanent(err):
			msg, merr := bus.ToMsg(*e)
			if merr == nil {
				rt.deadLetterPushed(r.Context(), fn, msg, err)
			}
			rt.Metrics.deadLettered.WithLabelValues(fn.Name, typ).Inc()
			httpjson.Error(w, http.StatusUnprocessableEntity, "%v", err)
		default:
			rt.Metrics.failed.WithLabelValues(fn.Name, typ).Inc()
			w.Header().Set("Retry-After", "1")
			httpjson.Error(w, http.StatusServiceUnavailable, "%v", err)
		}
	})
}

// notCloudEvent tells a request that carries no CloudEvent at all (415) from one that does.
func notCloudEvent(r *http.Request) (int, string) {
	if r.Header.Get("Ce-Specversion") != "" {
		return 0, ""
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "application/cloudevents+json":
		return 0, ""
	case strings.HasPrefix(mt, "application/cloudevents-batch"):
		return http.StatusUnsupportedMediaType, "batched CloudEvents are not supported: send one event per request"
	}
	return http.StatusUnsupportedMediaType, "not a CloudEvent: want binary mode (ce-specversion header) or structured mode (Content-Type: application/cloudevents+json), got Content-Type " + quoteOrNone(r.Header.Get("Content-Type"))
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return `"` + s + `"`
}

// deadLetterPushed publishes a pushed event that failed permanently to the dead-letter subject, so
// push and pull modes leave the same trace.
func (rt *Runtime) deadLetterPushed(ctx context.Context, fn *Function, msg *nats.Msg, reason error) {
	dl := deadLetterMsg(fn.Name, msg, msg.Header.Get(nats.MsgIdHdr), 1, reason)
	if err := rt.Bus.PublishMsg(context.WithoutCancel(ctx), dl); err != nil {
		rt.Log.Error("dead-letter publish failed", "function", fn.Name, "err", err)
	}
}
