package script

import (
	"fmt"
	"html"
	"maps"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// A table of text: a header row and rows, drawn as aligned text and as an
// HTML table, as the statistical results read in a paper.
type textTable struct {
	caption string
	head    []string
	rows    [][]string
	// rowHeads: the first column holds row labels (<th> in HTML).
	rowHeads bool
	notes    []string // lines under the table
}

// text draws t with its columns aligned: labels left, numbers right.
func (t *textTable) text() string {
	width := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for j, c := range r {
			width[j] = max(width[j], len([]rune(c)))
		}
	}
	var b strings.Builder
	b.WriteString(t.caption + "\n")
	for _, r := range append([][]string{t.head}, t.rows...) {
		for j, c := range r {
			if j > 0 {
				b.WriteString("  ")
			}
			gap := strings.Repeat(" ", width[j]-len([]rune(c)))
			if j == 0 && t.rowHeads {
				b.WriteString(c + gap)
			} else {
				b.WriteString(gap + c)
			}
		}
		b.WriteString("\n")
	}
	for _, n := range t.notes {
		b.WriteString(n + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// html draws t as an HTML table with a caption, a header row and row
// headers.
func (t *textTable) html() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<table><caption>%s</caption><thead><tr>", html.EscapeString(t.caption))
	for _, h := range t.head {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range t.rows {
		b.WriteString("<tr>")
		for j, c := range r {
			tag := "td"
			if j == 0 && t.rowHeads {
				tag = "th"
			}
			fmt.Fprintf(&b, "<%s>%s</%s>", tag, html.EscapeString(c), tag)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	for _, n := range t.notes {
		fmt.Fprintf(&b, "<p>%s</p>", html.EscapeString(n))
	}
	return b.String()
}

// show puts t's renderings on r.
func (t *textTable) show(r *Rich) *Rich {
	r.MIME["text/plain"], r.MIME["text/html"] = t.text(), t.html()
	return r
}

// suppressedMark shows a cell that a member's disclosure rule held back.
const suppressedMark = "–"

// count shows a count, or the mark of a suppressed cell.
func countText(v any) (string, float64, bool) {
	switch x := v.(type) {
	case int64:
		return fmt.Sprint(x), float64(x), true
	case float64:
		return fmt.Sprint(x), x, true
	}
	return suppressedMark, 0, false
}

// crosstabRich shows a crosstab as a grid with the levels of a as rows and
// of b as columns, and the row, column and grand totals of the cells shown.
func crosstabRich(a, b string, table map[string]any) *Rich {
	rows := slices.Sorted(maps.Keys(table))
	colSet := map[string]bool{}
	for _, r := range rows {
		for c := range asMap(table[r]) {
			colSet[c] = true
		}
	}
	cols := slices.Sorted(maps.Keys(colSet))
	t := &textTable{caption: a + " × " + b, head: append(append([]string{a + " \\ " + b}, cols...), "total"), rowHeads: true}
	colTotal := make([]float64, len(cols))
	var grand float64
	hidden := false
	for _, r := range rows {
		line := []string{r}
		var total float64
		for j, c := range cols {
			s, v, ok := countText(asMap(table[r])[c])
			hidden = hidden || !ok
			line = append(line, s)
			total += v
			colTotal[j] += v
		}
		grand += total
		t.rows = append(t.rows, append(line, fmt.Sprint(total)))
	}
	last := []string{"total"}
	for _, v := range colTotal {
		last = append(last, fmt.Sprint(v))
	}
	t.rows = append(t.rows, append(last, fmt.Sprint(grand)))
	if hidden {
		t.notes = append(t.notes, suppressedMark+": suppressed by a member's disclosure rule; totals are of the cells shown")
	}
	return t.show(newRich(a+" × "+b, table))
}

// frequencyRich shows a frequency table: each category's count and its
// percentage of the counts shown.
func frequencyRich(column string, hist map[string]any) *Rich {
	levels := slices.Sorted(maps.Keys(hist))
	var total float64
	for _, l := range levels {
		_, v, _ := countText(hist[l])
		total += v
	}
	t := &textTable{caption: "frequencies of " + column, head: []string{column, "n", "%"}, rowHeads: true}
	hidden := false
	for _, l := range levels {
		s, v, ok := countText(hist[l])
		pct := suppressedMark
		if ok && total > 0 {
			pct = fmt.Sprintf("%.1f", 100*v/total)
		}
		hidden = hidden || !ok
		t.rows = append(t.rows, []string{l, s, pct})
	}
	t.rows = append(t.rows, []string{"total", fmt.Sprint(total), "100.0"})
	if hidden {
		t.notes = append(t.notes, suppressedMark+": suppressed by a member's disclosure rule; percentages are of the counts shown")
	}
	return t.show(newRich("frequencies of "+column, hist))
}

// olsRich shows a regression as R's summary(lm) does: a row per term with
// its estimate, standard error, t value, p-value and 95% confidence
// interval, then σ, R², adjusted R², the F test and n. The p-values, the
// intervals and F join the result's fields.
func olsRich(y string, terms []string, res map[string]any) *Rich {
	coef, se, tv := asMap(res["coefficients"]), asMap(res["standard_errors"]), asMap(res["t_values"])
	df, _ := res["df"].(float64)
	n, _ := res["samples"].(float64)
	tdist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	q := tdist.Quantile(0.975)
	fields := make(map[string]any, len(res)+4)
	for k, v := range res {
		fields[k] = v
	}
	pvals, cis := map[string]any{}, map[string]any{}
	t := &textTable{caption: "OLS of " + y, head: []string{"", "Estimate", "Std. Error", "t value", "Pr(>|t|)", "2.5 %", "97.5 %"}, rowHeads: true}
	for _, term := range terms {
		b, _ := coef[term].(float64)
		s, _ := se[term].(float64)
		tval, _ := tv[term].(float64)
		p := 2 * tdist.Survival(math.Abs(tval))
		pvals[term], cis[term] = p, []any{b - q*s, b + q*s}
		t.rows = append(t.rows, []string{term, num(b), num(s), fmt.Sprintf("%.3f", tval), pvalue(p), num(b - q*s), num(b + q*s)})
	}
	fields["p_values"], fields["conf_int"] = pvals, cis
	r2, _ := res["r_squared"].(float64)
	adj, _ := res["adj_r_squared"].(float64)
	sigma, _ := res["sigma"].(float64)
	k := float64(len(terms) - 1)
	t.notes = append(t.notes, fmt.Sprintf("Residual standard error: %s on %.0f degrees of freedom", num(sigma), df),
		fmt.Sprintf("Multiple R-squared: %.4f, Adjusted R-squared: %.4f", r2, adj))
	if k > 0 && df > 0 && r2 < 1 {
		f := (r2 / k) / ((1 - r2) / df)
		fp := distuv.F{D1: k, D2: df}.Survival(f)
		fields["f_statistic"], fields["f_p_value"] = f, fp
		t.notes = append(t.notes, fmt.Sprintf("F-statistic: %.4g on %.0f and %.0f DF, p-value: %s", f, k, df, pvalue(fp)))
	}
	t.notes = append(t.notes, fmt.Sprintf("n = %.0f", n))
	return t.show(newRich("OLS of "+y, fields))
}

// num shows an estimate with 4 significant digits, as R's summary does.
func num(v float64) string { return fmt.Sprintf("%.4g", v) }

// pvalue shows a p-value as R does: below 2e-16 as "< 2e-16".
func pvalue(p float64) string {
	if p < 2e-16 {
		return "< 2e-16"
	}
	return fmt.Sprintf("%.3g", p)
}

// summaryOrder is the order in which a summary shows its statistics, as an
// analyst reads them: size and location, spread, shape, the other means.
// Statistics not listed follow in alphabetical order.
var summaryOrder = []string{
	"samples", "mean", "standard_deviation", "variance", "standard_error_of_sample_mean",
	"minimum", "maximum", "sum", "skewness", "kurtosis", "kurtosis_excess",
	"coefficient_of_variation", "geometric_mean", "harmonic_mean", "root_mean_square",
}

// summaryRich shows a summary as a table of statistic and value. A value a
// node does not release (null) shows as the suppressed mark.
func summaryRich(column string, res map[string]any) *Rich {
	names := slices.Clone(summaryOrder)
	for _, k := range slices.Sorted(maps.Keys(res)) {
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	t := &textTable{caption: "summary of " + column, head: []string{"statistic", "value"}, rowHeads: true}
	hidden := false
	for _, k := range names {
		v, ok := res[k]
		if !ok {
			continue
		}
		s := suppressedMark
		switch x := v.(type) {
		case int64:
			s = fmt.Sprint(x)
		case float64:
			s = num(x)
		default:
			hidden = true
		}
		t.rows = append(t.rows, []string{strings.ReplaceAll(k, "_", " "), s})
	}
	if hidden {
		t.notes = append(t.notes, suppressedMark+": not released (see the node's disclosure rules)")
	}
	return t.show(newRich("summary of "+column, res))
}
