package script

import (
	"context"
	"fmt"
	"strings"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// glmFunc is t.glm(y, [x...], family=): a generalized linear model fitted
// by the nodes (the GLM microprotocol), shown as R's summary(glm).
var glmFunc = &Func{Name: "glm", On: OnTable,
	Doc: "glm(y, [x1, ...], family=\"binomial\"|\"poisson\"|\"gaussian\"): a generalized linear model with the canonical link, as R's glm: " +
		"coefficients, standard errors, z (t for gaussian), p, 95% Wald intervals (as confint.default), deviance, null deviance, AIC, iterations. " +
		"Categorical covariates enter as factors with treatment contrasts against their first level (terms named as R names them, e.g. sexM).",
	Params: []Param{{Name: "y", Kind: String}, {Name: "x", Kind: Strings, Optional: true}, {Name: "family", Kind: String, Optional: true}},
	Call: func(ctx context.Context, e *Env, self any, a Args) (any, error) {
		t := self.(*Table)
		xs, _ := a["x"].([]string)
		family := str(a, "family")
		if family == "" {
			family = "gaussian"
		}
		ds := t.dataset(append([]string{str(a, "y")}, xs...)...)
		if len(xs) == 0 {
			ds = &client.Dataset{Table: t.Name, Where: t.Where, Columns: []string{str(a, "y")}}
		}
		r, err := e.compute(ctx, client.Request{Microprotocol: "GLM", Dataset: ds, Parameters: map[string]any{"family": family}})
		if err != nil {
			return nil, err
		}
		rich := glmRich(str(a, "y"), xs, r)
		for _, w := range strings.Split(warningsOf(r), "\n") {
			if w != "" && e.Out.Stderr != nil {
				e.Out.Stderr("Warning message:\n" + w + "\n")
			}
		}
		return rich, nil
	}}

func warningsOf(r map[string]any) string {
	list, _ := r["warnings"].([]any)
	var out []string
	for _, w := range list {
		if s, ok := w.(string); ok {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

// glmRich shows a GLM as R's summary(glm) does: the call, a row per term
// (estimate, standard error, z or t value, p-value) with its 95% Wald
// interval, NA in every column of an aliased term with R's count of the
// terms "not defined because of singularities", the dispersion, the deviances with their degrees of freedom,
// the AIC, the number of Fisher scoring iterations and R's warnings.
func glmRich(y string, xs []string, res map[string]any) *Rich {
	family, _ := res["family"].(string)
	stat, pcol := "z value", "Pr(>|z|)"
	if family == "gaussian" {
		stat, pcol = "t value", "Pr(>|t|)"
	}
	rhs := strings.Join(xs, " + ")
	if rhs == "" {
		rhs = "1"
	}
	title := fmt.Sprintf("glm(%s ~ %s, family = %s)", y, rhs, family)
	t := &textTable{caption: title, head: []string{"", "Estimate", "Std. Error", stat, pcol, "2.5 %", "97.5 %"}, rowHeads: true}
	coef := asMap(res["coefficients"])
	terms, _ := res["terms"].([]any)
	for _, term := range terms {
		name, _ := term.(string)
		c := asMap(coef[name])
		ci, _ := c["ci"].([]any)
		lo, hi := any(nil), any(nil)
		if len(ci) == 2 {
			lo, hi = ci[0], ci[1]
		}
		p := "NA" // an aliased term, as R shows it
		if pv, ok := c["p"].(float64); ok {
			p = pvalue(pv)
		}
		t.rows = append(t.rows, []string{name, numOr(c["estimate"], "%.4g"), numOr(c["se"], "%.4g"), numOr(c["z"], "%.3f"), p, numOr(lo, "%.4g"), numOr(hi, "%.4g")})
	}
	if aliased := asSlice(res["aliased"]); len(aliased) > 0 {
		t.notes = append(t.notes, fmt.Sprintf("Coefficients: (%d not defined because of singularities)", len(aliased)))
	}
	fl := func(k string) float64 { x, _ := res[k].(float64); return x }
	disp := "taken to be 1"
	if family == "gaussian" {
		disp = "taken to be " + num(fl("dispersion"))
	}
	aic := "AIC: " + num(fl("aic"))
	if res["aic"] == nil {
		aic = "AIC: Inf"
	}
	t.notes = append(t.notes,
		fmt.Sprintf("(Dispersion parameter for %s family %s)", family, disp),
		fmt.Sprintf("Null deviance: %s on %.0f degrees of freedom", num(fl("null_deviance")), fl("df_null")),
		fmt.Sprintf("Residual deviance: %s on %.0f degrees of freedom", num(fl("deviance")), fl("df_residual")),
		aic,
		fmt.Sprintf("Number of Fisher Scoring iterations: %.0f", fl("iterations")),
		"95% intervals: Wald (estimate ± 1.96·SE, as R's confint.default)")
	for _, w := range strings.Split(warningsOf(res), "\n") {
		if w != "" {
			t.notes = append(t.notes, "Warning: "+w)
		}
	}
	return t.show(newRich(title, res))
}
