package plot

import (
	"fmt"
	"math"
)

// HeatmapOptions are the settings of HeatmapWith; the zero value draws a diverging scale over
// the data's range with unlabelled axes.
type HeatmapOptions struct {
	// RowLabels and ColLabels name the rows (left) and columns (bottom). Missing labels are blank.
	RowLabels, ColLabels []string
	// XLabel and YLabel name the column and row axes, such as "predicted" and "actual".
	XLabel, YLabel string
	// Min and Max are the values at the two ends of the colour scale; values beyond them get
	// the end colours. When Min ≥ Max (or either is not finite) the data's range is used.
	Min, Max float64
	// Sequential colours from white at Min to dark blue at Max, for counts. Otherwise the
	// scale diverges from blue at Min through white at the midpoint to red at Max, for
	// correlations.
	Sequential bool
}

// Heatmap draws the square matrix m with the same labels on rows and columns, such as a
// correlation matrix, on a diverging colour scale from blue at min through white to red at
// max (pass −1 and 1 for correlations). Cells print their value when they are large enough
// (up to about 24 rows); a non-finite cell is grey.
func Heatmap(title string, labels []string, m [][]float64, min, max float64) []byte {
	return HeatmapWith(title, m, HeatmapOptions{RowLabels: labels, ColLabels: labels, Min: min, Max: max})
}

// HeatmapWith draws matrix m, m[i][j] in row i (from the top) and column j, as Heatmap does,
// with the settings in opts. Ragged rows are padded with empty (grey) cells.
func HeatmapWith(title string, m [][]float64, opts HeatmapOptions) []byte {
	lo, hi := colourRange(m, opts)
	l := layoutHeatmap(title, m, opts)
	c := newCanvas(l.width, l.height, title)
	c.cells(l, m, lo, hi, opts.Sequential)
	c.heatLabels(l, opts)
	if l.rows == 0 || l.cols == 0 {
		c.text(l.width/2, l.top+100, "no data", `class="no-data" text-anchor="middle" fill="#888888"`)
	}
	c.colourBar(l.barX, l.top, l.barH, lo, hi, opts.Sequential)
	return c.bytes()
}

// colourRange returns the values at the ends of the colour scale: opts' range when usable,
// otherwise the data's, widened when empty.
func colourRange(m [][]float64, opts HeatmapOptions) (lo, hi float64) {
	if finite(opts.Min) && finite(opts.Max) && opts.Min < opts.Max {
		return opts.Min, opts.Max
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range m {
		for _, v := range r {
			if finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	return span(lo, hi)
}

// heatLayout is where the parts of a heatmap go, in pixels.
type heatLayout struct {
	rows, cols         int
	rowNames, colNames []string
	cell, labelSize    float64
	left, top          float64 // top left corner of the grid
	gridW, gridH       float64
	bottom             float64 // below the grid: column labels and the x label
	angle              string  // rotation of the column labels
	barX, barH         float64 // the colour bar
	width, height      float64
}

// layoutHeatmap sizes the cells to the matrix, about 720 pixels for a large one, and makes
// room for the labels.
func layoutHeatmap(title string, m [][]float64, opts HeatmapOptions) heatLayout {
	l := heatLayout{rows: len(m), top: 44}
	for _, r := range m {
		l.cols = max(l.cols, len(r))
	}
	l.cell = math.Min(80, math.Max(12, 720/float64(max(l.rows, l.cols, 1))))
	l.labelSize = math.Min(fontSize, l.cell*0.75)
	l.rowNames, l.colNames = labelsFor(opts.RowLabels, l.rows, 40), labelsFor(opts.ColLabels, l.cols, 40)
	rowW, colW := 0.0, 0.0
	for _, s := range l.rowNames {
		rowW = math.Max(rowW, textWidth(s)*l.labelSize/fontSize)
	}
	for _, s := range l.colNames {
		colW = math.Max(colW, textWidth(s)*l.labelSize/fontSize)
	}
	l.left = rowW + 16
	if opts.YLabel != "" {
		l.left += 24
	}
	l.gridW, l.gridH = float64(l.cols)*l.cell, float64(l.rows)*l.cell
	// Column labels are rotated by −45°, needing about 0.71 of their length below the grid,
	// or, when cells are too narrow for slanted labels not to overlap, by −90°.
	l.angle, l.bottom = "-45", colW*0.71+24
	if l.cell < 30 {
		l.angle, l.bottom = "-90", colW+24
	}
	if opts.XLabel != "" {
		l.bottom += 24
	}
	l.barX = l.left + l.gridW + 24
	l.barH = math.Min(300, math.Max(120, l.gridH))
	l.width = math.Max(l.barX+80, textWidth(title)*titleSize/fontSize+40)
	l.height = math.Max(l.top+l.gridH+l.bottom, l.top+l.barH+24)
	return l
}

// cells draws the grid of coloured cells, with their values when cells are large enough.
func (c *canvas) cells(l heatLayout, m [][]float64, lo, hi float64, sequential bool) {
	integers := true
	for _, r := range m {
		for _, v := range r {
			integers = integers && (!finite(v) || v == math.Trunc(v))
		}
	}
	valueSize := "10"
	if l.cell >= 48 {
		valueSize = "12"
	}
	c.raw(`<g class="cells">` + "\n")
	for i := range l.rows {
		for j := range l.cols {
			v := math.NaN()
			if j < len(m[i]) {
				v = m[i][j]
			}
			x, y := l.left+float64(j)*l.cell, l.top+float64(i)*l.cell
			fill := heatColour(v, lo, hi, sequential)
			tip := l.rowNames[i] + " × " + l.colNames[j] + ": " + valueLabel(v)
			c.tooltip(x, y, l.cell, l.cell, `class="cell" fill="`+fill+`" stroke="#ffffff"`, tip)
			if l.cell >= 30 {
				c.text(x+l.cell/2, y+l.cell/2+4, cellLabel(v, integers),
					`text-anchor="middle" font-size="`+valueSize+`" fill="`+inkOn(fill)+`"`)
			}
		}
	}
	c.raw("</g>\n")
}

// heatLabels draws the row and column labels and the axis labels.
func (c *canvas) heatLabels(l heatLayout, opts HeatmapOptions) {
	ls := `font-size="` + num(l.labelSize) + `"`
	for i, s := range l.rowNames {
		c.text(l.left-6, l.top+(float64(i)+0.5)*l.cell+l.labelSize/3, s, `text-anchor="end" `+ls)
	}
	for j, s := range l.colNames {
		x, y := l.left+(float64(j)+0.5)*l.cell+l.labelSize/3, l.top+l.gridH+8
		c.text(x, y, s, `text-anchor="end" `+ls+` transform="rotate(`+l.angle+" "+num(x)+" "+num(y)+`)"`)
	}
	if opts.XLabel != "" {
		c.text(l.left+l.gridW/2, l.top+l.gridH+l.bottom-12, opts.XLabel, `class="axis-label" text-anchor="middle"`)
	}
	if opts.YLabel != "" {
		x, y := 16.0, l.top+l.gridH/2
		c.text(x, y, opts.YLabel, `class="axis-label" text-anchor="middle" transform="rotate(-90 `+num(x)+" "+num(y)+`)"`)
	}
}

// colourBar draws a vertical colour scale of height h at (x, y) with ticks from lo to hi.
func (c *canvas) colourBar(x, y, h, lo, hi float64, sequential bool) {
	c.raw(`<defs><linearGradient id="scale" x1="0" y1="1" x2="0" y2="0">`)
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		c.raw(`<stop offset="` + num(t) + `" stop-color="` + heatColour(lo+t*(hi-lo), lo, hi, sequential) + `"/>`)
	}
	c.raw("</linearGradient></defs>\n")
	c.raw(`<g class="colour-scale">` + "\n")
	c.rect(x, y, 14, h, `fill="url(#scale)" stroke="`+axisColour+`"`)
	a := niceAxis(lo, hi, 5, false)
	for _, t := range a.ticks {
		ty := y + h - (t-lo)/(hi-lo)*h
		c.line(x+14, ty, x+18, ty, `stroke="`+axisColour+`"`)
		c.text(x+21, ty+4, a.label(t), `font-size="10"`)
	}
	c.raw("</g>\n")
}

// heatColour maps v on [lo, hi] to a colour, clamping beyond the ends; non-finite is grey.
func heatColour(v, lo, hi float64, sequential bool) string {
	if !finite(v) {
		return "#bbbbbb"
	}
	t := math.Min(1, math.Max(0, (v-lo)/(hi-lo)))
	if !finite(t) {
		t = 0.5
	}
	white := [3]float64{255, 255, 255}
	if sequential {
		return mix(white, [3]float64{8, 48, 107}, t)
	}
	if t < 0.5 {
		return mix([3]float64{59, 76, 192}, white, t*2)
	}
	return mix(white, [3]float64{180, 4, 38}, (t-0.5)*2)
}

// mix interpolates linearly from colour a (t = 0) to b (t = 1).
func mix(a, b [3]float64, t float64) string {
	var rgb [3]int
	for i := range rgb {
		rgb[i] = int(math.Round(a[i] + (b[i]-a[i])*t))
	}
	return fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2])
}

// inkOn returns black or white, whichever reads better on the background colour bg.
func inkOn(bg string) string {
	var r, g, b int
	if _, err := fmt.Sscanf(bg, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return "#000000"
	}
	if 0.299*float64(r)+0.587*float64(g)+0.114*float64(b) < 140 {
		return "#ffffff"
	}
	return "#000000"
}

// cellLabel prints a cell value: whole when every value of the matrix is an integer (counts),
// otherwise with two decimals.
func cellLabel(v float64, integers bool) string {
	if finite(v) && !integers && math.Abs(v) < 1000 {
		s := fmt.Sprintf("%.2f", v)
		if s == "-0.00" {
			s = "0.00"
		}
		return s
	}
	return valueLabel(v)
}

// labelsFor returns n labels from given, blank where missing, truncated to width runes.
func labelsFor(given []string, n, width int) []string {
	out := make([]string, n)
	for i := range out {
		if i < len(given) {
			out[i] = truncate(given[i], width)
		}
	}
	return out
}
