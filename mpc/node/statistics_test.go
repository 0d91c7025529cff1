package node_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// relClose compares within 1e-9 relative (moments), or 1e-9 absolute near 0.
func relClose(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// plainValues returns the pooled non-missing values of a numeric column in
// the rows a filter selects, sorted.
func plainValues(t *testing.T, all *stats.Table, column, where string) []float64 {
	t.Helper()
	out, err := fedrun.PlainValues(all, column, where)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compute(t *testing.T, c *client.Client, mp string, ds client.Dataset, params map[string]any) map[string]any {
	t.Helper()
	res, err := c.Compute(context.Background(), client.Request{Microprotocol: mp, Dataset: &ds, Parameters: params})
	if err != nil {
		t.Fatalf("%s %+v: %v", mp, ds, err)
	}
	if res.Inputs != 3 {
		t.Fatalf("%s: inputs %d", mp, res.Inputs)
	}
	return res.Result
}

func num(t *testing.T, v any) float64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	return f
}

func TestEveryStatisticEqualsPlaintext(t *testing.T) {
	// Minimum and maximum are checked too: these members release them.
	fed := startFederation(t, func(file, text string) string {
		return strings.Replace(text, "[policy]", "[policy]\nextremes = true", 1)
	})
	all := pooled(t)
	c := client.New(fed.Nodes[0].URL)
	wheres := []string{"", "sex == 'F' and age >= 50", "response == 'PR' or response == 'CR'"}
	for _, where := range wheres {
		for _, column := range []string{"age", "bmi", "survival_months"} {
			name := fmt.Sprintf("%s where %q", column, where)
			x := plainValues(t, all, column, where)
			sorted := slices.Clone(x)
			slices.Sort(sorted)
			ds := client.Dataset{Table: "patients", Column: column, Where: where}

			probs := []float64{0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95}
			q := compute(t, c, "Quantiles", ds, map[string]any{"probabilities": probs})
			for i, p := range probs {
				if got, want := num(t, q["quantiles"].([]any)[i]), stats.QuantileSorted(sorted, p); got != want {
					t.Errorf("%s: quantile %v = %v, want %v (exact)", name, p, got, want)
				}
			}
			if got, want := num(t, compute(t, c, "SecureMedian", ds, nil)["median"]), stats.QuantileSorted(sorted, 0.5); got != want {
				t.Errorf("%s: median %v, want %v", name, got, want)
			}
			mm := compute(t, c, "MinimumMaximum", ds, nil)
			if num(t, mm["minimum"]) != sorted[0] || num(t, mm["maximum"]) != sorted[len(sorted)-1] || num(t, mm["samples"]) != float64(len(x)) {
				t.Errorf("%s: min/max %v, want %v %v %d", name, mm, sorted[0], sorted[len(sorted)-1], len(x))
			}

			u := compute(t, c, "StatisticsUnivariate", ds, map[string]any{"extremes": true})
			n := float64(len(x))
			mean := stat.Mean(x, nil)
			central := func(k float64) float64 {
				s := 0.0
				for _, v := range x {
					s += math.Pow(v-mean, k)
				}
				return s / n
			}
			m2 := central(2)
			want := map[string]float64{
				"samples": n, "minimum": sorted[0], "maximum": sorted[len(sorted)-1], "sum": stats.SumValues(x), "mean": mean,
				"variance": stat.Variance(x, nil), "variance_mle": m2, "standard_deviation": math.Sqrt(stat.Variance(x, nil)),
				"standard_deviation_mle": math.Sqrt(m2), "skewness": central(3) / math.Pow(m2, 1.5), "kurtosis": central(4) / (m2 * m2),
				"kurtosis_excess": central(4)/(m2*m2) - 3, "hyper_skewness": central(5) / math.Pow(m2, 2.5), "hyper_flatness": central(6) / (m2 * m2 * m2),
				"root_mean_square": math.Sqrt(stat.Mean(squares(x), nil)), "variance_of_sample_mean": stat.Variance(x, nil) / n,
			}
			for k, w := range want {
				if got := num(t, u[k]); !relClose(got, w) {
					t.Errorf("%s: %s = %.15g, want %.15g", name, k, got, w)
				}
			}
			if len(u) != 22 {
				t.Errorf("%s: StatisticsUnivariate has %d keys, want the reference's 22", name, len(u))
			}
			mo := compute(t, c, "Moments", ds, nil)
			if !relClose(num(t, mo["mean"]), mean) || !relClose(num(t, mo["variance"]), stat.Variance(x, nil)) {
				t.Errorf("%s: Moments %v", name, mo)
			}

			edges := []float64{sorted[0], stat.Quantile(0.3, stat.Empirical, sorted, nil), sorted[len(sorted)-1]}
			h := compute(t, c, "Histogram", ds, map[string]any{"edges": edges})
			counts := h["counts"].([]any)
			var wantCounts [2]float64
			for _, v := range x {
				if v < edges[1] {
					wantCounts[0]++
				} else {
					wantCounts[1]++
				}
			}
			if num(t, counts[0]) != wantCounts[0] || num(t, counts[1]) != wantCounts[1] {
				t.Errorf("%s: histogram %v, want %v", name, counts, wantCounts)
			}
		}

		// Categories: response frequencies and sex × response.
		ds := client.Dataset{Table: "patients", Column: "response", Where: where}
		f := compute(t, c, "StatisticsFrequency", ds, nil)
		rows := plainRows(t, all, where)
		resp, _ := all.Column("response")
		sex, _ := all.Column("sex")
		wantF := map[string]float64{}
		wantC := map[string]map[string]float64{}
		for i := range resp.Cat {
			if (rows != nil && !rows[i]) || resp.Cat[i] < 0 {
				continue
			}
			r := resp.Levels.At(int(resp.Cat[i]))
			wantF[r]++
			if sex.Cat[i] >= 0 {
				s := sex.Levels.At(int(sex.Cat[i]))
				if wantC[s] == nil {
					wantC[s] = map[string]float64{}
				}
				wantC[s][r]++
			}
		}
		hist := f["histogram"].(map[string]any)
		for k, w := range wantF {
			if num(t, hist[k]) != w {
				t.Errorf("where %q: frequency of %s = %v, want %v", where, k, hist[k], w)
			}
		}
		tab := compute(t, c, "StatisticsContingency", client.Dataset{Table: "patients", Columns: []string{"sex", "response"}, Where: where}, nil)["table"].(map[string]any)
		for s, row := range wantC {
			for r, w := range row {
				if num(t, tab[s].(map[string]any)[r]) != w {
					t.Errorf("where %q: cell %s/%s = %v, want %v", where, s, r, tab[s].(map[string]any)[r], w)
				}
			}
		}

		// Two numeric columns: covariance, correlation, regression.
		x, y := pairsOf(t, all, "age", "dose", where)
		b := compute(t, c, "StatisticsBivariate", client.Dataset{Table: "patients", Columns: []string{"age", "dose"}, Where: where}, nil)
		for k, w := range map[string]float64{"covariance": stat.Covariance(x, y, nil), "correlation_coefficient": stat.Correlation(x, y, nil), "samples": float64(len(x))} {
			if got := num(t, b[k]); !relClose(got, w) {
				t.Errorf("where %q: %s = %.15g, want %.15g", where, k, got, w)
			}
		}
		checkOLS(t, c, all, where, []string{"survival_months", "age", "dose", "bmi"})
		checkOLS(t, c, all, where, []string{"survival_months", "age", "dose"}) // unfiltered: from the tables' grams
	}
}

func squares(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * v
	}
	return out
}

// pairsOf returns the complete cases of two numeric columns.
func pairsOf(t *testing.T, all *stats.Table, a, b, where string) (x, y []float64) {
	rows := plainRows(t, all, where)
	ca, _ := all.NumericColumn(a)
	cb, _ := all.NumericColumn(b)
	for i := range ca.Num {
		if (rows == nil || rows[i]) && !math.IsNaN(ca.Num[i]) && !math.IsNaN(cb.Num[i]) {
			x, y = append(x, ca.Num[i]), append(y, cb.Num[i])
		}
	}
	return x, y
}

// checkOLS fits cols[0] on the other columns securely and with gonum on
// the pooled complete cases.
func checkOLS(t *testing.T, c *client.Client, all *stats.Table, where string, cols []string) {
	t.Helper()
	res := compute(t, c, "Regression", client.Dataset{Table: "patients", Columns: cols, Where: where}, nil)
	y, X, err := fedrun.PlainDesign(all, where, cols[0], cols[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := X.Dims()
	var beta mat.Dense
	if err := beta.Solve(X, mat.NewVecDense(n, y)); err != nil {
		t.Fatal(err)
	}
	coef := res["coefficients"].(map[string]any)
	for i, name := range append([]string{"(Intercept)"}, cols[1:]...) {
		if got, want := num(t, coef[name]), beta.At(i, 0); math.Abs(got-want) > 1e-7*math.Max(1, math.Abs(want)) {
			t.Errorf("where %q: coefficient %s = %.12g, want %.12g", where, name, got, want)
		}
	}
	if num(t, res["samples"]) != float64(n) {
		t.Errorf("where %q: samples %v, want %d", where, res["samples"], n)
	}
}

func TestDisclosureRulesOnStatistics(t *testing.T) {
	fed := startFederation(t, func(file, text string) string {
		if file == "hospital-c.toml" {
			return strings.Replace(text, "[policy]", "[policy]\nmax_quantiles = 3", 1)
		}
		return text
	})
	c := client.New(fed.Nodes[0].URL)
	ctx := context.Background()
	var ce *client.Error
	// A filter nobody matches: a clear error, not a made-up number.
	_, err := c.Compute(ctx, client.Request{Microprotocol: "SecureMedian", Dataset: &client.Dataset{Table: "patients", Column: "age", Where: "age > 500"}})
	if !errors.As(err, &ce) || ce.Status != 400 || !strings.Contains(ce.Message, "no values") {
		t.Errorf("empty cohort: got %v", err)
	}
	// A histogram bin with 1..4 rows of all hospitals together (3 aged 95,
	// all at hospital-c) is suppressed, and so is the other bin, which the
	// whole count would turn into the small one; or the histogram is
	// refused, naming no hospital.
	res, err := c.Compute(ctx, client.Request{Microprotocol: "Histogram", Dataset: &client.Dataset{Table: "patients", Column: "age"},
		Parameters: map[string]any{"edges": []float64{0, 95, 120}}})
	if err != nil {
		if !errors.As(err, &ce) || !ce.Refused() || strings.Contains(ce.Message, "hospital") {
			t.Errorf("small bin: got %v", err)
		}
	} else if counts := res.Result["counts"].([]any); counts[0] != nil || counts[1] != nil {
		t.Errorf("small bin: released %v", counts)
	}
	// Too many quantiles for hospital-c (a rule on the query, not the rows).
	_, err = c.Compute(ctx, client.Request{Microprotocol: "Quantiles", Dataset: &client.Dataset{Table: "patients", Column: "age"},
		Parameters: map[string]any{"probabilities": []float64{0.1, 0.2, 0.3, 0.4}}})
	if !errors.As(err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "policy max_quantiles=3") {
		t.Errorf("quantile cap: got %v", err)
	}
	// Quantiles at 0 and 1 are the minimum and maximum: refused.
	for _, p := range []float64{0, 1, 0.0005, 0.9995} {
		_, err = c.Compute(ctx, client.Request{Microprotocol: "Quantiles", Dataset: &client.Dataset{Table: "patients", Column: "age"},
			Parameters: map[string]any{"probabilities": []float64{p}}})
		if !errors.As(err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "order-statistic rule") {
			t.Errorf("quantile %v: got %v", p, err)
		}
	}
	// Frequencies of an identifying column: every cell holds one row.
	_, err = c.Compute(ctx, client.Request{Microprotocol: "StatisticsFrequency", Dataset: &client.Dataset{Table: "patients", Column: "patient_id"}})
	if !errors.As(err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "identifier rule") {
		t.Errorf("identifying frequencies: got %v", err)
	}
}
