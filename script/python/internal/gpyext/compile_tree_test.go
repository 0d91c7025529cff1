package gpyext

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/go-python/gpython/py"
)

// TestCompileTreeAsGpython: a cell without f-strings compiles from its
// tree to exactly the code gpython compiles from its source, functions,
// classes, closures and comprehensions included. It fails when an upgrade
// of gpython changes the compiler compile_tree.go reaches into.
func TestCompileTreeAsGpython(t *testing.T) {
	for _, src := range []string{
		"x = 1\n",
		"def f(a, *b, c=2, **d):\n    return [y * 2 for y in b if y]\nprint(f(1, 2, 3))\n",
		"class A(object):\n    '''doc'''\n    k = 1\n    def g(self):\n        return __class__\n",
		"def outer():\n    v = 1\n    def inner():\n        nonlocal v\n        v += 1\n        return v\n    return inner\n",
		"try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    r = e\nfinally:\n    pass\n",
		"g = (i for i in range(3))\nwith open as f:\n    del x\nwhile True:\n    break\nelse:\n    pass\n",
		"global q\nq = {k: v for k, v in [(1, 2)]}\ns = {1, 2}\nlambda x=1: x\n",
	} {
		tree, err := parseCell(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		got, err := compileTree(tree, "<cell>")
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		want, err := py.Compile(src, "<cell>", py.ExecMode, 0, true)
		if err != nil {
			t.Fatalf("%q: gpython: %v", src, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: the tree compiles to other code than the source", src)
		}
	}
}

// runCell compiles and runs code in a fresh interpreter: what it printed,
// and its error.
func runCell(t *testing.T, code string) (string, error) {
	t.Helper()
	var out strings.Builder
	ip, err := New(Options{Stdout: func(s string) { out.WriteString(s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	c, err := Compile(code)
	if err != nil {
		return "", err
	}
	ip.Begin(context.Background())
	_, err = ip.Run(c)
	ip.Flush()
	ip.End()
	return out.String(), err
}

// TestFStringsAreTrees: an f-string is a node of the cell's tree, not
// source written for it. Its nodes keep their lines (an error inside a
// field names the analyst's line), and it cannot be assigned to, nor named
// as a keyword, as in CPython.
func TestFStringsAreTrees(t *testing.T) {
	out, err := runCell(t, "a = 2\nprint(f'''x\n{a:>{a}}\n{f\"{a!r}\" * 2}''')\n")
	if err != nil || out != "x\n 2\n22\n" {
		t.Errorf("a multi-line f-string: %q, %v", out, err)
	}
	_, err = runCell(t, "a = 0\nb = (f'{1}'\n     f'''\n{1 / a}''')\n")
	if e := Describe(err); e.Kind != "ZeroDivisionError" || e.Where != "line 4" {
		t.Errorf("an error inside a field on the cell's line 4: %s at %q", e, e.Where)
	}
	for _, c := range []struct{ code, msg string }{
		{"x = 1\nf'{x}' = 2", "cannot assign to f-string expression (line 2): f'{x}' = 2"},
		{"for f'{i}' in []: pass", "cannot assign to f-string expression (line 1): for f'{i}' in []: pass"},
		{"del f'a{1}'", "cannot assign to f-string expression (line 1): del f'a{1}'"},
	} {
		_, err := Compile(c.code)
		if e, ok := err.(*Error); !ok || e.Kind != "SyntaxError" || e.Msg != c.msg {
			t.Errorf("%q: %v, want SyntaxError: %s", c.code, err, c.msg)
		}
	}
	if _, err := Compile("print(f'{1}'=1)"); err == nil {
		t.Errorf("an f-string as a keyword's name compiled")
	}
	out, err = runCell(t, "def g():\n    f'not {1} a docstring'\n    return 5\nprint(g())\n")
	if err != nil || out != "5\n" {
		t.Errorf("an f-string as a function's first statement: %q, %v", out, err)
	}
	out, err = runCell(t, "_fsc_fstring_0 = 'mine'\nprint(f'{_fsc_fstring_0}', _fsc_fstring_0)\n")
	if err != nil || out != "mine mine\n" {
		t.Errorf("a name like the placeholders: %q, %v", out, err)
	}
}
