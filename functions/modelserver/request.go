package modelserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netopsfn/netops/internal/httpjson"
)

// call is one inference request in progress: what the handler has learned so far, recorded in
// the metrics, the endpoint statistics and the serving log when it ends.
type call struct {
	start    time.Time
	protocol string
	route    *route  // nil until the model is known to be served
	l        *loaded // nil until a version is chosen
	pinned   bool    // the request named the version
	id       string
	rows     [][]float64
	p        []float64
	labels   []bool
}

func newCall(protocol string) *call { return &call{start: time.Now(), protocol: protocol} }

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody checks the content type and reads the whole body, refusing more than MaxBody bytes.
// The buffer goes back to the pool with putBuf once the body is decoded.
func (s *server) readBody(r *http.Request) (*bytes.Buffer, int, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		// Not mime.ParseMediaType: MLflow's documented curl sends "application/json;".
		mt, _, _ := strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if mt != "application/json" && mt != "text/json" && !strings.HasSuffix(mt, "+json") {
			return nil, http.StatusUnsupportedMediaType, fmt.Errorf("content type %q: want application/json", ct)
		}
	}
	if r.ContentLength > s.cfg.MaxBody {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body of %d bytes is larger than the limit of %d bytes (max-body)", r.ContentLength, s.cfg.MaxBody)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(io.LimitReader(r.Body, s.cfg.MaxBody+1))
	switch {
	case err != nil:
		putBuf(buf)
		return nil, http.StatusBadRequest, fmt.Errorf("read request body: %v", err)
	case int64(buf.Len()) > s.cfg.MaxBody:
		putBuf(buf)
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than the limit of %d bytes (max-body)", s.cfg.MaxBody)
	case buf.Len() == 0:
		putBuf(buf)
		return nil, http.StatusBadRequest, errors.New("empty request body, want JSON")
	}
	return buf, 0, nil
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufPool.Put(b)
	}
}

// decodeJSON decodes one JSON value, rejecting unknown fields when strict is set.
func decodeJSON(data []byte, strict bool, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid JSON body: %w", err)
	}
	if dec.More() {
		return errors.New("invalid JSON body: more than one JSON value")
	}
	return nil
}

// routeKey is the routing key of a request: with sticky routing (configured, or asked for by
// the request) the hash of its first device id, else of its id, else of its body; otherwise random.
func (s *server) routeKey(sticky bool, device, id string, body []byte) uint64 {
	switch {
	case !sticky && !s.cfg.Sticky:
		return randomKey()
	case device != "":
		return stickyKey(device)
	case id != "":
		return stickyKey(id)
	}
	return stickyKey(string(body))
}

// fail answers {"error": …} and records the failed request.
func (s *server) fail(w http.ResponseWriter, c *call, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	httpjson.Error(w, status, "%s", msg)
	model, version := "", ""
	if c.route != nil {
		model = c.route.name
	}
	l := c.l
	if l == nil && c.route != nil {
		// Charge the endpoint that would have answered: a malformed request counts as its error.
		l = c.route.primary()
	}
	if c.l != nil {
		version = c.l.label
	}
	s.metrics.requests.WithLabelValues(model, version, strconv.Itoa(status)).Inc()
	s.metrics.failure.WithLabelValues(model, version).Inc()
	if l == nil {
		return
	}
	role := c.route.roleOf(l)
	if c.pinned {
		role = rolePinned
	}
	s.record(&Record{Model: l.name, Version: int32(l.version), Role: role, Protocol: c.protocol, ID: c.id,
		Start: c.start, LatencyMicros: time.Since(c.start).Microseconds(), Status: int32(status), Error: msg, Inputs: c.rows})
}

// score scores the call's rows with its version; a model error is the request's fault only when
// the rows are wrong, which the decoders have checked, so it is answered as a server error.
func (s *server) score(w http.ResponseWriter, c *call) bool {
	p, labels, err := c.l.scoreRows(c.rows)
	if err != nil {
		s.fail(w, c, http.StatusInternalServerError, "score with %s v%d: %v", c.l.name, c.l.version, err)
		return false
	}
	c.p, c.labels = p, labels
	return true
}

// succeed writes the response and records the scored request; a shadow version, if the model has
// one, then scores a copy of the rows off the request path.
func (s *server) succeed(w http.ResponseWriter, c *call, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	lat := time.Since(c.start)
	m := c.l.metrics
	m.ok.Inc()
	m.success.Inc()
	m.duration.Observe(lat.Seconds())
	m.httpRows.Add(float64(len(c.rows)))
	for _, p := range c.p {
		m.proba.Observe(p)
	}
	role := c.route.roleOf(c.l)
	if c.pinned {
		role = rolePinned
	}
	s.record(&Record{Model: c.l.name, Version: int32(c.l.version), Role: role, Protocol: c.protocol, ID: c.id,
		Start: c.start, LatencyMicros: lat.Microseconds(), Status: http.StatusOK, Inputs: c.rows, Outputs: c.p, Labels: c.labels})
	if sh := c.route.shadow; sh != nil && !c.pinned {
		select {
		case s.shadowQ <- shadowJob{l: sh, from: c.l, protocol: c.protocol, id: c.id, rows: c.rows}:
		default:
			s.metrics.dropped.Inc()
		}
	}
}

type shadowJob struct {
	l, from  *loaded // the shadow version and the version that answered
	protocol string
	id       string
	rows     [][]float64
}

// shadowScore scores a copy of a request with the shadow version; its result goes to the
// metrics and the serving log only.
func (s *server) shadowScore(j shadowJob) {
	start := time.Now()
	rec := &Record{Model: j.l.name, Version: int32(j.l.version), Role: roleShadow, Protocol: j.protocol, ID: j.id, Start: start, Inputs: j.rows}
	rows, err := j.l.reorder(j.from, j.rows)
	if err == nil {
		rec.Outputs, rec.Labels, err = j.l.scoreRows(rows)
	}
	rec.LatencyMicros = time.Since(start).Microseconds()
	m := j.l.metrics
	if err != nil {
		rec.Status, rec.Error = http.StatusInternalServerError, err.Error()
		s.metrics.failure.WithLabelValues(j.l.name, j.l.label).Inc()
	} else {
		rec.Status = http.StatusOK
		m.success.Inc()
		m.duration.Observe(time.Duration(rec.LatencyMicros * 1000).Seconds())
		m.shadowRows.Add(float64(len(rows)))
		for _, p := range rec.Outputs {
			m.proba.Observe(p)
		}
	}
	s.record(rec)
}
