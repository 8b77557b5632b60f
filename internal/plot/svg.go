package plot

import (
	"bytes"
	"encoding/xml"
	"math"
	"strconv"
	"unicode/utf8"
)

// Typography and colours shared by every chart.
const (
	fontSize   = 12.0
	titleSize  = 14.0
	charWidth  = 0.6 * fontSize // estimated advance of an average sans-serif character
	axisColour = "#333333"
	gridColour = "#e5e5e5"
)

// palette holds the Okabe–Ito colours, distinguishable with the common colour-vision
// deficiencies; series take them in order and wrap around.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}

// colour returns the colour of the i-th series.
func colour(i int) string { return palette[i%len(palette)] }

// maxCoord bounds every coordinate written, so that a value far outside an axis range (drawn
// and then clipped) cannot print as hundreds of digits.
const maxCoord = 1e6

// num formats a coordinate or length with at most two decimals. NaN becomes 0 and anything
// else is clamped to ±maxCoord: no chart ever contains "NaN" or "Inf".
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		v = 0
	case v > maxCoord:
		v = maxCoord
	case v < -maxCoord:
		v = -maxCoord
	}
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// canvas accumulates one SVG document.
type canvas struct {
	b bytes.Buffer
}

// newCanvas starts a w×h document titled title, with a white background and the title
// printed centred at the top.
func newCanvas(w, h float64, title string) *canvas {
	c := &canvas{}
	c.raw(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n")
	c.raw(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="` + num(w) + `" height="` + num(h) +
		`" viewBox="0 0 ` + num(w) + " " + num(h) + `" font-family="sans-serif" font-size="` + num(fontSize) + `">` + "\n")
	c.raw("<title>")
	c.esc(title)
	c.raw("</title>\n")
	c.raw(`<rect class="background" x="0" y="0" width="` + num(w) + `" height="` + num(h) + `" fill="#ffffff"/>` + "\n")
	if title != "" {
		c.text(w/2, 24, title, `class="title" text-anchor="middle" font-size="`+num(titleSize)+`" font-weight="bold"`)
	}
	return c
}

// bytes closes the document and returns it.
func (c *canvas) bytes() []byte {
	c.raw("</svg>\n")
	return c.b.Bytes()
}

// raw writes s unescaped; s must be markup built from constants and num.
func (c *canvas) raw(s string) { c.b.WriteString(s) }

// esc writes s as escaped character data or attribute text.
func (c *canvas) esc(s string) {
	// xml.EscapeText cannot fail on a bytes.Buffer. It escapes quotes too, so the same
	// escaping serves attribute values, and replaces characters XML cannot hold with U+FFFD.
	_ = xml.EscapeText(&c.b, []byte(s))
}

// text writes a <text> element at (x, y) with the given static attributes.
func (c *canvas) text(x, y float64, s, attrs string) {
	c.raw(`<text x="` + num(x) + `" y="` + num(y) + `"`)
	if attrs != "" {
		c.raw(" " + attrs)
	}
	c.raw(">")
	c.esc(s)
	c.raw("</text>\n")
}

// line writes a <line> from (x1, y1) to (x2, y2).
func (c *canvas) line(x1, y1, x2, y2 float64, attrs string) {
	c.raw(`<line x1="` + num(x1) + `" y1="` + num(y1) + `" x2="` + num(x2) + `" y2="` + num(y2) + `" ` + attrs + "/>\n")
}

// rect writes a <rect>; a negative width or height is drawn from the other corner.
func (c *canvas) rect(x, y, w, h float64, attrs string) {
	if w < 0 {
		x, w = x+w, -w
	}
	if h < 0 {
		y, h = y+h, -h
	}
	c.raw(`<rect x="` + num(x) + `" y="` + num(y) + `" width="` + num(w) + `" height="` + num(h) + `" ` + attrs + "/>\n")
}

// tooltip writes a rect like rect, with a <title> child that viewers show on hover.
func (c *canvas) tooltip(x, y, w, h float64, attrs, tip string) {
	if w < 0 {
		x, w = x+w, -w
	}
	if h < 0 {
		y, h = y+h, -h
	}
	c.raw(`<rect x="` + num(x) + `" y="` + num(y) + `" width="` + num(w) + `" height="` + num(h) + `" ` + attrs + "><title>")
	c.esc(tip)
	c.raw("</title></rect>\n")
}

// textWidth estimates the rendered width of s at the base font size.
func textWidth(s string) float64 { return float64(utf8.RuneCountInString(s)) * charWidth }

// truncate shortens s to at most n runes, ending it with an ellipsis when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// legendEntry is one line of a legend.
type legendEntry struct {
	name   string
	colour string
	box    bool // a filled square (bars) rather than a line sample
}

// legendWidth is the width a legend of entries needs.
func legendWidth(entries []legendEntry) float64 {
	w := 0.0
	for _, e := range entries {
		w = math.Max(w, textWidth(truncate(e.name, 32)))
	}
	return w + 40
}

// legend draws entries top-down from (x, y).
func (c *canvas) legend(x, y float64, entries []legendEntry) {
	c.raw(`<g class="legend">` + "\n")
	for i, e := range entries {
		ey := y + float64(i)*18
		if e.box {
			c.rect(x, ey-9, 12, 12, `fill="`+e.colour+`"`)
		} else {
			c.line(x, ey-3, x+16, ey-3, `stroke="`+e.colour+`" stroke-width="2"`)
		}
		c.text(x+22, ey+1, truncate(e.name, 32), "")
	}
	c.raw("</g>\n")
}

// valueLabel formats a data value for printing next to a bar or in a cell: integers as
// integers, others with three significant digits, and non-finite values as "n/a".
func valueLabel(v float64) string {
	switch {
	case !finite(v):
		return "n/a"
	case v == 0:
		return "0"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100 && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}
