package modelserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/netopsfn/netops/internal/features"
	"github.com/netopsfn/netops/internal/httpjson"
)

// mlrunRows decodes MLRun V2 style inputs — rows of feature values in the model's order, or
// one-element rows holding a device id — into rows in the model's feature order. Device ids are
// enriched from the online feature store; a device without a vector gets the training means
// (SPEC §4), and imputed reports how many rows that happened to.
func (s *server) mlrunRows(ctx context.Context, l *loaded, inputs []json.RawMessage) (rows [][]float64, imputed int, err error) {
	d := len(l.columns)
	for i, in := range inputs {
		var values []float64
		if err := json.Unmarshal(in, &values); err == nil {
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
// means when the device has none.
func (s *server) enrich(ctx context.Context, l *loaded, device string) ([]float64, bool, error) {
	row := make([]float64, len(l.columns))
	var vec []float64
	if s.online != nil {
		e, err := s.online.Get(ctx, device)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrInvalidKey):
		case err != nil:
			return nil, false, fmt.Errorf("online store: %w", err)
		default:
			o, err := features.UnmarshalOnline(e.Value())
			if err != nil {
				return nil, false, fmt.Errorf("online vector of %s: %w", device, err)
			}
			vec = o.Features
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
// instances or inputs, scored by the first served model; answers {"predictions": [...]}.
func (s *server) serveInvocations(w http.ResponseWriter, r *http.Request) {
	l, err := s.serving.get(s.cfg.Models[0])
	if err != nil {
		httpjson.Error(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	var body map[string]json.RawMessage
	if status, err := httpjson.Decode(r, maxBody, false, &body); err != nil {
		httpjson.Error(w, status, "%v", err)
		return
	}
	rows, err := mlflowRows(body, l.model.FeatureNames())
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "%v", err)
		return
	}
	p, _, err := l.scoreRows(rows)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "%v", err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"predictions": p})
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
	byName := func(recs []map[string]float64) ([][]float64, error) {
		rows := make([][]float64, len(recs))
		for i, rec := range recs {
			if len(rec) != len(names) {
				return nil, fmt.Errorf("record %d: %d columns, the model takes %v", i, len(rec), names)
			}
			rows[i] = make([]float64, len(names))
			for k, n := range names {
				v, ok := rec[n]
				if !ok {
					return nil, fmt.Errorf("record %d: missing column %q", i, n)
				}
				rows[i][k] = v
			}
		}
		return rows, nil
	}
	positional := func(data [][]float64) ([][]float64, error) {
		for i, row := range data {
			if len(row) != len(names) {
				return nil, fmt.Errorf("row %d: %d values, the model takes %d (%v)", i, len(row), len(names), names)
			}
		}
		return data, nil
	}
	switch keys[0] {
	case "dataframe_split":
		var split struct {
			Columns []string    `json:"columns"`
			Data    [][]float64 `json:"data"`
		}
		if err := json.Unmarshal(raw, &split); err != nil {
			return nil, fmt.Errorf("dataframe_split: %v", err)
		}
		if split.Columns == nil {
			return positional(split.Data)
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
		return byName(recs)
	case "dataframe_records":
		var recs []map[string]float64
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, fmt.Errorf("dataframe_records: %v", err)
		}
		return byName(recs)
	default:
		var data [][]float64
		if err := json.Unmarshal(raw, &data); err == nil {
			return positional(data)
		}
		var recs []map[string]float64
		if err := json.Unmarshal(raw, &recs); err != nil {
			return nil, fmt.Errorf("%s: want rows of numbers or records of named columns", keys[0])
		}
		return byName(recs)
	}
}
