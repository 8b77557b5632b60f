package drift

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"
)

func TestReferenceEdges(t *testing.T) {
	tests := []struct {
		name     string
		min, max float64
		first    float64
		last     float64
		step     float64
	}{
		{"integers", 0, 20, 0, 20, 1},
		{"constant widens by 0.5 like numpy", 5, 5, 4.5, 5.5, 0.05},
		{"negative", -10, 10, -10, 10, 1},
		{"constant zero", 0, 0, -0.5, 0.5, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ReferenceEdges(tt.min, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if e[0] != tt.first || e[Bins] != tt.last {
				t.Errorf("edges [%g, %g], want [%g, %g]", e[0], e[Bins], tt.first, tt.last)
			}
			for i := range Bins {
				checkClose(t, "step", e[i+1]-e[i], tt.step, 1e-12)
			}
		})
	}
	// numpy.linspace(0.1, 0.7, 21): i*step + start, then the last edge set to stop.
	e, _ := ReferenceEdges(0.1, 0.7)
	step := (0.7 - 0.1) / 20
	for i := range Bins {
		if want := float64(float64(i)*step) + 0.1; e[i] != want {
			t.Errorf("edge %d = %.17g, want %.17g", i, e[i], want)
		}
	}
	// Too narrow for distinct edges: widened like a constant.
	next := math.Nextafter(1, 2)
	e, err := ReferenceEdges(1, next)
	if err != nil || e[0] != 0.5 || e[Bins] != next+0.5 {
		t.Errorf("narrow range: %v, %v", e, err)
	}
	// At 1e17 ± 0.5 is below the spacing of float64, so the widening doubles until it is not.
	if e, err := ReferenceEdges(1e17, 1e17); err != nil || checkEdges(e) != nil || e[0] >= 1e17 || e[Bins] <= 1e17 {
		t.Errorf("constant 1e17: %v, %v", e, err)
	}
	for _, bad := range [][2]float64{{-math.MaxFloat64, math.MaxFloat64}, {1, 0}, {math.NaN(), 1}, {0, math.Inf(1)}} {
		if _, err := ReferenceEdges(bad[0], bad[1]); !errors.Is(err, ErrInvalidReference) {
			t.Errorf("ReferenceEdges(%g, %g): %v, want ErrInvalidReference", bad[0], bad[1], err)
		}
	}
}

func TestNewReference(t *testing.T) {
	// 0, 1, …, 20 over [0, 20]: value i in bin i, and the maximum 20 in the last bin with 19.
	values := make([]float64, 21)
	for i := range values {
		values[i] = float64(i)
	}
	values = append(values, math.NaN(), math.Inf(1))
	ref := mustReference(t, values)
	want := Reference{Count: 21, Mean: 10, Std: math.Sqrt(38.5), Min: 0, Max: 20, Invalid: 2,
		Edges: make([]float64, 21), Counts: make([]int64, 20)}
	for i := range want.Edges {
		want.Edges[i] = float64(i)
	}
	for i := range want.Counts {
		want.Counts[i] = 1
	}
	want.Counts[19] = 2
	if !reflect.DeepEqual(ref, want) {
		t.Errorf("got  %+v\nwant %+v", ref, want)
	}

	for _, bad := range [][]float64{nil, {math.NaN(), math.Inf(-1)}} {
		if _, err := NewReference(bad); !errors.Is(err, ErrNoValues) {
			t.Errorf("NewReference(%v): %v, want ErrNoValues", bad, err)
		}
	}
}

func TestReferenceBuilderStreaming(t *testing.T) {
	values := normals(4, 10_000, 70, 10)
	// Pass 1 in two merged halves, pass 2 streamed.
	var a, b Summary
	for _, v := range values[:4000] {
		a.Add(v)
	}
	for _, v := range values[4000:] {
		b.Add(v)
	}
	a.Merge(b)
	rb, err := NewReferenceBuilder(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		rb.Add(v)
	}
	got, err := rb.Reference()
	if err != nil {
		t.Fatal(err)
	}
	want := mustReference(t, values)
	if !slices.Equal(got.Counts, want.Counts) || !slices.Equal(got.Edges, want.Edges) || got.Count != want.Count {
		t.Errorf("streamed reference differs:\n%+v\n%+v", got, want)
	}
	checkClose(t, "mean", got.Mean, want.Mean, 1e-12)

	// A second pass over other data is caught.
	rb, _ = NewReferenceBuilder(a)
	for _, v := range values[1:] {
		rb.Add(v)
	}
	if _, err := rb.Reference(); !errors.Is(err, ErrInvalidReference) {
		t.Errorf("short second pass: %v, want ErrInvalidReference", err)
	}
	if _, err := NewReferenceBuilder(Summary{}); !errors.Is(err, ErrNoValues) {
		t.Errorf("empty first pass: %v", err)
	}
}

// The reference data binned by a Histogram lands in the reference's own bins, maximum
// included, so comparing the training data with itself gives exactly zero drift.
func TestReferenceDataHasNoDrift(t *testing.T) {
	values := normals(5, 20_000, 250, 20)
	ref := mustReference(t, values)
	h := histogramOf(t, ref, values)
	if !slices.Equal(h.Counts, ref.padded()) {
		t.Fatalf("histogram %v, reference %v", h.Counts, ref.padded())
	}
	fd, err := Compare(Feature{Name: "throughput", Reference: ref, Current: h}, DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	if *fd.Measures != (Measures{KSPValue: 1}) || fd.Status != StatusNoDrift {
		t.Errorf("self-comparison: %s %+v", fd.Status, *fd.Measures)
	}
}

func TestReferenceJSON(t *testing.T) {
	ref := mustReference(t, normals(6, 1000, 0, 5))
	data, err := json.Marshal(ref)
	if err != nil {
		t.Fatal(err)
	}
	var back Reference
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, ref) {
		t.Errorf("round trip:\n%+v\n%+v", back, ref)
	}

	good := func() map[string]any {
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		return m
	}
	tests := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"zero count", func(m map[string]any) { m["count"] = 0 }},
		{"counts do not sum", func(m map[string]any) { m["count"] = ref.Count + 1 }},
		{"negative std", func(m map[string]any) { m["std"] = -1 }},
		{"min above max", func(m map[string]any) { m["min"], m["max"] = 1.0, 0.0 }},
		{"min outside edges", func(m map[string]any) { m["min"] = ref.Edges[0] - 1 }},
		{"19 counts", func(m map[string]any) { m["counts"] = m["counts"].([]any)[1:] }},
		{"20 edges", func(m map[string]any) { m["edges"] = m["edges"].([]any)[1:] }},
		{"edges not increasing", func(m map[string]any) {
			e := m["edges"].([]any)
			e[3], e[4] = e[4], e[3]
		}},
		{"negative count", func(m map[string]any) {
			c := m["counts"].([]any)
			c[0], c[1] = -1.0, c[1].(float64)+c[0].(float64)+1
		}},
		{"not an object", func(m map[string]any) { clear(m); m["counts"] = "x" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.edit(m)
			bad, _ := json.Marshal(m)
			var r Reference
			if err := json.Unmarshal(bad, &r); !errors.Is(err, ErrInvalidReference) {
				t.Errorf("decode: %v, want ErrInvalidReference", err)
			}
		})
	}
}

func FuzzReferenceJSON(f *testing.F) {
	ref, _ := NewReference([]float64{1, 2, 2, 3, 10})
	seed, _ := json.Marshal(ref)
	f.Add(seed)
	f.Add([]byte(`{"count":1,"mean":0,"std":0,"min":0,"max":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Reference
		if json.Unmarshal(data, &r) != nil {
			return
		}
		h, err := NewHistogram(r.Edges)
		if err != nil {
			t.Fatalf("valid reference, invalid edges: %v", err)
		}
		h.Add(r.Min)
		h.Add(r.Max)
		fd, err := Compare(Feature{Name: "f", Reference: r, Current: h}, DefaultThresholds())
		if err != nil {
			t.Fatal(err)
		}
		// No NaN or Inf anywhere: the result always encodes.
		if _, err := json.Marshal(fd); err != nil {
			t.Fatal(err)
		}
	})
}
