package script_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

func TestLuaCellsShowTrailingValues(t *testing.T) {
	fed := federation(t)
	all := pooled(t)
	var shown []map[string]string
	env := script.NewEnv(fed.Nodes[0].URL, "", script.Output{Display: func(m map[string]string) { shown = append(shown, m) }})
	l := script.NewLua(env)
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
	ages := values(t, all, "age", "sex == 'F'")
	if out := run("local f = t:where(\"sex == 'F'\")\nf:median(\"age\")"); out["text/plain"] != fmt.Sprint(stats.QuantileSorted(ages, 0.5)) {
		t.Errorf("median shows %v, want %v", out, stats.QuantileSorted(ages, 0.5))
	}
	out := run(`t:summary("age")`)
	if !strings.Contains(out["text/html"], "<table>") || !strings.Contains(out["text/plain"], "mean") {
		t.Errorf("summary shows %v, want an HTML table", out)
	}
	out = run(`t:histogram("age", {bins = {0, 40, 60, 80, 120}})`)
	if !strings.Contains(out["image/svg+xml"], "<rect") || !strings.HasPrefix(out["image/png"], "iVBORw0KGgo") {
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
}

func TestLuaOwnDataWithEveryParty(t *testing.T) {
	fed := federation(t)
	urls := fed.URLs()
	own := [][]float64{{1, 2, 3}, {10, 20}, {0.5}}
	got := make([]string, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := script.NewLua(script.NewEnv(u, "", script.Output{}))
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
	l := script.NewLua(script.NewEnv("http://127.0.0.1:1", "", script.Output{}))
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := l.Execute(ctx, "while true do end")
	if !errors.Is(err, context.Canceled) || time.Since(start) > 1200*time.Millisecond {
		t.Fatalf("got %v after %v, want cancelled within 1 s", err, time.Since(start))
	}
	if out, err := l.Execute(context.Background(), "1 + 1"); err != nil || out["text/plain"] != "2" {
		t.Fatalf("after cancel: %v %v", out, err)
	}
}

func TestLuaCompleteInspectIsComplete(t *testing.T) {
	l := script.NewLua(script.NewEnv("http://127.0.0.1:1", "", script.Output{}))
	defer l.Close()
	matches, start, end := l.Complete("x = fsc.ta", 10)
	if !slices.Contains(matches, "table") || start != 8 || end != 10 {
		t.Errorf("fsc.ta: %v %d %d", matches, start, end)
	}
	if matches, _, _ = l.Complete("t:me", 4); !slices.Contains(matches, "mean") || !slices.Contains(matches, "median") {
		t.Errorf("t:me: %v", matches)
	}
	if doc, ok := l.Inspect("t:median(", 4); !ok || !strings.Contains(doc, "type 7") {
		t.Errorf("inspect median: %q %v", doc, ok)
	}
	for code, want := range map[string]string{"x = 1": "complete", "for i = 1, 2 do": "incomplete", "x = )": "invalid"} {
		if got, _ := l.IsComplete(code); got != want {
			t.Errorf("IsComplete(%q) = %s, want %s", code, got, want)
		}
	}
}
