package script

import (
	"os"
	"strings"
	"testing"

	"github.com/go-python/gpython/py"
)

// FuzzPyRewriteFStrings: rewriting f-strings never panics and keeps the
// number of lines (so errors name the right line).
func FuzzPyRewriteFStrings(f *testing.F) {
	for _, seed := range []string{
		`f"{x}"`, `f'{x!r:>{w}}'`, "f'''a\n{x +\n 1}'''\nb", `rf'\d{x}'`, `f"{ {'a': 1}['a'] }"`,
		`f'{x=}' 'y{' F"{{z}}"`, `f'{x'`, `f'}'`, `# f'{x}'`, `'f{x}'`, `f"\N{DASH}{x}"`, "(f'a'\n # c\n 'b{')",
		`f'{a[1:2]}{b!s}{c:{d}.{e}}'`, `f'{x == y}{x != y}{x <= y}'`, `f"{'nested' + f'{x}'}"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, ok := pyFStrings(src) // not pyRewriteFStrings, which recovers
		if ok && strings.Count(out, "\n") != strings.Count(src, "\n") {
			t.Errorf("%q became %q: lines changed", src, out)
		}
	})
}

// FuzzPyFormat: str.format never panics, whatever the format string.
func FuzzPyFormat(f *testing.F) {
	for _, seed := range []string{"{}", "{0:>{1}}", "{k:,.2f}", "{:08_x}", "{!r:^9}", "{0[0]}", "{:%}", "{:.3}", "{{}}", "{:c}", "{:=+#010,.3e}"} {
		f.Add(seed)
	}
	args := py.Tuple{py.Int(1234), py.Float(-2.5), py.String("s"), py.True, py.NewListFromItems([]py.Object{py.Int(1)})}
	f.Fuzz(func(t *testing.T, format string) {
		pyFormatString(format, args, py.StringDict{"k": py.Float(1e300)})
	})
}

// TestPythonVMHooked checks that the VM hooks that stop a cancelled cell in
// place are installed: they are not when gpython's version or layout
// differs from the one they were written for.
func TestPythonVMHooked(t *testing.T) {
	if !pyHooked {
		t.Fatalf("the gpython VM hooks are off (gpython %q, want %s): cancellation would restart the interpreter", pyGpythonVersion(), pyHookedVersion)
	}
	// A test binary does not record its modules' versions: read go.mod.
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mod), "github.com/go-python/gpython "+pyHookedVersion+"\n") {
		t.Fatalf("go.mod does not pin gpython %s, the version whose internals python_vm.go hooks", pyHookedVersion)
	}
}
