package features

import (
	"reflect"
	"slices"
	"testing"

	"github.com/netopsfn/netops/internal/tables"
)

func TestNames(t *testing.T) {
	n := Names()
	if len(n) != NumFeatures {
		t.Fatalf("%d names, want %d", len(n), NumFeatures)
	}
	tests := []struct {
		i    int
		name string
	}{
		{0, "cpu_utilization"},
		{3, "throughput"},
		{4, "cpu_utilization_avg_1h"},
		{5, "cpu_utilization_avg_6h"},
		{6, "cpu_utilization_min_1h"},
		{9, "cpu_utilization_max_6h"},
		{10, "latency_avg_1h"},
		{27, "throughput_max_6h"},
		{28, "models_0"},
		{37, "models_9"},
		{38, "country_A"},
		{44, "country_G"},
	}
	for _, tt := range tests {
		if n[tt.i] != tt.name {
			t.Errorf("Names()[%d] = %q, want %q", tt.i, n[tt.i], tt.name)
		}
	}
	seen := map[string]bool{}
	for _, s := range n {
		if seen[s] {
			t.Errorf("duplicate name %q", s)
		}
		seen[s] = true
	}
	for m, metric := range tables.Metrics {
		for op, o := range opNames {
			for w, win := range windowNames {
				if got, want := n[windowIndex(m, op, w)], metric+"_"+o+"_"+win; got != want {
					t.Errorf("windowIndex(%d, %d, %d) names %q, want %q", m, op, w, got, want)
				}
			}
		}
	}
	n[0] = "changed"
	if Names()[0] != "cpu_utilization" {
		t.Error("Names returns shared storage")
	}
}

func TestEncodeStatic(t *testing.T) {
	tests := []struct {
		name string
		dev  tables.Device
		want []string // features set to 1
	}{
		{"lowest", tables.Device{Models: 0, Country: "A"}, []string{"models_0", "country_A"}},
		{"highest", tables.Device{Models: 9, Country: "G"}, []string{"models_9", "country_G"}},
		{"models out of range", tables.Device{Models: 10, Country: "C"}, []string{"country_C"}},
		{"negative models", tables.Device{Models: -1, Country: "D"}, []string{"country_D"}},
		{"unknown country", tables.Device{Models: 3, Country: "H"}, []string{"models_3"}},
		{"lower-case country", tables.Device{Models: 4, Country: "a"}, []string{"models_4"}},
		{"long country", tables.Device{Models: 5, Country: "AB"}, []string{"models_5"}},
		{"empty country", tables.Device{Models: 6}, []string{"models_6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hot(EncodeStatic(tt.dev)); !slices.Equal(got, tt.want) {
				t.Fatalf("one-hot %v, want %v", got, tt.want)
			}
		})
	}
	statics := NewStatics([]tables.Device{{Device: "x", Models: 1, Country: "B"}})
	if got := hot(statics["x"]); !slices.Equal(got, []string{"models_1", "country_B"}) {
		t.Errorf("NewStatics x: %v", got)
	}
	if got := hot(statics["missing"]); len(got) != 0 {
		t.Errorf("missing device: %v, want all zeros", got)
	}
}

// hot returns the names of the features a Static sets, after overwriting garbage.
func hot(s Static) []string {
	var v [NumFeatures]float64
	for i := range v {
		v[i] = 7
	}
	s.put(&v)
	var out []string
	for i := modelsStart; i < NumFeatures; i++ {
		switch v[i] {
		case 1:
			out = append(out, names[i])
		case 0:
		default:
			panic("one-hot left garbage")
		}
	}
	return out
}

// TestRowMatchesNames checks the hand-written Row against Names(): the i-th float64 field is
// column Names()[i], and Vector, FromVector and setVector agree with it.
func TestRowMatchesNames(t *testing.T) {
	rt := reflect.TypeFor[Row]()
	var v [NumFeatures]float64
	for i := range v {
		v[i] = float64(i) + 0.5
	}
	r, err := FromVector(t0, "d", v[:])
	if err != nil {
		t.Fatal(err)
	}
	rv := reflect.ValueOf(r)
	k := 0
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Type.Kind() != reflect.Float64 {
			continue
		}
		if tag := f.Tag.Get("parquet"); tag != names[k] {
			t.Errorf("field %s has tag %q, want %q", f.Name, tag, names[k])
		}
		if got := rv.Field(i).Float(); got != v[k] {
			t.Errorf("field %s = %v, want %v", f.Name, got, v[k])
		}
		k++
	}
	if k != NumFeatures {
		t.Fatalf("Row has %d feature fields, want %d", k, NumFeatures)
	}
	if got := r.Vector(); !slices.Equal(got, v[:]) {
		t.Errorf("Vector() = %v", got)
	}
	if got := r.AppendVector([]float64{-1}); len(got) != NumFeatures+1 || got[0] != -1 || got[1] != v[0] {
		t.Errorf("AppendVector did not append")
	}
	if _, err := FromVector(t0, "d", v[:44]); err == nil {
		t.Error("FromVector accepted 44 values")
	}
}
