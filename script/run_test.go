package script_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/script"
)

// TestKernelRun runs `fsc-kernel run` as a process: the demo study twice
// (byte-identical results), and a failing study (non-zero exit, the error
// named).
func TestKernelRun(t *testing.T) {
	fed := federation(t)
	dir := t.TempDir()
	kernel, err := fedrun.Build(dir, "..", "fsc-kernel")
	if err != nil {
		t.Fatal(err)
	}
	results := func(out string) []byte {
		t.Helper()
		cmd := exec.Command(kernel, "run", "../examples/studies/demo.lua", "--node", fed.Nodes[0].URL, "--out", out)
		printed, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fsc-kernel run: %v\n%s", err, printed)
		}
		if !strings.Contains(string(printed), "median_survival = ") {
			t.Errorf("outputs were not printed as they came:\n%s", printed)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var rep map[string]json.RawMessage
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatal(err)
		}
		return rep["results"]
	}
	a, b := results(filepath.Join(dir, "a.json")), results(filepath.Join(dir, "b.json"))
	if !bytes.Equal(a, b) {
		t.Errorf("two runs on the same data differ:\n%s\n%s", a, b)
	}

	bad := filepath.Join(dir, "bad.lua")
	os.WriteFile(bad, []byte(`fsc.output("n", fsc.table("patients"):mean("no_such_column"))`), 0o644)
	cmd := exec.Command(kernel, "run", bad, "--node", fed.Nodes[0].URL, "--out", filepath.Join(dir, "bad.json"))
	printed, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(printed), "InputError") || !strings.Contains(string(printed), "no_such_column") {
		t.Errorf("a failing study: %v\n%s", err, printed)
	}
	// results.json marks a failed study and each computation's outcome.
	mixed := filepath.Join(dir, "mixed.lua")
	os.WriteFile(mixed, []byte(`local t = fsc.table("patients")
fsc.output("n", t:count())
local ok = pcall(function() return t:where("age >= 95"):count() end)
fsc.output("refused", not ok)
fsc.output("never", t:mean("no_such_column"))
`), 0o644)
	out := filepath.Join(dir, "mixed.json")
	exec.Command(kernel, "run", mixed, "--node", fed.Nodes[0].URL, "--out", out).Run()
	var rep struct {
		Status, Error string
		Provenance    struct {
			Computations []struct{ Outcome, Error string }
		}
	}
	raw, _ := os.ReadFile(out)
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("results of a failed study: %v\n%s", err, raw)
	}
	var outcomes []string
	for _, c := range rep.Provenance.Computations {
		outcomes = append(outcomes, c.Outcome)
	}
	if rep.Status != "failed" || !strings.Contains(rep.Error, "InputError") || strings.Join(outcomes, " ") != "ok refused failed" {
		t.Errorf("results of a study with a refusal and a failure: status %q, error %q, outcomes %v\n%s", rep.Status, rep.Error, outcomes, raw)
	}

	// Errors name the study file and line, in both languages.
	for name, src := range map[string]string{
		"broken.lua": "local x = 1\nlocal y = nil + 1\n",
		"broken.py":  "x = 1\ny = None + 1\n",
	} {
		file := filepath.Join(dir, name)
		os.WriteFile(file, []byte(src), 0o644)
		printed, err := exec.Command(kernel, "run", file, "--node", fed.Nodes[0].URL, "--out", filepath.Join(dir, "broken.json")).CombinedOutput()
		if err == nil || !strings.Contains(string(printed), name) || !strings.Contains(string(printed), "2") || strings.Contains(string(printed), "cell") {
			t.Errorf("%s: %v, want an error naming the file and line 2:\n%s", name, err, printed)
		}
	}
}

// TestPythonStudyMatchesLua runs the pilot study in both languages: the
// results they share are the same.
func TestPythonStudyMatchesLua(t *testing.T) {
	fed := federation(t)
	ctx := context.Background()
	lua, err := script.RunStudy(ctx, "../examples/studies/pilot.lua", languages, fed.Nodes[0].URL, "", script.Output{})
	if err != nil {
		t.Fatal(err)
	}
	py, err := script.RunStudy(ctx, "../examples/studies/pilot.py", languages, fed.Nodes[0].URL, "", script.Output{})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range py.Results {
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(lua.Results[name])
		if !bytes.Equal(a, b) {
			t.Errorf("%s: Python %s, Lua %s", name, a, b)
		}
	}
	if len(py.Results) != 9 {
		t.Errorf("Python study recorded %d results: %v", len(py.Results), py.Results)
	}
}
