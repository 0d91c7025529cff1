// Command demo starts the example federation (three hospitals) as real
// fsc-node processes on loopback, runs secure statistics on it through the
// Go client, prints each result beside the plaintext value computed from
// the pooled CSVs, stops the nodes, and exits non-zero on any mismatch.
// `make demo` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

func main() {
	bin := flag.String("bin", "bin/fsc-node", "the fsc-node `binary`")
	dir := flag.String("dir", "examples/federation", "the example federation's `folder`")
	flag.Parse()
	if err := run(*bin, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// check is one statistic: how to ask the federation, and the plaintext
// answer on the pooled data.
type check struct {
	label  string
	req    client.Request
	key    string
	pooled func(t *stats.Table) (float64, error)
}

func run(bin, dir string) error {
	var configs []string
	for _, h := range []string{"a", "b", "c"} {
		configs = append(configs, filepath.Join(dir, "hospital-"+h+".toml"))
	}
	pooled, err := pool(dir)
	if err != nil {
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
	c := client.New(fed.Nodes[0].URL)
	fmt.Printf("\nAn analyst at %s asks; every hospital computes on its own rows; only the total is revealed.\n\n", fed.Nodes[0].Name)
	fmt.Printf("%-56s %16s %16s  %s\n", "statistic", "secure", "pooled CSVs", "")
	failed := 0
	report := func(label string, got, want float64, took time.Duration, err error) {
		status := "ok"
		if err != nil {
			fmt.Printf("%-56s %16s %16.6f  FAILED: %v\n", label, "error", want, err)
			failed++
			return
		}
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			status = "MISMATCH"
			failed++
		}
		fmt.Printf("%-56s %16.6f %16.6f  %s (%v)\n", label, got, want, status, took.Round(100*time.Microsecond))
	}
	for _, ch := range checks() {
		want, err := ch.pooled(pooled)
		if err != nil {
			return fmt.Errorf("%s: plaintext: %w", ch.label, err)
		}
		start := time.Now()
		res, err := c.Compute(ctx, ch.req)
		var got float64
		if err == nil {
			got = lookup(res.Result, ch.key)
		}
		report(ch.label, got, want, time.Since(start), err)
	}

	// The FSC way: each hospital's own client brings its own numbers and
	// calls its own node; the three calls meet by the network uuid.
	own := [][]float64{{12.5, 7, 3}, {40, 2.25}, {-1, 8, 0.5, 11}}
	var want float64
	for _, v := range own {
		want += stats.SumValues(v)
	}
	net := fed.URLs()
	for call := 1; call <= 2; call++ {
		start := time.Now()
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
			report(fmt.Sprintf("SecureSum of own data, call %d, at %s", call, fed.Nodes[i].Name), sums[i], want, time.Since(start), errs[i])
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
			rows, err := selectRows(t, where)
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
			rows, err := selectRows(t, where)
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
			x, err := values(t, column, where)
			return f(x), err
		}
	}
	ds := func(column, where string) *client.Dataset {
		return &client.Dataset{Table: "patients", Column: column, Where: where}
	}
	return []check{
		{"count of patients", client.Request{Microprotocol: "Count", Dataset: ds("", "")}, "count", count("", "")},
		{"count where sex == 'F'", client.Request{Microprotocol: "Count", Dataset: ds("", "sex == 'F'")}, "count", count("sex == 'F'", "")},
		{"count where age >= 65 and toxicity == 1", client.Request{Microprotocol: "Count", Dataset: ds("", "age >= 65 and toxicity == 1")}, "count", count("age >= 65 and toxicity == 1", "")},
		{"count of recorded bmi values", client.Request{Microprotocol: "Count", Dataset: ds("bmi", "")}, "count", count("", "bmi")},
		{"sum of age", client.Request{Microprotocol: "SecureSum", Dataset: ds("age", "")}, "sum", sum("", "age")},
		{"sum of bmi (missing values skipped)", client.Request{Microprotocol: "SecureSum", Dataset: ds("bmi", "")}, "sum", sum("", "bmi")},
		{"sum of dose where response == 'CR'", client.Request{Microprotocol: "SecureSum", Dataset: ds("dose", "response == 'CR'")}, "sum", sum("response == 'CR'", "dose")},
		{"sum of survival_months where event == 1 and sex == 'M'", client.Request{Microprotocol: "SecureSum", Dataset: ds("survival_months", "event == 1 and sex == 'M'")}, "sum", sum("event == 1 and sex == 'M'", "survival_months")},
		{"mean age", client.Request{Microprotocol: "Moments", Dataset: ds("age", "")}, "mean", of("age", "", func(x []float64) float64 { return stat.Mean(x, nil) })},
		{"standard deviation of bmi", client.Request{Microprotocol: "Moments", Dataset: ds("bmi", "")}, "standard_deviation", of("bmi", "", func(x []float64) float64 { return stat.StdDev(x, nil) })},
		{"median survival_months (R type 7)", client.Request{Microprotocol: "SecureMedian", Dataset: ds("survival_months", "")}, "median", of("survival_months", "", func(x []float64) float64 { return quantile(x, 0.5) })},
		{"90% quantile of dose where toxicity == 1", client.Request{Microprotocol: "Quantiles", Dataset: ds("dose", "toxicity == 1"), Parameters: map[string]any{"probabilities": []float64{0.9}}}, "quantiles.0", of("dose", "toxicity == 1", func(x []float64) float64 { return quantile(x, 0.9) })},
		{"maximum age", client.Request{Microprotocol: "MinimumMaximum", Dataset: ds("age", "")}, "maximum", of("age", "", func(x []float64) float64 { return slices.Max(x) })},
		{"skewness of survival_months", client.Request{Microprotocol: "StatisticsUnivariate", Dataset: ds("survival_months", "")}, "skewness", of("survival_months", "", skewness)},
		{"patients with response CR", client.Request{Microprotocol: "StatisticsFrequency", Dataset: ds("response", "")}, "histogram.CR", count("response == 'CR'", "")},
		{"women with response PD", client.Request{Microprotocol: "StatisticsContingency", Dataset: &client.Dataset{Table: "patients", Columns: []string{"sex", "response"}}}, "table.F.PD", count("sex == 'F' and response == 'PD'", "")},
		{"patients aged 60 to 70 (histogram bin)", client.Request{Microprotocol: "Histogram", Dataset: ds("age", ""), Parameters: map[string]any{"edges": []float64{0, 60, 70, 120}}}, "counts.1", count("age >= 60 and age < 70", "")},
		{"correlation of age and dose", client.Request{Microprotocol: "StatisticsBivariate", Dataset: &client.Dataset{Table: "patients", Columns: []string{"age", "dose"}}}, "correlation_coefficient", func(t *stats.Table) (float64, error) {
			x, y, err := pairs(t, "age", "dose")
			return stat.Correlation(x, y, nil), err
		}},
		{"OLS slope of survival_months on dose", client.Request{Microprotocol: "Regression", Dataset: &client.Dataset{Table: "patients", Columns: []string{"survival_months", "dose"}}, Parameters: map[string]any{"names": []string{"dose"}}}, "coefficients.dose", func(t *stats.Table) (float64, error) {
			x, y, err := pairs(t, "dose", "survival_months")
			_, slope := stat.LinearRegression(x, y, nil, false)
			return slope, err
		}},
	}
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

// values returns a numeric column's non-missing values in the selected rows.
func values(t *stats.Table, column, where string) ([]float64, error) {
	rows, err := selectRows(t, where)
	if err != nil {
		return nil, err
	}
	c, err := t.NumericColumn(column)
	if err != nil {
		return nil, err
	}
	var out []float64
	for i, v := range c.Num {
		if (rows == nil || rows[i]) && !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func selectRows(t *stats.Table, where string) ([]bool, error) {
	if where == "" {
		return nil, nil
	}
	f, err := stats.ParseFilter(where)
	if err != nil {
		return nil, err
	}
	return f.Rows(t)
}

// pool reads every hospital's CSV into one table: the plaintext that no
// real federation would ever gather, used here only to check the results.
func pool(dir string) (*stats.Table, error) { return fedrun.PooledExample(dir) }
