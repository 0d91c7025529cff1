package script

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sort"
	"strings"
)

// Rich is a result with a rich display: the fields scripts read, and its
// renderings by MIME type (text/plain always; text/html for tables;
// image/svg+xml for a histogram).
type Rich struct {
	Title  string
	Fields map[string]any
	MIME   map[string]string
}

// String is the text rendering.
func (r *Rich) String() string { return r.MIME["text/plain"] }

func newRich(title string, fields map[string]any) *Rich {
	fields = withCounts(fields)
	r := &Rich{Title: title, Fields: fields}
	r.MIME = map[string]string{"text/plain": title + " " + Repr(fields), "text/html": htmlTable(title, fields)}
	return r
}

// newHistogram keeps a histogram's edges and counts and draws it.
func newHistogram(column string, res map[string]any) *Rich {
	r := newRich("histogram of "+column, map[string]any{"edges": res["edges"], "counts": res["counts"]})
	r.MIME["image/svg+xml"] = histogramSVG(column, floats(res["edges"]), floats(res["counts"]))
	r.MIME["image/png"] = histogramPNG(floats(res["edges"]), floats(res["counts"]))
	delete(r.MIME, "text/html")
	return r
}

func floats(v any) []float64 {
	list, _ := v.([]any)
	out := make([]float64, 0, len(list))
	for _, x := range list {
		switch f := x.(type) {
		case float64:
			out = append(out, f)
		case int64:
			out = append(out, float64(f))
		default:
			out = append(out, 0)
		}
	}
	return out
}

// htmlTable renders fields as a two-column table (a nested map as rows).
func htmlTable(title string, fields map[string]any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<table><caption>%s</caption>", html.EscapeString(title))
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "<tr><th>%s</th><td>%s</td></tr>", html.EscapeString(k), html.EscapeString(Repr(fields[k])))
	}
	b.WriteString("</table>")
	return b.String()
}

// histogramSVG draws bars for counts between edges.
func histogramSVG(column string, edges, counts []float64) string {
	const w, h, pad = 480.0, 240.0, 30.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f">`, w, h)
	if len(edges) < 2 || len(counts) != len(edges)-1 {
		b.WriteString("</svg>")
		return b.String()
	}
	top := 0.0
	for _, c := range counts {
		top = max(top, c)
	}
	lo, hi := edges[0], edges[len(edges)-1]
	x := func(v float64) float64 { return pad + (v-lo)/(hi-lo)*(w-2*pad) }
	for i, c := range counts {
		bh := 0.0
		if top > 0 {
			bh = c / top * (h - 2*pad)
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4a7ab7"><title>[%g, %g): %g</title></rect>`,
			x(edges[i]), h-pad-bh, max(x(edges[i+1])-x(edges[i])-1, 1), bh, edges[i], edges[i+1], c)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" text-anchor="middle">%s</text></svg>`, w/2, h-8, html.EscapeString(column))
	return b.String()
}

// plain returns what a value records as in results.json: a rich result's
// fields, a table's description, anything else as it is.
func plain(v any) any {
	switch x := v.(type) {
	case *Rich:
		return x.Fields
	case *Table:
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	return v
}

// histogramPNG draws the bars as a PNG, base64-encoded as Jupyter carries
// images.
func histogramPNG(edges, counts []float64) string {
	const w, h, pad = 480, 240, 20
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	if len(edges) >= 2 && len(counts) == len(edges)-1 {
		top := 0.0
		for _, c := range counts {
			top = max(top, c)
		}
		lo, hi := edges[0], edges[len(edges)-1]
		x := func(v float64) int { return pad + int((v-lo)/(hi-lo)*float64(w-2*pad)) }
		bar := &image.Uniform{C: color.RGBA{0x4a, 0x7a, 0xb7, 0xff}}
		for i, c := range counts {
			bh := 0
			if top > 0 {
				bh = int(c / top * float64(h-2*pad))
			}
			draw.Draw(img, image.Rect(x(edges[i]), h-pad-bh, max(x(edges[i+1])-1, x(edges[i])+1), h-pad), bar, image.Point{}, draw.Src)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}
