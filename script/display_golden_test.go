package script_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
	"github.com/fsc-kernel/fsc-kernel/script/python"
)

var update = flag.Bool("update", false, "rewrite the golden files of displays")

// displays are the statistics with a display of their own, as a notebook
// cell asks for them. Each one's text/plain and text/html are compared with
// testdata/golden/NAME.txt and NAME.html, computed by three real nodes
// on the example federation.
var displays = []struct{ name, python, lua string }{
	{"summary", `t.summary("age")`, `t:summary("age")`},
	{"frequency", `t.frequency("response")`, `t:frequency("response")`},
	{"crosstab", `t.crosstab("sex", "response")`, `t:crosstab("sex", "response")`},
	{"histogram", `t.histogram("age", bins=6, range=[0, 120])`, `t:histogram("age", {bins=6, range={0, 120}})`},
	{"ols", `t.ols("bmi", ["age", "dose"])`, `t:ols("bmi", {"age", "dose"})`},
	{"glm", `t.glm("toxicity", ["age", "sex"], family="binomial")`, `t:glm("toxicity", {"age", "sex"}, {family="binomial"})`},
	{"ttest", `t.ttest("age", by="sex")`, `t:ttest("age", {by="sex"})`},
	{"chisq", `t.chisq("sex", "response")`, `t:chisq("sex", "response")`},
	{"mean_ci", `t.mean_ci("age")`, `t:mean_ci("age")`},
	{"prop_ci", `t.prop_ci("toxicity")`, `t:prop_ci("toxicity")`},
}

// TestDisplaysGolden pins what each display shows, in text and in HTML
// (a picture's HTML is left out: TestHistogramPictures checks those), and
// checks that Lua shows the same text as Python.
func TestDisplaysGolden(t *testing.T) {
	fed := federation(t)
	py, err := python.New(script.NewEnv(fed.Nodes[0].URL, "", script.Output{}))
	if err != nil {
		t.Fatal(err)
	}
	defer py.Close()
	lua := lua.New(script.NewEnv(fed.Nodes[0].URL, "", script.Output{}))
	defer lua.Close()
	ctx := context.Background()
	if _, err := py.Execute(ctx, `t = fsc.table("patients")`); err != nil {
		t.Fatal(err)
	}
	if _, err := lua.Execute(ctx, `t = fsc.table("patients")`); err != nil {
		t.Fatal(err)
	}
	for _, d := range displays {
		t.Run(d.name, func(t *testing.T) {
			mime, err := py.Execute(ctx, d.python)
			if err != nil {
				t.Fatalf("%s: %v", d.python, err)
			}
			golden(t, d.name+".txt", mime["text/plain"])
			if d.name != "histogram" {
				golden(t, d.name+".html", mime["text/html"])
			}
			lmime, err := lua.Execute(ctx, d.lua)
			if err != nil {
				t.Fatalf("%s: %v", d.lua, err)
			}
			if lmime["text/plain"] != mime["text/plain"] {
				t.Errorf("Lua shows\n%s\nPython shows\n%s", lmime["text/plain"], mime["text/plain"])
			}
		})
	}
}

// golden compares got with the file testdata/golden/name, or rewrites it
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./script -run TestDisplaysGolden -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
	if strings.TrimSpace(got) == "" {
		t.Errorf("%s is empty", name)
	}
}
