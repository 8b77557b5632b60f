package plot

import (
	"math"
	"strings"
)

// Series is one line of a line chart: the points (X[i], Y[i]) in order.
type Series struct {
	// Name labels the series in the legend (drawn when there is more than one series).
	Name string
	// X and Y are the coordinates; only the first min(len(X), len(Y)) points are drawn, and
	// a point with a non-finite coordinate is skipped, breaking the line.
	X, Y []float64
}

// Range is a fixed axis range. A Range whose Min is not below its Max, such as the zero Range,
// means "fit the data".
type Range struct {
	Min, Max float64
}

// fixed reports whether r is a usable fixed range.
func (r Range) fixed() bool { return finite(r.Min) && finite(r.Max) && r.Min < r.Max }

// LineOptions are the settings of Lines; the zero value fits both axes to the data and draws
// plain lines.
type LineOptions struct {
	// XRange and YRange fix the axis ranges, such as [0, 1] for ROC and calibration curves.
	// Lines leaving a fixed range are clipped at the plotting area.
	XRange, YRange Range
	// Diagonal draws the dashed reference line y = x: chance for a ROC curve, perfect
	// calibration for a calibration curve.
	Diagonal bool
	// Markers draws a dot at every point, for curves with few points.
	Markers bool
	// Step draws each line as a staircase in which a point's Y holds from the previous
	// point's X up to its own: the interpolation under which the area of a precision–recall
	// curve ordered by increasing recall is its average precision.
	Step bool
}

// Lines draws series as lines over shared axes labelled xlabel and ylabel, for ROC,
// precision–recall and calibration curves and for time series (X in any unit, such as Unix
// seconds). A chart without a single finite point shows "no data".
func Lines(title, xlabel, ylabel string, series []Series, opts LineOptions) []byte {
	const width, height = 640.0, 440.0
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	points := 0
	for _, s := range series {
		for i := range min(len(s.X), len(s.Y)) {
			if x, y := s.X[i], s.Y[i]; finite(x) && finite(y) {
				xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
				ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
				points++
			}
		}
	}
	x, y := rangeAxis(opts.XRange, xlo, xhi, 6), rangeAxis(opts.YRange, ylo, yhi, 5)

	var entries []legendEntry
	if len(series) > 1 {
		for i, s := range series {
			entries = append(entries, legendEntry{name: s.Name, colour: colour(i)})
		}
	}
	legendW := 0.0
	if entries != nil {
		legendW = legendWidth(entries) + 16
	}
	left := yAxisLeft(y)
	f := frame{left: left, top: 40, w: width - left - 20 - legendW, h: height - 40 - 56, x: x, y: y}

	c := newCanvas(width, height, title)
	c.clip(f)
	c.gridX(f)
	c.gridY(f)
	c.raw(`<g clip-path="url(#plot-area)">` + "\n")
	if opts.Diagonal {
		if a, b := math.Max(x.lo, y.lo), math.Min(x.hi, y.hi); a < b {
			c.line(f.px(a), f.py(a), f.px(b), f.py(b), `class="reference" stroke="#888888" stroke-dasharray="6 4"`)
		}
	}
	for i, s := range series {
		d := linePath(f, s, opts.Step)
		if d == "" {
			continue
		}
		c.raw(`<path class="series" d="` + d + `" fill="none" stroke="` + colour(i) + `" stroke-width="2" stroke-linejoin="round"/>` + "\n")
		if opts.Markers {
			c.markers(f, s, colour(i))
		}
	}
	c.raw("</g>\n")
	if points == 0 {
		c.noData(f)
	}
	c.xAxis(f, xlabel)
	c.yAxis(f, ylabel)
	if entries != nil {
		c.legend(f.right()+16, f.top+8, entries)
	}
	return c.bytes()
}

// rangeAxis returns the axis of a fixed range r, or of the data range [lo, hi] expanded to
// nice ticks when r is not fixed.
func rangeAxis(r Range, lo, hi float64, target int) axis {
	if r.fixed() {
		return niceAxis(r.Min, r.Max, target, false)
	}
	return niceAxis(lo, hi, target, true)
}

// linePath returns the path data of s, a new subpath after every skipped point; "" when s has
// no finite point.
func linePath(f frame, s Series, step bool) string {
	var b strings.Builder
	pen := false // whether the previous point was drawn
	for i := range min(len(s.X), len(s.Y)) {
		x, y := s.X[i], s.Y[i]
		if !finite(x) || !finite(y) {
			pen = false
			continue
		}
		px, py := f.px(x), f.py(y)
		switch {
		case !pen:
			b.WriteString("M" + num(px) + " " + num(py))
		case step:
			b.WriteString("V" + num(py) + "H" + num(px))
		default:
			b.WriteString("L" + num(px) + " " + num(py))
		}
		pen = true
	}
	return b.String()
}

// markers draws a dot at every finite point of s.
func (c *canvas) markers(f frame, s Series, fill string) {
	for i := range min(len(s.X), len(s.Y)) {
		if x, y := s.X[i], s.Y[i]; finite(x) && finite(y) {
			c.raw(`<circle class="marker" cx="` + num(f.px(x)) + `" cy="` + num(f.py(y)) + `" r="3" fill="` + fill + `"/>` + "\n")
		}
	}
}
