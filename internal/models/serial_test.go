package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestRoundTripPredictsBitForBit(t *testing.T) {
	train, test := splitAt(rareData(3000, 6, 10), 2000)
	l1 := DefaultLogisticParams()
	l1.Penalty, l1.C = PenaltyL1, 0.1
	early := fastBoost()
	early.EarlyStopping, early.Subsample = EarlyStoppingOn, 0.8
	for _, p := range append(allKinds(), l1, early) {
		t.Run(p.Kind(), func(t *testing.T) {
			m, err := Fit(train, p)
			if err != nil {
				t.Fatal(err)
			}
			data, err := Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			if loaded.Kind() != m.Kind() || strings.Join(loaded.FeatureNames(), ",") != strings.Join(m.FeatureNames(), ",") {
				t.Errorf("loaded %s %v, trained %s %v", loaded.Kind(), loaded.FeatureNames(), m.Kind(), m.FeatureNames())
			}
			want, got := predictAll(t, m, test), predictAll(t, loaded, test)
			for i := range want {
				one := loaded.PredictProba(test.Row(i))
				if math.Float64bits(want[i]) != math.Float64bits(got[i]) || math.Float64bits(one) != math.Float64bits(got[i]) {
					t.Fatalf("row %d: trained %v, loaded batch %v, loaded single %v", i, want[i], got[i], one)
				}
			}
			for j, v := range m.Importances() {
				if loaded.Importances()[j] != v {
					t.Errorf("importance %d: %v after loading, %v before", j, loaded.Importances()[j], v)
				}
			}
			again, err := Marshal(loaded)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, again) {
				t.Error("Marshal(Unmarshal(b)) != b")
			}
		})
	}
}

// goldenModels builds one small model of each kind by hand, so the expected predictions
// are known exactly.
func goldenModels() map[string]Classifier {
	lr := &Logistic{params: DefaultLogisticParams(), features: []string{"a", "b"},
		means: []float64{1, 2}, scales: []float64{2, 4}, coef: []float64{1, -1}, intercept: 0.5,
		iters: 7, converged: true}
	lr.prepare()
	t1 := newTree(0.5, 10)
	t1.addChildren(0, 0, 0.5, 0.25, 1, 4, 6)
	t2 := newTree(0.5, 10)
	rf := &Forest{params: DefaultForestParams(), features: []string{"a", "b"},
		trees: []tree{t1, t2}, importances: []float64{1, 0}}
	t3 := newTree(0, 50)
	t3.addChildren(0, 1, 10, -0.125, 0.375, 30, 20)
	gbt := &Boosted{params: DefaultBoostedParams(), features: []string{"a", "b"}, baseline: -2,
		trees: []tree{t3}, importances: []float64{0, 1}, valLoss: []float64{0.5, 0.25}}
	return map[string]Classifier{KindLogistic: lr, KindForest: rf, KindBoosted: gbt}
}

func TestGoldenFormat(t *testing.T) {
	tests := []struct {
		kind string
		rows [][]float64
		want []float64
	}{
		{KindLogistic, [][]float64{{3, 2}, {1, 6}}, []float64{sigmoid(1.5), sigmoid(-0.5)}},
		{KindForest, [][]float64{{0, 0}, {1, 0}, {0.5, 9}}, []float64{0.375, 0.75, 0.375}},
		{KindBoosted, [][]float64{{0, 5}, {0, 20}, {0, 10}}, []float64{sigmoid(-2.125), sigmoid(-1.625), sigmoid(-2.125)}},
	}
	models := goldenModels()
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			path := filepath.Join("testdata", tc.kind+".json")
			data, err := Marshal(models[tc.kind])
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, data, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pretty.Bytes(), golden) {
				t.Errorf("Marshal output differs from %s (run with -update if the change is intended):\n%s", path, pretty.Bytes())
			}
			m, err := Unmarshal(golden)
			if err != nil {
				t.Fatal(err)
			}
			for i, row := range tc.rows {
				if got := m.PredictProba(row); got != tc.want[i] {
					t.Errorf("PredictProba(%v) = %v, want %v", row, got, tc.want[i])
				}
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	golden := map[string]string{}
	for kind, m := range goldenModels() {
		b, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		golden[kind] = string(b)
	}
	edit := func(kind, old, new string) string {
		s := golden[kind]
		if !strings.Contains(s, old) {
			t.Fatalf("%s document has no %q", kind, old)
		}
		return strings.Replace(s, old, new, 1)
	}
	tests := []struct {
		name, data, msg string
	}{
		{"empty", "", "unexpected end of JSON input"},
		{"not an object", "[1, 2]", "cannot unmarshal array"},
		{"wrong format", edit(KindForest, `"netops-model"`, `"onnx"`), `format is "onnx"`},
		{"missing format", `{"version": 1, "kind": "lr"}`, `format is ""`},
		{"future version", edit(KindForest, `"version":1`, `"version":2`), "version 2 is not supported"},
		{"unknown kind", edit(KindForest, `"kind":"rf"`, `"kind":"svm"`), `unknown kind "svm"`},
		{"unknown field", edit(KindLogistic, `"intercept"`, `"bias":1,"intercept"`), `unknown field "bias"`},
		{"trailing data", golden[KindLogistic] + "{}", "after top-level value"},
		{"invalid params", edit(KindBoosted, `"learning_rate":0.1`, `"learning_rate":0`), "learning_rate: must be in (0, 1]"},
		{"duplicate features", edit(KindLogistic, `["a","b"]`, `["a","a"]`), `"a" appears twice`},
		{"no features", edit(KindLogistic, `["a","b"]`, `[]`), "no features"},
		{"coef length", edit(KindLogistic, `"coef":[1,-1]`, `"coef":[1]`), "must have 2 values"},
		{"zero scale", edit(KindLogistic, `"scales":[2,4]`, `"scales":[0,4]`), "scale 0 is 0"},
		{"overflowing weight", edit(KindLogistic, `"scales":[2,4]`, `"scales":[1e-320,4]`), "overflow"},
		{"forest without trees", `{"format":"netops-model","version":1,"kind":"rf","features":["a"],"importances":[1],"trees":[]}`, "no trees"},
		{"gbt without trees array", edit(KindBoosted, `"trees":[`, `"treez":[`), "unknown field"},
		{"child out of range", edit(KindBoosted, `"left":[1,0,0]`, `"left":[2,0,0]`), "children at 2"},
		{"child points back", edit(KindBoosted, `"left":[1,0,0]`, `"left":[0,0,0]`), "children at 0"},
		{"shared children", `{"format":"netops-model","version":1,"kind":"gbt","features":["a"],"importances":[0],"trees":[{"feature":[0,0,-1,-1],"threshold":[0,0,0,0],"left":[1,2,0,0],"value":[0,0,0,0],"count":[0,0,0,0]}]}`, "shares children"},
		{"unreachable node", `{"format":"netops-model","version":1,"kind":"gbt","features":["a"],"importances":[0],"trees":[{"feature":[0,-1,-1,-1],"threshold":[0,0,0,0],"left":[1,0,0,0],"value":[0,0,0,0],"count":[0,0,0,0]}]}`, "node 3 is unreachable"},
		{"feature out of range", edit(KindBoosted, `"feature":[1,-1,-1]`, `"feature":[2,-1,-1]`), "feature 2 of 2"},
		{"ragged node arrays", edit(KindBoosted, `"count":[50,30,20]`, `"count":[50,30]`), "differ in length"},
		{"forest leaf above 1", edit(KindForest, `"value":[0.5,0.25,1]`, `"value":[0.5,0.25,1.5]`), "outside [0, 1]"},
		{"importances length", edit(KindForest, `"importances":[1,0]`, `"importances":[1]`), "1 importances for 2 features"},
		{"negative importance", edit(KindBoosted, `"importances":[0,1]`, `"importances":[-1,1]`), "importance 0 is -1"},
		{"number out of range", edit(KindBoosted, `"baseline":-2`, `"baseline":1e999`), "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Unmarshal([]byte(tc.data))
			if err == nil {
				t.Fatalf("no error; loaded %v", m)
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want ErrFormat mentioning %q", err, tc.msg)
			}
		})
	}
}

func TestMarshalForeignClassifier(t *testing.T) {
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
}

// FuzzUnmarshal checks that no input makes Unmarshal panic, and that whatever it accepts is
// safe to predict with and survives a round trip unchanged.
func FuzzUnmarshal(f *testing.F) {
	for _, m := range goldenModels() {
		b, err := Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	train, _ := splitAt(rareData(400, 4, 1), 400)
	for _, p := range allKinds() {
		if q, ok := p.(ForestParams); ok {
			q.NTrees = 3
			p = q
		}
		if q, ok := p.(BoostedParams); ok {
			q.MaxIter = 3
			p = q
		}
		m, err := Fit(train, p)
		if err != nil {
			f.Fatal(err)
		}
		b, err := Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"netops-model","version":1,"kind":"gbt"}`))
	f.Add([]byte(`{"format":"netops-model","version":1,"kind":"gbt","features":["a"],"importances":[0],"trees":[{"feature":[0,-1,-1],"threshold":[0,0,0],"left":[1,0,0],"value":[0,1,2],"count":[0,0,0]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		// Five rows, so a batch takes both the lockstep and the row-by-row path.
		d := m.NumFeatures()
		x := make([]float64, 5*d)
		for k, v := range []float64{0, 1e300, -1e300, 0.5, -3} {
			for j := range d {
				x[k*d+j] = v * float64(j%3)
			}
		}
		out := make([]float64, 5)
		if err := m.PredictBatch(x, out); err != nil {
			t.Fatal(err)
		}
		for k := range out {
			p := m.PredictProba(x[k*d : (k+1)*d])
			if p < 0 || p > 1 || math.Float64bits(p) != math.Float64bits(out[k]) {
				t.Fatalf("row %d: PredictProba = %v, PredictBatch = %v", k, p, out[k])
			}
		}
		b, err := Marshal(m)
		if err != nil {
			t.Fatalf("Marshal of a loaded model: %v", err)
		}
		m2, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("re-loading a marshalled model: %v", err)
		}
		b2, err := Marshal(m2)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("second round trip changed the document (err %v)", err)
		}
	})
}
