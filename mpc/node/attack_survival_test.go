package node_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// The survival attack suite: a hostile analyst combines Kaplan–Meier
// curves, log-rank tests and Cox models with counts to learn what min_cell
// hides: how many patients, 1 to min_cell−1, fall in some set, or whether
// one patient does. Each attack runs against three real nodes with
// min_cell 5 on survivalData; each asserts that no combination of what it
// was given shows a count of 1 to 4.

const survMinCell = 5

// survRec is one pooled record of survivalData.
type survRec struct {
	site             byte // 'A', 'B' or 'C'
	age, dose, month float64
	sex, arm         string
	event            int
}

// survRecords parses survivalData's pooled CSV.
func survRecords(t *testing.T, csv string) []survRec {
	t.Helper()
	var out []survRec
	for _, line := range strings.Split(strings.TrimSpace(csv), "\n")[1:] {
		f := strings.Split(line, ",")
		num := func(i int) float64 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				t.Fatalf("pooled CSV: %q: field %d: %v", line, i, err)
			}
			return v
		}
		out = append(out, survRec{site: f[0][0], age: num(1), sex: f[2], dose: num(3), arm: f[4], month: num(5), event: int(num(6))})
	}
	return out
}

// small says whether a difference of released counts is a cell min_cell
// hides.
func small(d float64) bool { return d >= 1 && d < survMinCell }

// soleDose finds a dose that exactly one record satisfying in holds among
// those satisfying in, so that "dose != X" takes one patient out of in.
func soleDose(t *testing.T, recs []survRec, in func(survRec) bool) float64 {
	t.Helper()
	seen := map[float64]int{}
	for _, r := range recs {
		if in(r) {
			seen[r.dose]++
		}
	}
	for _, r := range recs {
		if in(r) && seen[r.dose] == 1 {
			return r.dose
		}
	}
	t.Fatal("no dose held by one patient alone")
	return 0
}

// survAnalyst starts a fresh federation on survivalData with min_cell 5.
func survAnalyst(t *testing.T) (*analyst, []survRec) {
	data, csv := survivalData(t)
	fed := startSurvivalFederation(t, data, survMinCell)
	return &analyst{t: t, c: client.New(fed.Nodes[0].URL)}, survRecords(t, csv)
}

// curve is one group's curve of a KaplanMeier result.
func curve(t *testing.T, km map[string]any, group string) map[string]any {
	t.Helper()
	g, ok := km["groups"].(map[string]any)[group].(map[string]any)
	if !ok {
		t.Fatalf("no curve of group %s in %v", group, km)
	}
	return g
}

// at is the value of a curve's list key at time x.
func at(g map[string]any, key string, x float64) (float64, bool) {
	for j, v := range g["time"].([]any) {
		if v.(float64) == x {
			return g[key].([]any)[j].(float64), true
		}
	}
	return 0, false
}

// count counts the rows of a filter, saying in the test's log whether it
// was refused.
func count(a *analyst, where string) (float64, bool) {
	c, ok := a.number("Count", client.Dataset{Where: where}, "count")
	if !ok {
		a.t.Logf("count where %s: refused", where)
	}
	return c, ok
}

// TestAttackCensoredBeforeGrid: rows censored before the first point of
// the analyst's grid leave the curve (as in R), but the curve still shows
// the cohort's size n beside the rows at risk at the first point: n less
// n_risk[0] counts them. A first point just above the few earliest
// censored times of a cohort makes that count 1 to 4.
func TestAttackCensoredBeforeGrid(t *testing.T) {
	a, recs := survAnalyst(t)
	var where string
	var g0 float64
	want := 0
search:
	for lo := 35.0; lo <= 80; lo++ {
		for hi := lo + 2; hi <= 86; hi++ {
			for first := 2.0; first <= 30; first++ {
				n := 0
				for _, r := range recs {
					if r.age >= lo && r.age < hi && r.event == 0 && r.month < first {
						n++
					}
				}
				if small(float64(n)) {
					where, g0, want = fmt.Sprintf("age >= %v and age < %v", lo, hi), first, n
					break search
				}
				if n >= survMinCell {
					break
				}
			}
		}
	}
	if where == "" {
		t.Fatal("the generated data has no cohort with 1 to 4 early censored rows")
	}
	km := a.ask("KaplanMeier", client.Dataset{Where: where, Columns: []string{"survival_months", "event"}},
		map[string]any{"times": []float64{g0, g0 + 12, g0 + 24}})
	if km == nil {
		t.Logf("where %s, times from %v: the curve is refused", where, g0)
		return
	}
	g := curve(t, km, "all")
	nrisk, ok := at(g, "n_risk", g0)
	if !ok {
		t.Fatalf("the curve has no point at %v: %v", g0, g["time"])
	}
	if d := g["n"].(float64) - nrisk; small(d) {
		t.Errorf("where %s, times from %v: n %v less n_risk %v = %v, the patients censored before month %v (%d pooled)", where, g0, g["n"], nrisk, d, g0, want)
	}
}

// TestAttackGroupTotals: a curve or test by a column releases each
// group's size and rows at risk, and so their sums over the groups: the
// whole cohort and its rows at risk. A count of the cohort without one
// patient, or of the rows past the next month, then shows that patient,
// or the patients of one month, by difference.
func TestAttackGroupTotals(t *testing.T) {
	a, recs := survAnalyst(t)
	const where = "age >= 50"
	x := soleDose(t, recs, func(r survRec) bool { return r.age >= 50 })
	lr := a.ask("LogRank", client.Dataset{Where: where, Columns: []string{"survival_months", "event", "sex"}}, nil)
	if lr == nil {
		t.Fatal("the log-rank test by sex was refused")
	}
	total := 0.0
	for _, g := range lr["groups"].(map[string]any) {
		total += g.(map[string]any)["n"].(float64)
	}
	if c, ok := count(a, fmt.Sprintf("%s and dose != %v", where, x)); ok && small(total-c) {
		t.Errorf("log-rank by sex where %s: groups of %v in all; count without dose %v: %v; the difference %v is that patient", where, total, x, c, total-c)
	}

	// The rows at risk at v of each sex, less the rows past v.
	atMonth := map[float64]int{}
	for _, r := range recs {
		atMonth[r.month]++
	}
	v := 0.0
	for m := 40.0; m < 60 && v == 0; m++ {
		if small(float64(atMonth[m])) {
			v = m
		}
	}
	if v == 0 {
		t.Fatalf("no month in 40..59 held by 1 to 4 rows: %v", atMonth)
	}
	km := a.ask("KaplanMeier", client.Dataset{Columns: []string{"survival_months", "event", "sex"}},
		map[string]any{"times": []float64{1, 20, v, 72}})
	if km == nil {
		t.Logf("the curves by sex on the grid 1, 20, %v, 72 are refused", v)
		return
	}
	sum, both := 0.0, true
	for _, s := range []string{"F", "M"} {
		n, ok := at(curve(t, km, s), "n_risk", v)
		sum, both = sum+n, both && ok
	}
	if !both {
		t.Logf("the curves by sex have no point at %v", v)
		return
	}
	if c, ok := count(a, fmt.Sprintf("survival_months >= %v", v+1)); ok && small(sum-c) {
		t.Errorf("rows at risk at %v of F and M: %v; count of months >= %v: %v; the difference %v is the patients of month %v (%d pooled)", v, sum, v+1, c, sum-c, v, atMonth[v])
	}
}

// TestAttackTotalEvents: a curve or a Cox model releases its cohort's
// events in all, the union of its intervals' events. A count of the
// cohort's events without one patient shows whether that patient had an
// event.
func TestAttackTotalEvents(t *testing.T) {
	a, recs := survAnalyst(t)
	for _, q := range []struct {
		mp    string
		age   float64
		extra []string
	}{{"KaplanMeier", 50, nil}, {"CoxPH", 45, []string{"dose"}}} {
		where := fmt.Sprintf("age >= %v", q.age)
		x := soleDose(t, recs, func(r survRec) bool { return r.age >= q.age && r.event == 1 })
		res := a.ask(q.mp, client.Dataset{Where: where, Columns: append([]string{"survival_months", "event"}, q.extra...)}, nil)
		if res == nil {
			t.Fatalf("%s where %s was refused", q.mp, where)
		}
		events := res["events"]
		if q.mp == "KaplanMeier" {
			events = curve(t, res, "all")["events"]
		}
		e := events.(float64)
		if c, ok := count(a, fmt.Sprintf("%s and event == 1 and dose != %v", where, x)); ok && small(e-c) {
			t.Errorf("%s where %s: %v events; count of its events without dose %v: %v; the difference %v is that patient's event", q.mp, where, e, x, c, e-c)
		}
	}
}

// TestAttackCensoredInInterval: a curve releases, per interval, its
// events and its rows leaving, and so its censored rows. A count of one
// interval's censored rows without one patient shows that patient's time
// and status.
func TestAttackCensoredInInterval(t *testing.T) {
	a, recs := survAnalyst(t)
	const where = "age >= 50"
	in := func(r survRec) bool { return r.age >= 50 && r.event == 0 && r.month >= 20 && r.month < 40 }
	x := soleDose(t, recs, in)
	km := a.ask("KaplanMeier", client.Dataset{Where: where, Columns: []string{"survival_months", "event"}},
		map[string]any{"times": []float64{1, 20, 40, 72}})
	if km == nil {
		t.Fatal("the curve was refused")
	}
	g := curve(t, km, "all")
	r20, ok1 := at(g, "n_risk", 20)
	r40, ok2 := at(g, "n_risk", 40)
	d20, _ := at(g, "n_event", 20)
	if !ok1 || !ok2 {
		t.Logf("no points at 20 and 40: %v", g["time"])
		return
	}
	censored := r20 - r40 - d20
	c, ok := count(a, fmt.Sprintf("%s and event == 0 and survival_months >= 20 and survival_months < 40 and dose != %v", where, x))
	if ok && small(censored-c) {
		t.Errorf("censored in [20, 40): %v; counted without dose %v: %v; the difference %v is that patient, censored in [20, 40)", censored, x, c, censored-c)
	}
}

// TestAttackEdgesOfGrid: the rows at risk at the first point hold the
// events before it; the last interval is open above. Counts of the rows
// from the first point on, and of the last interval without one patient,
// must not show the few events before the grid or that patient.
func TestAttackEdgesOfGrid(t *testing.T) {
	a, recs := survAnalyst(t)
	var where string
	var g0 float64
search:
	for lo := 35.0; lo <= 80; lo++ {
		for hi := lo + 4; hi <= 86; hi++ {
			band := func(r survRec) bool { return r.age >= lo && r.age < hi }
			for first := 2.0; first <= 30; first++ {
				n := 0
				for _, r := range recs {
					if band(r) && r.event == 1 && r.month < first {
						n++
					}
				}
				if small(float64(n)) {
					where, g0 = fmt.Sprintf("age >= %v and age < %v", lo, hi), first
					break search
				}
				if n >= survMinCell {
					break
				}
			}
		}
	}
	if where == "" {
		t.Fatal("no cohort with 1 to 4 events before an early first point")
	}
	const last = 48.0
	x := soleDose(t, recs, func(r survRec) bool { return r.age >= 50 && r.month >= last })
	km := a.ask("KaplanMeier", client.Dataset{Where: where, Columns: []string{"survival_months", "event"}},
		map[string]any{"times": []float64{g0, g0 + 12, last}})
	if km == nil {
		t.Fatal("the curve was refused")
	}
	g := curve(t, km, "all")
	t.Logf("where %s: the curve's points %v", where, g["time"])
	if r0, ok := at(g, "n_risk", g0); ok {
		c, ok := count(a, fmt.Sprintf("%s and survival_months >= %v", where, g0))
		t.Logf("n_risk at %v: %v; the count from there: %v (released %v)", g0, r0, c, ok)
		if ok && small(r0-c) {
			t.Errorf("n_risk at %v: %v; count of months >= %v: %v; the difference %v is the events before the grid", g0, r0, g0, c, r0-c)
		}
	}
	// The last interval of a wider cohort.
	const wide = "age >= 50"
	km = a.ask("KaplanMeier", client.Dataset{Where: wide, Columns: []string{"survival_months", "event"}},
		map[string]any{"times": []float64{1, 24, last}})
	if km == nil {
		t.Fatal("the curve was refused")
	}
	g = curve(t, km, "all")
	rl, ok := at(g, "n_risk", last)
	if !ok {
		t.Fatalf("where %s: no point at %v: %v", wide, last, g["time"])
	}
	c, ok := count(a, fmt.Sprintf("%s and survival_months >= %v and dose != %v", wide, last, x))
	t.Logf("n_risk at %v: %v; the count from there without one patient: %v (released %v)", last, rl, c, ok)
	if ok && small(rl-c) {
		t.Errorf("n_risk at %v: %v; counted without dose %v: %v; the difference %v is that patient", last, rl, x, c, rl-c)
	}
}

// TestAttackGroupComplement: with three groups or more, the union of all
// groups but one (the cohort less one group; a frequency table's total
// less one cell) has a count that is the difference of two released
// counts. A count of that union without one patient would show the
// patient by difference, from one curve, or one frequency table, and one
// count; the release memory keeps each such union as a summary and
// refuses the count.
func TestAttackGroupComplement(t *testing.T) {
	a, recs := survAnalyst(t)
	const where = "age >= 50"
	x := soleDose(t, recs, func(r survRec) bool { return r.age >= 50 && r.arm != "z" })
	km := a.ask("KaplanMeier", client.Dataset{Where: where, Columns: []string{"survival_months", "event", "arm"}}, nil)
	if km == nil {
		t.Fatal("the curves by arm were refused")
	}
	xy := curve(t, km, "x")["n"].(float64) + curve(t, km, "y")["n"].(float64)
	if c, ok := count(a, fmt.Sprintf("%s and arm != 'z' and dose != %v", where, x)); ok && small(xy-c) {
		t.Errorf("curves by arm where %s: arms x and y hold %v; counted without dose %v: %v; the difference %v is that patient", where, xy, x, c, xy-c)
	}
	const other = "age >= 45"
	x = soleDose(t, recs, func(r survRec) bool { return r.age >= 45 && r.arm != "z" })
	f := a.ask("StatisticsFrequency", client.Dataset{Column: "arm", Where: other}, nil)
	if f == nil {
		t.Fatal("the frequency of arm was refused")
	}
	h := f["histogram"].(map[string]any)
	xy = h["x"].(float64) + h["y"].(float64)
	if c, ok := count(a, fmt.Sprintf("%s and arm != 'z' and dose != %v", other, x)); ok && small(xy-c) {
		t.Errorf("frequency of arm where %s: x and y hold %v; counted without dose %v: %v; the difference %v is that patient", other, xy, x, c, xy-c)
	}
}
