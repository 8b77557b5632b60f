package drift

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestPartialMerge(t *testing.T) {
	a := mustReference(t, normals(1, 500, 0, 1))
	b := mustReference(t, normals(2, 500, 10, 2))
	refs := map[string]Reference{"a": a, "b": b}
	whole, err := NewPartial(refs)
	if err != nil {
		t.Fatal(err)
	}
	va, vb := normals(3, 300, 0.2, 1), normals(4, 300, 9, 2)
	var parts []*Partial
	for i := 0; i < 300; i += 100 {
		p, _ := NewPartial(refs)
		if i == 200 {
			delete(p.Columns, "b") // a batch without column b
		}
		for j := i; j < i+100; j++ {
			p.Columns["a"].Add(va[j])
			whole.Columns["a"].Add(va[j])
			if i != 200 {
				p.Columns["b"].Add(vb[j])
				whole.Columns["b"].Add(vb[j])
			}
		}
		p.Rows, whole.Rows = p.Rows+100, whole.Rows+100
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back Partial
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, &back)
	}
	var merged Partial // the zero Partial is ready to use
	for _, i := range []int{2, 0, 1} {
		if err := merged.Merge(parts[i]); err != nil {
			t.Fatal(err)
		}
	}
	if merged.Rows != 300 {
		t.Errorf("rows %d", merged.Rows)
	}
	for name, h := range whole.Columns {
		m := merged.Columns[name]
		if !slices.Equal(m.Counts, h.Counts) || m.Stats.Count != h.Stats.Count || m.Stats.Min != h.Stats.Min || m.Stats.Max != h.Stats.Max {
			t.Errorf("%s: merged %v %+v, whole %v %+v", name, m.Counts, m.Stats, h.Counts, h.Stats)
		}
		checkClose(t, name+" mean", m.Stats.Mean, h.Stats.Mean, 1e-13)
	}
	// Merging copied parts[2]'s column a: changing the merge must not change the part.
	if merged.Columns["a"] == parts[2].Columns["a"] || parts[2].Columns["a"].Stats.Count != 100 {
		t.Error("merge shares a histogram with its input")
	}
	// Edges that differ fail and change nothing.
	other, _ := NewPartial(map[string]Reference{"a": b})
	other.Columns["a"].Add(1)
	other.Rows = 1
	before := merged.Columns["a"].Stats
	if err := merged.Merge(other); !errors.Is(err, ErrEdgeMismatch) || merged.Rows != 300 || merged.Columns["a"].Stats != before {
		t.Errorf("merge on other edges: %v, rows %d", err, merged.Rows)
	}
}

func TestPartialJSONValidates(t *testing.T) {
	ref := mustReference(t, []float64{1, 2, 3})
	p, _ := NewPartial(map[string]Reference{"x": ref})
	p.Columns["x"].Add(2)
	p.Rows = 1
	good, _ := json.Marshal(p)
	var back Partial
	if err := json.Unmarshal(good, &back); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"rows": -1, "columns": {}}`,
		`{"rows": 0, "columns": {"x": null}}`,
		`{"rows": 1, "columns": {"x": {"edges": [1, 2], "counts": [1], "stats": {"count": 1}}}}`,
		`[1]`,
	} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s: decoded", bad)
		}
	}
	p.Rows = 0 // fewer rows than values
	data, _ := json.Marshal(p)
	if err := json.Unmarshal(data, &back); !errors.Is(err, ErrInvalidHistogram) {
		t.Errorf("more values than rows: %v", err)
	}
}

func TestBaseline(t *testing.T) {
	r := mustReference(t, []float64{0, 1, 2})
	refs := map[string]Reference{"b": r, "a": r, "z": r}
	b, skipped := NewBaseline([]string{"z", "nope", "b", "z"}, refs, "probability", &r)
	if !slices.Equal(b.Features, []string{"z", "b", "a"}) || !slices.Equal(skipped, []string{"nope"}) {
		t.Errorf("features %v, skipped %v", b.Features, skipped)
	}
	if cols := b.Columns(); len(cols) != 4 {
		t.Errorf("columns %v", cols)
	}
	imp := b.Importances(map[string]float64{"z": 2, "a": math.NaN(), "b": -1, "other": 3})
	if len(imp) != 1 || imp["z"] != 2 {
		t.Errorf("importances %v", imp)
	}
	if b.Importances(map[string]float64{"other": 1}) != nil {
		t.Error("importances of no feature are not nil")
	}
	// No data at all: a NO_DATA report with the prediction NO_DATA too, no NaN anywhere.
	rep, err := b.Analyze(nil, Options{Importances: imp})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != StatusNoData || rep.Prediction == nil || rep.Prediction.Status != StatusNoData || rep.Prediction.Name != "prediction" {
		t.Errorf("empty report %+v", rep)
	}
	noPred, _ := NewBaseline(nil, refs, "probability", nil)
	if noPred.PredictionRef != nil || noPred.Prediction != "" || len(noPred.Features) != 3 {
		t.Errorf("baseline without prediction %+v", noPred)
	}
}

// FuzzPartialJSON: a decoded partial (a stored object, outside input) is valid, merges into
// another and analyzes without a panic or a NaN.
func FuzzPartialJSON(f *testing.F) {
	ref := mustReference(f, []float64{0, 1, 2, 3})
	p, _ := NewPartial(map[string]Reference{"x": ref})
	for _, v := range []float64{-1, 0.5, 3, 9, math.NaN()} {
		p.Columns["x"].Add(v)
	}
	p.Rows = 5
	seed, _ := json.Marshal(p)
	f.Add(seed)
	f.Add([]byte(`{"rows": 0, "columns": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Partial
		if json.Unmarshal(data, &d) != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("decoded an invalid partial: %v", err)
		}
		var m Partial
		if err := m.Merge(&d); err != nil {
			t.Fatal(err)
		}
		refs := map[string]Reference{}
		for name, h := range m.Columns {
			r := ref
			r.Edges = h.Edges[1 : Bins+2]
			r.Min, r.Max = r.Edges[0], r.Edges[Bins]
			refs[name] = r
		}
		b, _ := NewBaseline(nil, refs, "", nil)
		rep, err := b.Analyze(&m, Options{})
		if err != nil {
			return // a reference made up from the edges may be inconsistent
		}
		if math.IsNaN(rep.GeneralDrift) {
			t.Fatalf("NaN general drift from %s", data)
		}
	})
}
