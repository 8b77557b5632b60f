package plot

import "math"

// Bars draws a horizontal bar chart, one bar per value in order from the top, labelled on the
// left with labels[i] and on the bar's end with the value: class balance, feature
// importances, feature-selection votes. The value axis always includes 0, so negative values
// (coefficients) extend to the left of a zero line.
//
// There is one bar per value; missing labels are blank and extra labels are ignored. A
// non-finite value draws no bar and is printed as "n/a". The chart grows in height with the
// number of bars, 20 pixels each.
func Bars(title string, labels []string, values []float64) []byte {
	const width, rowH = 640.0, 20.0
	n := len(values)

	lo, hi := 0.0, 0.0
	for _, v := range values {
		if finite(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo == 0 && hi == 0 {
		hi = 1
	}
	x := niceAxis(lo, hi, 5, true)

	names := make([]string, n)
	labelW := 0.0
	for i := range names {
		if i < len(labels) {
			names[i] = truncate(labels[i], 40)
		}
		labelW = math.Max(labelW, textWidth(names[i]))
	}
	left := math.Max(56, labelW+20)
	height := 40 + math.Max(float64(n), 1)*rowH + 56
	// The right margin leaves room for the value printed after the longest bar.
	f := frame{left: left, top: 40, w: width - left - 64, h: height - 40 - 56, x: x}

	c := newCanvas(width, height, title)
	c.gridX(f)
	c.raw(`<g class="bars" fill="` + colour(0) + `">` + "\n")
	for i, v := range values {
		cy := f.top + (float64(i)+0.5)*rowH
		c.text(f.left-8, cy+4, names[i], `text-anchor="end" fill="`+axisColour+`"`)
		end := f.px(0)
		if finite(v) {
			end = f.px(v)
			c.tooltip(f.px(0), cy-rowH*0.35, end-f.px(0), rowH*0.7, `class="bar"`, names[i]+": "+valueLabel(v))
		}
		if v < 0 {
			c.text(end-4, cy+4, valueLabel(v), `text-anchor="end" font-size="10" fill="`+axisColour+`"`)
		} else {
			c.text(end+4, cy+4, valueLabel(v), `font-size="10" fill="`+axisColour+`"`)
		}
	}
	c.raw("</g>\n")
	if n == 0 {
		c.noData(f)
	}
	if x.lo < 0 {
		c.line(f.px(0), f.top, f.px(0), f.bottom(), `class="reference" stroke="`+axisColour+`"`)
	}
	c.xAxis(f, "")
	return c.bytes()
}
