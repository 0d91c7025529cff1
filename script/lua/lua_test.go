package lua_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

func TestLuaCellsShowTrailingValues(t *testing.T) {
	fed := example.Start(t)
	all := example.Pooled(t)
	var shown []map[string]string
	env := script.NewEnv(fed.Nodes[0].URL, "", script.Output{Display: func(m map[string]string, _ string, _ bool) { shown = append(shown, m) }})
	l := lua.New(env)
	defer l.Close()
	ctx := context.Background()
	run := func(code string) map[string]string {
		t.Helper()
		out, err := l.Execute(ctx, code)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		return out
	}
	if out := run(`t = fsc.table("patients")`); out != nil {
		t.Errorf("an assignment showed %v", out)
	}
	if out := run("t:count()"); out["text/plain"] != fmt.Sprint(all.Rows) {
		t.Errorf("count shows %v, want %d", out, all.Rows)
	}
	ages := fedrun.ValuesFor(t, all, "age", "sex == 'F'")
	if out := run("local f = t:where(\"sex == 'F'\")\nf:median(\"age\")"); out["text/plain"] != fmt.Sprint(stats.QuantileSorted(ages, 0.5)) {
		t.Errorf("median shows %v, want %v", out, stats.QuantileSorted(ages, 0.5))
	}
	out := run(`t:summary("age")`)
	if !strings.Contains(out["text/html"], "<table>") || !strings.Contains(out["text/plain"], "mean") {
		t.Errorf("summary shows %v, want an HTML table", out)
	}
	out = run(`t:histogram("age", {bins = {0, 40, 60, 80, 120}})`)
	if !strings.Contains(out["image/svg+xml"], "<svg") || !strings.Contains(out["image/svg+xml"], "histogram of age") || !strings.HasPrefix(out["image/png"], "iVBORw0KGgo") {
		t.Errorf("histogram shows %v, want a picture (SVG and PNG)", out)
	}
	run(`h = t:histogram("age", {bins = {0, 40, 60, 80, 120}})`)
	if out := run("h.counts[2]"); out["text/plain"] == "" || out["text/plain"] == "nil" {
		t.Errorf("histogram counts unreachable: %v", out)
	}
	run(`fsc.display(fsc.html("<b>x</b>"))`)
	if len(shown) != 1 || shown[0]["text/html"] != "<b>x</b>" {
		t.Errorf("display sent %v", shown)
	}

	// connect: the node answers; its tables are the federation's.
	run(`node = fsc.connect("` + fed.Nodes[0].URL + `")`)
	if out := run("#node:info().members"); out["text/plain"] != "3" {
		t.Errorf("node:info() lists %v members, want 3", out)
	}
	if out := run(`node:table("patients"):count()`); out["text/plain"] != fmt.Sprint(all.Rows) {
		t.Errorf("node:table count shows %v, want %d", out, all.Rows)
	}
	if out := run(`tostring(node)`); out["text/plain"] != "<fsc node "+fed.Nodes[0].URL+">" {
		t.Errorf("node shows %v", out)
	}
	_, err := l.Execute(ctx, `fsc.connect("http://127.0.0.1:1")`)
	var e *script.Error
	if !errors.As(err, &e) || e.Kind != script.UnreachableError || !strings.Contains(e.Msg, "127.0.0.1:1") || !strings.Contains(e.Msg, "is fsc-node running") {
		t.Errorf("connect to no node: %v, want an UnreachableError naming the URL and asking whether fsc-node runs", err)
	}
	if out := run(`node:table("patients"):count()`); out["text/plain"] != fmt.Sprint(all.Rows) {
		t.Errorf("a failed connect changed the node: %v", out)
	}
}

func TestLuaOwnDataWithEveryParty(t *testing.T) {
	fed := example.Start(t)
	urls := fed.URLs()
	own := [][]float64{{1, 2, 3}, {10, 20}, {0.5}}
	got := make([]string, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := lua.New(script.NewEnv(u, "", script.Output{}))
			defer l.Close()
			nodes := `{"` + strings.Join(urls, `", "`) + `"}`
			vals := strings.Trim(strings.ReplaceAll(fmt.Sprint(own[i]), " ", ", "), "[]")
			out, err := l.Execute(context.Background(), fmt.Sprintf(
				"net = {nodes = %s, uuid = \"lua-study\", myself = %d}\nfsc.sum({%s}, net)", nodes, i, vals))
			if out != nil {
				got[i] = out["text/plain"]
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range urls {
		if errs[i] != nil || got[i] != "36.5" {
			t.Errorf("party %d: %q %v, want 36.5", i, got[i], errs[i])
		}
	}
}

func TestLuaCancelStopsALoop(t *testing.T) {
	l := lua.New(script.NewEnv("http://127.0.0.1:1", "", script.Output{}))
	defer l.Close()
	if _, err := l.Execute(context.Background(), "kept = 42"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := l.Execute(ctx, "while true do end")
	var abandoned *script.Abandoned
	if !errors.Is(err, context.Canceled) || errors.As(err, &abandoned) {
		t.Fatalf("got %v, want the loop stopped by the cancel, not abandoned", err)
	}
	if out, err := l.Execute(context.Background(), "kept + 1"); err != nil || out["text/plain"] != "43" {
		t.Fatalf("after cancel: %v %v", out, err)
	}
}

// TestLuaCancelInsideABuiltin: a cell inside a long builtin call (which
// the VM cannot stop) gives control back within the grace period, and the
// session says that it was restarted.
func TestLuaCancelInsideABuiltin(t *testing.T) {
	var out strings.Builder
	var mu sync.Mutex
	l := lua.New(script.NewEnv("http://127.0.0.1:1", "", script.Output{Stdout: func(s string) {
		mu.Lock()
		out.WriteString(s)
		mu.Unlock()
	}}))
	defer l.Close()
	if _, err := l.Execute(context.Background(), "kept = 1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := l.Execute(ctx, `local s = string.rep("a", 1000):find(".-.-b")`) // seconds in one call
	var abandoned *script.Abandoned
	if !errors.Is(err, context.Canceled) || !errors.As(err, &abandoned) {
		t.Fatalf("got %v, want the call abandoned after the grace (script.Abandoned wrapping the cancel)", err)
	}
	mu.Lock()
	said := out.String()
	mu.Unlock()
	if !strings.Contains(said, "restarted") {
		t.Errorf("the restart was not said: %q", said)
	}
	if got, err := l.Execute(context.Background(), "kept == nil and fsc ~= nil"); err != nil || got["text/plain"] != "true" {
		t.Errorf("the fresh session: %v %v", got, err)
	}
}

func TestLuaCompleteInspectIsComplete(t *testing.T) {
	l := lua.New(script.NewEnv("http://127.0.0.1:1", "", script.Output{}))
	defer l.Close()
	matches, start, end := l.Complete("x = fsc.ta", 10)
	if !slices.Contains(matches, "table") || start != 8 || end != 10 {
		t.Errorf("fsc.ta: %v %d %d", matches, start, end)
	}
	if matches, _, _ = l.Complete("t:me", 4); !slices.Contains(matches, "mean") || !slices.Contains(matches, "median") {
		t.Errorf("t:me: %v", matches)
	}
	for _, c := range []struct {
		code   string
		cursor int
		want   string
	}{
		{"t:median(", 4, "t:median(column)"},       // on the name
		{"t:median(", 9, "t:median(column)"},       // after the parenthesis
		{"x = t:median( ", 14, "t:median(column)"}, // inside the call
		{"fsc.median(", 6, "fsc.median(values"},    // the module function, not the method
		{"fsc.median(", 11, "fsc.median(values"},   // after its parenthesis
		{"fsc.table(", 10, "fsc.table("},           // the function being called
		{"t:count(t:mean(", 15, "t:mean(column)"},  // the innermost call
		{"t:mean(\"age\") + t:sum(", 22, "t:sum("}, // a call after a closed one
	} {
		if doc, ok := l.Inspect(c.code, c.cursor); !ok || !strings.HasPrefix(doc, c.want) {
			t.Errorf("inspect %q at %d: %q %v, want the documentation of %s", c.code, c.cursor, doc, ok, c.want)
		}
	}
	l.Execute(context.Background(), "answer = 42")
	if doc, ok := l.Inspect("answer", 3); !ok || doc != "answer: number\n\n42" {
		t.Errorf("inspect a variable: %q %v", doc, ok)
	}
	for code, want := range map[string]string{"x = 1": "complete", "for i = 1, 2 do": "incomplete", "x = )": "invalid"} {
		if got, _ := l.IsComplete(code); got != want {
			t.Errorf("IsComplete(%q) = %s, want %s", code, got, want)
		}
	}
}

// TestLuaIOGoesToTheOutput: io.write and io.stdout/io.stderr write to the
// cell's output, not to the process's files.
func TestLuaIOGoesToTheOutput(t *testing.T) {
	var out, errs strings.Builder
	l := lua.New(script.NewEnv("http://127.0.0.1:1", "", script.Output{
		Stdout: func(s string) { out.WriteString(s) }, Stderr: func(s string) { errs.WriteString(s) }}))
	defer l.Close()
	if _, err := l.Execute(context.Background(), `io.write("a", 1, "\n"); io.stdout:write("b\n"):write("c\n"); io.stderr:write("oops\n")`); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a1\nb\nc\n" || errs.String() != "oops\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errs.String())
	}
	if _, err := l.Execute(context.Background(), `io.write({})`); err == nil || !strings.Contains(err.Error(), "string expected") {
		t.Errorf("io.write({}): %v", err)
	}
	for _, code := range []string{"io.read()", "io.lines()", `io.popen("ls")`, `os.execute("sleep 600")`, "os.exit(1)"} {
		if _, err := l.Execute(context.Background(), code); err == nil || !strings.Contains(err.Error(), "not available") {
			t.Errorf("%s: %v", code, err)
		}
	}
	file := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(file, []byte("a\nb\n"), 0o644)
	out.Reset()
	if _, err := l.Execute(context.Background(), `for line in io.lines("`+file+`") do io.write(line, ";") end`); err != nil || out.String() != "a;b;" {
		t.Errorf("io.lines(file): %v %q", err, out.String())
	}
}

// TestLuaEveryTableFunction: each table function in Lua equals the
// plaintext on the pooled CSVs.
func TestLuaEveryTableFunction(t *testing.T) {
	fed := example.Start(t)
	all := example.Pooled(t)
	l := lua.New(script.NewEnv(fed.Nodes[0].URL, "", script.Output{}))
	defer l.Close()
	ctx := context.Background()
	num := func(code string) float64 {
		t.Helper()
		out, err := l.Execute(ctx, code)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		var f float64
		if _, err := fmt.Sscan(out["text/plain"], &f); err != nil {
			t.Fatalf("%s shows %q, not a number", code, out["text/plain"])
		}
		return f
	}
	near := func(code string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.12g, want %.12g", code, got, want)
		}
	}
	if _, err := l.Execute(ctx, `t = fsc.table("patients")
w = t:where("sex == 'M'"):where("age >= 50")`); err != nil {
		t.Fatal(err)
	}
	ages := fedrun.ValuesFor(t, all, "age", "")
	men := fedrun.ValuesFor(t, all, "age", "sex == 'M' and age >= 50")
	dose := fedrun.ValuesFor(t, all, "dose", "")
	near(`t:count()`, num(`t:count()`), float64(all.Rows))
	near(`w:count()`, num(`w:count()`), float64(len(men)))
	near(`t:count("bmi")`, num(`t:count("bmi")`), float64(len(fedrun.ValuesFor(t, all, "bmi", ""))))
	near(`t:sum("age")`, num(`t:sum("age")`), stat.Mean(ages, nil)*float64(len(ages)))
	near(`t:mean("dose")`, num(`t:mean("dose")`), stat.Mean(dose, nil))
	near(`t:var("age")`, num(`t:var("age")`), stat.Variance(ages, nil))
	near(`t:std("age")`, num(`t:std("age")`), stat.StdDev(ages, nil))
	near(`w:median("age")`, num(`w:median("age")`), stats.QuantileSorted(men, 0.5))
	near(`t:quantile("dose", {0.9})[1]`, num(`t:quantile("dose", {0.9})[1]`), stats.QuantileSorted(dose, 0.9))
	near(`t:summary("age").mean`, num(`t:summary("age").mean`), stat.Mean(ages, nil))
	near(`t:histogram("age", {bins = 4, range = {18, 96}}).counts[1]`, num(`t:histogram("age", {bins = 4, range = {18, 96}}).counts[1]`),
		float64(len(fedrun.ValuesFor(t, all, "age", "age < 37.5"))))
	near(`t:frequency("sex").F`, num(`t:frequency("sex").F`), float64(len(fedrun.ValuesFor(t, all, "age", "sex == 'F'"))))
	near(`t:crosstab("sex", "response").M.CR`, num(`t:crosstab("sex", "response").M.CR`), float64(len(fedrun.ValuesFor(t, all, "age", "sex == 'M' and response == 'CR'"))))
	ca, _ := all.NumericColumn("age")
	cd, _ := all.NumericColumn("dose")
	near(`t:cor("age", "dose")`, num(`t:cor("age", "dose")`), stat.Correlation(ca.Num, cd.Num, nil))
	near(`t:cov("age", "dose")`, num(`t:cov("age", "dose")`), stat.Covariance(ca.Num, cd.Num, nil))
	_, slope := stat.LinearRegression(cd.Num, ca.Num, nil, false)
	near(`t:ols("age", {"dose"}).coefficients.dose`, num(`t:ols("age", {"dose"}).coefficients.dose`), slope)
	if out, err := l.Execute(ctx, `t:columns().sex`); err != nil || out["text/plain"] != "categorical" {
		t.Errorf("columns: %v %v", out, err)
	}
}
