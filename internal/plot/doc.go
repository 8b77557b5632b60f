// Package plot draws the charts of the training workflow's artifacts as standalone SVG 1.1
// documents, with no dependency beyond the standard library: histograms (one series, or
// several side by side, such as expected against actual), horizontal bar charts (class
// balance, feature importances, vote tables), heatmaps (a correlation or confusion matrix)
// and line charts (ROC, precision–recall and calibration curves, time series).
//
// Every function returns a complete document: an XML declaration, an <svg> element with
// width, height and viewBox, a <title>, axes with "nice" tick values (1, 2 or 5 times a power
// of ten), axis labels, and a legend when more than one series is drawn. All text is escaped
// by encoding/xml's rules, so labels may hold any string.
//
// The charts never fail and never panic: bad input is drawn as well as it can be and never
// puts NaN or Inf into a coordinate. Non-finite values are skipped (a line breaks at them, a
// bar or cell shows "n/a"), an empty or all-equal range is widened around its value, and a
// chart with nothing to draw shows its frame and the words "no data". Output is a pure
// function of the input, byte for byte, so charts can be compared with golden files.
//
// Elements that carry data have a class, so tests and style sheets can find them: "bar" for
// histogram and bar-chart rectangles, "cell" for heatmap cells, "series" for line paths,
// "marker" for line markers, "reference" for a diagonal or zero line, and "legend" for the
// legend group.
//
// The package is drawing only: it computes no statistics (see internal/describe and
// internal/evaluate) and does no I/O.
package plot
