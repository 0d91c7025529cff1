package python_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
)

// TestSurvivalInBothLanguages calls km, logrank and coxph from Python and
// Lua against three real nodes and checks them against the node's own
// answers to the same requests (the nodes' answers are checked against R
// in mpc/node), and that a notebook gets the curve drawn and the tables.
func TestSurvivalInBothLanguages(t *testing.T) {
	fed := example.Start(t)
	c := client.New(fed.Nodes[0].URL)
	ask := func(mp string, cols []string, where string, params map[string]any) map[string]any {
		t.Helper()
		r, err := c.Compute(context.Background(), client.Request{Microprotocol: mp, Dataset: &client.Dataset{Table: "patients", Where: where, Columns: cols}, Parameters: params})
		if err != nil {
			t.Fatalf("%s: %v", mp, err)
		}
		return r.Result
	}
	group := func(r map[string]any, g string) map[string]any {
		return r["groups"].(map[string]any)[g].(map[string]any)
	}
	km := ask("KaplanMeier", []string{"survival_months", "event", "sex"}, "", nil)
	coarse := ask("KaplanMeier", []string{"survival_months", "event"}, "age >= 50", map[string]any{"times": []float64{0, 12, 24, 36, 48}})
	lr := ask("LogRank", []string{"survival_months", "event", "sex"}, "", nil)
	cox := ask("CoxPH", []string{"survival_months", "event", "age", "dose"}, "", nil)
	hr := cox["coefficients"].(map[string]any)["age"].(map[string]any)["hr"].(float64)

	s := newPySession(t, fed.Nodes[0].URL)
	s.run(t, `t = fsc.table("patients")`)
	out := s.run(t, `k = t.km("survival_months", "event", by="sex")`+"\nk")
	if !strings.HasPrefix(out["image/png"], "iVBORw0KGgo") || !strings.Contains(out["image/svg+xml"], "Kaplan") || !strings.Contains(out["text/plain"], "0.95LCL") || !strings.Contains(out["text/html"], "<table>") {
		t.Errorf("km shows %v, want a plot and tables", out)
	}
	for _, g := range []string{"F", "M"} {
		if got, want := s.number(t, `k["groups"]["`+g+`"]["median"]`), group(km, g)["median"].(float64); got != want {
			t.Errorf("python: median of %s = %v, the node %v", g, got, want)
		}
	}
	if got, want := s.number(t, `t.where("age >= 50").km("survival_months", "event", times=[0, 12, 24, 36, 48])["groups"]["all"]["surv"][2]`), group(coarse, "all")["surv"].([]any)[2].(float64); got != want {
		t.Errorf("python: S(24) on a grid = %v, the node %v", got, want)
	}
	if got := s.number(t, `t.logrank("survival_months", "event", by="sex")["p"]`); got != lr["p"].(float64) {
		t.Errorf("python: log-rank p = %v, the node %v", got, lr["p"])
	}
	out = s.run(t, `t.coxph("survival_months", "event", ["age", "dose"])`)
	if !strings.Contains(out["text/plain"], "exp(coef)") || !strings.Contains(out["text/plain"], "Likelihood ratio test") {
		t.Errorf("coxph shows %v, want R's summary layout", out)
	}
	if got := s.number(t, `t.coxph("survival_months", "event", ["age", "dose"])["coefficients"]["age"]["hr"]`); got != hr {
		t.Errorf("python: hazard ratio of age = %v, the node %v", got, hr)
	}

	env := script.NewEnv(fed.Nodes[0].URL, "", script.Output{})
	l := lua.New(env)
	defer l.Close()
	lua := func(code string) string {
		t.Helper()
		m, err := l.Execute(context.Background(), code)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		return m["text/plain"]
	}
	lua(`t = fsc.table("patients")`)
	luaNum := func(text string) float64 {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Fatalf("lua shows %q, want a number", text)
		}
		return f
	}
	if got := lua(`t:km("survival_months", "event", {by = "sex"}).groups.M.median`); !pyNear(luaNum(got), group(km, "M")["median"].(float64), 1e-12) {
		t.Errorf("lua: median of M shows %s, the node %v", got, group(km, "M")["median"])
	}
	if got := lua(`t:logrank("survival_months", "event", "sex").df`); got != "1" {
		t.Errorf("lua: log-rank df shows %s, want 1", got)
	}
	if got := lua(`t:coxph("survival_months", "event", {"age", "dose"}).coefficients.age.hr`); !pyNear(luaNum(got), hr, 1e-12) {
		t.Errorf("lua: hazard ratio of age shows %s, the node %v", got, hr)
	}
	// A refusal reaches the script as a DisclosureError.
	if _, err := l.Execute(context.Background(), `t:where("age >= 90"):km("survival_months", "event")`); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a tiny cohort: %v, want a refusal", err)
	}
}
