package modelserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// seldonRequest is a Seldon Core (v1 protocol) prediction request: rows in data.ndarray, with
// optional column names, or a data.tensor of shape [n, d]; meta.puid names the request.
type seldonRequest struct {
	Data *struct {
		Names   []string        `json:"names,omitempty"`
		NDArray json.RawMessage `json:"ndarray,omitempty"`
		Tensor  *struct {
			Shape  []int           `json:"shape"`
			Values json.RawMessage `json:"values"`
		} `json:"tensor,omitempty"`
	} `json:"data"`
	Meta struct {
		Puid string `json:"puid,omitempty"`
	} `json:"meta"`
	StrData  json.RawMessage `json:"strData,omitempty"`
	JSONData json.RawMessage `json:"jsonData,omitempty"`
	BinData  json.RawMessage `json:"binData,omitempty"`
}

// seldonNames are the output columns, as Seldon's SKLearn server names predict_proba's.
var seldonNames = []string{"t:0", "t:1"}

// serveSeldon is Seldon Core's POST /api/v1.0/predictions for the first served model: the
// answer holds [1-p, p] per row, in the form (ndarray or tensor) the request used, and
// meta.requestPath names the version that answered.
func (s *server) serveSeldon(w http.ResponseWriter, r *http.Request) {
	c := newCall("seldon")
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
	var req seldonRequest
	if err := decodeJSON(buf.Bytes(), false, &req); err != nil {
		s.fail(w, c, http.StatusBadRequest, "%v", describeJSONError(err))
		return
	}
	c.id = req.Meta.Puid
	c.l = rt.pick(s.routeKey(false, "", c.id, buf.Bytes()))
	if c.id == "" {
		c.id = newID()
	}
	tensor := req.Data != nil && req.Data.Tensor != nil
	if c.rows, err = seldonRows(&req, c.l.model.FeatureNames()); err != nil {
		s.fail(w, c, http.StatusBadRequest, "%v", err)
		return
	}
	if !s.score(w, c) {
		return
	}
	data := map[string]any{"names": seldonNames}
	if tensor {
		values := make([]float64, 0, 2*len(c.p))
		for _, p := range c.p {
			values = append(values, 1-p, p)
		}
		data["tensor"] = map[string]any{"shape": []int{len(c.p), 2}, "values": values}
	} else {
		nd := make([][2]float64, len(c.p))
		for i, p := range c.p {
			nd[i] = [2]float64{1 - p, p}
		}
		data["ndarray"] = nd
	}
	body, _ := json.Marshal(map[string]any{"data": data, "meta": map[string]any{
		"puid": c.id, "requestPath": map[string]string{c.l.name: c.l.label}, "tags": map[string]any{"labels": c.labels}}})
	s.succeed(w, c, body)
}

// seldonRows decodes a Seldon request's rows into the model's feature order.
func seldonRows(req *seldonRequest, names []string) ([][]float64, error) {
	switch {
	case req.StrData != nil || req.JSONData != nil || req.BinData != nil:
		return nil, errors.New("strData, jsonData and binData are not supported: send data.ndarray or data.tensor")
	case req.Data == nil:
		return nil, errors.New("data: required, with ndarray or tensor")
	}
	d := req.Data
	var rows [][]float64
	switch {
	case d.Tensor != nil:
		if err := finiteJSON(d.Tensor.Values); err != nil {
			return nil, fmt.Errorf("data.tensor.values: %v", err)
		}
		var v []float64
		if err := json.Unmarshal(d.Tensor.Values, &v); err != nil {
			return nil, fmt.Errorf("data.tensor.values: %v, want a flat list of numbers", err)
		}
		sh := d.Tensor.Shape
		if len(sh) != 2 || sh[0]*sh[1] != len(v) || sh[0] < 1 {
			return nil, fmt.Errorf("data.tensor: shape %v does not hold %d values as [n, d]", sh, len(v))
		}
		for i := range sh[0] {
			rows = append(rows, v[i*sh[1]:(i+1)*sh[1]])
		}
	case d.NDArray != nil:
		if err := finiteJSON(d.NDArray); err != nil {
			return nil, fmt.Errorf("data.ndarray: %v", err)
		}
		if err := json.Unmarshal(d.NDArray, &rows); err != nil {
			return nil, fmt.Errorf("data.ndarray: %v, want rows of numbers", err)
		}
	default:
		return nil, errors.New("data: want ndarray or tensor")
	}
	if len(rows) == 0 {
		return nil, errors.New("data: no rows")
	}
	if d.Names == nil {
		return positional(rows, names)
	}
	recs := make([]map[string]float64, len(rows))
	for i, row := range rows {
		if len(row) != len(d.Names) {
			return nil, fmt.Errorf("data: row %d has %d values for %d names", i, len(row), len(d.Names))
		}
		recs[i] = make(map[string]float64, len(row))
		for j, n := range d.Names {
			recs[i][n] = row[j]
		}
	}
	return byName(recs, names)
}
