package script

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// survivalFuncs are the survival methods of a table, part of Funcs:
// Kaplan–Meier curves, the log-rank test and the Cox model (the node's
// KaplanMeier, LogRank and CoxPH).
var survivalFuncs = []*Func{
	{Name: "km", On: OnTable, Doc: "km(time, event, by=None, times=None): Kaplan–Meier curves (of each group of by): survival, Greenwood standard errors, 95% intervals, numbers at risk and of events, median survival with its 95% interval, as R's survfit. The grid is the event times, or times; intervals are merged where a member's disclosure rules need it.",
		Params: []Param{{Name: "time", Kind: String}, {Name: "event", Kind: String}, {Name: "by", Kind: String, Optional: true}, {Name: "times", Kind: Numbers, Optional: true}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			r, err := e.compute(ctx, survivalRequest(self.(*Table), "KaplanMeier", a, str(a, "by")))
			if err != nil {
				return nil, err
			}
			return kmRich(str(a, "time"), str(a, "by"), r), nil
		}},
	{Name: "logrank", On: OnTable, Doc: "logrank(time, event, by): the log-rank test of equal survival in the groups of by: chi-square, degrees of freedom, p-value, as R's survdiff.",
		Params: []Param{{Name: "time", Kind: String}, {Name: "event", Kind: String}, {Name: "by", Kind: String}, {Name: "times", Kind: Numbers, Optional: true}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			r, err := e.compute(ctx, survivalRequest(self.(*Table), "LogRank", a, str(a, "by")))
			if err != nil {
				return nil, err
			}
			return logrankRich(str(a, "by"), r), nil
		}},
	{Name: "coxph", On: OnTable, Doc: "coxph(time, event, [x1, ...]): Cox proportional hazards model with Breslow ties, as R's coxph(ties = \"breslow\"): coefficients, hazard ratios, standard errors, z, p, 95% intervals, the likelihood-ratio test.",
		Params: []Param{{Name: "time", Kind: String}, {Name: "event", Kind: String}, {Name: "covariates", Kind: Strings}, {Name: "times", Kind: Numbers, Optional: true}},
		Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
			xs, _ := a["covariates"].([]string)
			if len(xs) == 0 {
				return nil, InputErrorf("coxph: give at least one covariate")
			}
			r, err := e.compute(ctx, survivalRequest(self.(*Table), "CoxPH", a, xs...))
			if err != nil {
				return nil, err
			}
			return coxRich(str(a, "time"), xs, r), nil
		}},
}

// survivalRequest is the request of a survival microprotocol: columns
// time, event and the rest; parameters.times when given.
func survivalRequest(t *Table, mp string, a Args, rest ...string) client.Request {
	cols := []string{str(a, "time"), str(a, "event")}
	for _, c := range rest {
		if c != "" {
			cols = append(cols, c)
		}
	}
	req := client.Request{Microprotocol: mp, Dataset: &client.Dataset{Table: t.Name, Where: t.Where, Columns: cols}}
	if times := a["times"]; times != nil {
		req.Parameters = map[string]any{"times": times}
	}
	return req
}

// kmGroups returns a KM result's groups in their order.
func kmGroups(r map[string]any) ([]string, map[string]any) {
	groups := asMap(r["groups"])
	var levels []string
	for _, l := range asSlice(r["levels"]) {
		if s, ok := l.(string); ok {
			levels = append(levels, s)
		}
	}
	if len(levels) == 0 {
		for l := range groups {
			levels = append(levels, l)
		}
		slices.Sort(levels)
	}
	return levels, groups
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// numOr shows a number, or NA where R shows NA.
func numOr(v any, format string) string {
	if f, ok := v.(float64); ok && !math.IsNaN(f) {
		return fmt.Sprintf(format, f)
	}
	return "NA"
}

// kmRich shows Kaplan–Meier curves as R's print and summary of survfit
// do: the median with its interval per group, then each group's table
// at the grid points; in a notebook the curves are drawn.
func kmRich(time, by string, r map[string]any) *Rich {
	levels, groups := kmGroups(r)
	title := "Kaplan–Meier of " + time
	if by != "" {
		title += " by " + by
	}
	med := &textTable{caption: title, head: []string{"", "n", "events", "median", "0.95LCL", "0.95UCL"}, rowHeads: true}
	var tables []*textTable
	for _, l := range levels {
		g := asMap(groups[l])
		ci := asSlice(g["median_ci"])
		lo, hi := any(nil), any(nil)
		if len(ci) == 2 {
			lo, hi = ci[0], ci[1]
		}
		name := l
		if by != "" {
			name = by + "=" + l
		}
		med.rows = append(med.rows, []string{name, numOr(g["n"], "%.0f"), numOr(g["events"], "%.0f"), numOr(g["median"], "%.4g"), numOr(lo, "%.4g"), numOr(hi, "%.4g")})
		t := &textTable{caption: name, head: []string{"time", "n.risk", "n.event", "survival", "std.err", "lower 95% CI", "upper 95% CI"}}
		cols := []string{"time", "n_risk", "n_event", "surv", "std_err", "lower", "upper"}
		formats := []string{"%.4g", "%.0f", "%.0f", "%.4f", "%.4f", "%.4f", "%.4f"}
		for j := range asSlice(g["time"]) {
			row := make([]string, len(cols))
			for q, c := range cols {
				if list := asSlice(g[c]); j < len(list) {
					row[q] = numOr(list[j], formats[q])
				}
			}
			t.rows = append(t.rows, row)
		}
		tables = append(tables, t)
	}
	if merged, _ := r["merged"].(bool); merged {
		kept := ""
		if asked, ok := r["grid_points_asked"].(float64); ok {
			kept = fmt.Sprintf("%.0f of %.0f grid points kept: ", r["grid_points"], asked)
		}
		med.notes = append(med.notes, kept+"intervals were merged so that every member's disclosure rules hold; events are counted at the start of their (merged) interval")
	}
	rich := newRich(title, r)
	text, html := med.text(), med.html()
	for _, t := range tables {
		text += "\n\n" + t.text()
		html += t.html()
	}
	rich.MIME["text/plain"], rich.MIME["text/html"] = text, html
	if svg, png, err := plotImages(kmPlot(time, by, levels, groups)); err == nil {
		rich.MIME["image/svg+xml"], rich.MIME["image/png"] = svg, png
	}
	return rich
}

// kmColors tell the groups apart.
var kmColors = []color.RGBA{{0x4a, 0x7a, 0xb7, 0xff}, {0xd9, 0x5f, 0x02, 0xff}, {0x1b, 0x9e, 0x77, 0xff}, {0x75, 0x70, 0xb3, 0xff}, {0xe7, 0x29, 0x8a, 0xff}, {0x66, 0xa6, 0x1e, 0xff}}

// kmPlot draws the survival curves as steps from S = 1, with a + where
// rows were censored in an interval and the numbers at risk under the
// axis at the ticks, a row per group.
func kmPlot(time, by string, levels []string, groups map[string]any) *plot.Plot {
	p := plot.New()
	p.Title.Text = "Kaplan–Meier"
	if by != "" {
		p.Title.Text += " by " + by
	}
	p.X.Label.Text = time
	p.Y.Label.Text = "survival"
	p.Legend.Top, p.Legend.Left = true, false
	rows := float64(len(levels))
	band := 0.08 // the height of a row of the at-risk table
	p.Y.Min, p.Y.Max = -band*(rows+0.5), 1.02
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"}, {Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}})
	tmax := 0.0
	for _, l := range levels {
		for _, t := range floats(asMap(groups[l])["time"]) {
			tmax = math.Max(tmax, t)
		}
	}
	if tmax <= 0 {
		tmax = 1
	}
	p.X.Min, p.X.Max = 0, tmax*1.02
	ticks := plot.DefaultTicks{}.Ticks(0, tmax)
	for gi, l := range levels {
		g := asMap(groups[l])
		ts, ss := floats(g["time"]), floats(g["surv"])
		nr, ne := floats(g["n_risk"]), floats(g["n_event"])
		col := kmColors[gi%len(kmColors)]
		pts := plotter.XYs{{X: 0, Y: 1}}
		prev := 1.0
		var marks plotter.XYs
		for j, t := range ts {
			if j >= len(ss) {
				break
			}
			pts = append(pts, plotter.XY{X: t, Y: prev}, plotter.XY{X: t, Y: ss[j]})
			prev = ss[j]
			next := 0.0
			if j+1 < len(nr) {
				next = nr[j+1]
			}
			if j < len(nr) && j < len(ne) && nr[j]-ne[j]-next > 0 { // censored in the interval
				end := tmax
				if j+1 < len(ts) {
					end = ts[j+1]
				}
				marks = append(marks, plotter.XY{X: (t + end) / 2, Y: ss[j]})
			}
		}
		if len(ts) > 0 {
			pts = append(pts, plotter.XY{X: tmax, Y: prev})
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		line.Color = col
		line.Width = vg.Points(1.5)
		p.Add(line)
		name := l
		if by != "" {
			name = by + "=" + l
		}
		p.Legend.Add(name, line)
		if len(marks) > 0 {
			if sc, err := plotter.NewScatter(marks); err == nil {
				sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: draw.PlusGlyph{}}
				p.Add(sc)
			}
		}
		// The numbers at risk at the major ticks.
		var at plotter.XYs
		var labels []string
		for _, tk := range ticks {
			if tk.Label == "" || tk.Value < 0 || tk.Value > tmax {
				continue
			}
			n := 0.0
			for j, t := range ts {
				if t >= tk.Value && j < len(nr) {
					n = nr[j]
					break
				}
			}
			at = append(at, plotter.XY{X: tk.Value, Y: -band * (float64(gi) + 1)})
			labels = append(labels, fmt.Sprintf("%.0f", n))
		}
		if lb, err := plotter.NewLabels(plotter.XYLabels{XYs: at, Labels: labels}); err == nil {
			for i := range lb.TextStyle {
				lb.TextStyle[i].Color = col
				lb.TextStyle[i].XAlign = draw.XCenter
			}
			p.Add(lb)
		}
	}
	p.Add(plotter.NewGrid())
	return p
}

// logrankRich shows the log-rank test as R's survdiff prints it.
func logrankRich(by string, r map[string]any) *Rich {
	t := &textTable{caption: "log-rank test by " + by, head: []string{"", "N", "Observed", "Expected", "(O-E)^2/E"}, rowHeads: true}
	groups := asMap(r["groups"])
	var levels []string
	for l := range groups {
		levels = append(levels, l)
	}
	slices.Sort(levels)
	for _, l := range levels {
		g := asMap(groups[l])
		o, _ := g["observed"].(float64)
		ex, _ := g["expected"].(float64)
		t.rows = append(t.rows, []string{by + "=" + l, numOr(g["n"], "%.0f"), fmt.Sprintf("%.0f", o), fmt.Sprintf("%.4g", ex), fmt.Sprintf("%.4g", (o-ex)*(o-ex)/ex)})
	}
	chi, _ := r["chisq"].(float64)
	df, _ := r["df"].(float64)
	pv, _ := r["p"].(float64)
	t.notes = append(t.notes, fmt.Sprintf("Chisq= %.4g on %.0f degrees of freedom, p= %s", chi, df, pvalue(pv)))
	return t.show(newRich("log-rank test by "+by, r))
}

// coxRich shows a Cox model as R's summary(coxph) does.
func coxRich(time string, terms []string, r map[string]any) *Rich {
	coef := asMap(r["coefficients"])
	t := &textTable{caption: "Cox model of " + time + " (Breslow ties)", head: []string{"", "coef", "exp(coef)", "se(coef)", "z", "Pr(>|z|)", "lower .95", "upper .95"}, rowHeads: true}
	for _, term := range terms {
		c := asMap(coef[term])
		ci := asSlice(c["ci"])
		lo, hi := any(nil), any(nil)
		if len(ci) == 2 {
			lo, hi = ci[0], ci[1]
		}
		p := "NA" // an aliased covariate, as R shows it
		if pv, ok := c["p"].(float64); ok {
			p = pvalue(pv)
		}
		t.rows = append(t.rows, []string{term, numOr(c["estimate"], "%.4g"), numOr(c["hr"], "%.4g"), numOr(c["se"], "%.4g"), numOr(c["z"], "%.3f"), p, numOr(lo, "%.4g"), numOr(hi, "%.4g")})
	}
	for _, a := range asSlice(r["aliased"]) {
		t.notes = append(t.notes, fmt.Sprintf("Warning: X matrix deemed to be singular; variable %v has no estimate (NA)", a))
	}
	lr := asMap(r["lr_test"])
	chi, _ := lr["chisq"].(float64)
	df, _ := lr["df"].(float64)
	pv, _ := lr["p"].(float64)
	if pv == 0 && chi > 0 {
		pv = distuv.ChiSquared{K: df}.Survival(chi)
	}
	t.notes = append(t.notes,
		fmt.Sprintf("n= %s, number of events= %s", numOr(r["n"], "%.0f"), numOr(r["events"], "%.0f")),
		fmt.Sprintf("Likelihood ratio test= %.4g on %.0f df, p=%s", chi, df, pvalue(pv)),
		fmt.Sprintf("Newton–Raphson iterations: %s", numOr(r["iterations"], "%.0f")))
	return t.show(newRich("Cox model of "+time, r))
}
