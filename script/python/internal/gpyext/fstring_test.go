package gpyext

import (
	"strings"
	"testing"
)

// FuzzFStrings: parsing f-strings never panics, keeps the
// number of lines (so that errors name the right line), and an f-string
// error points into the source.
func FuzzFStrings(f *testing.F) {
	for _, seed := range []string{
		`f"{x}"`, `f'{x!r:>{w}}'`, "f'''a\n{x +\n 1}'''\nb", `rf'\d{x}'`, `f"{ {'a': 1}['a'] }"`,
		`f'{x=}' 'y{' F"{{z}}"`, `f'{x'`, `f'}'`, `# f'{x}'`, `'f{x}'`, `f"\N{DASH}{x}"`, "(f'a'\n # c\n 'b{')",
		`f'{a[1:2]}{b!s}{c:{d}.{e}}'`, `f'{x == y}{x != y}{x <= y}'`, `f"{'nested' + f'{x}'}"`,
		`f'{x +}'`, `f'{}'`, `f'{x!z}'`, `f'{x#}'`, "f'''{x\n=}'''", "rf'''{x\n=}'''",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p := &cellParser{code: src, tag: "_fsc_fstring_"}
		for strings.Contains(src, p.tag) {
			p.tag += "_"
		}
		placed, groups, ferr := p.place(src, 0) // not parseCell, whose callers recover
		switch {
		case ferr != nil:
			if ferr.at < 0 || ferr.at > len(src) || !strings.HasPrefix(ferr.msg, "f-string") {
				t.Errorf("%q: error %q at %d, outside the source or not an f-string's", src, ferr.msg, ferr.at)
			}
		case strings.Count(placed, "\n") != strings.Count(src, "\n"):
			t.Errorf("%q became %q: lines changed", src, placed)
		default:
			for _, g := range groups {
				if _, err := p.groupTree(g); err != nil {
					if e, ok := err.(*fError); !ok || e.at < 0 || e.at > len(src) {
						t.Errorf("%q: error %v outside the source", src, err)
					}
				}
			}
		}
	})
}

// TestFStringErrorsQuoteTheAnalyst: an error in an f-string names the line
// the analyst wrote and quotes it, never the code gpython compiles.
func TestFStringErrorsQuoteTheAnalyst(t *testing.T) {
	for _, c := range []struct{ code, msg string }{
		{`f'{x +}'`, `f-string: invalid syntax (line 1): f'{x +}'`},
		{"a = 1\nb = f\"{a} and {a +* 2}\"", `f-string: invalid syntax (line 2): b = f"{a} and {a +* 2}"`},
		{"s = f'''\n{x}\n{y +\n}'''", `f-string: invalid syntax (line 4): }'''`},
		{`f'{}'`, `f-string: empty expression not allowed (line 1): f'{}'`},
		{`print(f'a}')`, `f-string: single '}' is not allowed (line 1): print(f'a}')`},
		{`f'{x'`, `f-string: expecting '}' (line 1): f'{x'`},
		{`f'{x!z}'`, `f-string: invalid conversion character: expected 's', 'r', or 'a' (line 1): f'{x!z}'`},
		{`f'{x # no}'`, `f-string expression part cannot include '#' (line 1): f'{x # no}'`},
		{`f"{'a' + f'{1 +}'}"`, `f-string: invalid syntax (line 1): f"{'a' + f'{1 +}'}"`},
	} {
		_, err := Compile(c.code)
		e, ok := err.(*Error)
		if !ok || e.Kind != "SyntaxError" || e.Msg != c.msg {
			t.Errorf("%q: %v, want SyntaxError: %s", c.code, err, c.msg)
		}
		if err != nil && strings.Contains(err.Error(), ".format(") {
			t.Errorf("%q: the error shows code the analyst did not write: %v", c.code, err)
		}
	}
	// A syntax error elsewhere on a line with an f-string quotes that line.
	if _, err := Compile("x = f'{1}' +"); err == nil || !strings.Contains(err.Error(), "(line 1): x = f'{1}' +") {
		t.Errorf("an error beside an f-string: %v", err)
	}
}

// BenchmarkCompileFStrings compiles a cell of f-strings: each field's
// expression is parsed on its own before the cell is.
func BenchmarkCompileFStrings(b *testing.B) {
	cell := `for k, v in sorted(r.items()):
    print(f"{k:>12}: {v:.3f} ({n!r}) {'x' * 3} {d['a'][0]:{w}.{p}f}")
f"{k=} and {v + 1}"`
	for i := 0; i < b.N; i++ {
		if _, err := Compile(cell); err != nil {
			b.Fatal(err)
		}
	}
}
