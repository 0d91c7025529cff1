package script_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/internal/roracle"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
	"github.com/fsc-kernel/fsc-kernel/script/python"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

var nodeBin string

func TestMain(m *testing.M) { os.Exit(fedrun.RunTests(m, "..", &nodeBin)) }

const exampleDir = "../examples/federation"

// languages are the study languages, as fsc-kernel offers them.
var languages = map[string]script.Start{".lua": lua.Start, ".py": python.Start}

func federation(t testing.TB) *fedrun.Federation {
	t.Helper()
	return fedrun.ExampleFor(t, nodeBin, exampleDir)
}

func pooled(t *testing.T) *stats.Table { t.Helper(); return fedrun.PooledFor(t, exampleDir) }

// values returns a numeric column's pooled values where a filter holds,
// sorted.
func values(t *testing.T, all *stats.Table, column, where string) []float64 {
	t.Helper()
	return fedrun.ValuesFor(t, all, column, where)
}

// TestLuaStudyEqualsPlaintext runs the pilot study through the study runner
// against three real nodes and checks its results.json.
func TestLuaStudyEqualsPlaintext(t *testing.T) {
	fed := federation(t)
	all := pooled(t)
	var printed strings.Builder
	rep, err := script.RunStudy(context.Background(), "../examples/studies/pilot.lua", languages, fed.Nodes[0].URL, "",
		script.Output{Stdout: func(s string) { printed.WriteString(s) }})
	if err != nil {
		t.Fatalf("study: %v\n%s", err, printed.String())
	}
	out := filepath.Join(t.TempDir(), "results.json")
	if err := rep.Write(out); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(out)
	var got struct {
		Results    map[string]any `json:"results"`
		Provenance struct {
			SHA256       string           `json:"script_sha256"`
			Members      []map[string]any `json:"members"`
			Computations []map[string]any `json:"computations"`
		} `json:"provenance"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	r := got.Results
	if r["patients"] != float64(all.Rows) {
		t.Errorf("patients = %v, want %d", r["patients"], all.Rows)
	}
	// Survival: the node's own Kaplan–Meier, log-rank and Cox answers
	// (checked against R in mpc/node).
	c := client.New(fed.Nodes[0].URL)
	ask := func(mp string, cols ...string) map[string]any {
		t.Helper()
		res, err := c.Compute(context.Background(), client.Request{Microprotocol: mp, Dataset: &client.Dataset{Table: "patients", Columns: cols}})
		if err != nil {
			t.Fatalf("%s: %v", mp, err)
		}
		return res.Result
	}
	km := ask("KaplanMeier", "survival_months", "event")["groups"].(map[string]any)["all"].(map[string]any)
	overall := r["median_overall_survival"].(map[string]any)
	if overall["median"] != km["median"] || fmt.Sprint(overall["ci"]) != fmt.Sprint(km["median_ci"]) || overall["median"] == nil {
		t.Errorf("median overall survival = %v, want %v with %v", overall, km["median"], km["median_ci"])
	}
	bySex := r["median_survival_by_sex"].(map[string]any)
	kmSex := ask("KaplanMeier", "survival_months", "event", "sex")["groups"].(map[string]any)
	for _, s := range []string{"F", "M"} {
		if want := kmSex[s].(map[string]any)["median"]; bySex[s] != want {
			t.Errorf("median survival of %s = %v, want %v", s, bySex[s], want)
		}
	}
	if lr := r["logrank_sex"].(map[string]any); lr["p"] != ask("LogRank", "survival_months", "event", "sex")["p"] {
		t.Errorf("log-rank by sex = %v", lr)
	}
	cox := r["cox_age_dose"].(map[string]any)["coefficients"].(map[string]any)
	want := ask("CoxPH", "survival_months", "event", "age", "dose")["coefficients"].(map[string]any)
	for _, term := range []string{"age", "dose"} {
		if fmt.Sprint(cox[term]) != fmt.Sprint(want[term]) {
			t.Errorf("cox %s = %v, want %v", term, cox[term], want[term])
		}
	}
	checkToxicityLogistic(t, r["toxicity_logistic"])
	tox := len(values(t, all, "toxicity", "toxicity == 1"))
	if r["toxicity_events"] != float64(tox) {
		t.Errorf("toxicity events = %v, want %d", r["toxicity_events"], tox)
	}
	resp, _ := all.Column("response")
	freq := r["response_frequencies"].(map[string]any) // {category: count}, as DESIGN §7 fixes
	for li, level := range resp.Levels.Strings() {
		n := 0
		for _, c := range resp.Cat {
			if int(c) == li {
				n++
			}
		}
		if freq[level] != float64(n) {
			t.Errorf("response %s = %v, want %d", level, freq[level], n)
		}
	}
	if r["refusal_kind"] != "DisclosureError" || !strings.Contains(printed.String(), "min_cell") {
		t.Errorf("refusal: %v; printed %q", r["refusal_kind"], printed.String())
	}
	if len(got.Provenance.SHA256) != 64 || len(got.Provenance.Members) != 3 || len(got.Provenance.Computations) < 7 {
		t.Errorf("provenance: %+v", got.Provenance)
	}
}

// TestLuaErrorsAreTyped: an uncaught DSL error reaches the caller typed,
// naming the column.
func TestLuaErrorsAreTyped(t *testing.T) {
	fed := federation(t)
	env := script.NewEnv(fed.Nodes[0].URL, "", script.Output{})
	l := lua.New(env)
	defer l.Close()
	err := l.Run(context.Background(), `local t = fsc.table("patients"); return t:mean("agee")`, "cell")
	var e *script.Error
	if !errorsAs(err, &e) || e.Kind != script.InputError || !strings.Contains(e.Msg, "agee") {
		t.Fatalf("got %v, want an InputError naming agee", err)
	}
	err = l.Run(context.Background(), `local t = fsc.table("patients"); return t:where("age >= 95"):count()`, "cell")
	if !errorsAs(err, &e) || e.Kind != script.DisclosureError || !strings.Contains(e.Msg, "min_cell") {
		t.Fatalf("got %v, want a DisclosureError naming min_cell", err)
	}
}

func errorsAs(err error, target **script.Error) bool {
	e, ok := err.(*script.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestProgressNamesTheStatistic: a computation that takes longer than
// ProgressAfter shows which statistic of which column runs, then ends the
// display.
func TestProgressNamesTheStatistic(t *testing.T) {
	fed := federation(t)
	var mu sync.Mutex
	var shown []string
	env := script.NewEnv(fed.Nodes[0].URL, "", script.Output{
		Stdout:        func(string) {},
		ProgressAfter: time.Nanosecond,
		Progress: func(text string, done bool) {
			mu.Lock()
			defer mu.Unlock()
			shown = append(shown, fmt.Sprintf("%s|%v", text, done))
		},
	})
	l := lua.New(env)
	defer l.Close()
	if _, err := l.Execute(context.Background(), `fsc.table("patients"):median("age")`); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(shown) != 2 || !strings.HasPrefix(shown[0], "computing the median of age") || !strings.HasSuffix(shown[1], "|true") {
		t.Errorf("progress shown: %q, want the median of age, then done", shown)
	}
}

// checkToxicityLogistic compares the pilot's logistic model of toxicity
// with R's glm on the pooled example data.
func checkToxicityLogistic(t *testing.T, got any) {
	t.Helper()
	roracle.Require(t)
	rows, err := roracle.ExampleRows(filepath.Join(exampleDir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := roracle.RunR(t.TempDir(), rows+`f <- glm(toxicity ~ age + dose + sex, family = binomial, data = d)
s <- summary(f)$coefficients
for (term in rownames(s)) cat(term, sprintf("%.17g", s[term, c(1, 2, 4)]), "\n")
cat("deviance", sprintf("%.17g", deviance(f)), "\n")
`)
	if err != nil {
		t.Fatal(err)
	}
	fit, _ := got.(map[string]any)
	coefs, _ := fit["coefficients"].(map[string]any)
	for _, term := range []string{"(Intercept)", "age", "dose", "sexM"} {
		c, _ := coefs[term].(map[string]any)
		for i, key := range []string{"estimate", "se", "p"} {
			v, ok := c[key].(float64)
			if w := want[term][i]; !ok || math.Abs(v-w) > 1e-6*math.Max(math.Abs(w), 1e-300) {
				t.Errorf("toxicity model %s %s = %v, R says %v", term, key, c[key], w)
			}
		}
	}
	if d, _ := fit["deviance"].(float64); math.Abs(d-want["deviance"][0]) > 1e-8*want["deviance"][0] {
		t.Errorf("toxicity model deviance = %v, R says %v", d, want["deviance"][0])
	}
}
