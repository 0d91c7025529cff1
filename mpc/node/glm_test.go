package node_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/roracle"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// rOracle runs an R script over the example federation's pooled CSVs
// (bound to d, with the filter applied) and returns its tab-separated
// lines; the test is skipped when R is not installed (make test installs
// it).
func rOracle(t *testing.T, subset, body string) [][]string {
	t.Helper()
	return rOracleData(t, filepath.Join(exampleDir, "data"), subset, body)
}

// rOracleData is rOracle over the hospitals' tables in dataDir.
func rOracleData(t *testing.T, dataDir, subset, body string) [][]string {
	t.Helper()
	roracle.Require(t)
	rows, err := roracle.ExampleRows(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if subset == "" {
		subset = "TRUE"
	}
	out, err := roracle.Output(t.TempDir(), fmt.Sprintf("%sd <- d[with(d, %s) %%in%% TRUE, ]\n%s\n", rows, subset, body))
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		lines = append(lines, strings.Split(l, "\t"))
	}
	return lines
}

// rGLM is R's glm and summary of it, as lines "coef term est se z p lo hi"
// (NA for an aliased term), "fit deviance null aic iter df_residual" and
// "aliased term".
const rGLM = `fit <- glm(%s, family = %s, data = d)
s <- summary(fit); cf <- s$coefficients; ci <- confint.default(fit)
for (nm in names(coef(fit))) {
  r <- if (nm %%in%% rownames(cf)) cf[nm, ] else rep(NA_real_, 4)
  cat(sprintf("coef\t%%s\t%%.17g\t%%.17g\t%%.17g\t%%.17g\t%%.17g\t%%.17g\n", nm, r[1], r[2], r[3], r[4], ci[nm, 1], ci[nm, 2]))
}
cat(sprintf("fit\t%%.17g\t%%.17g\t%%.17g\t%%d\t%%d\n", fit$deviance, fit$null.deviance, fit$aic, fit$iter, fit$df.residual))
for (nm in names(coef(fit))[is.na(coef(fit))]) cat(sprintf("aliased\t%%s\n", nm))
`

// glmCase is a GLM asked of the nodes and of R on the pooled rows.
type glmCase struct {
	y, family string
	xs        []string
	where     string // the node's filter
	subset    string // the same in R
}

func TestGLMThroughThreeNodesEqualsR(t *testing.T) {
	fed := startFederation(t, nil)
	c := client.New(fed.Nodes[1].URL)
	for _, tc := range []glmCase{
		{"toxicity", "binomial", []string{"age", "sex", "dose"}, "", ""},
		{"toxicity", "binomial", []string{"age", "bmi", "response"}, "age >= 50", "age >= 50"},
		{"event", "poisson", []string{"age", "sex"}, "response != 'PD'", "response != 'PD'"},
		{"survival_months", "gaussian", []string{"age", "sex", "dose", "response"}, "sex == 'F' or dose > 60", "sex == 'F' | dose > 60"},
	} {
		got := glmCheckR(t, c, filepath.Join(exampleDir, "data"), tc)
		if a, _ := got["aliased"].([]any); len(a) != 0 {
			t.Errorf("aliased %v", a)
		}
	}
}

// TestGLMAliasedThroughThreeNodesEqualsR: three nodes fit, as R's glm,
// models with a term that is a linear combination of those before it (a
// column computed from another, a constant one, a factor level whose rows
// another factor's level covers under a filter): the term's numbers are
// null, "aliased" names it, and the rest of the fit, the degrees of freedom
// and the AIC are R's.
func TestGLMAliasedThroughThreeNodesEqualsR(t *testing.T) {
	data := t.TempDir()
	for _, h := range []string{"a", "b", "c"} {
		glmDerivedCSV(t, filepath.Join(exampleDir, "data", "hospital-"+h, "patients.csv"), filepath.Join(data, "hospital-"+h, "patients.csv"))
	}
	fed := startFederationData(t, data, nil)
	c := client.New(fed.Nodes[0].URL)
	covers := "(sex == 'M' and response == 'CR') or (sex == 'F' and response != 'CR')"
	for _, tc := range []struct {
		glmCase
		aliased []string
	}{
		{glmCase{"toxicity", "binomial", []string{"age", "bmi", "bmi2", "sex"}, "", ""}, []string{"bmi2"}},
		{glmCase{"event", "poisson", []string{"bmi2", "dose", "bmi"}, "age >= 40", "age >= 40"}, []string{"bmi"}},
		{glmCase{"survival_months", "gaussian", []string{"age", "site", "dose"}, "", ""}, []string{"site"}},
		{glmCase{"toxicity", "binomial", []string{"age", "sex", "response"}, covers, "(sex == 'M' & response == 'CR') | (sex == 'F' & response != 'CR')"}, []string{"responseSD"}},
	} {
		got := glmCheckR(t, c, data, tc.glmCase)
		var aliased []string
		for _, a := range got["aliased"].([]any) {
			aliased = append(aliased, a.(string))
		}
		if !slices.Equal(aliased, tc.aliased) {
			t.Errorf("%v: aliased %q, want %q", tc.xs, aliased, tc.aliased)
		}
	}
}

// glmDerivedCSV copies a hospital's table from src to dst with two more
// columns: bmi2 = 2·bmi - 3 (empty where bmi is) and site, constant.
func glmDerivedCSV(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	head := strings.Split(lines[0], ",")
	bmi := slices.Index(head, "bmi")
	if bmi < 0 {
		t.Fatalf("%s has no column bmi", src)
	}
	out := []string{lines[0] + ",bmi2,site"}
	for _, l := range lines[1:] {
		cells := strings.Split(l, ",")
		derived := ""
		if cells[bmi] != "" {
			v, err := strconv.ParseFloat(cells[bmi], 64)
			if err != nil {
				t.Fatalf("%s: bmi %q", src, cells[bmi])
			}
			derived = strconv.FormatFloat(2*v-3, 'g', -1, 64)
		}
		out = append(out, l+","+derived+",7")
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// glmCheckR asks the node at c for tc's GLM and compares it with R's on
// the pooled rows of dataDir: coefficients, standard errors, z, p and
// intervals (null where R's are NA), deviances, AIC, iterations, residual
// degrees of freedom, the terms and the aliased ones. It returns the
// node's answer.
func glmCheckR(t *testing.T, c *client.Client, dataDir string, tc glmCase) map[string]any {
	t.Helper()
	name := fmt.Sprintf("%s %s ~ %v where %q", tc.family, tc.y, tc.xs, tc.where)
	ds := client.Dataset{Table: "patients", Columns: append([]string{tc.y}, tc.xs...), Where: tc.where}
	got := compute(t, c, "GLM", ds, map[string]any{"family": tc.family})
	coef, _ := got["coefficients"].(map[string]any)
	lines := rOracleData(t, dataDir, tc.subset, fmt.Sprintf(rGLM, tc.y+" ~ "+strings.Join(tc.xs, " + "), tc.family))
	var terms, aliased []string
	for _, l := range lines {
		f := func(i int) float64 {
			if l[i] == "NA" {
				return math.NaN()
			}
			v, err := strconv.ParseFloat(l[i], 64)
			if err != nil {
				t.Fatalf("R printed %q", l)
			}
			return v
		}
		switch l[0] {
		case "coef":
			terms = append(terms, l[1])
			cf, ok := coef[l[1]].(map[string]any)
			if !ok {
				t.Errorf("%s: no term %s in %v", name, l[1], got["terms"])
				continue
			}
			ci, _ := cf["ci"].([]any)
			if len(ci) != 2 {
				t.Errorf("%s: %s ci %v", name, l[1], cf["ci"])
				continue
			}
			for _, k := range []struct {
				key  string
				got  any
				want float64
				tol  float64
			}{
				{"estimate", cf["estimate"], f(2), 1e-8}, {"se", cf["se"], f(3), 1e-8},
				{"z", cf["z"], f(4), 1e-8}, {"p", cf["p"], f(5), 1e-6},
				{"ci low", ci[0], f(6), 1e-8}, {"ci high", ci[1], f(7), 1e-8},
			} {
				if math.IsNaN(k.want) { // R's NA: an aliased term
					if k.got != nil {
						t.Errorf("%s: %s %s = %v, R NA", name, l[1], k.key, k.got)
					}
					continue
				}
				if g := num(t, k.got); math.Abs(g-k.want) > k.tol*math.Abs(k.want)+1e-14 {
					t.Errorf("%s: %s %s = %.12g, R %.12g", name, l[1], k.key, g, k.want)
				}
			}
		case "fit":
			for i, key := range []string{"deviance", "null_deviance", "aic", "iterations", "df_residual"} {
				if w := f(i + 1); math.Abs(num(t, got[key])-w) > 1e-8*math.Abs(w) {
					t.Errorf("%s: %s = %.12g, R %.12g", name, key, num(t, got[key]), w)
				}
			}
		case "aliased":
			aliased = append(aliased, l[1])
		}
	}
	var order, gotAliased []string
	for _, v := range got["terms"].([]any) {
		order = append(order, v.(string))
	}
	if !slices.Equal(order, terms) {
		t.Errorf("%s: terms %v, R %v", name, order, terms)
	}
	for _, v := range got["aliased"].([]any) {
		gotAliased = append(gotAliased, v.(string))
	}
	if !slices.Equal(gotAliased, aliased) {
		t.Errorf("%s: aliased %v, R %v", name, gotAliased, aliased)
	}
	return got
}

// TestGLMRefusedOnSmallCohorts: a filter leaving a member fewer rows than
// the linked aggregates rule needs is refused with the rule, and the
// refusal names no member.
func TestGLMRefusedOnSmallCohorts(t *testing.T) {
	fed := startFederation(t, nil)
	c := client.New(fed.Nodes[0].URL)
	_, err := c.Compute(context.Background(), client.Request{Microprotocol: "GLM",
		Dataset:    &client.Dataset{Table: "patients", Columns: []string{"toxicity", "age", "dose", "bmi", "sex", "response"}, Where: "age >= 83"},
		Parameters: map[string]any{"family": "binomial"}})
	var ae *client.Error
	if !errors.As(err, &ae) || ae.Status != 403 || !strings.Contains(ae.Message, "refused") {
		t.Fatalf("a small cohort: %v", err)
	}
	for _, h := range []string{"hospital-a", "hospital-b", "hospital-c"} {
		if strings.Contains(ae.Message, h) {
			t.Errorf("the refusal names %s: %s", h, ae.Message)
		}
	}
	_, err = c.Compute(context.Background(), client.Request{Microprotocol: "GLM",
		Dataset:    &client.Dataset{Table: "patients", Columns: []string{"toxicity", "age"}},
		Parameters: map[string]any{"family": "gamma"}})
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(ae.Message, "family") {
		t.Fatalf("family gamma: %v", err)
	}
}
