package script

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// The everyday tests and intervals are composed from aggregates the nodes
// already release, each under their rules and counted in their release
// memory: a group's n, mean and variance (Moments), a crosstab's cells
// (StatisticsContingency), a count (Count), a column's levels
// (StatisticsFrequency). The test statistics are computed here, as R's
// t.test, chisq.test and prop.test compute them.

// confLevel reads the confidence level argument (default 0.95).
func confLevel(a Args) (float64, error) {
	l, ok := a["level"].(float64)
	if !ok {
		return 0.95, nil
	}
	if !(l > 0 && l < 1) {
		return 0, InputErrorf("level: %v is not between 0 and 1", l)
	}
	return l, nil
}

// boolArg reads a boolean argument with its default.
func boolArg(a Args, name string, def bool) (bool, error) {
	switch v := a[name].(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	}
	return false, InputErrorf("%s: expected true or false", name)
}

// groupMoments is n, mean and sample variance of a column in t's rows.
func groupMoments(ctx context.Context, e *Env, t *Table, column string) (n, mean, variance float64, err error) {
	r, err := e.compute(ctx, client.Request{Microprotocol: "Moments", Dataset: t.dataset(column)})
	if err != nil {
		return 0, 0, 0, err
	}
	n, _ = r["samples"].(float64)
	mean, _ = r["mean"].(float64)
	variance, _ = r["variance"].(float64)
	if n < 2 {
		return 0, 0, 0, InputErrorf("%s has %v values in the rows chosen; a t interval needs at least 2", column, n)
	}
	return n, mean, variance, nil
}

// filterLiteral writes a level as a filter's string literal.
func filterLiteral(level string) (string, error) {
	if strings.ContainsAny(level, "'\\") {
		return "", InputErrorf("level %q has a quote; it cannot be written in a filter", level)
	}
	return "'" + level + "'", nil
}

// levelsOf lists the levels of a categorical column in t's rows, sorted
// as R's factor() sorts them (C locale).
func levelsOf(ctx context.Context, e *Env, t *Table, column string) ([]string, error) {
	r, err := e.compute(ctx, client.Request{Microprotocol: "StatisticsFrequency", Dataset: t.dataset(column)})
	if err != nil {
		return nil, err
	}
	var out []string
	for l := range asMap(r["histogram"]) {
		out = append(out, l)
	}
	slices.Sort(out)
	return out, nil
}

// whereLevel narrows t to the rows where column == level.
func whereLevel(t *Table, column, level string) (*Table, error) {
	q, err := filterLiteral(level)
	if err != nil {
		return nil, err
	}
	f := column + " == " + q
	if t.Where != "" {
		f = "(" + t.Where + ") and (" + f + ")"
	}
	return &Table{Name: t.Name, Where: f}, nil
}

// ttestFunc is R's t.test: two groups of by (Welch, or pooled with
// var_equal), or one sample against mu.
var ttestFunc = &Func{Name: "ttest", On: OnTable,
	Doc: "ttest(column, by=None, var_equal=False, mu=0, level=0.95): Student's t-test as R's t.test: with by, of the difference of the means " +
		"of its two groups (Welch's unless var_equal), else of the mean against mu; t, df, p, the confidence interval and the estimates.",
	Params: []Param{{Name: "column", Kind: String}, {Name: "by", Kind: String, Optional: true}, {Name: "var_equal", Kind: Any, Optional: true},
		{Name: "mu", Kind: Number, Optional: true}, {Name: "level", Kind: Number, Optional: true}},
	Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
		t := self.(*Table)
		column, by := str(a, "column"), str(a, "by")
		conf, err := confLevel(a)
		if err != nil {
			return nil, err
		}
		pooled, err := boolArg(a, "var_equal", false)
		if err != nil {
			return nil, err
		}
		mu, _ := a["mu"].(float64)
		if by == "" {
			n, m, v, err := groupMoments(ctx, e, t, column)
			if err != nil {
				return nil, err
			}
			res := tTest("One Sample t-test", m-mu, math.Sqrt(v/n), n-1, conf, mu)
			res["estimate"] = []any{m}
			res["n"] = []any{n}
			return tTestRich(column, "", nil, res), nil
		}
		levels, err := levelsOf(ctx, e, t, by)
		if err != nil {
			return nil, err
		}
		if len(levels) != 2 {
			return nil, InputErrorf("ttest: %s has %d levels in the rows chosen (%s); the two-sample test needs exactly 2 (filter with where)", by, len(levels), strings.Join(levels, ", "))
		}
		var n, m, v [2]float64
		for g, l := range levels {
			sub, err := whereLevel(t, by, l)
			if err != nil {
				return nil, err
			}
			if n[g], m[g], v[g], err = groupMoments(ctx, e, sub, column); err != nil {
				return nil, err
			}
		}
		var se, df float64
		method := "Welch Two Sample t-test"
		if pooled {
			method = " Two Sample t-test"
			df = n[0] + n[1] - 2
			s2 := ((n[0]-1)*v[0] + (n[1]-1)*v[1]) / df
			se = math.Sqrt(s2 * (1/n[0] + 1/n[1]))
		} else {
			a0, a1 := v[0]/n[0], v[1]/n[1]
			se = math.Sqrt(a0 + a1)
			df = (a0 + a1) * (a0 + a1) / (a0*a0/(n[0]-1) + a1*a1/(n[1]-1))
		}
		res := tTest(strings.TrimSpace(method), m[0]-m[1]-mu, se, df, conf, mu)
		res["estimate"] = []any{m[0], m[1]}
		res["n"] = []any{n[0], n[1]}
		res["groups"] = []any{levels[0], levels[1]}
		return tTestRich(column, by, levels, res), nil
	}}

// tTest is the t statistic of d = estimate - mu with standard error se
// and df degrees of freedom: t, df, the two-sided p and the interval of
// estimate at conf.
func tTest(method string, d, se, df, conf, mu float64) map[string]any {
	td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	tv := d / se
	q := td.Quantile((1 + conf) / 2)
	est := d + mu
	return map[string]any{"method": method, "t": tv, "df": df, "p": 2 * td.CDF(-math.Abs(tv)),
		"ci": []any{est - q*se, est + q*se}, "level": conf, "mu": mu, "se": se}
}

// tTestRich shows a t-test as R prints one.
func tTestRich(column, by string, levels []string, res map[string]any) *Rich {
	method, _ := res["method"].(string)
	data := column
	if by != "" {
		data += " by " + by
	}
	f := func(k string) float64 { x, _ := res[k].(float64); return x }
	ci, _ := res["ci"].([]any)
	est, _ := res["estimate"].([]any)
	t := &textTable{caption: method + " (data: " + data + ")", head: []string{"", "value"}, rowHeads: true}
	t.rows = append(t.rows, []string{"t", fmt.Sprintf("%.4g", f("t"))}, []string{"df", fmt.Sprintf("%.5g", f("df"))}, []string{"p-value", pvalue(f("p"))})
	what := "true mean"
	if by != "" {
		what = fmt.Sprintf("true difference in means between group %s and group %s", levels[0], levels[1])
	}
	if len(ci) == 2 {
		t.rows = append(t.rows, []string{fmt.Sprintf("%g percent confidence interval", 100*f("level")), fmt.Sprintf("%.7g  %.7g", ci[0], ci[1])})
	}
	for i, e := range est {
		name := "mean of " + column
		if by != "" {
			name = "mean in group " + levels[i]
		}
		t.rows = append(t.rows, []string{name, fmt.Sprintf("%.7g", e)})
	}
	t.notes = append(t.notes, fmt.Sprintf("alternative hypothesis: %s is not equal to %g", what, f("mu")))
	return t.show(newRich(method, res))
}

// chisqFunc is R's chisq.test of independence on a crosstab.
var chisqFunc = &Func{Name: "chisq", On: OnTable,
	Doc: "chisq(a, b, correct=True): Pearson's chi-squared test of independence of two categorical columns, as R's chisq.test " +
		"(with Yates' continuity correction on a 2x2 table unless correct=False): statistic, df, p, and expected_warning when an expected count is below 5.",
	Params: []Param{{Name: "a", Kind: String}, {Name: "b", Kind: String}, {Name: "correct", Kind: Any, Optional: true}},
	Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
		t := self.(*Table)
		correct, err := boolArg(a, "correct", true)
		if err != nil {
			return nil, err
		}
		r, err := e.compute(ctx, client.Request{Microprotocol: "StatisticsContingency", Dataset: t.dataset(str(a, "a"), str(a, "b"))})
		if err != nil {
			return nil, err
		}
		grid, rows, cols, err := crosstabGrid(asMap(r["table"]))
		if err != nil {
			return nil, err
		}
		res, err := chiSquared(grid, correct)
		if err != nil {
			return nil, err
		}
		res["rows"], res["columns"] = rows, cols
		return chisqRich(str(a, "a"), str(a, "b"), res), nil
	}}

// crosstabGrid lays a crosstab's cells out as a grid; a suppressed cell
// makes the test impossible.
func crosstabGrid(table map[string]any) ([][]float64, []any, []any, error) {
	rows := slices.Sorted(func(yield func(string) bool) {
		for k := range table {
			if !yield(k) {
				return
			}
		}
	})
	colSet := map[string]bool{}
	for _, r := range rows {
		for c := range asMap(table[r]) {
			colSet[c] = true
		}
	}
	var cols []string
	for c := range colSet {
		cols = append(cols, c)
	}
	slices.Sort(cols)
	grid := make([][]float64, len(rows))
	for i, r := range rows {
		grid[i] = make([]float64, len(cols))
		cells := asMap(table[r])
		for j, c := range cols {
			v, present := cells[c]
			if !present {
				continue // no row holds the pair
			}
			f, ok := v.(float64)
			if !ok {
				return nil, nil, nil, &Error{Kind: DisclosureError, Msg: "chisq: a member's disclosure rule suppressed cells of the crosstab (" + r + " / " + c + "); merge categories or widen the filter"}
			}
			grid[i][j] = f
		}
	}
	anyOf := func(s []string) []any {
		out := make([]any, len(s))
		for i, x := range s {
			out[i] = x
		}
		return out
	}
	return grid, anyOf(rows), anyOf(cols), nil
}

// chiSquared is R's chisq.test on a table of counts.
func chiSquared(x [][]float64, correct bool) (map[string]any, error) {
	r := len(x)
	if r < 2 || len(x[0]) < 2 {
		return nil, InputErrorf("chisq: the crosstab is %dx%d; the test needs at least 2 levels of each column", r, len(x[0]))
	}
	c := len(x[0])
	rs, cs := make([]float64, r), make([]float64, c)
	var n float64
	for i := range r {
		for j := range c {
			rs[i] += x[i][j]
			cs[j] += x[i][j]
			n += x[i][j]
		}
	}
	E := make([][]float64, r)
	warn := false
	yates := 0.0
	if correct && r == 2 && c == 2 {
		yates = 0.5
	}
	for i := range r {
		E[i] = make([]float64, c)
		for j := range c {
			E[i][j] = rs[i] * cs[j] / n
			warn = warn || E[i][j] < 5
			if yates > 0 {
				yates = math.Min(yates, math.Abs(x[i][j]-E[i][j]))
			}
		}
	}
	var stat float64
	for i := range r {
		for j := range c {
			d := math.Abs(x[i][j]-E[i][j]) - yates
			stat += d * d / E[i][j]
		}
	}
	df := float64((r - 1) * (c - 1))
	method := "Pearson's Chi-squared test"
	if yates > 0 {
		method += " with Yates' continuity correction"
	}
	res := map[string]any{"statistic": stat, "df": df, "p": distuv.ChiSquared{K: df}.Survival(stat),
		"expected_warning": warn, "method": method, "n": n}
	if warn {
		res["warning"] = "Chi-squared approximation may be incorrect"
	}
	return res, nil
}

func chisqRich(a, b string, res map[string]any) *Rich {
	method, _ := res["method"].(string)
	f := func(k string) float64 { x, _ := res[k].(float64); return x }
	t := &textTable{caption: method + " (data: " + a + " × " + b + ")", head: []string{"", "value"}, rowHeads: true}
	t.rows = append(t.rows, []string{"X-squared", fmt.Sprintf("%.5g", f("statistic"))}, []string{"df", fmt.Sprintf("%.0f", f("df"))}, []string{"p-value", pvalue(f("p"))})
	if w, ok := res["warning"].(string); ok {
		t.notes = append(t.notes, "Warning: "+w)
	}
	return t.show(newRich(method, res))
}

// meanCIFunc is the t interval of a mean (R's t.test(x)$conf.int).
var meanCIFunc = &Func{Name: "mean_ci", On: OnTable,
	Doc:    "mean_ci(column, level=0.95): the mean of a numeric column with its t-based confidence interval (as R's t.test(x)$conf.int).",
	Params: []Param{{Name: "column", Kind: String}, {Name: "level", Kind: Number, Optional: true}},
	Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
		conf, err := confLevel(a)
		if err != nil {
			return nil, err
		}
		n, m, v, err := groupMoments(ctx, e, self.(*Table), str(a, "column"))
		if err != nil {
			return nil, err
		}
		se := math.Sqrt(v / n)
		q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile((1 + conf) / 2)
		res := map[string]any{"estimate": m, "ci": []any{m - q*se, m + q*se}, "n": n, "se": se, "level": conf}
		t := &textTable{caption: "mean of " + str(a, "column"), head: []string{"n", "mean", fmt.Sprintf("%g%% CI", 100*conf)}}
		t.rows = [][]string{{fmt.Sprintf("%.0f", n), fmt.Sprintf("%.7g", m), fmt.Sprintf("%.7g – %.7g", m-q*se, m+q*se)}}
		t.notes = []string{"t interval, as R's t.test"}
		return t.show(newRich("mean of "+str(a, "column"), res)), nil
	}}

var bareColumn = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_.]*\s*$`)

// propCIFunc is the proportion of rows meeting a condition with its
// Wilson interval (R's prop.test).
var propCIFunc = &Func{Name: "prop_ci", On: OnTable,
	Doc: "prop_ci(condition, level=0.95, correct=True): the proportion of rows meeting a filter condition (e.g. \"response == 'CR'\"), or of 1s in a 0/1 column, " +
		"with the Wilson score interval with continuity correction and the test of p = 0.5, as R's prop.test(x, n).",
	Params: []Param{{Name: "condition", Kind: String}, {Name: "level", Kind: Number, Optional: true}, {Name: "correct", Kind: Any, Optional: true}},
	Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
		t := self.(*Table)
		conf, err := confLevel(a)
		if err != nil {
			return nil, err
		}
		correct, err := boolArg(a, "correct", true)
		if err != nil {
			return nil, err
		}
		cond := strings.TrimSpace(str(a, "condition"))
		total := t.dataset()
		if bareColumn.MatchString(cond) { // a 0/1 column: its 1s among its values
			total.Column = cond
			cond += " == 1"
		}
		rn, err := e.compute(ctx, client.Request{Microprotocol: "Count", Dataset: total})
		if err != nil {
			return nil, err
		}
		hit := &client.Dataset{Table: t.Name, Column: total.Column, Where: cond}
		if t.Where != "" {
			hit.Where = "(" + t.Where + ") and (" + cond + ")"
		}
		rx, err := e.compute(ctx, client.Request{Microprotocol: "Count", Dataset: hit})
		if err != nil {
			return nil, err
		}
		x, _ := rx["count"].(float64)
		n, _ := rn["count"].(float64)
		if n == 0 {
			return nil, InputErrorf("prop_ci: no rows")
		}
		res := propTest(x, n, conf, correct)
		tt := &textTable{caption: "proportion of " + str(a, "condition"), head: []string{"x", "n", "p", fmt.Sprintf("%g%% CI", 100*conf)}}
		ci := res["ci"].([]any)
		tt.rows = [][]string{{fmt.Sprintf("%.0f", x), fmt.Sprintf("%.0f", n), fmt.Sprintf("%.7g", x/n), fmt.Sprintf("%.7g – %.7g", ci[0], ci[1])}}
		tt.notes = []string{"Wilson score interval" + map[bool]string{true: " with continuity correction", false: ""}[correct] + ", as R's prop.test",
			fmt.Sprintf("test of p = 0.5: X-squared = %.5g, df = 1, p-value = %s", res["statistic"], pvalue(res["p"].(float64)))}
		return tt.show(newRich("proportion of "+str(a, "condition"), res)), nil
	}}

// propTest is R's prop.test(x, n, p = 0.5, conf.level, correct).
func propTest(x, n, conf float64, correct bool) map[string]any {
	const p = 0.5
	yates := 0.0
	if correct {
		yates = 0.5
	}
	yates = math.Min(yates, math.Abs(x-n*p))
	est := x / n
	z := distuv.UnitNormal.Quantile((1 + conf) / 2)
	z22n := z * z / (2 * n)
	pc := est + yates/n
	pu := 1.0
	if pc < 1 {
		pu = (pc + z22n + z*math.Sqrt(pc*(1-pc)/n+z22n/(2*n))) / (1 + 2*z22n)
	}
	pc = est - yates/n
	pl := 0.0
	if pc > 0 {
		pl = (pc + z22n - z*math.Sqrt(pc*(1-pc)/n+z22n/(2*n))) / (1 + 2*z22n)
	}
	d := math.Abs(x-n*p) - yates
	stat := d * d / (n * p * (1 - p))
	return map[string]any{"estimate": est, "x": x, "n": n, "ci": []any{math.Max(pl, 0), math.Min(pu, 1)},
		"statistic": stat, "p": distuv.ChiSquared{K: 1}.Survival(stat), "level": conf}
}
