package modelserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/netopsfn/netops/internal/httpjson"
)

func (s *server) serveLive(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]bool{"live": true})
}

// serveReady is the server readiness: every configured model has a version to answer with.
func (s *server) serveReady(w http.ResponseWriter, r *http.Request) {
	t := s.router.table()
	for _, name := range s.cfg.Models {
		if _, err := t.get(name); err != nil {
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "error": err.Error()})
			return
		}
	}
	httpjson.Write(w, http.StatusOK, map[string]bool{"ready": true})
}

func (s *server) serveServer(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]any{"name": "netops", "version": "1", "extensions": []string{}})
}

// model returns the version a metadata request names: the one given, else the champion.
func (s *server) model(r *http.Request) (*route, *loaded, error) {
	rt, err := s.router.table().get(r.PathValue("name"))
	if err != nil {
		return nil, nil, err
	}
	if v := r.PathValue("version"); v != "" {
		l, err := rt.version(v)
		return rt, l, err
	}
	return rt, rt.primary(), nil
}

// serveModel is the OIP model metadata: versions, platform and the input tensor the model takes.
func (s *server) serveModel(w http.ResponseWriter, r *http.Request) {
	rt, l, err := s.model(r)
	if err != nil {
		httpjson.Error(w, http.StatusNotFound, "%v", err)
		return
	}
	var versions []string
	for _, v := range slices.Sorted(maps.Keys(rt.versions)) {
		versions = append(versions, strconv.Itoa(v))
	}
	names := l.model.FeatureNames()
	routing := map[string]any{}
	for _, sl := range rt.scorers() {
		routing[sl.label] = map[string]any{"role": rt.roleOf(sl), "traffic": rt.traffic(sl)}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"name": l.name, "versions": versions, "platform": "netops-" + l.model.Kind(), "ready": true,
		"inputs":     []map[string]any{{"name": "input", "datatype": "FP64", "shape": []int{-1, len(names)}}},
		"outputs":    []map[string]any{{"name": "probability", "datatype": "FP64", "shape": []int{-1}}, {"name": "label", "datatype": "BOOL", "shape": []int{-1}}},
		"parameters": map[string]any{"version": l.label, "feature_names": names, "threshold": l.card.Threshold, "routing": routing},
	})
}

// serveModelReady answers 200 when the model (or the version) is loaded, 404 otherwise.
func (s *server) serveModelReady(w http.ResponseWriter, r *http.Request) {
	_, l, err := s.model(r)
	if err != nil {
		httpjson.Error(w, http.StatusNotFound, "%v", err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"name": l.name, "version": l.label, "ready": true})
}

// serveInfer is OIP inference: one FP64 (or FP32/INT*) tensor of shape [n, d] in the model's
// feature order, or one [n] tensor per feature named after it; outputs probability and label.
// Inputs that are lists rather than tensor objects are MLRun V2 requests (serveMLRun). The model
// route answers with the champion or the canary; /versions/{v}/infer with that version.
func (s *server) serveInfer(w http.ResponseWriter, r *http.Request) {
	c := newCall("oip")
	rt, err := s.router.table().get(r.PathValue("name"))
	if err != nil {
		s.fail(w, c, http.StatusNotFound, "%v", err)
		return
	}
	c.route = rt
	if v := r.PathValue("version"); v != "" {
		if c.l, err = rt.version(v); err != nil {
			s.fail(w, c, http.StatusNotFound, "%v", err)
			return
		}
		c.pinned = true
	}
	buf, status, err := s.readBody(r)
	if err != nil {
		s.fail(w, c, status, "%v", err)
		return
	}
	req, mlrun, err := decodeInfer(buf.Bytes())
	if err != nil {
		putBuf(buf)
		s.fail(w, c, http.StatusBadRequest, "%v", err)
		return
	}
	if mlrun != nil {
		c.protocol, c.id = "mlrun", mlrun.ID
		s.pick(c, mlrun.Parameters, firstDevice(mlrun.Inputs), buf.Bytes())
		putBuf(buf)
		s.serveMLRun(w, r, c, *mlrun)
		return
	}
	c.id = req.ID
	s.pick(c, req.Parameters, "", buf.Bytes())
	putBuf(buf)
	if c.rows, err = tensorRows(req.Inputs, c.l.model.FeatureNames()); err != nil {
		s.fail(w, c, http.StatusBadRequest, "%v", err)
		return
	}
	if !s.score(w, c) {
		return
	}
	s.succeed(w, c, appendOIP(make([]byte, 0, 192+24*len(c.p)), c))
}

// decodeInfer decodes an inference request body: OIP tensors into req, or MLRun V2 rows into
// mlrun (then non-nil). The common case, tensors with flat data, takes the reflection-free
// parser; other OIP requests one strict encoding/json pass; MLRun rows, and malformed tensors
// (for a precise error), a second, generic pass.
func decodeInfer(body []byte) (req oipBody, mlrun *inferBody, err error) {
	if req, ok := parseOIPFast(body); ok {
		return req, nil, nil
	}
	if err := decodeJSON(body, true, &req); err == nil {
		return req, nil, nil
	}
	var gen inferBody
	if err := decodeJSON(body, true, &gen); err != nil {
		return oipBody{}, nil, describeJSONError(err)
	}
	if len(gen.Inputs) > 0 && !isObject(gen.Inputs[0]) {
		return oipBody{}, &gen, nil
	}
	req = oipBody{ID: gen.ID, Parameters: gen.Parameters, Inputs: make([]tensor, len(gen.Inputs))}
	for i, in := range gen.Inputs {
		if err := decodeJSON(in, true, &req.Inputs[i]); err != nil {
			return oipBody{}, nil, fmt.Errorf("inputs[%d]: %w", i, describeJSONError(err))
		}
	}
	return req, nil, nil
}

// oipBody is an OIP inference request whose inputs are all tensors.
type oipBody struct {
	ID         string         `json:"id,omitempty"`
	Inputs     []tensor       `json:"inputs"`
	Parameters map[string]any `json:"parameters,omitempty"`
	Outputs    []any          `json:"outputs,omitempty"`
}

// pick chooses the version that answers the call, unless the request named one, and gives the
// call an id if it brought none.
func (s *server) pick(c *call, params map[string]any, device string, body []byte) {
	if c.l == nil {
		sticky, _ := params["sticky"].(bool)
		c.l = c.route.pick(s.routeKey(sticky, device, c.id, body))
	}
	if c.id == "" {
		c.id = newID()
	}
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
		v := t.values
		if v == nil {
			if err := finiteJSON(t.Data); err != nil {
				return nil, fmt.Errorf("input %q: data: %v", t.Name, err)
			}
			var err error
			if v, err = tensorData(t.Data); err != nil {
				return nil, fmt.Errorf("input %q: data: %v", t.Name, err)
			}
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

// tensorData decodes a tensor's data, flat in row-major order or nested one level (as the OIP
// spec's examples and KServe samples send [[…], […]]).
func tensorData(raw json.RawMessage) ([]float64, error) {
	var v []float64
	err := json.Unmarshal(raw, &v)
	if err == nil {
		return v, nil
	}
	var nested [][]float64
	if json.Unmarshal(raw, &nested) != nil {
		return nil, fmt.Errorf("%v, want a list of numbers (flat, row-major) or a list of rows", err)
	}
	v = v[:0]
	for _, r := range nested {
		v = append(v, r...)
	}
	return v, nil
}
