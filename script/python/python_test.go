package python_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/python"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// pySession is a Python session with its output captured.
type pySession struct {
	*python.Runtime
	env *script.Env
	mu  sync.Mutex
	out strings.Builder
}

func newPySession(t *testing.T, url string) *pySession {
	t.Helper()
	s := &pySession{}
	s.env = script.NewEnv(url, "", script.Output{Stdout: func(text string) {
		s.mu.Lock()
		s.out.WriteString(text)
		s.mu.Unlock()
	}, Stderr: func(text string) {
		s.mu.Lock()
		s.out.WriteString("[stderr]" + text)
		s.mu.Unlock()
	}})
	p, err := python.New(s.env)
	if err != nil {
		t.Fatal(err)
	}
	s.Runtime = p
	t.Cleanup(p.Close)
	return s
}

// output returns and clears what the session printed.
func (s *pySession) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := s.out.String()
	s.out.Reset()
	return text
}

// run executes a cell that must succeed and returns its display.
func (s *pySession) run(t *testing.T, code string) map[string]string {
	t.Helper()
	mime, err := s.Execute(context.Background(), code)
	if err != nil {
		t.Fatalf("cell %q: %v", code, err)
	}
	return mime
}

// fail executes a cell that must fail with a *script.Error.
func (s *pySession) fail(t *testing.T, code string) *script.Error {
	t.Helper()
	_, err := s.Execute(context.Background(), code)
	var e *script.Error
	if !errors.As(err, &e) {
		t.Fatalf("cell %q: got %v, want a *script.Error", code, err)
	}
	return e
}

// value is the Go value of a Python expression, as fsc.output records it.
func (s *pySession) value(t *testing.T, expr string) any {
	t.Helper()
	s.run(t, "fsc.output('__value', "+expr+")")
	s.output()
	results, _, _ := s.env.Results()
	return results["__value"]
}

func (s *pySession) number(t *testing.T, expr string) float64 {
	t.Helper()
	v := s.value(t, expr)
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%s = %#v, want a number", expr, v)
	}
	return f
}

func pyNear(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

func pyMean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func pySampleCov(x, y []float64) float64 {
	mx, my := pyMean(x), pyMean(y)
	s := 0.0
	for i := range x {
		s += (x[i] - mx) * (y[i] - my)
	}
	return s / float64(len(x)-1)
}

// pyRows returns the pooled rows where every one of the numeric columns has a
// value, column by column.
func pyRows(t *testing.T, all *stats.Table, columns ...string) [][]float64 {
	cols := make([]*stats.Column, len(columns))
	for i, name := range columns {
		c, err := all.NumericColumn(name)
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = c
	}
	out := make([][]float64, len(columns))
	for r := 0; r < all.Rows; r++ {
		ok := true
		for _, c := range cols {
			ok = ok && !math.IsNaN(c.Num[r])
		}
		if ok {
			for i, c := range cols {
				out[i] = append(out[i], c.Num[r])
			}
		}
	}
	return out
}

// pyCategoryCounts counts the pooled rows per level of a categorical column
// (and, with b, per pair of levels, keyed "a/b").
func pyCategoryCounts(t *testing.T, all *stats.Table, a, b string) map[string]float64 {
	ca, err := all.Column(a)
	if err != nil {
		t.Fatal(err)
	}
	var cb *stats.Column
	if b != "" {
		if cb, err = all.Column(b); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]float64{}
	for r := 0; r < all.Rows; r++ {
		if ca.Cat[r] < 0 {
			continue
		}
		key := ca.Levels.At(int(ca.Cat[r]))
		if cb != nil {
			if cb.Cat[r] < 0 {
				continue
			}
			key += "/" + cb.Levels.At(int(cb.Cat[r]))
		}
		out[key]++
	}
	return out
}

// TestPythonStatisticsEqualPlaintext runs every statistic in Python syntax
// against three real nodes and checks it against the pooled CSVs.
func TestPythonStatisticsEqualPlaintext(t *testing.T) {
	fed := example.Start(t)
	all := example.Pooled(t)
	s := newPySession(t, fed.Nodes[0].URL)
	s.run(t, `t = fsc.table("patients")`)
	age := fedrun.ValuesFor(t, all, "age", "")
	const rel = 1e-9

	s.run(t, "node = fsc.connect()")
	if got := s.number(t, `len(node.info()["members"])`); got != 3 {
		t.Errorf("node.info() lists %v members, want 3", got)
	}
	if got := s.number(t, `node.table("patients").count()`); got != float64(all.Rows) {
		t.Errorf("node.table count = %v, want %d", got, all.Rows)
	}
	s.run(t, "try:\n    fsc.connect('127.0.0.1:1')\n    caught = ''\nexcept fsc.UnreachableError as e:\n    caught = str(e)")
	if got, _ := s.value(t, "caught").(string); !strings.Contains(got, "http://127.0.0.1:1") || !strings.Contains(got, "is fsc-node running") || strings.Contains(got, "dial tcp") {
		t.Errorf("connect to no node (a URL without http://) raised %q, want an UnreachableError naming the URL in plain words", got)
	}

	if got := s.number(t, "t.count()"); got != float64(all.Rows) {
		t.Errorf("count = %v, want %d", got, all.Rows)
	}
	// Counts are Python ints: range() takes them, and they print as ints.
	s.run(t, "n = t.count()\nkinds = [isinstance(v, int) for v in [n, t.histogram('age', bins=[0, 50, 120])['counts'][0], t.frequency('sex')['F']]]\nsteps = len(range(n))\nshown = str(n)")
	if got := fmt.Sprint(s.value(t, "kinds")); got != "[true true true]" {
		t.Errorf("the types of a count, a histogram count and a frequency: %s, want int", got)
	}
	if got := s.value(t, "shown"); got != fmt.Sprint(all.Rows) {
		t.Errorf("str(t.count()) = %v, want %d", got, all.Rows)
	}
	if got := s.number(t, `t.count("age")`); got != float64(len(age)) {
		t.Errorf("count(age) = %v, want %d", got, len(age))
	}
	sum := 0.0
	for _, v := range age {
		sum += v
	}
	variance := pySampleCov(age, age)
	for expr, want := range map[string]float64{
		`t.sum("age")`:  sum,
		`t.mean("age")`: pyMean(age),
		`t.var("age")`:  variance,
		`t.std("age")`:  math.Sqrt(variance),
	} {
		if got := s.number(t, expr); !pyNear(got, want, rel) {
			t.Errorf("%s = %v, want %v", expr, got, want)
		}
	}
	if got, want := s.number(t, `t.median("age")`), stats.QuantileSorted(age, 0.5); got != want {
		t.Errorf("median = %v, want %v", got, want)
	}
	for _, expr := range []string{`t.quantile("age", [0.25, 0.5])`, `t.quantile("age", probabilities=(0.25, 0.5))`,
		`t.quantile(column="age", probabilities=[0.25, 0.5])`} {
		q, ok := s.value(t, expr).([]any)
		if !ok || len(q) != 2 || q[0] != stats.QuantileSorted(age, 0.25) || q[1] != stats.QuantileSorted(age, 0.5) {
			t.Errorf("%s = %v, want [%v %v]", expr, q, stats.QuantileSorted(age, 0.25), stats.QuantileSorted(age, 0.5))
		}
	}

	// summary: a Result read like a dict and like an object, shown as HTML.
	mime := s.run(t, "r = t.summary(\"age\")\nr")
	if !strings.Contains(mime["text/html"], "<table>") || !strings.Contains(mime["text/plain"], "summary of age") {
		t.Errorf("summary display: %v", mime)
	}
	if got := s.number(t, `r["mean"]`); !pyNear(got, pyMean(age), rel) {
		t.Errorf(`r["mean"] = %v, want %v`, got, pyMean(age))
	}
	if got := s.number(t, `r.standard_deviation`); !pyNear(got, math.Sqrt(variance), rel) {
		t.Errorf("r.standard_deviation = %v, want %v", got, math.Sqrt(variance))
	}
	if got := s.number(t, `r["samples"]`); got != float64(len(age)) {
		t.Errorf(`r["samples"] = %v, want %d`, got, len(age))
	}
	if got := s.value(t, `r["minimum"] is None and r["maximum"] is None`); got != true {
		t.Errorf(`r["minimum"], r["maximum"]: %v, want None (the members release no extremes)`, got)
	}
	if got := s.value(t, `"mean" in r and "median_typo" not in r and "variance" in r.keys() and r.get("nope", 7) == 7 and len(r) == len(list(r))`); got != true {
		t.Errorf("Result as a mapping: %v", got)
	}
	if e := s.fail(t, `r["nope"]`); e.Kind != "KeyError" || !strings.Contains(e.Msg, "nope") {
		t.Errorf(`r["nope"]: %v`, e)
	}
	if got, ok := s.value(t, "r").(map[string]any); !ok || !pyNear(got["mean"].(float64), pyMean(age), rel) {
		t.Errorf("fsc.output of a Result records its fields: %v", got)
	}

	// histogram with keyword bins: counts per [a, b), the last bin closed.
	edges := []float64{0, 40, 60, 80, 120}
	want := make([]any, len(edges)-1)
	for i := range want {
		n := 0.0
		for _, v := range age {
			if v >= edges[i] && (v < edges[i+1] || (i == len(want)-1 && v == edges[i+1])) {
				n++
			}
		}
		want[i] = n
	}
	mime = s.run(t, "h = t.histogram(\"age\", bins=[0, 40, 60, 80, 120])\nh")
	if !strings.Contains(mime["image/svg+xml"], "<svg") || !strings.Contains(mime["text/plain"], "[80, 120]") {
		t.Errorf("histogram display: %v", mime)
	}
	if got := s.value(t, `h["counts"]`); !slices.Equal(got.([]any), want) {
		t.Errorf("histogram counts = %v, want %v", got, want)
	}
	young := float64(len(fedrun.ValuesFor(t, all, "age", "age < 60")))
	if got := s.value(t, `t.histogram("age", bins=2, range=[0, 120]).counts`); !slices.Equal(got.([]any), []any{young, float64(len(age)) - young}) {
		t.Errorf("histogram(bins=2, range=[0, 120]) counts = %v, want [%v %v]", got, young, float64(len(age))-young)
	}

	// frequency and crosstab.
	freq := pyCategoryCounts(t, all, "sex", "")
	s.run(t, `f = t.frequency("sex")`)
	for level, n := range freq {
		if got := s.number(t, `f["`+level+`"]`); got != n {
			t.Errorf("frequency[%s] = %v, want %v", level, got, n)
		}
	}
	cross := pyCategoryCounts(t, all, "sex", "response")
	s.run(t, `c = t.crosstab("sex", "response")`)
	for key, n := range cross {
		a, b, _ := strings.Cut(key, "/")
		if got := s.number(t, `c["`+a+`"]["`+b+`"]`); got != n {
			t.Errorf("crosstab[%s][%s] = %v, want %v", a, b, got, n)
		}
	}
	if mime := s.run(t, "c"); !strings.Contains(mime["text/html"], "<table>") {
		t.Errorf("crosstab display: %v", mime)
	}

	// cor and cov over the rows holding both columns.
	xy := pyRows(t, all, "age", "dose")
	cov := pySampleCov(xy[0], xy[1])
	cor := cov / math.Sqrt(pySampleCov(xy[0], xy[0])*pySampleCov(xy[1], xy[1]))
	if got := s.number(t, `t.cov("age", "dose")`); !pyNear(got, cov, rel) {
		t.Errorf("cov = %v, want %v", got, cov)
	}
	if got := s.number(t, `t.cor(x="age", y="dose")`); !pyNear(got, cor, rel) {
		t.Errorf("cor = %v, want %v", got, cor)
	}

	// ols: least squares with an intercept.
	yx := pyRows(t, all, "survival_months", "age", "dose")
	n := len(yx[0])
	X := mat.NewDense(n, 3, nil)
	for i := range n {
		X.Set(i, 0, 1)
		X.Set(i, 1, yx[1][i])
		X.Set(i, 2, yx[2][i])
	}
	var beta mat.VecDense
	if err := beta.SolveVec(X, mat.NewVecDense(n, yx[0])); err != nil {
		t.Fatal(err)
	}
	s.run(t, `m = t.ols("survival_months", ["age", "dose"])`)
	for i, term := range []string{"(Intercept)", "age", "dose"} {
		if got := s.number(t, `m["coefficients"]["`+term+`"]`); !pyNear(got, beta.AtVec(i), 1e-8) {
			t.Errorf("ols coefficient %s = %v, want %v", term, got, beta.AtVec(i))
		}
	}
	if got := s.number(t, "m.samples"); got != float64(n) {
		t.Errorf("ols samples = %v, want %d", got, n)
	}
	// Standard errors, p-values and 95% intervals from the pooled fit:
	// se = sqrt(σ² (X'X)⁻¹), p = 2 P(T_df > |t|), b ± t_.975 se.
	var fit, resid mat.VecDense
	fit.MulVec(X, &beta)
	resid.SubVec(mat.NewVecDense(n, yx[0]), &fit)
	df := float64(n - 3)
	s2 := mat.Dot(&resid, &resid) / df
	var xtx, inv mat.Dense
	xtx.Mul(X.T(), X)
	if err := inv.Inverse(&xtx); err != nil {
		t.Fatal(err)
	}
	tdist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	for i, term := range []string{"(Intercept)", "age", "dose"} {
		se := math.Sqrt(s2 * inv.At(i, i))
		p := 2 * tdist.Survival(math.Abs(beta.AtVec(i)/se))
		lo := beta.AtVec(i) - tdist.Quantile(0.975)*se
		if got := s.number(t, `m["p_values"]["`+term+`"]`); !pyNear(got, p, 1e-6) {
			t.Errorf("ols p-value %s = %v, want %v", term, got, p)
		}
		if got := s.number(t, `m["conf_int"]["`+term+`"][0]`); !pyNear(got, lo, 1e-8) {
			t.Errorf("ols 95%% interval of %s starts at %v, want %v", term, got, lo)
		}
	}
	// The display reads as R's summary(lm); the crosstab is a grid.
	mime = s.run(t, "m")
	for _, want := range []string{"<th>(Intercept)</th>", "<th>Pr(&gt;|t|)</th>", "<th>2.5 %</th>", "Residual standard error", "F-statistic"} {
		if !strings.Contains(mime["text/html"], want) {
			t.Errorf("ols display lacks %q:\n%s", want, mime["text/html"])
		}
	}
	if !strings.Contains(mime["text/plain"], "Pr(>|t|)") || !strings.Contains(mime["text/plain"], "dose") {
		t.Errorf("ols text:\n%s", mime["text/plain"])
	}
	mime = s.run(t, `t.crosstab("sex", "response")`)
	for _, want := range []string{"<th>F</th>", "<th>M</th>", "<th>CR</th>", "<th>total</th>"} {
		if !strings.Contains(mime["text/html"], want) {
			t.Errorf("crosstab display lacks %q:\n%s", want, mime["text/html"])
		}
	}

	// where, chained.
	older := fedrun.ValuesFor(t, all, "age", "sex == 'F' and age >= 50")
	if got := s.number(t, `t.where("sex == 'F'").where("age >= 50").mean("age")`); !pyNear(got, pyMean(older), rel) {
		t.Errorf("where chain mean = %v, want %v", got, pyMean(older))
	}
	if got := s.number(t, `t.where("sex == 'M'").count()`); got != freq["M"] {
		t.Errorf("where count = %v, want %v", got, freq["M"])
	}
	if mime := s.run(t, `t.where("sex == 'F'").where("age >= 50")`); mime["text/plain"] != (&script.Table{Name: "patients", Where: "(sex == 'F') and (age >= 50)"}).String() {
		t.Errorf("table display: %v", mime)
	}

	// Typed errors, caught in the cell and uncaught.
	mime = s.run(t, `
try:
    t.where("age >= 95").count()
    caught = "nothing"
except fsc.DisclosureError as e:
    caught = type(e).__name__ + " " + str(e) + " " + str(isinstance(e, fsc.Error))
caught`)
	if got := mime["text/plain"]; !strings.Contains(got, "DisclosureError") || !strings.Contains(got, "min_cell") || !strings.Contains(got, "True") {
		t.Errorf("caught refusal: %q", got)
	}
	mime = s.run(t, `
try:
    t.mean("agee")
except fsc.DisclosureError:
    kind = "disclosure"
except fsc.InputError as e:
    kind = "input: " + str(e)
kind`)
	if !strings.Contains(mime["text/plain"], "input: ") || !strings.Contains(mime["text/plain"], "agee") {
		t.Errorf("caught input error: %v", mime)
	}
	if e := s.fail(t, `t.mean("agee")`); e.Kind != script.InputError || !strings.Contains(e.Msg, "agee") {
		t.Errorf("uncaught: %v, want an InputError naming agee", e)
	}
	if e := s.fail(t, "x = 1\nt.where(\"age >= 95\").count()"); e.Kind != script.DisclosureError || !strings.Contains(e.Msg, "min_cell") {
		t.Errorf("uncaught: %v, want a DisclosureError naming min_cell", e)
	}
	if got := s.number(t, "x"); got != 1 {
		t.Errorf("the namespace after an error: x = %v", got)
	}
	if _, _, comps := s.env.Results(); len(comps) < 15 {
		t.Errorf("%d computations recorded", len(comps))
	}
}

// TestPythonCells: trailing expressions, a namespace that persists, output,
// errors by Python's names, the DSL's argument checks, documentation.
func TestPythonCells(t *testing.T) {
	s := newPySession(t, "http://127.0.0.1:1") // nothing listens: calls to the node fail
	// A format cannot ask for gigabytes of padding.
	if e := s.fail(t, "'{0:{0:b}}'.format(1234)"); e.Kind != "ValueError" || !strings.Contains(e.Msg, "width 10011010010") {
		t.Errorf("huge width: %v", e)
	}
	for _, c := range []struct{ code, want string }{
		{"1 + 2", "3"},
		{"x = 5", ""},
		{"x = 5; x * 2", "10"},
		{"x  # a comment", "5"},
		{"None", ""},
		{"'abc'", "'abc'"},
		{"[1.5, 1e16, 2.0, None, True]", "[1.5, 1e+16, 2.0, None, True]"},
		{"for i in range(3):\n    pass\ni", "2"},
		{"def double(v):\n    return 2 * v\ndouble(21)", "42"},
		{"double(x)", "10"},
		{"(1 +\n 2)", "3"},
		{"é = 'ü'; é * 2", "'üü'"},
		{"_", "'üü'"},
		{"{'b': 1, 'a': 2.5}", "{'a': 2.5, 'b': 1}"},
		{"import math\nmath.sqrt(16)", "4.0"},
		{"if x > 1:\n    y = 'big'\nelse:\n    y = 'small'\ny", "'big'"},
		{"class Point:\n    def __init__(self, x):\n        self.x = x\nPoint(3).x", "3"},
		{"try:\n    raise ValueError\nexcept ValueError as e:\n    err = e\n[repr(err), repr(ValueError('x')), repr(KeyError('k', 2))]", `['ValueError()', "ValueError('x')", "KeyError('k', 2)"]`},
		{"fsc.table('patients')", "<fsc table patients>"},
		{"[isinstance(True, int), isinstance(3, (str, int)), isinstance('s', int), isinstance(range(3), range), isinstance(fsc.table('p'), fsc.Table)]", "[True, True, False, True, True]"},
		{"[issubclass(fsc.DisclosureError, fsc.Error), issubclass(fsc.Error, Exception), issubclass(ValueError, fsc.Error)]", "[True, True, False]"},
		{"fsc.table('patients').where('age > 3')", "<fsc table patients where age > 3>"},
		{"# only a comment", ""},
		{"", ""},
	} {
		mime := s.run(t, c.code)
		if mime["text/plain"] != c.want || (c.want == "" && mime != nil) {
			t.Errorf("%q displays %v, want %q", c.code, mime, c.want)
		}
	}
	s.output()

	// Output: print and sys.stdout reach Output.Stdout, sys.stderr
	// Output.Stderr, in order.
	s.run(t, "import sys\nprint('a', 1.5, 1234567.5, [0.1])\nsys.stdout.write('b\\n')\nsys.stderr.write('c\\n')\nprint('d', 'e', sep='-', end='!\\n')\nprint('f', file=sys.stderr)")
	if got := s.output(); got != "a 1.5 1234567.5 [0.1]\nb\n[stderr]c\nd-e!\n[stderr]f\n" {
		t.Errorf("output %q", got)
	}

	// Printed text does not wait for the end of the cell: the cell sleeps
	// until it is cancelled, and its text must come before that.
	printed := make(chan struct{}, 1)
	timed := script.NewEnv("http://127.0.0.1:1", "", script.Output{Stdout: func(string) {
		select {
		case printed <- struct{}{}:
		default:
		}
	}})
	tp, err := python.New(timed)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() {
		_, err := tp.Execute(ctx, "import time\nprint('working')\ntime.sleep(600)")
		ended <- err
	}()
	select {
	case <-printed:
	case err := <-ended:
		t.Errorf("the cell ended (%v) before its printed text came", err)
	case <-time.After(time.Minute):
		t.Error("the printed text did not come while the cell ran")
	}
	cancel()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("the sleeping cell, cancelled: %v", err)
	}

	// Errors: the exception's name and message, with the line; never a Go stack.
	for _, c := range []struct{ code, kind, msg string }{
		{"1/0", "ZeroDivisionError", "(line 1)"},
		{"a = 1\nb = undefined_name", "NameError", "name 'undefined_name' is not defined (line 2)"},
		{"print 1", "SyntaxError", "line 1"},
		{"x = (1,", "SyntaxError", "line 2"},
		{"f'{x +}'", "SyntaxError", "f-string: invalid syntax (line 1): f'{x +}'"},
		{"raise ValueError('bad value')", "ValueError", "bad value (line 1)"},
		{"{}['k']", "KeyError", "'k'"},
		{"def deep(n):\n    return deep(n + 1)\ndeep(0)", "RecursionError", "maximum recursion depth"},
		{"class Oops(Exception):\n    pass\nraise Oops('custom')", "Oops", "custom"},
		{"import numpy", "ImportError", "numpy"},
		{"import sys\nsys.exit(3)", "SystemExit", "3 (line 2)"},
		{"input()", "RuntimeError", "input()"},
		{"fsc.table('patients').count()", script.UnreachableError, "your node at http://127.0.0.1:1 is not answering"},
		{"fsc.table(3)", script.InputError, "table: name: expected a string, got int"},
		{"fsc.table()", script.InputError, "table: missing argument name"},
		{"fsc.table('p').quantile('age', 'median')", script.InputError, "quantile: probabilities: expected a list of numbers, got str"},
		{"fsc.table('p').quantile('age', [0.5, 'x'])", script.InputError, "quantile: probabilities[1]: expected a number, got str"},
		{"fsc.table('p').ols('y', 'x')", script.InputError, "ols: x: expected a list of strings"},
		{"fsc.table('p').mean(col='age')", script.InputError, `mean: unexpected keyword argument "col"`},
		{"fsc.table('p').mean('age', column='age')", script.InputError, "mean: argument column given twice"},
		{"fsc.table('p').mean('a', 'b')", script.InputError, "mean takes 1 argument(s), got 2"},
		{"fsc.table('p').histogram('age', bins='x')", script.InputError, "histogram: bins must be"},
		{"fsc.Table.mean('age')", script.InputError, "mean is a method of a table"},
		{"fsc.output('x', object())", script.InputError, "output: value: cannot use a object here"},
	} {
		e := s.fail(t, c.code)
		if e.Kind != c.kind || !strings.Contains(e.Msg, c.msg) || strings.Contains(e.Msg, "goroutine") {
			t.Errorf("%q: got %s: %s, want %s containing %q", c.code, e.Kind, e.Msg, c.kind, c.msg)
		}
	}
	// Caught in the cell, by class and by base class.
	mime := s.run(t, `
out = []
for code in ["peer", "user", "zero"]:
    try:
        if code == "peer":
            fsc.table("patients").mean("age")
        elif code == "user":
            raise Oops("mine")
        else:
            1 / 0
    except fsc.PeerError as e:
        out.append("PeerError:" + str("127.0.0.1:1" in str(e)))
    except Oops as e:
        out.append("Oops:" + str(e))
    except ZeroDivisionError:
        out.append("zero")
out`)
	if got := mime["text/plain"]; got != "['PeerError:True', 'Oops:mine', 'zero']" {
		t.Errorf("caught: %s", got)
	}
	if got := s.run(t, "double(x)")["text/plain"]; got != "10" {
		t.Errorf("namespace after errors: %s", got)
	}

	// Every DSL function carries its Doc as __doc__.
	for _, f := range script.Funcs {
		expr := "fsc." + f.Name + ".__doc__"
		if f.On != "" {
			expr = "fsc." + f.On + "." + f.Name + ".__doc__"
		}
		s.run(t, "print("+expr+")")
		if got := s.output(); got != f.Doc+"\n" {
			t.Errorf("%s = %q, want %q", expr, got, f.Doc)
		}
	}
	s.run(t, "help(fsc.table('p').median)")
	if got := s.output(); !strings.Contains(got, "median(column)") {
		t.Errorf("help: %q", got)
	}
	s.run(t, "help()")
	if got := s.output(); !strings.Contains(got, "fsc.table(name)") || !strings.Contains(got, "t.histogram(") {
		t.Errorf("help(): %q", got)
	}
	if got := s.run(t, "dir(fsc.table('p'))")["text/plain"]; !strings.Contains(got, "'quantile'") {
		t.Errorf("dir(table): %s", got)
	}

	info := s.Language()
	if info.Name != "python" || info.Version != "3.4" || info.Mimetype != "text/x-python" || info.FileExtension != ".py" ||
		info.PygmentsLexer != "ipython3" || info.CodemirrorMode != "python" || info.Exporter != "python" || info.Interrupted != "KeyboardInterrupt" {
		t.Errorf("language: %+v", info)
	}
}

// pyGaps are what gpython lacks, each with CPython 3.11's answer
// (/usr/bin/python3: print(EXPR)): str.format and format specifications,
// f-strings, round, json, the text of floats, str.join/upper/lower, sorted
// of tuples, isinstance of subclasses, printf-style % formatting.
var pyGaps = []struct{ expr, cpython string }{
	{"\"{}\".format(1)", "1"},
	{"\"{0} {1} {0}\".format(\"a\", \"b\")", "a b a"},
	{"\"{name}!\".format(name=\"x\")", "x!"},
	{"\"{:.2f}\".format(3.14159)", "3.14"},
	{"\"{:>8}|\".format(\"ab\")", "      ab|"},
	{"\"{:<8}|\".format(\"ab\")", "ab      |"},
	{"\"{:^9}|\".format(\"ab\")", "   ab    |"},
	{"\"{:*^9}\".format(\"ab\")", "***ab****"},
	{"\"{:,}\".format(1234567)", "1,234,567"},
	{"\"{:,}\".format(-1234567.891)", "-1,234,567.891"},
	{"\"{:,.2f}\".format(1234567.891)", "1,234,567.89"},
	{"\"{:08.3f}\".format(-3.14159)", "-003.142"},
	{"\"{:+d} {: d} {:d}\".format(5, 5, -5)", "+5  5 -5"},
	{"\"{:x} {:X} {:#x} {:o} {:#o} {:b} {:#b}\".format(255, 255, 255, 8, 8, 5, 5)", "ff FF 0xff 10 0o10 101 0b101"},
	{"\"{:e}\".format(12345.678)", "1.234568e+04"},
	{"\"{:.3e}\".format(0.000123)", "1.230e-04"},
	{"\"{:E}\".format(1e-10)", "1.000000E-10"},
	{"\"{:g}\".format(1234567.0)", "1.23457e+06"},
	{"\"{:g} {:g} {:g}\".format(0.0001, 0.00001, 100000.0)", "0.0001 1e-05 100000"},
	{"\"{:.3g}\".format(123.456)", "123"},
	{"\"{:.3g}\".format(0.000123456)", "0.000123"},
	{"\"{:#.3g}\".format(1.0)", "1.00"},
	{"\"{:%}\".format(0.25)", "25.000000%"},
	{"\"{:.1%}\".format(0.256)", "25.6%"},
	{"\"{}\".format(0.1 + 0.2)", "0.30000000000000004"},
	{"\"{} {} {}\".format(1e16, 1e15, 1e-5)", "1e+16 1000000000000000.0 1e-05"},
	{"\"{} {}\".format(1234567.5, 0.0001)", "1234567.5 0.0001"},
	{"\"{:.3}\".format(123.0)", "1.23e+02"},
	{"\"{:.3}\".format(12.0)", "12.0"},
	{"\"{:10.4}|\".format(3.14159265)", "     3.142|"},
	{"\"{!r} {!s}\".format(\"a\", \"b\")", "'a' b"},
	{"\"{!s:>5}\".format(12)", "   12"},
	{"\"{0[1]} {0[0]}\".format([1, 2])", "2 1"},
	{"\"{d[k]}\".format(d={\"k\": \"v\"})", "v"},
	{"\"{:{w}.{p}f}|\".format(3.14159, w=10, p=3)", "     3.142|"},
	{"\"{{}} {}\".format(1)", "{} 1"},
	{"\"{:05}\".format(42)", "00042"},
	{"\"{:010,}\".format(1234567)", "01,234,567"},
	{"\"{:_}\".format(1234567)", "1_234_567"},
	{"\"{:_x}\".format(0xffffffff)", "ffff_ffff"},
	{"\"{:.0f} {:.0f} {:.0f}\".format(0.5, 1.5, 2.5)", "0 2 2"},
	{"\"{:.2f}\".format(2.675)", "2.67"},
	{"\"{:5}|{}|{:d}\".format(True, True, False)", "    1|True|0"},
	{"\"{} {}\".format(None, [1, 2.5])", "None [1, 2.5]"},
	{"\"{:>6}|{:.2f}|{:+}\".format(float(\"nan\"), float(\"inf\"), float(\"-inf\"))", "   nan|inf|-inf"},
	{"\"{:c}{:c}\".format(72, 105)", "Hi"},
	{"\"{:n}\".format(1234)", "1234"},
	{"\"{:=+8.2f}\".format(3.14159)", "+   3.14"},
	{"\"{:08}\".format(-3.5)", "-00003.5"},
	{"\"{:s}|{:.2s}|\".format(\"xyz\", \"xyz\")", "xyz|xy|"},
	{"\"{:.2f}\".format(-0.0)", "-0.00"},
	{"\"{:,.0f}\".format(1e9)", "1,000,000,000"},
	{"\"{:<05}\".format(7)", "70000"},
	{"\"{}\".format(123456789012345678)", "123456789012345678"},
	{"\"{:.1f}\".format(0.05)", "0.1"},
	{"\"{:.10f}\".format(1/3)", "0.3333333333"},
	{"\"{}\".format(1/3)", "0.3333333333333333"},
	{"\"{:e}\".format(0.0)", "0.000000e+00"},
	{"\"{:g}\".format(0.0)", "0"},
	{"\"{:#x}\".format(-255)", "-0xff"},
	{"\"%s|%5.2f|%d\" % (\"a\", 3.14159, 7)", "a| 3.14|7"},
	{"\"-\".join([\"a\", \"b\", \"c\"])", "a-b-c"},
	{"\"\".join([])", ""},
	{"\"AbC\".upper() + \"AbC\".lower()", "ABCabc"},
	{"str([\"a\", \"b\", \"a\"].index(\"b\")) + str([1, 2, 1, 1.0].count(1))", "13"},
	{"f\"{1 + 1}\"", "2"},
	{"f\"{'a'!r:>5}|{3.14159:.2f}|{10:,}\"", "  'a'|3.14|10"},
	{"f\"{[1, 2][0]}{ {'k': 3}['k'] }\"", "13"},
	{"f\"{{x}}\"", "{x}"},
	{"f\"a\" \"b{2}\" 'c{{d}}'", "ab{2}c{{d}}"},
	{"f\"{3.14159:{4}.{2}f}\"", "3.14"},
	{"f\"{'=' * 3}\"", "==="},
	{"f\"{1 == 1}\"", "True"},
	{"f\"{2 != 3}\"", "True"},
	{"f\"{f'{1 + 1}'!r}\"", "'2'"},
	{"f\"{1 + 1 = }|{'a'=}\"", "1 + 1 = 2|'a'='a'"},
	{"round(2.5)", "2"},
	{"round(3.5)", "4"},
	{"round(-2.5)", "-2"},
	{"round(0.5)", "0"},
	{"round(1.5)", "2"},
	{"round(-0.5)", "0"},
	{"round(2.675, 2)", "2.67"},
	{"round(0.125, 2)", "0.12"},
	{"round(0.375, 2)", "0.38"},
	{"round(1234.5678, -2)", "1200.0"},
	{"round(1250, -2)", "1200"},
	{"round(1350, -2)", "1400"},
	{"round(-1350, -2)", "-1400"},
	{"round(2.5, 0)", "2.0"},
	{"round(1e300, 2)", "1e+300"},
	{"round(5, 2)", "5"},
	{"round(1.005, 2)", "1.0"},
	{"round(-1.005, 2)", "-1.0"},
	{"round(123.456, 1)", "123.5"},
	{"round(True)", "1"},
	{"round(0.1 + 0.2, 15)", "0.3"},
	{"round(1e-320, 2)", "0.0"},
	{"round(-0.4)", "0"},
	{"round(-0.4, 0)", "-0.0"},
	{"round(7.45, 1)", "7.5"},
	{"round(2**53 + 0.5)", "9007199254740992"},
	{"round(12345678901234567890.5, -3)", "1.2345678901234567e+19"},
	{"json.dumps({\"a\": [1, 2.5, None, True, False], \"b\": \"é\\n\\\"q\\\"\", \"c\": {\"d\": 1e16}})", "{\"a\": [1, 2.5, null, true, false], \"b\": \"\\u00e9\\n\\\"q\\\"\", \"c\": {\"d\": 1e+16}}"},
	{"json.dumps([1, \"x\", 0.1], separators=(\",\", \":\"))", "[1,\"x\",0.1]"},
	{"json.dumps({\"a\": 1, \"b\": [1, 2]}, indent=2)", "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}"},
	{"json.dumps({\"a\": [], \"b\": {}}, indent=2)", "{\n  \"a\": [],\n  \"b\": {}\n}"},
	{"json.dumps(\"\\U0001F600 \\t\\x01\")", "\"\\ud83d\\ude00 \\t\\u0001\""},
	{"json.dumps(\"é\", ensure_ascii=False)", "\"é\""},
	{"json.dumps(float(\"nan\")) + json.dumps(float(\"inf\")) + json.dumps(-float(\"inf\"))", "NaNInfinity-Infinity"},
	{"json.dumps(12345678901234567890)", "12345678901234567890"},
	{"json.dumps((1, 2))", "[1, 2]"},
	{"json.dumps(3.0) + json.dumps(-0.0) + json.dumps(1e-7)", "3.0-0.01e-07"},
	{"json.loads('{\"a\": [1, 2.0, \"s\", null, true], \"b\": {\"c\": -3e2}}')", "{'a': [1, 2.0, 's', None, True], 'b': {'c': -300.0}}"},
	{"json.loads(\"123456789012345678901234567890\")", "123456789012345678901234567890"},
	{"json.loads('\"\\\\u00e9\\\\ud83d\\\\ude00\"')", "é😀"},
	{"json.loads(\" [1.5e3, 0, -0.0] \")", "[1500.0, 0, -0.0]"},
	{"json.loads(json.dumps({\"k\": [1, 2.5, \"x\"]}))", "{'k': [1, 2.5, 'x']}"},
	{"1234567.5", "1234567.5"},
	{"[0.1, 1e16, 2.0, 1e-5]", "[0.1, 1e+16, 2.0, 1e-05]"},
	{"(1.5,)", "(1.5,)"},
	{"{\"a\": 0.5}", "{'a': 0.5}"},
	{"repr(1234567.5)", "1234567.5"},
	{"sorted({\"b\": 1, \"a\": 2}.items())", "[('a', 2), ('b', 1)]"},
	{"sorted([(2, \"b\"), (1, \"z\"), (2, \"a\")], reverse=True)", "[(2, 'b'), (2, 'a'), (1, 'z')]"},
	{"sorted([\"bb\", \"a\", \"ccc\", \"dd\"], key=len)", "['a', 'bb', 'dd', 'ccc']"},
	{"sorted([\"bb\", \"a\", \"ccc\", \"dd\"], key=len, reverse=True)", "['ccc', 'bb', 'dd', 'a']"},
	{"sorted([[1, 2], [1], [0, 5]])", "[[0, 5], [1], [1, 2]]"},
	{"sorted([3, 1.5, 2])", "[1.5, 2, 3]"},
	{"isinstance(True, int)", "True"},
	// printf-style formatting, str % args
	{"\"%d %i %u\" % (5, -6, 7)", "5 -6 7"},
	{"\"%d\" % 5.9", "5"},
	{"\"%5.1f|%-8.3f|%08.2f\" % (2.25, 3.14159, -1.5)", "  2.2|3.142   |-0001.50"},
	{"\"%e %E\" % (12345.678, 0.000123)", "1.234568e+04 1.230000E-04"},
	{"\"%g %g %g %G\" % (0.0001, 1234567.0, 100.0, 1e-10)", "0.0001 1.23457e+06 100 1E-10"},
	{"\"%s %r %a\" % (\"a\", \"b\", \"c\")", "a 'b' 'c'"},
	{"\"%x %X %#x %#o %o\" % (255, 255, 255, 8, 8)", "ff FF 0xff 0o10 10"},
	{"\"%%|%c%c\" % (65, \"z\")", "%|Az"},
	{"\"%(a)s-%(b)05d\" % {\"a\": \"x\", \"b\": 3}", "x-00003"},
	{"\"%s\" % [1, 2.5, \"x\"]", "[1, 2.5, 'x']"},
	{"\"%-5s|%5s|%.2s\" % (\"ab\", \"cd\", \"xyz\")", "ab   |   cd|xy"},
	{"\"%+d % d %+.1f\" % (3, 4, 2.0)", "+3  4 +2.0"},
	{"\"%*d|%-*d|%.*f\" % (5, 42, 4, 7, 2, 3.14159)", "   42|7   |3.14"},
	{"\"%s\" % (1.0,)", "1.0"},
	{"\"%.3g|%10.4e\" % (2.0 / 3, 1234.5)", "0.667|1.2345e+03"},
	{"\"%f %F\" % (float(\"inf\"), float(\"nan\"))", "inf NAN"},
	{"\"%s and %s\" % (True, None)", "True and None"},
	{"\"%d items\" % 10 ** 20", "100000000000000000000 items"},
}

func TestPythonGapsMatchCPython(t *testing.T) {
	s := newPySession(t, "http://127.0.0.1:1")
	s.run(t, "import json")
	for _, c := range pyGaps {
		if _, err := s.Execute(context.Background(), "print("+c.expr+")"); err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := strings.TrimSuffix(s.output(), "\n"); got != c.cpython {
			t.Errorf("%s = %q, CPython %q", c.expr, got, c.cpython)
		}
	}
	for _, c := range []struct{ code, kind string }{
		{`"%d" % "x"`, "TypeError"},
		{`"%d %d" % (1,)`, "TypeError"},
		{`"%d" % (1, 2)`, "TypeError"},
		{`"%q" % 1`, "ValueError"},
		{`"%(a)s" % 1`, "TypeError"},
		{`"%x" % 1.5`, "TypeError"},
		{`"{} {1}".format(1, 2)`, "ValueError"},
		{`"{:d}".format(1.5)`, "ValueError"},
		{`"{:s}".format(1)`, "ValueError"},
		{`"}".format()`, "ValueError"},
		{`"{}".format()`, "IndexError"},
		{`"{x}".format(y=1)`, "KeyError"},
		{`round(float("nan"))`, "ValueError"},
		{`round(float("inf"))`, "OverflowError"},
		{`round("1")`, "TypeError"},
		{`json.loads("{bad")`, "JSONDecodeError"},
		{`json.loads("[1] x")`, "JSONDecodeError"},
		{`json.dumps(object())`, "TypeError"},
		{`"-".join([1])`, "TypeError"},
	} {
		if e := s.fail(t, c.code); e.Kind != c.kind {
			t.Errorf("%s: %s: %s, want %s", c.code, e.Kind, e.Msg, c.kind)
		}
	}
	// JSONDecodeError is a ValueError, as in CPython.
	if got := s.run(t, "try:\n    json.loads('')\nexcept ValueError as e:\n    r = 'caught'\nr")["text/plain"]; got != "'caught'" {
		t.Errorf("JSONDecodeError as ValueError: %s", got)
	}
}

// TestPythonCancel: cancelling a cell stops it, not by abandoning its
// interpreter after the grace (which would say *script.Abandoned), and the
// namespace survives.
func TestPythonCancel(t *testing.T) {
	const after = 200 * time.Millisecond
	var abandoned *script.Abandoned
	s := newPySession(t, "http://127.0.0.1:1")
	s.run(t, "kept = 42")
	for _, code := range []string{
		"while True: pass",
		"for i in range(10**9): pass",
		"n = sum(range(10**12))",
		"xs = [i * i for i in range(10**9)]",
		"def spin():\n    while True:\n        pass\nspin()",
		"def gen():\n    while True:\n        yield 1\nfor v in gen(): pass",
		"while True:\n    try:\n        pass\n    except:\n        pass",
		"import time\ntime.sleep(60)",
		"sorted(range(10**7), key=lambda v: -v)",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), after)
		_, err := s.Execute(ctx, code)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &abandoned) {
			t.Errorf("%q: %v, want context.DeadlineExceeded, the cell stopped by the cancel", code, err)
		}
		if got := s.run(t, "kept")["text/plain"]; got != "42" {
			t.Errorf("after %q: kept = %s", code, got)
		}
	}
	if out := s.output(); out != "" {
		t.Errorf("output: %q", out)
	}

	// Cancelled explicitly, with output before.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(after, cancel)
	_, err := s.Execute(ctx, "print('started')\nwhile True:\n    kept = kept")
	if !errors.Is(err, context.Canceled) || errors.As(err, &abandoned) {
		t.Errorf("cancel: %v", err)
	}
	if out := s.output(); out != "started\n" {
		t.Errorf("output %q", out)
	}

	// A computation in flight is cancelled through the context: the node
	// here answers nothing until the request goes away.
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client going
		<-r.Context().Done()
	}))
	defer node.Close()
	slow := newPySession(t, node.URL)
	slow.run(t, "kept = 7")
	ctx, cancel = context.WithTimeout(context.Background(), after)
	_, err = slow.Execute(ctx, "try:\n    fsc.table('patients').count()\nexcept fsc.Error:\n    pass")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &abandoned) {
		t.Errorf("a computation in flight: %v", err)
	}
	if got := slow.run(t, "kept")["text/plain"]; got != "7" {
		t.Errorf("after a cancelled computation: kept = %s", got)
	}

	// A cell inside one long Go builtin cannot stop: the session restarts
	// after the grace (1 s) and says so.
	s.run(t, "kept = 42")
	ctx, cancel = context.WithTimeout(context.Background(), after)
	defer cancel()
	_, err = s.Execute(ctx, "big = 3 ** 60000000")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("builtin: %v", err)
	}
	if out := s.output(); strings.Contains(out, "restarted") != errors.As(err, &abandoned) {
		t.Errorf("builtin: the output %q and the error %v disagree on whether the session restarted", out, err)
	} else if strings.Contains(out, "restarted") {
		if e := s.fail(t, "kept"); e.Kind != "NameError" {
			t.Errorf("after a restart: %v", e)
		}
		if got := s.run(t, "fsc.table('p')")["text/plain"]; got != "<fsc table p>" {
			t.Errorf("fsc after a restart: %s", got)
		}
	} else if got := s.run(t, "kept")["text/plain"]; got != "42" {
		t.Errorf("no restart, but kept = %s", got)
	}
	// A closed session runs nothing.
	s.Close()
	if _, err := s.Execute(context.Background(), "1"); err == nil {
		t.Error("a closed session ran a cell")
	}
}

// TestPythonCompleteInspect covers Complete, Inspect and IsComplete.
func TestPythonCompleteInspect(t *testing.T) {
	s := newPySession(t, "http://127.0.0.1:1")
	s.run(t, "t = fsc.table('patients')\nmy_variable = 1\ndef documented(a, b):\n    '''Adds a to b.'''\n    return a + b\nimport json")
	var methods []string
	for _, f := range script.Methods(script.OnTable) {
		methods = append(methods, f.Name)
	}
	sort.Strings(methods)
	for _, c := range []struct {
		code       string
		cursor     int
		want       []string // exactly these, unless contains is set
		contains   string
		start, end int
	}{
		{code: "fsc.ta", cursor: 6, want: []string{"table"}, start: 4, end: 6},
		{code: "x = fsc.ta", cursor: 10, want: []string{"table"}, start: 8, end: 10},
		{code: "t.me", cursor: 4, want: []string{"mean", "mean_ci", "median"}, start: 2, end: 4},
		{code: "t.", cursor: 2, want: methods, start: 2, end: 2},
		{code: "t.where('x').co", cursor: 15, want: nil, start: 13, end: 15},
		{code: "my_v", cursor: 4, want: []string{"my_variable"}, start: 0, end: 4},
		{code: "pri", cursor: 3, contains: "print", start: 0, end: 3},
		{code: "whi", cursor: 3, contains: "while", start: 0, end: 3},
		{code: "fsc.Dis", cursor: 7, want: []string{"DisclosureError"}, start: 4, end: 7},
		{code: "ü = 1\nfsc.ta + 1", cursor: 12, want: []string{"table"}, start: 10, end: 12},
		{code: "json.du", cursor: 7, want: []string{"dumps"}, start: 5, end: 7},
		{code: "'abc'.jo", cursor: 8, want: nil, start: 6, end: 8},
	} {
		got, start, end := s.Complete(c.code, c.cursor)
		ok := start == c.start && end == c.end
		if c.contains != "" {
			ok = ok && slices.Contains(got, c.contains)
		} else {
			ok = ok && slices.Equal(got, c.want)
		}
		if !ok {
			t.Errorf("Complete(%q, %d) = %v [%d, %d), want %v%s [%d, %d)", c.code, c.cursor, got, start, end, c.want, c.contains, c.start, c.end)
		}
	}

	doc := func(name string) string { // of the table method, or of fsc.name
		for _, f := range script.Funcs {
			if f.Name == name && (f.On == script.OnTable || name == "table") {
				return f.Doc
			}
		}
		return "?"
	}
	for _, c := range []struct {
		code   string
		cursor int
		want   string
	}{
		{"fsc.table", 6, doc("table")},
		{"t.quantile(", 11, doc("quantile")},
		{"t.histogram('age', bins=", 24, doc("histogram")},
		{"x = t.mean", 8, doc("mean")},
		{"unknown.median", 10, doc("median")},
		{"documented(1, ", 14, "Adds a to b."},
		{"documented", 3, "documented(a, b)"},
		{"my_variable", 2, "int: 1"},
		{"fsc.DisclosureError", 8, "policy refused"},
		{"json.dumps", 7, "dumps(obj"},
	} {
		got, found := s.Inspect(c.code, c.cursor)
		if !found || !strings.Contains(got, c.want) {
			t.Errorf("Inspect(%q, %d) = %q, %v, want %q", c.code, c.cursor, got, found, c.want)
		}
	}
	if got, found := s.Inspect("nothing_like_this", 3); found {
		t.Errorf("Inspect(nothing) = %q", got)
	}

	for _, c := range []struct{ code, status, indent string }{
		{"x = 1", "complete", ""},
		{"", "complete", ""},
		{"t.mean('age')", "complete", ""},
		{"if x:", "incomplete", "    "},
		{"for i in range(3):  # loop", "incomplete", "    "},
		{"def f():\n    if y:", "incomplete", "        "},
		{"if x:\n    y = 1", "incomplete", "    "},
		{"if x:\n    y = 1\n\n", "complete", ""},
		{"x = [1,", "incomplete", "    "},
		{"x = [1,\n     2]", "complete", ""},
		{"def f():\n    return g(1,\n             2)", "incomplete", "    "},
		{"t.histogram('age',\n", "incomplete", "    "},
		{"s = '''abc", "incomplete", ""},
		{"print 1", "invalid", ""},
		{"x = = 1", "invalid", ""},
		{"x = 1 +", "invalid", ""},
		{"f'{x:.2f}'", "complete", ""},
	} {
		status, indent := s.IsComplete(c.code)
		if status != c.status || indent != c.indent {
			t.Errorf("IsComplete(%q) = %s %q, want %s %q", c.code, status, indent, c.status, c.indent)
		}
	}
}

// TestPyGapsTableIsCPython runs every expression of the pyGaps table under
// Debian's CPython (/usr/bin/python3): the table's answers are CPython's.
func TestPyGapsTableIsCPython(t *testing.T) {
	exprs := make([]string, len(pyGaps))
	for i, c := range pyGaps {
		exprs[i] = c.expr
	}
	in, _ := json.Marshal(exprs)
	cmd := exec.Command("/usr/bin/python3", "-c", "import sys, json\nprint(json.dumps([str(eval(e)) for e in json.load(sys.stdin)]))")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("/usr/bin/python3 (make test-deps installs it): %v", err)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(pyGaps) {
		t.Fatalf("CPython's answers: %v %s", err, out)
	}
	for i, c := range pyGaps {
		if got[i] != c.cpython {
			t.Errorf("%s: the table says %q, CPython says %q", c.expr, c.cpython, got[i])
		}
	}
}
