package describe

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/netopsfn/netops/internal/plot"
)

// Plots draws d as SVG documents keyed by file name: "histograms/<feature>.svg" for every
// feature, "correlation.svg" (the correlation heatmap on a −1 … 1 scale) and, for labelled
// data, "class_balance.svg". In file names a feature's characters other than ASCII letters,
// digits, '.', '_' and '-' become '_', and a name that would repeat an earlier one gets
// "-<index>" appended.
func Plots(d Description) map[string][]byte {
	out := make(map[string][]byte, len(d.Features)+2)
	names := make([]string, len(d.Features))
	for j, f := range d.Features {
		names[j] = f.Name
		var edges, counts []float64
		if f.Histogram != nil {
			edges = f.Histogram.Edges
			for _, c := range f.Histogram.Counts {
				counts = append(counts, float64(c))
			}
		}
		title := fmt.Sprintf("%s (count %d, missing %d)", f.Name, f.Count, f.Missing)
		key := "histograms/" + fileName(f.Name) + ".svg"
		if _, taken := out[key]; taken {
			key = "histograms/" + fileName(f.Name) + "-" + strconv.Itoa(j) + ".svg"
		}
		out[key] = plot.Histogram(title, f.Name, edges, counts)
	}
	out["correlation.svg"] = plot.Heatmap("Correlation (Pearson)", names, d.Correlation, -1, 1)
	if c := d.Classes; c != nil {
		out["class_balance.svg"] = plot.Bars(
			fmt.Sprintf("Class balance (%.1f%% positive)", 100*c.PositiveRate),
			[]string{"negative", "positive"}, []float64{float64(c.Negative), float64(c.Positive)})
	}
	return out
}

// fileName keeps the characters of name that are safe in any file system and object key.
func fileName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, name)
}
