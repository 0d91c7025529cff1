package script

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
)

// TestHistogramPlot renders a histogram (one bin suppressed) to PNG and
// SVG: the PNG decodes at the stated size and is not blank (bars of their
// colour, axes in black), and the SVG carries the title, the axis labels
// and the tick labels of the edges.
func TestHistogramPlot(t *testing.T) {
	edges := []float64{0, 40, 60, 80, 120}
	counts := []any{int64(137), int64(2159), nil, int64(501)}
	svg, b64, err := plotImages(histogramPlot("age", edges, counts))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != int(plotWidth.Dots(96)) || b.Dy() != int(plotHeight.Dots(96)) {
		t.Errorf("PNG of %v, want %.0f × %.0f", b, plotWidth.Dots(96), plotHeight.Dots(96))
	}
	var bar, dark int
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			switch {
			case r>>8 == 0x4a && g>>8 == 0x7a && b>>8 == 0xb7:
				bar++
			case r>>8 < 0x40 && g>>8 < 0x40 && b>>8 < 0x40:
				dark++
			}
		}
	}
	if bar < 1000 || dark < 100 {
		t.Errorf("the PNG looks blank: %d bar pixels, %d dark pixels", bar, dark)
	}
	for _, want := range []string{"histogram of age (1 bin suppressed)", ">age<", ">count<", ">40<", ">120<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
}
