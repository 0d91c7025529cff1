package script

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// histogramPlot draws a histogram with gonum/plot: bars between the edges,
// axes with ticks, the column's name and the counts, a title. A bin that a
// member's disclosure rule held back (count nil) is drawn empty and the
// title says how many there are.
func histogramPlot(column string, edges []float64, counts []any) *plot.Plot {
	p := plot.New()
	p.Title.Text = "histogram of " + column
	p.X.Label.Text = column
	p.Y.Label.Text = "count"
	if len(edges) < 2 || len(counts) != len(edges)-1 {
		return p
	}
	bins := make([]plotter.HistogramBin, len(counts))
	hidden := 0
	for i, c := range counts {
		_, v, ok := countText(c)
		if !ok {
			hidden++
		}
		bins[i] = plotter.HistogramBin{Min: edges[i], Max: edges[i+1], Weight: v}
	}
	h := &plotter.Histogram{Bins: bins, Width: edges[len(edges)-1] - edges[0],
		FillColor: color.RGBA{0x4a, 0x7a, 0xb7, 0xff}, LineStyle: plotter.DefaultLineStyle}
	p.Add(h)
	p.X.Min, p.X.Max = edges[0], edges[len(edges)-1]
	p.Y.Min = 0
	if len(edges) <= 21 { // the edges themselves as the ticks
		ticks := make([]plot.Tick, len(edges))
		for i, e := range edges {
			ticks[i] = plot.Tick{Value: e, Label: fmt.Sprintf("%g", e)}
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}
	switch {
	case hidden == 1:
		p.Title.Text += " (1 bin suppressed)"
	case hidden > 1:
		p.Title.Text += fmt.Sprintf(" (%d bins suppressed)", hidden)
	}
	return p
}

// Plot sizes: a notebook's width.
const plotWidth, plotHeight = 6 * vg.Inch, 3.5 * vg.Inch

// plotImages renders a plot as SVG text and as a base64 PNG, as Jupyter
// carries images.
func plotImages(p *plot.Plot) (svg, pngBase64 string, err error) {
	render := func(format string) ([]byte, error) {
		w, err := p.WriterTo(plotWidth, plotHeight, format)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	s, err := render("svg")
	if err != nil {
		return "", "", err
	}
	png, err := render("png")
	if err != nil {
		return "", "", err
	}
	return string(s), base64.StdEncoding.EncodeToString(png), nil
}
