package plot

import (
	"math"
	"strconv"
)

// axis is a linear scale over the data interval [lo, hi] with its tick values, all
// multiples of step.
type axis struct {
	lo, hi float64
	step   float64
	ticks  []float64
}

// limit bounds data values taken into a range, far inside float64, so that spans, steps and
// their ratios stay finite.
const limit = 1e300

// span turns any pair of bounds into a usable interval: lo < hi, both finite, and wide enough
// relative to their magnitude that ticks are distinct. Non-finite bounds (no data) give
// [0, 1]; an empty or all-equal range is widened by 10% of its value on each side, or by 1
// around 0.
func span(lo, hi float64) (float64, float64) {
	if !finite(lo) || !finite(hi) {
		return 0, 1
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	lo, hi = math.Max(lo, -limit), math.Min(hi, limit)
	if mag := math.Max(math.Abs(lo), math.Abs(hi)); hi-lo <= 1e-9*mag || hi-lo < 1e-200 {
		d := math.Abs(lo) * 0.1
		if d < 1e-200 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	return lo, hi
}

// niceNum returns a "nice" number near x: 1, 2 or 5 times a power of ten (or 10). With round it
// is the nearest such number, without it the smallest one not below x (Heckbert, "Nice numbers
// for graph labels", Graphics Gems, 1990).
func niceNum(x float64, round bool) float64 {
	exp := math.Floor(math.Log10(x))
	pow := math.Pow(10, exp)
	f := x / pow
	var nf float64
	switch {
	case round && f < 1.5, !round && f <= 1:
		nf = 1
	case round && f < 3, !round && f <= 2:
		nf = 2
	case round && f < 7, !round && f <= 5:
		nf = 5
	default:
		nf = 10
	}
	return nf * pow
}

// niceAxis returns a scale over [lo, hi] with about target ticks at nice values. With expand
// the interval grows outwards to the nearest ticks, as most charting libraries do for data
// ranges; without it the interval is kept (for fixed ranges such as [0, 1] or bin edges).
func niceAxis(lo, hi float64, target int, expand bool) axis {
	lo, hi = span(lo, hi)
	step := niceNum(niceNum(hi-lo, false)/float64(max(target, 2)-1), true)
	if expand {
		lo = math.Floor(lo/step+1e-9) * step
		hi = math.Ceil(hi/step-1e-9) * step
	}
	a := axis{lo: lo, hi: hi, step: step}
	k0, k1 := math.Ceil(lo/step-1e-9), math.Floor(hi/step+1e-9)
	for k := k0; k <= k1 && len(a.ticks) < 100; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		a.ticks = append(a.ticks, v)
	}
	return a
}

// label formats tick value v with as many decimals as the step needs, switching to
// exponent notation for very large or very small magnitudes.
func (a axis) label(v float64) string {
	if v == 0 {
		return "0"
	}
	decimals := max(0, int(-math.Floor(math.Log10(a.step)+1e-9)))
	mag := math.Max(math.Abs(a.lo), math.Abs(a.hi))
	if decimals <= 6 && mag < 1e7 {
		return strconv.FormatFloat(v, 'f', decimals, 64)
	}
	digits := int(math.Floor(math.Log10(math.Abs(v))) - math.Floor(math.Log10(a.step)) + 1)
	return strconv.FormatFloat(v, 'g', min(max(digits, 1), 15), 64)
}

// frame is the plotting area of a chart, in pixels, with its two scales.
type frame struct {
	left, top, w, h float64
	x, y            axis
}

// px maps a data x to a pixel column.
func (f frame) px(v float64) float64 { return f.left + (v-f.x.lo)/(f.x.hi-f.x.lo)*f.w }

// py maps a data y to a pixel row; y grows upwards.
func (f frame) py(v float64) float64 { return f.top + f.h - (v-f.y.lo)/(f.y.hi-f.y.lo)*f.h }

// bottom and right are the pixel edges of the plotting area.
func (f frame) bottom() float64 { return f.top + f.h }
func (f frame) right() float64  { return f.left + f.w }

// gridX draws vertical grid lines at the x ticks.
func (c *canvas) gridX(f frame) {
	for _, t := range f.x.ticks {
		x := f.px(t)
		c.line(x, f.top, x, f.bottom(), `stroke="`+gridColour+`"`)
	}
}

// gridY draws horizontal grid lines at the y ticks.
func (c *canvas) gridY(f frame) {
	for _, t := range f.y.ticks {
		y := f.py(t)
		c.line(f.left, y, f.right(), y, `stroke="`+gridColour+`"`)
	}
}

// xAxis draws the bottom axis line, its ticks and tick labels, and label centred below.
func (c *canvas) xAxis(f frame, label string) {
	c.raw(`<g class="axis x-axis">` + "\n")
	c.line(f.left, f.bottom(), f.right(), f.bottom(), `stroke="`+axisColour+`"`)
	for _, t := range f.x.ticks {
		x := f.px(t)
		c.line(x, f.bottom(), x, f.bottom()+5, `stroke="`+axisColour+`"`)
		c.text(x, f.bottom()+18, f.x.label(t), `text-anchor="middle"`)
	}
	if label != "" {
		c.text(f.left+f.w/2, f.bottom()+40, label, `class="axis-label" text-anchor="middle"`)
	}
	c.raw("</g>\n")
}

// yAxis draws the left axis line, its ticks and tick labels, and label rotated on the left.
func (c *canvas) yAxis(f frame, label string) {
	c.raw(`<g class="axis y-axis">` + "\n")
	c.line(f.left, f.top, f.left, f.bottom(), `stroke="`+axisColour+`"`)
	for _, t := range f.y.ticks {
		y := f.py(t)
		c.line(f.left-5, y, f.left, y, `stroke="`+axisColour+`"`)
		c.text(f.left-8, y+4, f.y.label(t), `text-anchor="end"`)
	}
	if label != "" {
		x, y := 16.0, f.top+f.h/2
		c.text(x, y, label, `class="axis-label" text-anchor="middle" transform="rotate(-90 `+num(x)+" "+num(y)+`)"`)
	}
	c.raw("</g>\n")
}

// clip defines the clip path "plot-area" covering the plotting area, for lines that may leave
// it. It reaches a few pixels beyond the frame so that a line along an edge, such as a
// precision of 1, is drawn at full width.
func (c *canvas) clip(f frame) {
	const pad = 4
	c.raw(`<defs><clipPath id="plot-area"><rect x="` + num(f.left-pad) + `" y="` + num(f.top-pad) +
		`" width="` + num(f.w+2*pad) + `" height="` + num(f.h+2*pad) + `"/></clipPath></defs>` + "\n")
}

// noData prints "no data" in the middle of the plotting area.
func (c *canvas) noData(f frame) {
	c.text(f.left+f.w/2, f.top+f.h/2, "no data", `class="no-data" text-anchor="middle" fill="#888888"`)
}

// yAxisLeft returns the left margin a y axis with these tick labels needs.
func yAxisLeft(a axis) float64 {
	w := 0.0
	for _, t := range a.ticks {
		w = math.Max(w, textWidth(a.label(t)))
	}
	return math.Max(56, w+36)
}
