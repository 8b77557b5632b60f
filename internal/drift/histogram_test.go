package drift

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestHistogramBins(t *testing.T) {
	edges, _ := ReferenceEdges(0, 20) // reference bins [0,1), [1,2), …, [19,20]
	tests := []struct {
		v   float64
		bin int // −1: invalid
	}{
		{-math.MaxFloat64, 0},
		{-1e-300, 0},
		{math.Nextafter(0, -1), 0},
		{0, 1},
		{0.5, 1},
		{1, 2},
		{math.Nextafter(1, 0), 1},
		{19.999, 20},
		{20, 20}, // the reference maximum stays in the last reference bin
		{math.Nextafter(20, 21), 21},
		{1e300, 21},
		{math.MaxFloat64, 21},
		{math.NaN(), -1},
		{math.Inf(1), -1},
		{math.Inf(-1), -1},
	}
	for _, tt := range tests {
		h, err := NewHistogram(edges)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(tt.v)
		want := make([]int64, Bins+2)
		var invalid int64 = 1
		if tt.bin >= 0 {
			want[tt.bin], invalid = 1, 0
		}
		if !slices.Equal(h.Counts, want) || h.Stats.Invalid != invalid || h.Stats.Count != 1-invalid {
			t.Errorf("Add(%g): counts %v invalid %d, want bin %d", tt.v, h.Counts, h.Stats.Invalid, tt.bin)
		}
	}
}

// The arithmetic guess never decides a bin: on every edge, either side of it, and random
// values, bin agrees with a scan of the edges, also with no cached scale (a literal Histogram).
func TestHistogramBinMatchesEdges(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for range 200 {
		lo := r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-6))
		hi := lo + math.Abs(r.NormFloat64())*math.Pow(10, float64(r.IntN(12)-6))
		edges, err := ReferenceEdges(lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := NewHistogram(edges)
		literal := &Histogram{Edges: h.Edges, Counts: h.Counts}
		var vs []float64
		for _, e := range h.Edges[1 : Bins+2] {
			vs = append(vs, e, math.Nextafter(e, math.Inf(-1)), math.Nextafter(e, math.Inf(1)))
		}
		for range 50 {
			vs = append(vs, edges[0]+(edges[Bins]-edges[0])*(r.Float64()*1.2-0.1))
		}
		for _, v := range vs {
			want := scanBin(h.Edges, v)
			if got := h.bin(v); got != want {
				t.Fatalf("bin(%.17g) = %d, want %d on edges %v", v, got, want, h.Edges)
			}
			if got := literal.bin(v); got != want {
				t.Fatalf("literal bin(%.17g) = %d, want %d", v, got, want)
			}
		}
	}
}

// scanBin is the bin rule read straight off the padded edges.
func scanBin(e []float64, v float64) int {
	if v < e[1] {
		return 0
	}
	if v > e[Bins+1] {
		return Bins + 1
	}
	for i := 1; i < Bins; i++ {
		if v < e[i+1] {
			return i
		}
	}
	return Bins
}

func TestHistogramMergeIsExact(t *testing.T) {
	ref := mustReference(t, normals(12, 5000, 70, 10))
	values := normals(13, 100_000, 75, 12) // shifted: some values fall in the padding bins
	values[17], values[99] = math.NaN(), math.Inf(1)
	whole := histogramOf(t, ref, values)

	r := rand.New(rand.NewPCG(14, 14))
	var parts []*Histogram
	for i := 0; i < len(values); {
		n := min(1+r.IntN(3000), len(values)-i)
		parts = append(parts, histogramOf(t, ref, values[i:i+n]))
		i += n
	}
	for _, order := range []string{"forward", "backward", "shuffled"} {
		merged, _ := NewHistogram(ref.Edges)
		idx := make([]int, len(parts))
		for i := range idx {
			idx[i] = i
		}
		switch order {
		case "backward":
			slices.Reverse(idx)
		case "shuffled":
			r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		}
		for _, i := range idx {
			if err := merged.Merge(parts[i]); err != nil {
				t.Fatal(err)
			}
		}
		s, w := merged.Stats, whole.Stats
		if !slices.Equal(merged.Counts, whole.Counts) || s.Count != w.Count || s.Invalid != w.Invalid ||
			s.Min != w.Min || s.Max != w.Max {
			t.Errorf("%s: merged %v %+v, whole %v %+v", order, merged.Counts, s, whole.Counts, w)
		}
		checkClose(t, order+" mean", s.Mean, w.Mean, 1e-12)
		checkClose(t, order+" std", s.Std(), w.Std(), 1e-12)
	}
	if whole.Counts[0] == 0 || whole.Counts[Bins+1] == 0 || whole.Stats.Invalid != 2 {
		t.Errorf("test data should fill both padding bins and have 2 invalid values: %v %+v", whole.Counts, whole.Stats)
	}
}

func TestHistogramMergeErrors(t *testing.T) {
	a, _ := NewHistogram(mustReference(t, []float64{0, 10}).Edges)
	b, _ := NewHistogram(mustReference(t, []float64{0, 11}).Edges)
	a.Add(3)
	before := *a
	before.Counts = slices.Clone(a.Counts)
	b.Add(4)
	if err := a.Merge(b); !errors.Is(err, ErrEdgeMismatch) {
		t.Errorf("merge on other edges: %v, want ErrEdgeMismatch", err)
	}
	if err := a.Merge(nil); err != nil {
		t.Errorf("merge nil: %v", err)
	}
	if !reflect.DeepEqual(*a, before) {
		t.Errorf("failed merges changed the histogram: %+v", *a)
	}
	if _, err := NewHistogram([]float64{0, 1}); !errors.Is(err, ErrInvalidHistogram) {
		t.Errorf("NewHistogram with 2 edges: %v", err)
	}
}

func TestHistogramJSON(t *testing.T) {
	ref := mustReference(t, normals(15, 1000, 0, 1))
	values := normals(16, 1000, 0.5, 1)
	h := histogramOf(t, ref, append(values, math.NaN()))
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, h) {
		t.Fatalf("round trip:\n%+v\n%+v", back, *h)
	}
	// A decoded histogram keeps working like the original.
	for _, v := range normals(17, 100, 3, 1) {
		h.Add(v)
		back.Add(v)
	}
	if err := back.Merge(h); err != nil || back.Stats.Count != 2*h.Stats.Count {
		t.Errorf("merge after decode: %v, %+v", err, back.Stats)
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
		{"outer edge not MaxFloat64", func(m map[string]any) { m["edges"].([]any)[0] = -1e300 }},
		{"22 edges", func(m map[string]any) { m["edges"] = m["edges"].([]any)[1:] }},
		{"21 counts", func(m map[string]any) { m["counts"] = m["counts"].([]any)[1:] }},
		{"count off by one", func(m map[string]any) { m["stats"].(map[string]any)["count"] = 999.0 }},
		{"min not in first non-empty bin", func(m map[string]any) { m["stats"].(map[string]any)["min"] = 5.0 }},
		{"max not in the last non-empty bin", func(m map[string]any) {
			st := m["stats"].(map[string]any)
			st["max"] = st["min"]
		}},
		{"negative m2", func(m map[string]any) { m["stats"].(map[string]any)["m2"] = -1.0 }},
		{"empty with a count", func(m map[string]any) {
			m["counts"] = make([]int64, Bins+2)
			m["stats"] = map[string]any{"count": 0, "mean": 0, "m2": 0, "min": 0, "max": 0}
			m["counts"].([]int64)[3] = 1
		}},
		{"malformed", func(m map[string]any) { m["edges"] = "x" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.edit(m)
			bad, _ := json.Marshal(m)
			var h Histogram
			if err := json.Unmarshal(bad, &h); !errors.Is(err, ErrInvalidHistogram) {
				t.Errorf("decode: %v, want ErrInvalidHistogram", err)
			}
		})
	}
}

func FuzzHistogramJSON(f *testing.F) {
	ref, _ := NewReference([]float64{1, 2, 2, 3, 10})
	h, _ := NewHistogram(ref.Edges)
	for _, v := range []float64{-5, 1, 2.5, 10, 11, math.NaN()} {
		h.Add(v)
	}
	seed, _ := json.Marshal(h)
	f.Add(seed)
	f.Add([]byte(`{"edges":[],"counts":[],"stats":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h Histogram
		if json.Unmarshal(data, &h) != nil {
			return
		}
		again, err := json.Marshal(&h)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back Histogram
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(&back, &h) {
			t.Fatalf("round trip:\n%+v\n%+v", back, h)
		}
		// Adding and merging never panic (sums may overflow for absurd decoded counts).
		back.Add(h.Stats.Mean)
		back.Add(math.NaN())
		if err := back.Merge(&h); err != nil {
			t.Fatal(err)
		}
	})
}
