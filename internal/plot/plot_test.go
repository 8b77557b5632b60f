package plot

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/netopsfn/netops/internal/golden"
)

// doc is what a test needs to know about a chart: its root attributes, how many elements of
// each class and name it has, and its text.
type doc struct {
	root    map[string]string
	title   string
	classes map[string]int
	names   map[string]int
	texts   []string
}

// parse decodes an SVG document with encoding/xml, failing the test when it is not well
// formed or lacks what every chart must have.
func parse(t *testing.T, svg []byte) doc {
	t.Helper()
	d := doc{root: map[string]string{}, classes: map[string]int{}, names: map[string]int{}}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				for _, a := range tok.Attr {
					d.root[a.Name.Local] = a.Value
				}
				if tok.Name.Local != "svg" || tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root element is %v", tok.Name)
				}
			}
			stack = append(stack, tok.Name.Local)
			d.names[tok.Name.Local]++
			for _, a := range tok.Attr {
				if a.Name.Local == "class" {
					d.classes[a.Value]++
				}
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			switch {
			case len(stack) == 2 && stack[1] == "title":
				d.title = string(tok)
			case len(stack) > 0 && stack[len(stack)-1] == "text":
				d.texts = append(d.texts, string(tok))
			}
		}
	}
	for _, a := range []string{"width", "height", "viewBox", "version"} {
		if d.root[a] == "" {
			t.Errorf("svg element has no %s attribute", a)
		}
	}
	if d.root["version"] != "1.1" {
		t.Errorf("version = %q, want 1.1", d.root["version"])
	}
	for _, bad := range []string{"NaN", "Inf", "inf"} {
		if bytes.Contains(svg, []byte(bad)) {
			t.Errorf("chart contains %q:\n%s", bad, svg)
		}
	}
	return d
}

// hasText reports whether some <text> element reads exactly s.
func (d doc) hasText(s string) bool { return slices.Contains(d.texts, s) }

func TestCharts(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name    string
		svg     []byte
		title   string
		classes map[string]int // expected count per class; 0 asserts absence
		texts   []string       // texts that must appear
	}{
		{
			name:    "histogram",
			svg:     Histogram("Latency", "ms", []float64{0, 1, 2, 3, 4}, []float64{3, 0, 5, 1}),
			title:   "Latency",
			classes: map[string]int{"bar": 3, "legend": 0, "no-data": 0},
			texts:   []string{"Latency", "ms", "count", "0", "4"},
		},
		{
			name: "histogram two series",
			svg: Histograms("Drift", "cpu", "share", []float64{0, 10, 20},
				[]Counts{{Name: "expected", Values: []float64{0.5, 0.5}}, {Name: "actual", Values: []float64{0.2, 0.8}}}),
			title:   "Drift",
			classes: map[string]int{"bar": 4, "legend": 1},
			texts:   []string{"expected", "actual", "share", "cpu"},
		},
		{
			name:    "histogram empty",
			svg:     Histogram("Empty", "x", nil, nil),
			title:   "Empty",
			classes: map[string]int{"bar": 0, "no-data": 1},
		},
		{
			name:    "histogram NaN and negative counts",
			svg:     Histogram("Bad", "x", []float64{0, 1, 2, 3}, []float64{nan, -1, inf}),
			classes: map[string]int{"bar": 0, "no-data": 0},
		},
		{
			name:    "histogram all-equal edges fall back to indexes",
			svg:     Histogram("Flat", "x", []float64{5, 5, 5}, []float64{1, 2}),
			classes: map[string]int{"bar": 2},
		},
		{
			name: "histogram padded edges",
			svg: Histogram("Padded", "x", []float64{-math.MaxFloat64, 0, 1, 2, math.MaxFloat64},
				[]float64{1, 2, 3, 4}),
			classes: map[string]int{"bar": 4},
			texts:   []string{"-1", "3"},
		},
		{
			name:    "bars",
			svg:     Bars("Class balance", []string{"negative", "positive"}, []float64{900, 100}),
			title:   "Class balance",
			classes: map[string]int{"bar": 2, "reference": 0},
			texts:   []string{"negative", "positive", "900", "100"},
		},
		{
			name:    "bars negative, NaN and missing label",
			svg:     Bars("Coefficients", []string{"a"}, []float64{-2, 1.5, nan}),
			classes: map[string]int{"bar": 2, "reference": 1},
			texts:   []string{"a", "-2", "1.5", "n/a"},
		},
		{
			name:    "bars empty",
			svg:     Bars("None", nil, nil),
			classes: map[string]int{"bar": 0, "no-data": 1},
		},
		{
			name:    "bars all zero",
			svg:     Bars("Zero", []string{"a", "b"}, []float64{0, 0}),
			classes: map[string]int{"bar": 2},
		},
		{
			name: "heatmap",
			svg: Heatmap("Correlation", []string{"a", "b", "c"},
				[][]float64{{1, 0.5, -0.25}, {0.5, 1, nan}, {-0.25, nan, 1}}, -1, 1),
			title:   "Correlation",
			classes: map[string]int{"cell": 9, "colour-scale": 1},
			texts:   []string{"a", "b", "c", "0.50", "-0.25", "1.00", "n/a"},
		},
		{
			name: "heatmap confusion",
			svg: HeatmapWith("Confusion", [][]float64{{80, 5}, {3, 12}}, HeatmapOptions{
				RowLabels: []string{"negative", "positive"}, ColLabels: []string{"negative", "positive"},
				XLabel: "predicted", YLabel: "actual", Sequential: true}),
			classes: map[string]int{"cell": 4},
			texts:   []string{"80", "12", "predicted", "actual"},
		},
		{
			name:    "heatmap all equal, bad range",
			svg:     Heatmap("Flat", []string{"a", "b"}, [][]float64{{2, 2}, {2, 2}}, nan, inf),
			classes: map[string]int{"cell": 4},
		},
		{
			name:    "heatmap empty",
			svg:     Heatmap("Nothing", nil, nil, 0, 0),
			classes: map[string]int{"cell": 0, "no-data": 1},
		},
		{
			name:    "heatmap ragged",
			svg:     Heatmap("Ragged", []string{"a", "b"}, [][]float64{{1}, {0.5, 1}}, -1, 1),
			classes: map[string]int{"cell": 4},
		},
		{
			name: "lines",
			svg: Lines("ROC", "false positive rate", "true positive rate",
				[]Series{{Name: "model", X: []float64{0, 0.1, 1}, Y: []float64{0, 0.8, 1}}},
				LineOptions{XRange: Range{0, 1}, YRange: Range{0, 1}, Diagonal: true}),
			title:   "ROC",
			classes: map[string]int{"series": 1, "reference": 1, "legend": 0, "marker": 0},
			texts:   []string{"false positive rate", "true positive rate", "0", "0.2", "1.0"},
		},
		{
			name: "lines two series with markers and a gap",
			svg: Lines("Calibration", "mean predicted", "fraction positive", []Series{
				{Name: "lr", X: []float64{0.1, nan, 0.5, 0.9}, Y: []float64{0.05, 0.3, 0.5, 0.95}},
				{Name: "gbt", X: []float64{0.1, 0.5}, Y: []float64{0.1, 0.45, 0.99}},
			}, LineOptions{Markers: true}),
			classes: map[string]int{"series": 2, "marker": 5, "legend": 1},
			texts:   []string{"lr", "gbt"},
		},
		{
			name:    "lines empty",
			svg:     Lines("Empty", "x", "y", nil, LineOptions{Diagonal: true}),
			classes: map[string]int{"series": 0, "no-data": 1, "reference": 1},
		},
		{
			name: "lines all NaN and all equal",
			svg: Lines("Odd", "x", "y", []Series{
				{Name: "nan", X: []float64{nan, inf}, Y: []float64{1, 2}},
				{Name: "flat", X: []float64{3, 3}, Y: []float64{7, 7}},
			}, LineOptions{}),
			classes: map[string]int{"series": 1, "legend": 1},
		},
		{
			name: "lines huge values",
			svg: Lines("Huge", "x", "y", []Series{{X: []float64{-1e308, 1e308}, Y: []float64{1e-308, -1e-308}}},
				LineOptions{XRange: Range{0, 1}}),
			classes: map[string]int{"series": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := parse(t, tt.svg)
			if tt.title != "" && d.title != tt.title {
				t.Errorf("title = %q, want %q", d.title, tt.title)
			}
			for class, want := range tt.classes {
				if got := d.classes[class]; got != want {
					t.Errorf("%d elements of class %q, want %d", got, class, want)
				}
			}
			for _, s := range tt.texts {
				if !d.hasText(s) {
					t.Errorf("no text %q in %q", s, d.texts)
				}
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	const label = `<&>"'`
	charts := map[string][]byte{
		"histogram": Histograms(label, label, label, []float64{0, 1}, []Counts{{Name: label, Values: []float64{1}}, {Name: "b"}}),
		"bars":      Bars(label, []string{label}, []float64{1}),
		"heatmap":   Heatmap(label, []string{label}, [][]float64{{1}}, -1, 1),
		"lines":     Lines(label, label, label, []Series{{Name: label, X: []float64{0}, Y: []float64{0}}, {}}, LineOptions{}),
	}
	for name, svg := range charts {
		t.Run(name, func(t *testing.T) {
			d := parse(t, svg)
			if d.title != label {
				t.Errorf("title = %q, want %q", d.title, label)
			}
			if !d.hasText(label) {
				t.Errorf("no text %q in %q", label, d.texts)
			}
			if !bytes.Contains(svg, []byte("&lt;&amp;&gt;")) {
				t.Error("label not escaped")
			}
		})
	}
}

func TestNiceAxis(t *testing.T) {
	tests := []struct {
		lo, hi float64
		target int
		expand bool
		ticks  []string
	}{
		{0, 1, 5, false, []string{"0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0.13, 0.87, 5, true, []string{"0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0, 93, 5, true, []string{"0", "20", "40", "60", "80", "100"}},
		{-3.2, 7.1, 5, true, []string{"-5", "0", "5", "10"}},
		{250, 250, 5, true, []string{"220", "230", "240", "250", "260", "270", "280"}},
		{0, 0, 5, true, []string{"-1.0", "-0.5", "0", "0.5", "1.0"}},
		{math.NaN(), 3, 5, true, []string{"0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0, 3e9, 3, true, []string{"0", "2e+09", "4e+09"}},
		{1e-7, 5e-7, 4, true, []string{"0", "2e-07", "4e-07", "6e-07"}},
	}
	for _, tt := range tests {
		a := niceAxis(tt.lo, tt.hi, tt.target, tt.expand)
		var got []string
		for _, v := range a.ticks {
			got = append(got, a.label(v))
		}
		if !slices.Equal(got, tt.ticks) {
			t.Errorf("niceAxis(%g, %g, %d, %v) ticks %q, want %q", tt.lo, tt.hi, tt.target, tt.expand, got, tt.ticks)
		}
		if a.lo >= a.hi || !finite(a.lo) || !finite(a.hi) {
			t.Errorf("niceAxis(%g, %g) = [%g, %g]", tt.lo, tt.hi, a.lo, a.hi)
		}
	}
}

// TestGolden compares one chart of each kind with testdata; run with -update to rewrite.
func TestGolden(t *testing.T) {
	charts := map[string][]byte{
		"histogram.svg": Histograms("Reference vs current: cpu_utilization", "cpu_utilization", "share",
			[]float64{40, 50, 60, 70, 80, 90, 100}, []Counts{
				{Name: "reference", Values: []float64{0.02, 0.14, 0.34, 0.34, 0.14, 0.02}},
				{Name: "current", Values: []float64{0.01, 0.05, 0.2, 0.35, 0.27, 0.12}},
			}),
		"bars.svg": Bars("Feature importance", []string{"latency_max_1h", "cpu_utilization_avg_6h", "packet_loss", "throughput_min_1h"},
			[]float64{0.41, 0.27, 0.2, -0.05}),
		"heatmap.svg": Heatmap("Correlation", []string{"cpu", "latency", "loss"},
			[][]float64{{1, 0.62, -0.1}, {0.62, 1, 0.35}, {-0.1, 0.35, 1}}, -1, 1),
		"lines.svg": Lines("Precision-recall", "recall", "precision", []Series{
			{Name: "gbt", X: []float64{0, 0.2, 0.5, 0.8, 1}, Y: []float64{1, 1, 0.9, 0.7, 0.1}},
			{Name: "lr", X: []float64{0, 0.3, 0.6, 1}, Y: []float64{1, 0.8, 0.6, 0.1}},
		}, LineOptions{XRange: Range{0, 1}, YRange: Range{0, 1}, Step: true}),
	}
	for name, got := range charts {
		t.Run(name, func(t *testing.T) {
			parse(t, got)
			golden.Check(t, name, got)
		})
	}
}

func TestStepPath(t *testing.T) {
	f := frame{left: 0, top: 0, w: 100, h: 100, x: axis{lo: 0, hi: 1}, y: axis{lo: 0, hi: 1}}
	got := linePath(f, Series{X: []float64{0, 0.5, 1}, Y: []float64{1, 0.5, 0}}, true)
	if want := "M0 0V50H50V100H100"; got != want {
		t.Errorf("step path %q, want %q", got, want)
	}
	got = linePath(f, Series{X: []float64{0, math.NaN(), 1}, Y: []float64{1, 0.5, 0}}, false)
	if want := "M0 0M100 100"; got != want {
		t.Errorf("path with a gap %q, want %q", got, want)
	}
	if !strings.HasPrefix(string(Bars("t", nil, nil)), "<?xml") {
		t.Error("no XML declaration")
	}
}
