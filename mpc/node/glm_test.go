package node_test

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	roracle.Require(t)
	rows, err := roracle.ExampleRows(filepath.Join(exampleDir, "data"))
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
// and "fit deviance null aic iter".
const rGLM = `fit <- glm(%s, family = %s, data = d)
s <- summary(fit); cf <- s$coefficients; ci <- confint.default(fit)
for (i in seq_len(nrow(cf))) cat(sprintf("coef\t%%s\t%%.17g\t%%.17g\t%%.17g\t%%.17g\t%%.17g\t%%.17g\n", rownames(cf)[i], cf[i, 1], cf[i, 2], cf[i, 3], cf[i, 4], ci[i, 1], ci[i, 2]))
cat(sprintf("fit\t%%.17g\t%%.17g\t%%.17g\t%%d\t%%d\n", fit$deviance, fit$null.deviance, fit$aic, fit$iter, fit$df.residual))
`

func TestGLMThroughThreeNodesEqualsR(t *testing.T) {
	fed := startFederation(t, nil)
	c := client.New(fed.Nodes[1].URL)
	cases := []struct {
		y, family string
		xs        []string
		where     string // the node's filter
		subset    string // the same in R
	}{
		{"toxicity", "binomial", []string{"age", "sex", "dose"}, "", ""},
		{"toxicity", "binomial", []string{"age", "bmi", "response"}, "age >= 50", "age >= 50"},
		{"event", "poisson", []string{"age", "sex"}, "response != 'PD'", "response != 'PD'"},
		{"survival_months", "gaussian", []string{"age", "sex", "dose", "response"}, "sex == 'F' or dose > 60", "sex == 'F' | dose > 60"},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s %s ~ %v where %q", tc.family, tc.y, tc.xs, tc.where)
		ds := client.Dataset{Table: "patients", Columns: append([]string{tc.y}, tc.xs...), Where: tc.where}
		got := compute(t, c, "GLM", ds, map[string]any{"family": tc.family})
		coef, _ := got["coefficients"].(map[string]any)
		lines := rOracle(t, tc.subset, fmt.Sprintf(rGLM, tc.y+" ~ "+strings.Join(tc.xs, " + "), tc.family))
		var terms []string
		for _, l := range lines {
			f := func(i int) float64 {
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
				for _, k := range []struct {
					key       string
					got, want float64
					tol       float64
				}{
					{"estimate", num(t, cf["estimate"]), f(2), 1e-8}, {"se", num(t, cf["se"]), f(3), 1e-8},
					{"z", num(t, cf["z"]), f(4), 1e-8}, {"p", num(t, cf["p"]), f(5), 1e-6},
					{"ci low", num(t, ci[0]), f(6), 1e-8}, {"ci high", num(t, ci[1]), f(7), 1e-8},
				} {
					if math.Abs(k.got-k.want) > k.tol*math.Abs(k.want)+1e-14 {
						t.Errorf("%s: %s %s = %.12g, R %.12g", name, l[1], k.key, k.got, k.want)
					}
				}
			case "fit":
				for i, key := range []string{"deviance", "null_deviance", "aic", "iterations", "df_residual"} {
					if w := f(i + 1); math.Abs(num(t, got[key])-w) > 1e-8*math.Abs(w) {
						t.Errorf("%s: %s = %.12g, R %.12g", name, key, num(t, got[key]), w)
					}
				}
			}
		}
		var order []string
		for _, v := range got["terms"].([]any) {
			order = append(order, v.(string))
		}
		if !slices.Equal(order, terms) {
			t.Errorf("%s: terms %v, R %v", name, order, terms)
		}
	}
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
