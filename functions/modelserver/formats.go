package modelserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/features"
)

var (
	errUnknownDevice = errors.New("unknown device")
	errOnlineStore   = errors.New("online store unavailable")
)

// serveMLRun answers MLRun V2 style requests: {"inputs": [[f1, f2, …], …]} or
// {"inputs": [["<device id>"], …]} → {"id", "model_name", "model_version", "outputs": [probability, …]}.
func (s *server) serveMLRun(w http.ResponseWriter, r *http.Request, c *call, req inferBody) {
	rows, imputed, err := s.mlrunRows(r.Context(), c.l, req.Inputs)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, errUnknownDevice):
			status = http.StatusNotFound
		case errors.Is(err, errOnlineStore):
			status = http.StatusServiceUnavailable
		}
		s.fail(w, c, status, "%v", err)
		return
	}
	c.rows = rows
	if !s.score(w, c) {
		return
	}
	body, _ := json.Marshal(mlrunResponse{ID: c.id, ModelName: c.l.name, ModelVersion: c.l.label, Outputs: c.p, Labels: c.labels, Imputed: imputed})
	s.succeed(w, c, body)
}

type mlrunResponse struct {
	ID           string    `json:"id"`
	ModelName    string    `json:"model_name"`
	ModelVersion string    `json:"model_version"`
	Outputs      []float64 `json:"outputs"`
	Labels       []bool    `json:"labels"`
	Imputed      int       `json:"imputed"`
}

// mlrunRows decodes MLRun V2 style inputs — rows of feature values in the model's order, or
// one-element rows holding a device id — into rows in the model's feature order. Device ids are
// enriched from the online feature store; a fleet device (in the device table) without a vector
// gets the training means (SPEC §4), and imputed reports how many rows that happened to; an id
// that is in neither is unknown.
func (s *server) mlrunRows(ctx context.Context, l *loaded, inputs []json.RawMessage) (rows [][]float64, imputed int, err error) {
	d := len(l.columns)
	if len(inputs) == 0 {
		return nil, 0, errors.New("inputs: required, rows of feature values or [\"<device id>\"] rows")
	}
	for i, in := range inputs {
		var values []float64
		if err := json.Unmarshal(in, &values); err == nil {
			if err := finiteJSON(in); err != nil {
				return nil, 0, fmt.Errorf("inputs[%d]: %v", i, err)
			}
			if len(values) != d {
				return nil, 0, fmt.Errorf("inputs[%d]: %d values, the model takes %d (%v)", i, len(values), d, l.model.FeatureNames())
			}
			for j, v := range values {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, 0, fmt.Errorf("inputs[%d][%d] is not finite", i, j)
				}
			}
			rows = append(rows, values)
			continue
		}
		var ids []string
		if err := json.Unmarshal(in, &ids); err != nil || len(ids) != 1 {
			return nil, 0, fmt.Errorf("inputs[%d]: want a row of %d numbers or [\"<device id>\"]", i, d)
		}
		row, found, err := s.enrich(ctx, l, ids[0])
		if err != nil {
			return nil, 0, fmt.Errorf("inputs[%d]: %w", i, err)
		}
		if !found {
			imputed++
		}
		rows = append(rows, row)
	}
	return rows, imputed, nil
}

// enrich returns a device's latest online vector in the model's feature order, or the training
// means for a fleet device that has none yet.
func (s *server) enrich(ctx context.Context, l *loaded, device string) ([]float64, bool, error) {
	row := make([]float64, len(l.columns))
	var vec []float64
	if s.online != nil {
		e, err := s.online.Get(ctx, device)
		switch {
		case errors.Is(err, jetstream.ErrInvalidKey):
			return nil, false, fmt.Errorf("%w: %q is not a valid device id", errUnknownDevice, device)
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return nil, false, fmt.Errorf("%w: %v", errOnlineStore, err)
		default:
			o, err := features.UnmarshalOnline(e.Value())
			if err != nil {
				return nil, false, fmt.Errorf("online vector of %s: %w", device, err)
			}
			vec = o.Features
		}
	}
	if vec == nil {
		known, err := s.devices.known(ctx, device)
		if err != nil {
			return nil, false, fmt.Errorf("%w: device table: %v", errOnlineStore, err)
		}
		if !known {
			return nil, false, fmt.Errorf("%w %q: no online features and not in the device table %s", errUnknownDevice, device, s.cfg.DevicesKey)
		}
	}
	for k, j := range l.columns {
		if vec != nil {
			row[k] = vec[j]
		} else {
			row[k] = l.card.Reference[l.model.FeatureNames()[k]].Mean
		}
	}
	return row, vec != nil, nil
}

// inferBody is what POST /v2/models/{name}/infer accepts: OIP tensors (inputs[0] an object) or
// MLRun V2 rows (inputs[0] a list).
type inferBody struct {
	ID         string            `json:"id,omitempty"`
	Inputs     []json.RawMessage `json:"inputs"`
	Parameters map[string]any    `json:"parameters,omitempty"`
	Outputs    []any             `json:"outputs,omitempty"`
}

func isObject(raw json.RawMessage) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// serveInvocations is MLflow scoring: exactly one of dataframe_split, dataframe_records,
// instances or inputs, scored by the first served model (champion or canary); answers
// {"predictions": [...]}. An X-Request-Id header names the request in the serving log.
func (s *server) serveInvocations(w http.ResponseWriter, r *http.Request) {
	c := newCall("mlflow")
	rt, err := s.router.table().get(s.cfg.Models[0])
	if err != nil {
		s.fail(w, c, http.StatusServiceUnavailable, "%v", err)
		return
	}
	c.route = rt
	buf, status, err := s.readBody(r)
	if err != nil {
		s.fail(w, c, status, "%v", err)
		return
	}
	defer putBuf(buf)
	c.id = r.Header.Get("X-Request-Id")
	c.l = rt.pick(s.routeKey(false, "", c.id, buf.Bytes()))
	if c.id == "" {
		c.id = newID()
	}
	var body map[string]json.RawMessage
	if err := decodeJSON(buf.Bytes(), false, &body); err != nil {
		s.fail(w, c, http.StatusBadRequest, "%v", describeJSONError(err))
		return
	}
	if c.rows, err = mlflowRows(body, c.l.model.FeatureNames()); err != nil {
		s.fail(w, c, http.StatusBadRequest, "%v", err)
		return
	}
	if !s.score(w, c) {
		return
	}
	out, _ := json.Marshal(map[string]any{"predictions": c.p})
	s.succeed(w, c, out)
}

// mlflowRows decodes the four MLflow input formats into rows in the model's feature order;
// named columns are matched by name, in any order.
func mlflowRows(body map[string]json.RawMessage, names []string) ([][]float64, error) {
	var keys []string
	for _, k := range []string{"dataframe_split", "dataframe_records", "instances", "inputs"} {
		if _, ok := body[k]; ok {
			keys = append(keys, k)
		}
	}
	if len(keys) != 1 || len(body) != 1 {
		return nil, fmt.Errorf("want exactly one of dataframe_split, dataframe_records, instances or inputs, got %d fields", len(body))
	}
	raw := body[keys[0]]
	if err := finiteJSON(raw); err != nil {
		return nil, fmt.Errorf("%s: %v", keys[0], err)
	}
	return decodeFrame(keys[0], raw, names)
}

// byName puts records of named columns into the model's feature order, naming any missing or
// extra column.
func byName(recs []map[string]float64, names []string) ([][]float64, error) {
	rows := make([][]float64, len(recs))
	for i, rec := range recs {
		rows[i] = make([]float64, len(names))
		for k, n := range names {
			v, ok := rec[n]
			if !ok {
				return nil, fmt.Errorf("record %d: missing column %q", i, n)
			}
			rows[i][k] = v
		}
		for c := range rec {
			if !slices.Contains(names, c) {
				return nil, fmt.Errorf("record %d: unknown column %q (the model takes %v)", i, c, names)
			}
		}
	}
	return rows, nil
}

// positional checks rows given in the model's feature order.
func positional(data [][]float64, names []string) ([][]float64, error) {
	for i, row := range data {
		if len(row) != len(names) {
			return nil, fmt.Errorf("row %d: %d values, the model takes %d (%v)", i, len(row), len(names), names)
		}
	}
	return data, nil
}

// decodeFrame decodes one MLflow input format.
func decodeFrame(key string, raw json.RawMessage, names []string) ([][]float64, error) {
	switch key {
	case "dataframe_split":
		var split struct {
			Columns []string    `json:"columns"`
			Data    [][]float64 `json:"data"`
		}
		if err := json.Unmarshal(raw, &split); err != nil {
			return nil, fmt.Errorf("dataframe_split: %v", err)
		}
		if split.Columns == nil {
			return positional(split.Data, names)
		}
		recs := make([]map[string]float64, len(split.Data))
		for i, row := range split.Data {
			if len(row) != len(split.Columns) {
				return nil, fmt.Errorf("dataframe_split: row %d has %d values for %d columns", i, len(row), len(split.Columns))
			}
			recs[i] = map[string]float64{}
			for j, c := range split.Columns {
				recs[i][c] = row[j]
			}
		}
		return byName(recs, names)
	case "dataframe_records":
		var recs []map[string]float64
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, fmt.Errorf("dataframe_records: %v", err)
		}
		return byName(recs, names)
	default:
		var data [][]float64
		if err := json.Unmarshal(raw, &data); err == nil {
			return positional(data, names)
		}
		var recs []map[string]float64
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, fmt.Errorf("%s: want rows of numbers or records of named columns", key)
		}
		return byName(recs, names)
	}
}
