package node_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// The attack suite: a hostile analyst against three real nodes, one test
// per class of attack that once recovered a patient's exact data. Every
// attack must be refused, or what it gets must recover nothing.

// analyst is the attacker's view: a client and a record of refusals.
type analyst struct {
	t *testing.T
	c *client.Client
}

func newAnalyst(t *testing.T) *analyst {
	fed := startFederation(t, nil)
	return &analyst{t: t, c: client.New(fed.Nodes[0].URL)}
}

// ask runs one computation; a refusal comes back as nil, and must name
// the rule and no hospital.
func (a *analyst) ask(mp string, ds client.Dataset, params map[string]any) map[string]any {
	a.t.Helper()
	ds.Table = "patients"
	res, err := a.c.Compute(context.Background(), client.Request{Microprotocol: mp, Dataset: &ds, Parameters: params})
	var ce *client.Error
	if errors.As(err, &ce) && ce.Refused() {
		if strings.Contains(ce.Message, "hospital") {
			a.t.Errorf("%s %+v: the refusal names a member: %s", mp, ds, ce.Message)
		}
		if !strings.HasPrefix(ce.Message, "refused") {
			a.t.Errorf("%s %+v: a refusal without its rule: %s", mp, ds, ce.Message)
		}
		return nil
	}
	if err != nil {
		a.t.Fatalf("%s %+v: %v", mp, ds, err)
	}
	return res.Result
}

func (a *analyst) number(mp string, ds client.Dataset, key string) (float64, bool) {
	r := a.ask(mp, ds, nil)
	if r == nil {
		return 0, false
	}
	f, ok := r[key].(float64)
	return f, ok
}

// site loads one hospital's CSV, the plaintext oracle of an attack.
func site(t *testing.T, h string) *stats.Table {
	t.Helper()
	tab, err := stats.LoadCSV(filepath.Join(exampleDir, "data", h, "patients.csv"), "patients")
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// uniqueValue finds a value of a numeric column that exactly one row of
// the table holds.
func uniqueValue(t *testing.T, tab *stats.Table, column string) float64 {
	t.Helper()
	c, err := tab.NumericColumn(column)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]int{}
	for _, v := range c.Num {
		if !math.IsNaN(v) {
			seen[v]++
		}
	}
	for _, v := range c.Num {
		if seen[v] == 1 {
			return v
		}
	}
	t.Fatalf("no unique %s", column)
	return 0
}

func TestAttackDifferencing(t *testing.T) {
	a := newAnalyst(t)
	v := uniqueValue(t, site(t, "hospital-a"), "bmi")
	without := fmt.Sprintf("bmi != %v", v)
	// Sum and mean over everyone, then over everyone but one patient.
	all, okAll := a.number("SecureSum", client.Dataset{Column: "bmi"}, "sum")
	one, okOne := a.number("SecureSum", client.Dataset{Column: "bmi", Where: without}, "sum")
	if okAll && okOne {
		t.Errorf("sum(bmi) %v and sum(bmi where %s) %v both released: the difference is a patient's bmi", all, without, one)
	}
	if _, ok := a.number("Moments", client.Dataset{Column: "bmi", Where: without}, "mean"); ok {
		t.Errorf("mean(bmi where %s) released after the whole-table mean: mean × n differences", without)
	}
	// By name: an identifier in a filter.
	if r := a.ask("SecureSum", client.Dataset{Column: "bmi", Where: "patient_id != 'A-00001'"}, nil); r != nil {
		t.Errorf("a filter on patient_id released %v", r)
	}
	// Two regressions with and without one patient.
	cols := client.Dataset{Columns: []string{"survival_months", "age", "dose"}}
	full := a.ask("Regression", cols, nil)
	cols.Where = fmt.Sprintf("age != %v", uniqueValue(t, site(t, "hospital-b"), "age"))
	if part := a.ask("Regression", cols, nil); full != nil && part != nil {
		t.Errorf("two OLS fits differing by one patient both released")
	}
	// Crosstab cells with and without one patient: no cell may move by 1..4.
	x1 := a.ask("StatisticsContingency", client.Dataset{Columns: []string{"sex", "response"}}, nil)
	x2 := a.ask("StatisticsContingency", client.Dataset{Columns: []string{"sex", "response"}, Where: without}, nil)
	if x1 != nil && x2 != nil {
		t1, t2 := x1["table"].(map[string]any), x2["table"].(map[string]any)
		for r, row := range t1 {
			for c, v1 := range row.(map[string]any) {
				v2 := t2[r].(map[string]any)[c]
				f1, ok1 := v1.(float64)
				f2, ok2 := v2.(float64)
				if ok1 && ok2 && math.Abs(f1-f2) >= 1 && math.Abs(f1-f2) < 5 {
					t.Errorf("crosstab cell %s/%s: %v then %v", r, c, f1, f2)
				}
			}
		}
	}
	// Repetition: asking again changes nothing.
	if _, ok := a.number("SecureSum", client.Dataset{Column: "bmi", Where: without}, "sum"); ok && okAll {
		t.Errorf("the refused difference released on a second try")
	}
}

func TestAttackComplements(t *testing.T) {
	a := newAnalyst(t)
	// 3 patients are aged 95 or more, all at hospital-c.
	if _, ok := a.number("Count", client.Dataset{Where: "age >= 95"}, "count"); ok {
		t.Errorf("count(age >= 95) released")
	}
	all, ok1 := a.number("Count", client.Dataset{}, "count")
	rest, ok2 := a.number("Count", client.Dataset{Where: "age < 95"}, "count")
	if ok1 && ok2 {
		t.Errorf("count(all) %v − count(age < 95) %v = %v: the refused count, by complement", all, rest, all-rest)
	}
	if _, ok := a.number("Count", client.Dataset{Where: "not (age >= 95 and sex == 'M')"}, "count"); ok && ok1 {
		t.Errorf("count(not (age >= 95 and sex == 'M')) released beside count(all)")
	}
}

func TestAttackFewPatients(t *testing.T) {
	a := newAnalyst(t)
	tab := site(t, "hospital-a")
	bmi, _ := tab.NumericColumn("bmi")
	// Five patients picked by exact values of a dense numeric column.
	var vals []float64
	seen := map[float64]int{}
	for _, v := range bmi.Num {
		seen[v]++
	}
	for _, v := range bmi.Num {
		if seen[v] == 1 && len(vals) < 7 {
			vals = append(vals, v)
		}
	}
	or := func(vs []float64) string {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = fmt.Sprintf("bmi == %v", v)
		}
		return strings.Join(parts, " or ")
	}
	five := client.Dataset{Column: "age", Where: or(vals[:5])}
	if r := a.ask("StatisticsUnivariate", five, nil); r != nil {
		t.Errorf("the moments of 5 patients released (power sums give every value back): %v", r)
	}
	if r := a.ask("Quantiles", five, map[string]any{"probabilities": []float64{0, 0.25, 0.5, 0.75, 1}}); r != nil {
		t.Errorf("the quantiles of 5 patients released: %v", r)
	}
	// Overlapping sums of five: each pair differs by fewer than 5.
	released := 0
	for s := 0; s+5 <= len(vals); s++ {
		if _, ok := a.number("SecureSum", client.Dataset{Column: "age", Where: or(vals[s : s+5])}, "sum"); ok {
			released++
		}
	}
	if released > 1 {
		t.Errorf("%d overlapping five-patient sums released", released)
	}
	// Named patients.
	if r := a.ask("Count", client.Dataset{Where: "patient_id == 'A-00001' or patient_id == 'A-00002' or patient_id == 'A-00003' or patient_id == 'A-00004' or patient_id == 'A-00005'"}, nil); r != nil {
		t.Errorf("five named patients counted: %v", r)
	}
	if r := a.ask("StatisticsFrequency", client.Dataset{Column: "patient_id"}, nil); r != nil {
		t.Errorf("a frequency table of patient ids released")
	}
	if r := a.ask("StatisticsFrequency", client.Dataset{Column: "survival_months"}, nil); r != nil {
		for k, v := range r["histogram"].(map[string]any) {
			if f, ok := v.(float64); ok && f >= 1 && f < 5 {
				t.Errorf("frequency of survival_months %s: %v patients", k, f)
			}
		}
	}
}

func TestAttackTails(t *testing.T) {
	a := newAnalyst(t)
	if r := a.ask("MinimumMaximum", client.Dataset{Column: "bmi"}, nil); r != nil {
		t.Errorf("MinimumMaximum released %v", r)
	}
	if r := a.ask("StatisticsUnivariate", client.Dataset{Column: "bmi"}, map[string]any{"extremes": true}); r != nil {
		t.Errorf("univariate extremes released %v", r)
	}
	if r := a.ask("StatisticsUnivariate", client.Dataset{Column: "bmi"}, nil); r != nil && (r["minimum"] != nil || r["maximum"] != nil) {
		t.Errorf("univariate statistics carry extremes: %v, %v", r["minimum"], r["maximum"])
	}
	n, ok := a.number("Count", client.Dataset{Column: "bmi"}, "count")
	if !ok {
		t.Fatal("count(bmi) refused")
	}
	// The k-th smallest values by probabilities k/(n−1).
	for k := 0; k < 5; k++ {
		p := float64(k) / (n - 1)
		if r := a.ask("Quantiles", client.Dataset{Column: "bmi"}, map[string]any{"probabilities": []float64{p, 1 - p}}); r != nil {
			t.Errorf("quantiles at %v and %v released: %v", p, 1-p, r["quantiles"])
		}
	}
}

func TestAttackShiftingBins(t *testing.T) {
	a := newAnalyst(t)
	v := uniqueValue(t, site(t, "hospital-c"), "bmi")
	without := fmt.Sprintf("bmi != %v", v)
	var lows []float64
	lo, hi := 10.0, 60.0
	for step := 0; step < 22; step++ {
		m := (lo + hi) / 2
		edges := map[string]any{"edges": []float64{0, m, 1000}}
		with := a.ask("Histogram", client.Dataset{Column: "bmi"}, edges)
		minus := a.ask("Histogram", client.Dataset{Column: "bmi", Where: without}, edges)
		low := func(r map[string]any) (float64, bool) {
			if r == nil {
				return 0, false
			}
			f, ok := r["counts"].([]any)[0].(float64)
			return f, ok
		}
		c1, ok1 := low(with)
		c2, ok2 := low(minus)
		if ok1 {
			lows = append(lows, c1)
		}
		if ok2 {
			lows = append(lows, c2)
		}
		if ok1 && ok2 && c1 != c2 {
			hi = m // the patient is below m
		} else {
			lo = m
		}
	}
	// Whatever was released, no two released counts of the lower bin
	// differ by 1..4: per member they differ by 0 or at least 5 rows.
	for i := range lows {
		for j := range i {
			if d := math.Abs(lows[i] - lows[j]); d >= 1 && d < 5 {
				t.Fatalf("lower-bin counts %v and %v released: they differ by %v patients", lows[j], lows[i], d)
			}
		}
	}
	if math.Abs((lo+hi)/2-v) < 0.05 {
		t.Errorf("bisection found the patient's bmi %v: %v", v, (lo+hi)/2)
	}
}

// TestAttackSuppressionPattern: which cells are suppressed depends on the
// pooled counts alone, so comparing suppression patterns tells nothing of
// how a cell's rows are split among the hospitals. Bin [94, 94.5] holds 3
// patients at hospital-b and 4 at hospital-c, bin [40, 94) thousands at
// each: both are released, where a rule on each hospital's own rows
// suppressed the first and so told that some hospital holds 1 to 4 of
// its 7 patients. The same histogram without one of hospital-b's
// patients then moves no released count by 1 to 4.
func TestAttackSuppressionPattern(t *testing.T) {
	a := newAnalyst(t)
	edges := map[string]any{"edges": []float64{40, 94, 94.5}}
	with := a.ask("Histogram", client.Dataset{Column: "age", Where: "age >= 40"}, edges)
	if with == nil {
		t.Fatal("the histogram was refused")
	}
	counts := with["counts"].([]any)
	if counts[0] == nil || counts[1] != float64(7) {
		t.Fatalf("counts %v: want both bins released, [94, 94.5] as 7, whatever hospital holds few of its rows", counts)
	}
	without := a.ask("Histogram", client.Dataset{Column: "age", Where: "age >= 40 and not (age == 94 and bmi == 28.6)"}, edges)
	if without == nil {
		return // refused: the release memory at hospital-b saw a total one row away
	}
	for j, v := range without["counts"].([]any) {
		f, ok := v.(float64)
		if d := math.Abs(f - counts[j].(float64)); ok && d >= 1 && d < 5 {
			t.Errorf("bin %d: %v, then %v without one patient", j, counts[j], f)
		}
	}
}
