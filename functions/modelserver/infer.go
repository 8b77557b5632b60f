package modelserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/netopsfn/netops/internal/httpjson"
)

func (s *server) serveLive(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]bool{"live": true, "ready": true})
}

func (s *server) serveServer(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]any{"name": "netops", "version": "1", "extensions": []string{}})
}

// serveModel is the OIP model metadata: versions, platform and the input tensor the model takes.
func (s *server) serveModel(w http.ResponseWriter, r *http.Request) {
	l, err := s.serving.get(r.PathValue("name"))
	if err != nil {
		httpjson.Error(w, http.StatusNotFound, "%v", err)
		return
	}
	names := l.model.FeatureNames()
	httpjson.Write(w, http.StatusOK, map[string]any{
		"name": l.name, "versions": []string{strconv.Itoa(l.version)}, "platform": "netops-" + l.model.Kind(), "ready": true,
		"inputs":     []map[string]any{{"name": "input", "datatype": "FP64", "shape": []int{-1, len(names)}}},
		"outputs":    []map[string]any{{"name": "probability", "datatype": "FP64", "shape": []int{-1}}, {"name": "label", "datatype": "BOOL", "shape": []int{-1}}},
		"parameters": map[string]any{"feature_names": names, "threshold": l.card.Threshold},
	})
}

// serveInfer is OIP inference: one FP64 (or FP32/INT*) tensor of shape [n, d] in the model's
// feature order, or one [n] tensor per feature named after it; outputs probability and label.
// Inputs that are lists rather than tensor objects are MLRun V2 requests (serveMLRun).
func (s *server) serveInfer(w http.ResponseWriter, r *http.Request) {
	l, err := s.serving.get(r.PathValue("name"))
	if err != nil {
		httpjson.Error(w, http.StatusNotFound, "%v", err)
		return
	}
	var req inferBody
	if status, err := httpjson.Decode(r, maxBody, true, &req); err != nil {
		httpjson.Error(w, status, "%v", err)
		return
	}
	if len(req.Inputs) > 0 && !isObject(req.Inputs[0]) {
		s.serveMLRun(w, r, l, req)
		return
	}
	tensors := make([]tensor, len(req.Inputs))
	for i, in := range req.Inputs {
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tensors[i]); err != nil {
			httpjson.Error(w, http.StatusBadRequest, "inputs[%d]: %v", i, err)
			return
		}
	}
	rows, err := tensorRows(tensors, l.model.FeatureNames())
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "%v", err)
		return
	}
	p, labels, err := l.scoreRows(rows)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "%v", err)
		return
	}
	enc := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	httpjson.Write(w, http.StatusOK, map[string]any{
		"model_name": l.name, "model_version": strconv.Itoa(l.version), "id": req.ID,
		"outputs": []tensor{
			{Name: "probability", Shape: []int{len(p)}, Datatype: "FP64", Data: enc(p)},
			{Name: "label", Shape: []int{len(labels)}, Datatype: "BOOL", Data: enc(labels)},
		},
	})
}

// serveMLRun answers MLRun V2 style requests: {"inputs": [[f1, f2, …], …]} or
// {"inputs": [["<device id>"], …]} → {"id", "model_name", "outputs": [probability, …]}.
func (s *server) serveMLRun(w http.ResponseWriter, r *http.Request, l *loaded, req inferBody) {
	rows, imputed, err := s.mlrunRows(r.Context(), l, req.Inputs)
	if err != nil {
		status := http.StatusBadRequest
		if strings.Contains(err.Error(), "online store") {
			status = http.StatusServiceUnavailable
		}
		httpjson.Error(w, status, "%v", err)
		return
	}
	p, labels, err := l.scoreRows(rows)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "%v", err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"id": req.ID, "model_name": l.name, "model_version": strconv.Itoa(l.version),
		"outputs": p, "labels": labels, "imputed": imputed})
}

var numeric = map[string]bool{"FP64": true, "FP32": true, "INT64": true, "INT32": true, "INT16": true, "INT8": true,
	"UINT64": true, "UINT32": true, "UINT16": true, "UINT8": true}

// tensorRows turns the request's inputs into rows in the model's feature order, checking shapes,
// datatypes, names and that every value is finite.
func tensorRows(inputs []tensor, names []string) ([][]float64, error) {
	if len(inputs) == 0 {
		return nil, errors.New("inputs: required")
	}
	d := len(names)
	values := func(t tensor) ([]float64, error) {
		if !numeric[t.Datatype] {
			return nil, fmt.Errorf("input %q: datatype %q, want FP64, FP32 or an integer type", t.Name, t.Datatype)
		}
		var v []float64
		if err := json.Unmarshal(t.Data, &v); err != nil {
			return nil, fmt.Errorf("input %q: data: %v", t.Name, err)
		}
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("input %q: element %d is not finite", t.Name, i)
			}
		}
		n := 1
		for _, s := range t.Shape {
			n *= s
		}
		if len(t.Shape) == 0 || n != len(v) {
			return nil, fmt.Errorf("input %q: shape %v does not match %d elements", t.Name, t.Shape, len(v))
		}
		return v, nil
	}
	if len(inputs) == 1 && (len(inputs[0].Shape) == 2 || d == 1) {
		t := inputs[0]
		v, err := values(t)
		if err != nil {
			return nil, err
		}
		if len(t.Shape) == 2 && t.Shape[1] != d {
			return nil, fmt.Errorf("input %q: shape %v, want [n, %d] (features %v)", t.Name, t.Shape, d, names)
		}
		rows := make([][]float64, len(v)/d)
		for i := range rows {
			rows[i] = v[i*d : (i+1)*d]
		}
		return rows, nil
	}
	// One tensor per feature, by name.
	byName := map[string][]float64{}
	n := -1
	for _, t := range inputs {
		v, err := values(t)
		if err != nil {
			return nil, err
		}
		if n >= 0 && len(v) != n {
			return nil, fmt.Errorf("input %q: %d elements, other inputs have %d", t.Name, len(v), n)
		}
		n = len(v)
		byName[t.Name] = v
	}
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, d)
	}
	for k, name := range names {
		v, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("missing input %q (the model takes %v)", name, names)
		}
		for i := range rows {
			rows[i][k] = v[i]
		}
		delete(byName, name)
	}
	for name := range byName {
		return nil, fmt.Errorf("unknown input %q (the model takes %v)", name, names)
	}
	return rows, nil
}
