package plot

import (
	"math"
	"strings"
	"testing"
)

// FuzzCharts feeds arbitrary values and labels to every chart: each must stay well-formed
// SVG without NaN or Inf, whatever the input.
func FuzzCharts(f *testing.F) {
	f.Add(0.0, 1.0, 2.0, "a")
	f.Add(math.NaN(), math.Inf(1), math.Inf(-1), "<&>")
	f.Add(5.0, 5.0, 5.0, "")
	f.Add(-math.MaxFloat64, math.MaxFloat64, 1e-320, "\x00\xff")
	f.Add(1e308, -1e308, 0.0, "]]>")
	f.Fuzz(func(t *testing.T, a, b, c float64, label string) {
		// The label must not itself spell what the checks look for.
		for _, bad := range []string{"NaN", "Inf", "inf"} {
			label = strings.ReplaceAll(label, bad, "")
		}
		v := []float64{a, b, c}
		labels := []string{label, label + "2", label + "3"}
		parse(t, Histogram(label, label, []float64{a, b, c, a + b}, v))
		parse(t, Histograms(label, label, label, v, []Counts{{Name: label, Values: v}, {Name: label, Values: v[1:]}}))
		parse(t, Bars(label, labels, v))
		parse(t, Heatmap(label, labels, [][]float64{v, {c, b, a}, {b}}, a, b))
		parse(t, HeatmapWith(label, [][]float64{v}, HeatmapOptions{Min: c, Max: a, Sequential: true, XLabel: label}))
		parse(t, Lines(label, label, label, []Series{{Name: label, X: v, Y: []float64{c, a, b}}, {X: v[:1], Y: v[2:]}},
			LineOptions{XRange: Range{a, b}, YRange: Range{b, c}, Diagonal: true, Markers: true, Step: a > b}))
	})
}
