package script

import (
	"fmt"
	"html"
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

// newHistogram keeps a histogram's edges and counts, draws it, and shows
// its bins as a table of text.
func newHistogram(column string, res map[string]any) *Rich {
	r := newRich("histogram of "+column, map[string]any{"edges": res["edges"], "counts": res["counts"], "suppressed": res["suppressed"]})
	edges := floats(res["edges"])
	binCounts, _ := r.Fields["counts"].([]any)
	t := &textTable{caption: "histogram of " + column, head: []string{"bin", "count"}, rowHeads: true}
	for i, c := range binCounts {
		if i+1 < len(edges) {
			closing := ")"
			if i == len(binCounts)-1 {
				closing = "]"
			}
			s, _, _ := countText(c)
			t.rows = append(t.rows, []string{fmt.Sprintf("[%g, %g%s", edges[i], edges[i+1], closing), s})
		}
	}
	r.MIME["text/plain"] = t.text()
	delete(r.MIME, "text/html")
	if svg, png, err := plotImages(histogramPlot(column, edges, binCounts)); err == nil {
		r.MIME["image/svg+xml"], r.MIME["image/png"] = svg, png
	}
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
