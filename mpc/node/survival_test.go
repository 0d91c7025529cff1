package node_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/internal/roracle"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// survivalData writes three hospitals' patients with survival in whole
// months (many ties), a column arm whose level "z" has no events, and
// returns the folder and the pooled CSV's text.
func survivalData(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	head := "patient_id,age,sex,dose,arm,survival_months,event\n"
	var pooled strings.Builder
	pooled.WriteString(head)
	for h, name := range []string{"a", "b", "c"} {
		r := rand.New(rand.NewPCG(uint64(h+11), 5))
		var b strings.Builder
		b.WriteString(head)
		for i := range 500 + 150*h {
			age := math.Round(35 + 50*r.Float64())
			sex := []string{"F", "M"}[r.IntN(2)]
			dose := math.Round(10*(45+25*r.Float64())) / 10
			arm := []string{"x", "y", "z"}[i%3]
			rate := 0.04 * math.Exp(0.03*(age-60)+0.02*(dose-55)+0.4*float64(sex[0]-'F')/6)
			months := math.Min(math.Ceil(r.ExpFloat64()/rate), 72)
			ev := 0
			if months < 72 && arm != "z" && r.Float64() < 0.8 {
				ev = 1
			}
			line := fmt.Sprintf("%s-%05d,%v,%s,%v,%s,%v,%d\n", strings.ToUpper(name), i, age, sex, dose, arm, months, ev)
			b.WriteString(line)
			pooled.WriteString(line)
		}
		sub := filepath.Join(dir, "hospital-"+name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "patients.csv"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, pooled.String()
}

// startSurvivalFederation starts the example federation's three members
// on the generated data, with min_cell set.
func startSurvivalFederation(t *testing.T, data string, minCell int) *fedrun.Federation {
	t.Helper()
	dir := t.TempDir()
	configs, err := fedrun.CopyExample(exampleDir, data, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range configs {
		b, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c, []byte(setKey(string(b), "min_cell", fmt.Sprint(minCell))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fed, err := fedrun.StartConfigs(nodeBin, configs, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fed.Stop)
	return fed
}

// kmOracle prints R's survfit of d (overall and by each value of by),
// survdiff by by and coxph on age, dose and the factor sex. subset is an R expression
// selecting rows; time is the time column's expression.
func kmOracle(subset, by, time string) string {
	return fmt.Sprintf(`library(survival)
d <- read.csv("pooled.csv")
d <- d[%s, ]
d$tt <- %s
out <- function(name, x) cat(name, sprintf("%%.17g", x), "\n")
km <- function(prefix, fit) {
  s <- summary(fit)
  out(paste0(prefix, "_time"), s$time); out(paste0(prefix, "_nrisk"), s$n.risk)
  out(paste0(prefix, "_nevent"), s$n.event); out(paste0(prefix, "_surv"), s$surv)
  out(paste0(prefix, "_se"), s$std.err); out(paste0(prefix, "_lower"), s$lower)
  out(paste0(prefix, "_upper"), s$upper)
  out(paste0(prefix, "_median"), summary(fit)$table[c("median", "0.95LCL", "0.95UCL")])
}
km("all", survfit(Surv(tt, event) ~ 1, data = d))
for (g in sort(unique(d$%[3]s))) km(paste0("g_", g), survfit(Surv(tt, event) ~ 1, data = d[d$%[3]s == g, ]))
sd <- survdiff(Surv(tt, event) ~ %[3]s, data = d)
df <- sum(sd$exp > 0) - 1
out("logrank", c(sd$chisq, df, pchisq(sd$chisq, df, lower.tail = FALSE)))
if (sum(d$event) > 0) {
fit <- coxph(Surv(tt, event) ~ age + dose + sex, data = d, ties = "breslow")
s <- summary(fit)
out("cox_coef", coef(fit)); out("cox_se", sqrt(diag(vcov(fit))))
out("cox_p", s$coefficients[, "Pr(>|z|)"]); out("cox_lower", s$conf.int[, "lower .95"])
out("cox_upper", s$conf.int[, "upper .95"]); out("cox_loglik", fit$loglik)
out("cox_iter", fit$iter); out("cox_lr", c(s$logtest["test"], s$logtest["pvalue"]))
}
`, subset, time, by)
}

func survNear(got any, want, rel float64) bool {
	if math.IsNaN(want) {
		return got == nil
	}
	g, ok := got.(float64)
	return ok && math.Abs(g-want) <= rel*math.Max(1, math.Abs(want))
}

// checkKM compares a group's curve with R's summary at R's event times.
func checkKM(t *testing.T, name string, g map[string]any, r map[string][]float64, prefix string) {
	t.Helper()
	times := g["time"].([]any)
	at := map[float64]int{}
	for j, x := range times {
		at[x.(float64)] = j
	}
	keys := map[string]string{"nrisk": "n_risk", "nevent": "n_event", "surv": "surv", "se": "std_err", "lower": "lower", "upper": "upper"}
	for i, x := range r[prefix+"_time"] {
		j, ok := at[x]
		if !ok {
			t.Fatalf("%s: R has time %v, the curve has none (%v)", name, x, times)
		}
		for rk, k := range keys {
			if got, want := g[k].([]any)[j], r[prefix+"_"+rk][i]; !survNear(got, want, 1e-8) {
				t.Errorf("%s: %s at %v = %v, R %v", name, k, x, got, want)
			}
		}
	}
	med := r[prefix+"_median"]
	ci := g["median_ci"].([]any)
	for q, got := range []any{g["median"], ci[0], ci[1]} {
		if !survNear(got, med[q], 1e-8) {
			t.Errorf("%s: median [est, lcl, ucl][%d] = %v, R %v", name, q, got, med[q])
		}
	}
}

func checkCox(t *testing.T, name string, res map[string]any, r map[string][]float64) {
	t.Helper()
	coef := res["coefficients"].(map[string]any)
	for a, term := range []string{"age", "dose", "sexM"} { // sex a factor: treatment contrast against F
		c, ok := coef[term].(map[string]any)
		if !ok {
			t.Fatalf("%s: no coefficient %s in %v", name, term, coef)
		}
		ci := c["ci"].([]any)
		for _, v := range []struct {
			key string
			got any
			tol float64
		}{{"cox_coef", c["estimate"], 1e-8}, {"cox_se", c["se"], 1e-8}, {"cox_p", c["p"], 1e-6}, {"cox_lower", ci[0], 1e-8}, {"cox_upper", ci[1], 1e-8}} {
			if !survNear(v.got, r[v.key][a], v.tol) {
				t.Errorf("%s: %s %s = %v, R %v", name, term, v.key, v.got, r[v.key][a])
			}
		}
	}
	ll := res["loglik"].([]any)
	if !survNear(ll[0], r["cox_loglik"][0], 1e-8) || !survNear(ll[1], r["cox_loglik"][1], 1e-8) {
		t.Errorf("%s: loglik %v, R %v", name, ll, r["cox_loglik"])
	}
	if res["iterations"] != r["cox_iter"][0] {
		t.Errorf("%s: %v iterations, R %v", name, res["iterations"], r["cox_iter"])
	}
	lr := res["lr_test"].(map[string]any)
	if !survNear(lr["chisq"], r["cox_lr"][0], 1e-8) || !survNear(lr["p"], r["cox_lr"][1], 1e-6) {
		t.Errorf("%s: LR test %v, R %v", name, lr, r["cox_lr"])
	}
}

func survCompute(c *client.Client, mp string, ds client.Dataset, params map[string]any) (map[string]any, error) {
	res, err := c.Compute(context.Background(), client.Request{Microprotocol: mp, Dataset: &ds, Parameters: params})
	if err != nil {
		return nil, err
	}
	return res.Result, nil
}

// floorGrid is R's expression of the time rounded down to a grid (an
// event before the grid's start moved up to it, a censored time there
// left out of the risk set: below every grid point).
func floorGrid(grid []any) string {
	vals := make([]string, len(grid))
	for i, g := range grid {
		vals[i] = fmt.Sprintf("%.17g", g.(float64))
	}
	v := "c(" + strings.Join(vals, ",") + ")"
	return fmt.Sprintf("{g <- %s; j <- findInterval(d$survival_months, g); ifelse(j == 0, ifelse(d$event == 1, g[1], g[1] - 1), g[pmax(j, 1)])}", v)
}

func TestSurvivalEqualsROnThreeNodes(t *testing.T) {
	roracle.Require(t)
	data, csv := survivalData(t)
	rdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(rdir, "pooled.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, minCell := range []int{1, 5} {
		fed := startSurvivalFederation(t, data, minCell)
		c := client.New(fed.Nodes[0].URL)
		for _, f := range []struct{ where, subset string }{{"", "TRUE"}, {"age >= 50", "d$age >= 50"}} {
			for _, by := range []string{"sex", "arm"} {
				name := fmt.Sprintf("min_cell %d, where %q, by %s", minCell, f.where, by)
				ds := client.Dataset{Table: "patients", Where: f.where, Columns: []string{"survival_months", "event", by}}
				km, err := survCompute(c, "KaplanMeier", ds, nil)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				time := "d$survival_months"
				merged := km["merged"].(bool)
				if minCell == 1 && merged {
					t.Fatalf("%s: intervals merged with min_cell 1", name)
				}
				groups := km["groups"].(map[string]any)
				t.Logf("%s: %v grid points, merged %v", name, km["grid_points"], merged)
				if merged { // R on the times rounded down to the merged grid
					time = floorGrid(groups[km["levels"].([]any)[0].(string)].(map[string]any)["time"].([]any))
				}
				r, err := roracle.RunR(rdir, kmOracle(f.subset, by, time))
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range km["levels"].([]any) {
					checkKM(t, name+" group "+l.(string), groups[l.(string)].(map[string]any), r, "g_"+l.(string))
				}
				lr, err := survCompute(c, "LogRank", ds, nil)
				if err != nil {
					t.Fatalf("%s: log-rank: %v", name, err)
				}
				if w := r["logrank"]; !survNear(lr["chisq"], w[0], 1e-8) || lr["df"] != w[1] || !survNear(lr["p"], w[2], 1e-6) {
					t.Errorf("%s: log-rank %v %v %v, R %v", name, lr["chisq"], lr["df"], lr["p"], w)
				}
				if by != "sex" {
					continue
				}
				all, err := survCompute(c, "KaplanMeier", client.Dataset{Table: "patients", Where: f.where, Columns: []string{"survival_months", "event"}}, nil)
				if err != nil {
					t.Fatalf("%s: overall: %v", name, err)
				}
				if !all["merged"].(bool) && !merged {
					checkKM(t, name+" overall", all["groups"].(map[string]any)["all"].(map[string]any), r, "all")
				}
				cox, err := survCompute(c, "CoxPH", client.Dataset{Table: "patients", Where: f.where, Columns: []string{"survival_months", "event", "age", "dose", "sex"}}, nil)
				if err != nil {
					t.Fatalf("%s: coxph: %v", name, err)
				}
				if !cox["merged"].(bool) && !merged {
					checkCox(t, name, cox, r)
				}
			}
		}
		if minCell == 1 {
			continue
		}
		// All censored: no curve, no median; Cox and log-rank have nothing to fit.
		cens := client.Dataset{Table: "patients", Where: "event == 0", Columns: []string{"survival_months", "event"}}
		km, err := survCompute(c, "KaplanMeier", cens, nil)
		if err != nil {
			t.Fatalf("all censored: %v", err)
		}
		if g := km["groups"].(map[string]any)["all"].(map[string]any); len(g["time"].([]any)) != 0 || g["median"] != nil {
			t.Errorf("all censored: curve %v", g)
		}
		cens.Columns = []string{"survival_months", "event", "age"}
		if _, err := survCompute(c, "CoxPH", cens, nil); err == nil || !strings.Contains(err.Error(), "no events") {
			t.Errorf("all censored: coxph answered %v", err)
		}
		// Refusals: a cohort below min_cell, an identifier as groups.
		var ae *client.Error
		_, err = survCompute(c, "KaplanMeier", client.Dataset{Table: "patients", Where: "age >= 85", Columns: []string{"survival_months", "event"}}, nil)
		if !errors.As(err, &ae) || ae.Status != 403 {
			t.Errorf("a tiny cohort: %v, want a 403 refusal", err)
		}
		_, err = survCompute(c, "LogRank", client.Dataset{Table: "patients", Columns: []string{"survival_months", "event", "patient_id"}}, nil)
		if !errors.As(err, &ae) || ae.Status != 403 || !strings.Contains(err.Error(), "identifier") {
			t.Errorf("curves by patient: %v, want the identifier rule", err)
		}
	}
}
