package script_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/roracle"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
	"github.com/fsc-kernel/fsc-kernel/script/python"
)

// rValues evaluates R expressions over the example federation's pooled
// rows (bound to d) and returns their values, in order; the test is
// skipped when R is not installed (make test installs it).
func rValues(t *testing.T, exprs []string) []float64 {
	t.Helper()
	roracle.Require(t)
	rows, err := roracle.ExampleRows(filepath.Join(exampleDir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(rows)
	b.WriteString("w <- d[(d$response != 'PD') %in% TRUE, ]\n")
	for _, e := range exprs {
		fmt.Fprintf(&b, "cat(sprintf('%%.17g\\n', suppressWarnings(%s)))\n", e)
	}
	out, err := roracle.Output(t.TempDir(), b.String())
	if err != nil {
		t.Fatal(err)
	}
	var vals []float64
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		v, err := strconv.ParseFloat(l, 64)
		if err != nil {
			t.Fatalf("R printed %q", l)
		}
		vals = append(vals, v)
	}
	if len(vals) != len(exprs) {
		t.Fatalf("R printed %d values for %d expressions", len(vals), len(exprs))
	}
	return vals
}

// TestTestsEqualR checks glm, ttest, chisq, mean_ci and prop_ci in both
// languages against R on the pooled rows, through three real nodes.
func TestTestsEqualR(t *testing.T) {
	fed := federation(t)
	env := script.NewEnv(fed.Nodes[0].URL, "", script.Output{})
	py, err := python.New(env)
	if err != nil {
		t.Fatal(err)
	}
	lua := lua.New(env)
	defer lua.Close()
	ctx := context.Background()
	for _, setup := range []struct {
		rt   script.Runtime
		code string
	}{
		{py, "t = fsc.table('patients')\nw = t.where(\"response != 'PD'\")"},
		{lua, "t = fsc.table('patients')\nw = t:where(\"response != 'PD'\")"},
	} {
		if _, err := setup.rt.Execute(ctx, setup.code); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		py, lua, r string
		tol        float64
	}{
		{`t.glm("toxicity", ["age", "sex", "response"], family="binomial")["coefficients"]["sexM"]["estimate"]`,
			`t:glm("toxicity", {"age", "sex", "response"}, {family = "binomial"}).coefficients.sexM.estimate`,
			`coef(glm(toxicity ~ age + sex + response, family = binomial, data = d))[["sexM"]]`, 1e-8},
		{`t.glm("toxicity", ["age", "sex", "response"], family="binomial")["coefficients"]["responsePD"]["p"]`,
			`t:glm("toxicity", {"age", "sex", "response"}, {family = "binomial"}).coefficients.responsePD.p`,
			`coef(summary(glm(toxicity ~ age + sex + response, family = binomial, data = d)))["responsePD", 4]`, 1e-6},
		{`w.glm("survival_months", ["age", "dose"], family="gaussian")["aic"]`,
			`w:glm("survival_months", {"age", "dose"}, {family = "gaussian"}).aic`,
			`AIC(glm(survival_months ~ age + dose, data = w))`, 1e-8},
		{`t.ttest("age", by="sex")["t"]`, `t:ttest("age", {by = "sex"}).t`, `t.test(age ~ sex, data = d)$statistic`, 1e-8},
		{`t.ttest("age", by="sex")["df"]`, `t:ttest("age", {by = "sex"}).df`, `t.test(age ~ sex, data = d)$parameter`, 1e-8},
		{`t.ttest("age", by="sex")["p"]`, `t:ttest("age", {by = "sex"}).p`, `t.test(age ~ sex, data = d)$p.value`, 1e-6},
		{`t.ttest("age", by="sex")["ci"][0]`, `t:ttest("age", {by = "sex"}).ci[1]`, `t.test(age ~ sex, data = d)$conf.int[1]`, 1e-8},
		{`w.ttest("bmi", by="sex", var_equal=True)["p"]`, `w:ttest("bmi", {by = "sex", var_equal = true}).p`,
			`t.test(bmi ~ sex, data = w, var.equal = TRUE)$p.value`, 1e-6},
		{`w.ttest("bmi", by="sex", var_equal=True)["ci"][1]`, `w:ttest("bmi", {by = "sex", var_equal = true}).ci[2]`,
			`t.test(bmi ~ sex, data = w, var.equal = TRUE)$conf.int[2]`, 1e-8},
		{`t.ttest("dose", mu=60)["p"]`, `t:ttest("dose", {mu = 60}).p`, `t.test(d$dose, mu = 60)$p.value`, 1e-6},
		{`t.chisq("sex", "response")["statistic"]`, `t:chisq("sex", "response").statistic`, `chisq.test(table(d$sex, d$response))$statistic`, 1e-8},
		{`t.chisq("sex", "response")["p"]`, `t:chisq("sex", "response").p`, `chisq.test(table(d$sex, d$response))$p.value`, 1e-6},
		{`w.chisq("sex", "event")["statistic"]`, `w:chisq("sex", "event").statistic`, `chisq.test(table(w$sex, w$event))$statistic`, 1e-8},
		{`w.chisq("sex", "event", correct=False)["p"]`, `w:chisq("sex", "event", {correct = false}).p`, `chisq.test(table(w$sex, w$event), correct = FALSE)$p.value`, 1e-6},
		{`t.mean_ci("age")["ci"][0]`, `t:mean_ci("age").ci[1]`, `t.test(d$age)$conf.int[1]`, 1e-8},
		{`w.mean_ci("bmi", level=0.9)["ci"][1]`, `w:mean_ci("bmi", {level = 0.9}).ci[2]`, `t.test(w$bmi, conf.level = 0.9)$conf.int[2]`, 1e-8},
		{`t.prop_ci("toxicity")["ci"][0]`, `t:prop_ci("toxicity").ci[1]`, `prop.test(sum(d$toxicity == 1, na.rm = TRUE), sum(!is.na(d$toxicity)))$conf.int[1]`, 1e-8},
		{`t.prop_ci("response == 'CR'", level=0.99)["ci"][1]`, `t:prop_ci("response == 'CR'", {level = 0.99}).ci[2]`,
			`prop.test(sum(d$response == 'CR', na.rm = TRUE), nrow(d), conf.level = 0.99)$conf.int[2]`, 1e-8},
		{`t.prop_ci("response == 'CR'", correct=False)["p"]`, `t:prop_ci("response == 'CR'", {correct = false}).p`,
			`prop.test(sum(d$response == 'CR', na.rm = TRUE), nrow(d), correct = FALSE)$p.value`, 1e-6},
	}
	var exprs []string
	for _, c := range cases {
		exprs = append(exprs, c.r)
	}
	want := rValues(t, exprs)
	for i, c := range cases {
		for _, run := range []struct {
			rt   script.Runtime
			code string
		}{{py, c.py}, {lua, c.lua}} {
			out, err := run.rt.Execute(ctx, run.code)
			if err != nil {
				t.Errorf("%s: %v", run.code, err)
				continue
			}
			got, err := strconv.ParseFloat(strings.TrimSpace(out["text/plain"]), 64)
			if err != nil {
				t.Errorf("%s shows %q, not a number", run.code, out["text/plain"])
				continue
			}
			if math.Abs(got-want[i]) > c.tol*math.Abs(want[i])+1e-15 {
				t.Errorf("%s = %.12g, R %.12g (%s)", run.code, got, want[i], c.r)
			}
		}
	}
	// The fit shows as R's summary(glm): its layout in text and HTML.
	out, err := py.Execute(ctx, `t.glm("toxicity", ["age", "sex"], family="binomial")`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Estimate", "Std. Error", "z value", "Pr(>|z|)", "sexM", "Null deviance:", "Residual deviance:", "AIC:",
		"Number of Fisher Scoring iterations: 4", "(Dispersion parameter for binomial family taken to be 1)", "Wald"} {
		if !strings.Contains(out["text/plain"], want) || !strings.Contains(out["text/html"], want) && !strings.Contains(out["text/html"], strings.ReplaceAll(want, ">", "&gt;")) {
			t.Errorf("the glm display lacks %q:\n%s", want, out["text/plain"])
		}
	}
	t.Log("\n" + out["text/plain"])
	// A crosstab with suppressed cells (pooled counts of 1 to 4) cannot be
	// tested: the refusal says so as a disclosure error.
	_, err = py.Execute(ctx, `t.where("age >= 88").chisq("response", "event")`)
	var se *script.Error
	if !errors.As(err, &se) || se.Kind != script.DisclosureError || !strings.Contains(se.Msg, "suppressed") {
		t.Errorf("chisq on a crosstab with suppressed cells: %v", err)
	}
}
