package detect

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// step is what a detector reports after one observation.
type step struct {
	warning, change bool
	estimation      float64
}

func feed(t *testing.T, d Detector, xs []float64) []step {
	t.Helper()
	out := make([]step, len(xs))
	for i, x := range xs {
		if err := d.Add(x); err != nil {
			t.Fatal(err)
		}
		out[i] = step{d.Warning(), d.Change(), d.Estimation()}
	}
	return out
}

// TestSaveRestoreContinues checks that saving a detector part way, restoring it into a fresh
// one and continuing gives the same flags and estimates, bit for bit, as an uninterrupted run.
// The split points include the start, the steps around every change, and ADWIN's clock.
func TestSaveRestoreContinues(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.cfg.Kind+"/"+v.file, func(t *testing.T) {
			xs := readStream(t, v.file)
			want := feed(t, mustNew(t, v.cfg), xs)
			splits := []int{0, 1, 31, 32, 33, len(xs) / 2, len(xs) - 1, len(xs)}
			for _, c := range v.changes {
				splits = append(splits, c, c+1, c+2)
			}
			for _, split := range splits {
				d := mustNew(t, v.cfg)
				got := feed(t, d, xs[:split])
				data, err := json.Marshal(d)
				if err != nil {
					t.Fatal(err)
				}
				// Both ways back: Restore from bytes alone, and UnmarshalJSON into a fresh
				// detector of the same kind but different parameters.
				restored, err := Restore(data)
				if err != nil {
					t.Fatal(err)
				}
				other := mustNew(t, Config{Kind: v.cfg.Kind})
				if err := json.Unmarshal(data, other); err != nil {
					t.Fatal(err)
				}
				for _, r := range []Detector{restored, other} {
					again, _ := json.Marshal(r)
					if string(again) != string(data) {
						t.Fatalf("split %d: state changed on a round trip:\n%s\n%s", split, data, again)
					}
					if split > 0 && (r.Warning() != d.Warning() || r.Change() != d.Change()) {
						t.Fatalf("split %d: restored flags differ", split)
					}
					all := append(got[:split:split], feed(t, r, xs[split:])...)
					for i := range all {
						if all[i] != want[i] {
							t.Fatalf("split %d: step %d = %+v, uninterrupted %+v", split, i, all[i], want[i])
						}
					}
				}
			}
		})
	}
}

func TestStateFormat(t *testing.T) {
	data, err := json.Marshal(mustNew(t, Config{Kind: KindDDM}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kind":"ddm"`, `"version":1`, `"p_min":"+Inf"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("fresh DDM state %s lacks %s", data, want)
		}
	}
}

func TestJSONFloatRoundTrip(t *testing.T) {
	for _, v := range []float64{0, -0.0, 1, 0.1, 1.0 / 3, math.MaxFloat64, math.SmallestNonzeroFloat64, -2.5e-300, math.Inf(1), math.Inf(-1)} {
		data, err := json.Marshal(jsonFloat(v))
		if err != nil {
			t.Fatal(err)
		}
		var got jsonFloat
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if math.Float64bits(float64(got)) != math.Float64bits(v) {
			t.Errorf("%v came back as %v via %s", v, float64(got), data)
		}
	}
}

func TestRestoreErrors(t *testing.T) {
	ddmState, _ := json.Marshal(mustNew(t, Config{Kind: KindDDM}))
	adwin := mustNew(t, Config{Kind: KindADWIN})
	if _, _, err := Run(adwin, readStream(t, "skm_drift_stream.txt")[:100]); err != nil {
		t.Fatal(err)
	}
	adwinState, _ := json.Marshal(adwin)
	freshADWIN, _ := json.Marshal(mustNew(t, Config{Kind: KindADWIN}))
	replace := func(s []byte, old, new string) []byte {
		if !strings.Contains(string(s), old) {
			t.Fatalf("%s not in %s", old, s)
		}
		return []byte(strings.Replace(string(s), old, new, 1))
	}
	tests := []struct {
		name string
		into string // kind to restore into; "" means Restore
		data []byte
	}{
		{"not json", "", []byte("{")},
		{"empty", "", []byte("{}")},
		{"ddm into page_hinkley", KindPageHinkley, ddmState},
		{"ddm into adwin", KindADWIN, ddmState},
		{"unknown kind", "", replace(ddmState, `"kind":"ddm","version"`, `"kind":"kswin","version"`)},
		{"kind and config disagree", KindDDM, replace(ddmState, `"config":{"kind":"ddm"`, `"config":{"kind":"eddm"`)},
		{"future version", "", replace(ddmState, `"version":1`, `"version":2`)},
		{"invalid config", "", replace(ddmState, `"warning_level":2`, `"warning_level":-2`)},
		{"unknown statistic", "", replace(ddmState, `"n":1`, `"n":1,"extra":3`)},
		{"n zero", "", replace(ddmState, `"n":1`, `"n":0`)},
		{"bad number", "", replace(ddmState, `"p":1`, `"p":"one"`)},
		{"adwin width mismatch", "", replace(adwinState, `"width":100`, `"width":99`)},
		{"adwin no rows", "", replace(freshADWIN, `"rows":[[]]`, `"rows":[]`)},
		{"adwin full row", "", replace(freshADWIN, `"rows":[[]],"width":0`, `"rows":[[[1,0],[1,0],[1,0],[1,0],[1,0],[1,0]]],"width":6`)},
		{"adwin negative time", "", replace(freshADWIN, `"time":0`, `"time":-1`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.into == "" {
				_, err = Restore(tt.data)
			} else {
				err = json.Unmarshal(tt.data, mustNew(t, Config{Kind: tt.into}))
			}
			if err == nil {
				t.Fatalf("restored %s", tt.data)
			}
			if tt.into != "" && !errors.Is(err, ErrState) {
				t.Errorf("error %v does not wrap ErrState", err)
			}
		})
	}
}

// FuzzRestore feeds arbitrary saved state to Restore: it must fail cleanly or give a detector
// that takes input and saves again without panicking.
func FuzzRestore(f *testing.F) {
	xs := []float64{0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1}
	for _, kind := range Kinds {
		d, err := New(Config{Kind: kind})
		if err != nil {
			f.Fatal(err)
		}
		for range 3 {
			if _, _, err := Run(d, xs); err != nil {
				f.Fatal(err)
			}
			data, _ := json.Marshal(d)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Restore(data)
		if err != nil {
			return
		}
		for _, x := range []float64{1, 0, 1, 1, 0.5} {
			_ = d.Add(x)
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("restored detector cannot be saved: %v", err)
		}
	})
}
