package script_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/fsc-kernel/fsc-kernel"

// TestImportDirection holds the scripting packages to DESIGN §1:
// cmd/fsc-kernel -> {kernel, script/python, script/lua}, kernel -> script,
// script/* -> script -> mpc/client; gpython is imported only under
// script/python, gopher-lua only under script/lua, and gpython's
// extensions (script/python/internal/gpyext) know nothing of the DSL.
// Test files are not counted: tests may run a language they do not
// depend on.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath    string
		Imports, Deps []string
	}
	pkgs := map[string]pkg{}
	for dec := json.NewDecoder(strings.NewReader(string(out))); ; {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	const (
		gpython   = "github.com/go-python/gpython"
		gopherLua = "github.com/yuin/gopher-lua"
	)
	under := func(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }
	// Who imports a language's interpreter.
	for name, p := range pkgs {
		for _, imp := range p.Imports {
			if under(imp, gpython) && !under(name, "script/python") {
				t.Errorf("%s imports %s: gpython belongs under script/python", name, imp)
			}
			if under(imp, gopherLua) && !under(name, "script/lua") {
				t.Errorf("%s imports %s: gopher-lua belongs under script/lua", name, imp)
			}
		}
	}
	// What a package may depend on, directly or not.
	for _, c := range []struct {
		name   string
		banned []string
	}{
		{"script", []string{module + "/script/python", module + "/script/lua", module + "/kernel", gpython, gopherLua}},
		{"script/worker", []string{module + "/script/python", module + "/script/lua", module + "/kernel", gpython, gopherLua}},
		{"kernel", []string{module + "/script/python", module + "/script/lua", gpython, gopherLua}},
		{"script/lua", []string{module + "/script/python", module + "/kernel", gpython}},
		{"script/python", []string{module + "/script/lua", module + "/kernel", gopherLua}},
		{"script/python/internal/gpyext", []string{module + "/"}},
	} {
		p, ok := pkgs[c.name]
		if !ok {
			t.Errorf("no package %s", c.name)
			continue
		}
		for _, d := range p.Deps {
			for _, b := range c.banned {
				if under(d, strings.TrimSuffix(b, "/")) || (strings.HasSuffix(b, "/") && strings.HasPrefix(d, b)) {
					t.Errorf("%s depends on %s", c.name, d)
				}
			}
		}
	}
	// The runtime is chosen where the binary is put together.
	if deps := pkgs["cmd/fsc-kernel"].Imports; !slices.Contains(deps, module+"/script/python") || !slices.Contains(deps, module+"/script/lua") {
		t.Errorf("cmd/fsc-kernel imports %v: it picks the languages", deps)
	}
}
