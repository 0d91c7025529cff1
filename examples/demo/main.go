// Command demo starts the example federation (three hospitals) as real
// fsc-node processes on loopback, runs the demo study on it with
// `fsc-kernel run`, prints each result beside the plaintext value computed
// from the pooled CSVs, shows the FSC way of computing on each party's own
// data, stops the nodes, and exits non-zero on any mismatch. `make demo`
// runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

func main() {
	bin := flag.String("bin", "bin/fsc-node", "the fsc-node `binary`")
	kernel := flag.String("kernel", "bin/fsc-kernel", "the fsc-kernel `binary`")
	study := flag.String("study", "examples/studies/demo.lua", "the demo `study`")
	dir := flag.String("dir", "examples/federation", "the example federation's `folder`")
	flag.Parse()
	if err := run(*bin, *kernel, *study, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// check is one result of the demo study: where it is in results.json, and
// its plaintext value on the pooled data.
type check struct {
	label  string
	path   string
	pooled func(t *stats.Table) (float64, error)
}

func run(bin, kernel, study, dir string) error {
	var configs []string
	for _, h := range []string{"a", "b", "c"} {
		configs = append(configs, filepath.Join(dir, "hospital-"+h+".toml"))
	}
	pooled, err := pool(dir)
	if err != nil {
		return err
	}
	if err := fedrun.CheckPortsFree(configs); err != nil {
		return err
	}
	fmt.Printf("starting the example federation (logs in %s)\n", filepath.Join(dir, ".local"))
	fed, err := fedrun.StartConfigs(bin, configs, filepath.Join(dir, ".local"))
	if err != nil {
		return err
	}
	defer fed.Stop()
	for _, p := range fed.Nodes {
		fmt.Printf("  %-11s %s\n", p.Name, p.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := filepath.Join(dir, ".local", "demo-results.json")
	fmt.Printf("\nAn analyst at %s runs %s with fsc-kernel run; every hospital computes on its own rows;\nonly the answers are revealed.\n\n", fed.Nodes[0].Name, study)
	start := time.Now()
	cmd := exec.CommandContext(ctx, kernel, "run", study, "--node", fed.Nodes[0].URL, "--out", out)
	if log, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("fsc-kernel run: %v\n%s", err, log)
	}
	took := time.Since(start)
	raw, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	var rep struct {
		Results map[string]any `json:"results"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	fmt.Printf("%-60s %16s %16s  %s\n", "statistic", "secure", "pooled CSVs", "")
	failed := 0
	report := func(label string, got, want float64, err error) {
		status := "ok"
		if err != nil {
			fmt.Printf("%-60s %16s %16.6f  FAILED: %v\n", label, "error", want, err)
			failed++
			return
		}
		if math.IsNaN(got) || math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			status = "MISMATCH"
			failed++
		}
		fmt.Printf("%-60s %16.6f %16.6f  %s\n", label, got, want, status)
	}
	for _, ch := range checks() {
		want, err := ch.pooled(pooled)
		if err != nil {
			return fmt.Errorf("%s: plaintext: %w", ch.label, err)
		}
		report(ch.label, lookup(rep.Results, ch.path), want, nil)
	}
	fmt.Printf("(the study took %v, start to finish, including the process start; results and provenance in %s)\n\n", took.Round(time.Millisecond), out)

	// The FSC way: each hospital's own client brings its own numbers and
	// calls its own node; the three calls meet by the network uuid.
	own := [][]float64{{12.5, 7, 3}, {40, 2.25}, {-1, 8, 0.5, 11}}
	var want float64
	for _, v := range own {
		want += stats.SumValues(v)
	}
	net := fed.URLs()
	fmt.Println("The FSC way: each hospital's own client brings its own numbers to its own node.")
	for call := 1; call <= 2; call++ {
		sums := make([]float64, len(net))
		errs := make([]error, len(net))
		var wg sync.WaitGroup
		for i := range net {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := client.New(net[i]).Compute(ctx, client.Request{
					Microprotocol: "SecureSum", Data: own[i],
					Network: &client.Network{Nodes: net, UUID: "demo-network", Myself: i},
				})
				if err == nil {
					sums[i], _ = res.Result["sum"].(float64)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i := range net {
			report(fmt.Sprintf("SecureSum of own data, call %d, at %s", call, fed.Nodes[i].Name), sums[i], want, errs[i])
		}
	}
	fmt.Println()
	fed.Stop()
	if failed > 0 {
		return fmt.Errorf("%d of the results above failed or differ from the plaintext", failed)
	}
	fmt.Println("every secure result equals the plaintext answer on the pooled data")
	return nil
}

func checks() []check {
	count := func(where, column string) func(*stats.Table) (float64, error) {
		return func(t *stats.Table) (float64, error) {
			rows, err := fedrun.PlainRows(t, where)
			if err != nil || column == "" {
				return float64(stats.CountRows(rows, t.Rows)), err
			}
			c, err := t.Column(column)
			if err != nil {
				return 0, err
			}
			return float64(stats.CountValues(c, rows)), nil
		}
	}
	sum := func(where, column string) func(*stats.Table) (float64, error) {
		return func(t *stats.Table) (float64, error) {
			rows, err := fedrun.PlainRows(t, where)
			if err != nil {
				return 0, err
			}
			c, err := t.NumericColumn(column)
			if err != nil {
				return 0, err
			}
			s, _ := stats.Sum(c, rows)
			return s, nil
		}
	}
	of := func(column, where string, f func([]float64) float64) func(*stats.Table) (float64, error) {
		return func(t *stats.Table) (float64, error) {
			x, err := fedrun.PlainValues(t, column, where)
			return f(x), err
		}
	}
	return []check{
		{"count of patients", "patients", count("", "")},
		{"count where sex == 'F'", "women", count("sex == 'F'", "")},
		{"count where age >= 65, chained with toxicity == 1", "older_with_toxicity", count("age >= 65 and toxicity == 1", "")},
		{"count of recorded bmi values", "bmi_recorded", count("", "bmi")},
		{"sum of age", "sum_age", sum("", "age")},
		{"sum of bmi (missing values skipped)", "sum_bmi", sum("", "bmi")},
		{"sum of dose where response == 'CR'", "dose_of_complete_responders", sum("response == 'CR'", "dose")},
		{"mean age", "mean_age", of("age", "", func(x []float64) float64 { return stat.Mean(x, nil) })},
		{"variance of age", "var_age", of("age", "", func(x []float64) float64 { return stat.Variance(x, nil) })},
		{"standard deviation of bmi", "sd_bmi", of("bmi", "", func(x []float64) float64 { return stat.StdDev(x, nil) })},
		{"median survival_months (R type 7)", "median_survival", of("survival_months", "", func(x []float64) float64 { return quantile(x, 0.5) })},
		{"90% quantile of dose where toxicity == 1", "dose_quantiles_with_toxicity.2", of("dose", "toxicity == 1", func(x []float64) float64 { return quantile(x, 0.9) })},
		{"summary of survival_months: mean", "survival_summary.mean", of("survival_months", "", func(x []float64) float64 { return stat.Mean(x, nil) })},
		{"summary of survival_months: skewness", "survival_summary.skewness", of("survival_months", "", skewness)},
		{"histogram of age: bin [60, 70)", "age_histogram.counts.2", count("age >= 60 and age < 70", "")},
		{"frequency of response CR", "response.CR", count("response == 'CR'", "")},
		{"crosstab sex × response: F, PD", "sex_by_response.F.PD", count("sex == 'F' and response == 'PD'", "")},
		{"correlation of age and dose", "cor_age_dose", func(t *stats.Table) (float64, error) {
			x, y, err := pairs(t, "age", "dose")
			return stat.Correlation(x, y, nil), err
		}},
		{"covariance of age and dose", "cov_age_dose", func(t *stats.Table) (float64, error) {
			x, y, err := pairs(t, "age", "dose")
			return stat.Covariance(x, y, nil), err
		}},
		{"OLS of survival_months on age and dose: dose", "survival_on_age_and_dose.coefficients.dose", func(t *stats.Table) (float64, error) {
			return olsCoefficient(t, "survival_months", []string{"age", "dose"}, 2)
		}},
	}
}

// olsCoefficient fits y on xs (with an intercept) by least squares on all
// rows and returns coefficient i (0 is the intercept).
func olsCoefficient(t *stats.Table, y string, xs []string, i int) (float64, error) {
	cy, err := t.NumericColumn(y)
	if err != nil {
		return 0, err
	}
	var data []float64
	for r := range cy.Num {
		data = append(data, 1)
		for _, x := range xs {
			c, err := t.NumericColumn(x)
			if err != nil {
				return 0, err
			}
			data = append(data, c.Num[r])
		}
	}
	var beta mat.Dense
	if err := beta.Solve(mat.NewDense(len(cy.Num), len(xs)+1, data), mat.NewVecDense(len(cy.Num), cy.Num)); err != nil {
		return 0, err
	}
	return beta.At(i, 0), nil
}

// quantile is R's type 7 on x.
func quantile(x []float64, p float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return stats.QuantileSorted(s, p)
}

// skewness is the third central moment over the cubed MLE deviation.
func skewness(x []float64) float64 {
	m := stat.Mean(x, nil)
	var m2, m3 float64
	for _, v := range x {
		m2 += (v - m) * (v - m)
		m3 += (v - m) * (v - m) * (v - m)
	}
	n := float64(len(x))
	return (m3 / n) / math.Pow(m2/n, 1.5)
}

// pairs returns the complete cases of two numeric columns.
func pairs(t *stats.Table, a, b string) (x, y []float64, err error) {
	ca, err := t.NumericColumn(a)
	if err != nil {
		return nil, nil, err
	}
	cb, err := t.NumericColumn(b)
	if err != nil {
		return nil, nil, err
	}
	for i := range ca.Num {
		if !math.IsNaN(ca.Num[i]) && !math.IsNaN(cb.Num[i]) {
			x, y = append(x, ca.Num[i]), append(y, cb.Num[i])
		}
	}
	return x, y, nil
}

// lookup follows a dotted path ("histogram.CR", "quantiles.1") into a result.
func lookup(v any, path string) float64 {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, _ := strconv.Atoi(k)
			if i < len(x) {
				v = x[i]
			}
		}
	}
	f, _ := v.(float64)
	return f
}

// pool reads every hospital's CSV into one table: the plaintext that no
// real federation would ever gather, used here only to check the results.
func pool(dir string) (*stats.Table, error) { return fedrun.PooledExample(dir) }
