package plot

import (
	"math"
	"slices"
)

// Counts is one series of a histogram: a value per bin and the name shown in the legend.
type Counts struct {
	// Name labels the series in the legend (drawn when there is more than one series).
	Name string
	// Values holds one count (or proportion) per bin; missing, negative and non-finite
	// values draw as empty bins.
	Values []float64
}

// Histogram draws one series of bin counts over bins with the given edges: bin i spans
// [edges[i], edges[i+1]], so there is one more edge than counts. The y axis is labelled
// "count".
func Histogram(title, xlabel string, edges, counts []float64) []byte {
	return Histograms(title, xlabel, "count", edges, []Counts{{Values: counts}})
}

// Histograms draws several series on the same bins side by side, each bin split between
// them in order, such as a reference distribution against the current one (pass proportions
// when their totals differ).
//
// An outer edge that is infinite or beyond ±1e300, such as the ±math.MaxFloat64 padding of
// internal/drift's histograms, is drawn one typical bin width beyond its neighbour. Edges
// that still do not increase are replaced by the bin indexes 0, 1, … n, so the counts are
// drawn anyway; without any bin the chart says "no data".
func Histograms(title, xlabel, ylabel string, edges []float64, series []Counts) []byte {
	const width, height = 640.0, 400.0
	edges = drawableEdges(edges, series)
	nbins := max(len(edges)-1, 0)

	top := 0.0
	for _, s := range series {
		for _, v := range s.Values[:min(len(s.Values), nbins)] {
			if finite(v) && v > top {
				top = v
			}
		}
	}
	y := niceAxis(0, math.Max(top, 1e-300), 5, true)
	if top == 0 {
		y = niceAxis(0, 1, 5, true)
	}
	x := axis{lo: 0, hi: 1, step: 0.2}
	if nbins > 0 {
		x = niceAxis(edges[0], edges[nbins], 6, false)
	}

	var entries []legendEntry
	if len(series) > 1 {
		for i, s := range series {
			entries = append(entries, legendEntry{name: s.Name, colour: colour(i), box: true})
		}
	}
	legendW := 0.0
	if entries != nil {
		legendW = legendWidth(entries) + 16
	}
	left := yAxisLeft(y)
	f := frame{left: left, top: 40, w: width - left - 20 - legendW, h: height - 40 - 56, x: x, y: y}

	c := newCanvas(width, height, title)
	c.gridY(f)
	for si, s := range series {
		c.raw(`<g class="histogram-series" fill="` + colour(si) + `">` + "\n")
		for i := range min(len(s.Values), nbins) {
			v := s.Values[i]
			if !finite(v) || v <= 0 {
				continue
			}
			x0, x1 := f.px(edges[i]), f.px(edges[i+1])
			gap := math.Min(1, (x1-x0)*0.1)
			sub := (x1 - x0 - gap) / float64(len(series))
			bx := x0 + gap/2 + float64(si)*sub
			tip := "[" + f.x.label(edges[i]) + ", " + f.x.label(edges[i+1]) + "]: " + valueLabel(v)
			c.tooltip(bx, f.py(v), sub, f.py(0)-f.py(v), `class="bar"`, tip)
		}
		c.raw("</g>\n")
	}
	if nbins == 0 {
		c.noData(f)
	}
	c.xAxis(f, xlabel)
	c.yAxis(f, ylabel)
	if entries != nil {
		c.legend(f.right()+16, f.top+8, entries)
	}
	return c.bytes()
}

// drawableEdges returns finite, strictly increasing edges for drawing, replacing open outer
// edges as Histograms documents, or the bin indexes when that is not enough.
func drawableEdges(edges []float64, series []Counts) []float64 {
	if len(edges) < 2 {
		n := 0
		for _, s := range series {
			n = max(n, len(s.Values))
		}
		return indexEdges(n)
	}
	e := slices.Clone(edges)
	n := len(e) - 1
	open := func(v float64) bool { return !finite(v) || math.Abs(v) >= limit }
	var widths []float64
	for i := range n {
		if !open(e[i]) && !open(e[i+1]) && e[i+1] > e[i] {
			widths = append(widths, e[i+1]-e[i])
		}
	}
	typical := 1.0
	if len(widths) > 0 {
		slices.Sort(widths)
		typical = widths[len(widths)/2]
	}
	if open(e[0]) && n > 1 && !open(e[1]) {
		e[0] = e[1] - typical
	}
	if open(e[n]) && n > 1 && !open(e[n-1]) {
		e[n] = e[n-1] + typical
	}
	for i, v := range e {
		if open(v) || (i > 0 && v <= e[i-1]) {
			return indexEdges(n)
		}
	}
	return e
}

// indexEdges returns 0, 1, … n.
func indexEdges(n int) []float64 {
	if n == 0 {
		return nil
	}
	e := make([]float64, n+1)
	for i := range e {
		e[i] = float64(i)
	}
	return e
}
