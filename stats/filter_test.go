package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// filterTree prints a filter fully parenthesised, to check its structure.
func filterTree(n *filterNode) string {
	if n == nil {
		return "<all>"
	}
	switch n.kind {
	case nodeCmp:
		var b strings.Builder
		writeNode(&b, n)
		return "(" + b.String() + ")"
	case nodeNot:
		return "not" + filterTree(n.kids[0])
	}
	parts := make([]string, len(n.kids))
	for i, k := range n.kids {
		parts[i] = filterTree(k)
	}
	name := "and"
	if n.kind == nodeOr {
		name = "or"
	}
	return name + "[" + strings.Join(parts, " ") + "]"
}

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in, canon, tree string
		cols            []string
	}{
		{"", "", "<all>", nil},
		{" \t\r\n ", "", "<all>", nil},
		{"a==1", "a == 1", "(a == 1)", []string{"a"}},
		{"  a  <  -1.5 ", "a < -1.5", "(a < -1.5)", []string{"a"}},
		{"a >= 1e3", "a >= 1000", "(a >= 1000)", nil},
		{"a != 1E-2", "a != 0.01", "(a != 0.01)", nil},
		{"a == 1e6", "a == 1e+06", "(a == 1e+06)", nil},
		{"a == .5", "a == 0.5", "(a == 0.5)", nil},
		{"a == 1.", "a == 1", "(a == 1)", nil},
		{"a == -0", "a == -0", "(a == -0)", nil},
		{"a<=2", "a <= 2", "(a <= 2)", nil},
		{"a>2", "a > 2", "(a > 2)", nil},
		{`s == "F"`, `s == 'F'`, `(s == 'F')`, nil},
		{`s == 'it\'s'`, `s == 'it\'s'`, `(s == 'it\'s')`, nil},
		{`s == "it's"`, `s == 'it\'s'`, `(s == 'it\'s')`, nil},
		{`s == "say \"hi\""`, `s == 'say "hi"'`, `(s == 'say "hi"')`, nil},
		{`s == 'back\\slash'`, `s == 'back\\slash'`, `(s == 'back\\slash')`, nil},
		{`s == ''`, `s == ''`, `(s == '')`, nil},
		{`s == 'é ü'`, `s == 'é ü'`, `(s == 'é ü')`, nil},
		{"a == 1 and b == 2 or c == 3", "a == 1 and b == 2 or c == 3", "or[and[(a == 1) (b == 2)] (c == 3)]", []string{"a", "b", "c"}},
		{"a == 1 or b == 2 and c == 3", "a == 1 or b == 2 and c == 3", "or[(a == 1) and[(b == 2) (c == 3)]]", nil},
		{"(a == 1 or b == 2) and c == 3", "(a == 1 or b == 2) and c == 3", "and[or[(a == 1) (b == 2)] (c == 3)]", nil},
		{"((a == 1))", "a == 1", "(a == 1)", nil},
		{"a == 1 and (b == 2 and c == 3)", "a == 1 and b == 2 and c == 3", "and[(a == 1) (b == 2) (c == 3)]", nil},
		{"(a == 1 or b == 2) or (c == 3)", "a == 1 or b == 2 or c == 3", "or[(a == 1) (b == 2) (c == 3)]", nil},
		{"a == 1 or (b == 2 and c == 3)", "a == 1 or b == 2 and c == 3", "or[(a == 1) and[(b == 2) (c == 3)]]", nil},
		{"not a == 1 and b == 2", "not a == 1 and b == 2", "and[not(a == 1) (b == 2)]", nil},
		{"not a == 1 or b == 2", "not a == 1 or b == 2", "or[not(a == 1) (b == 2)]", nil},
		{"not (a == 1 and b == 2)", "not (a == 1 and b == 2)", "notand[(a == 1) (b == 2)]", nil},
		{"not (a == 1)", "not a == 1", "not(a == 1)", nil},
		{"not not a == 1", "not not a == 1", "notnot(a == 1)", nil},
		{"not(not(a==1))", "not not a == 1", "notnot(a == 1)", nil},
		{"sex == 'F' and age >= 50 or not (bmi < 20)", "sex == 'F' and age >= 50 or not bmi < 20",
			"or[and[(sex == 'F') (age >= 50)] not(bmi < 20)]", []string{"sex", "age", "bmi"}},
		{"(a == 1 or b == 2) and (c == 3 or a == 4)", "(a == 1 or b == 2) and (c == 3 or a == 4)",
			"and[or[(a == 1) (b == 2)] or[(c == 3) (a == 4)]]", []string{"a", "b", "c"}},
		{"`odd name` == 1", "`odd name` == 1", "(`odd name` == 1)", []string{"odd name"}},
		{"`a` == 1", "a == 1", "(a == 1)", []string{"a"}},
		{"`and` == 1", "`and` == 1", "(`and` == 1)", []string{"and"}},
		{"`1st` == 1", "`1st` == 1", "(`1st` == 1)", []string{"1st"}},
		{"x.y_z == 'a'", "x.y_z == 'a'", "(x.y_z == 'a')", []string{"x.y_z"}},
		{"And == 1", "And == 1", "(And == 1)", []string{"And"}},
		{"a == 1\nand\tb == 2", "a == 1 and b == 2", "and[(a == 1) (b == 2)]", nil},
		{"a<-1", "a < -1", "(a < -1)", nil},
	}
	for _, tc := range tests {
		f, err := ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.in, err)
			continue
		}
		if got := f.String(); got != tc.canon {
			t.Errorf("ParseFilter(%q).String() = %q, want %q", tc.in, got, tc.canon)
		}
		if got := filterTree(f.root); got != tc.tree {
			t.Errorf("ParseFilter(%q) tree = %s, want %s", tc.in, got, tc.tree)
		}
		if tc.cols != nil && fmt.Sprint(f.Columns()) != fmt.Sprint(tc.cols) {
			t.Errorf("ParseFilter(%q).Columns() = %q, want %q", tc.in, f.Columns(), tc.cols)
		}
		g, err := ParseFilter(f.String())
		if err != nil {
			t.Errorf("re-parsing %q: %v", f.String(), err)
		} else if g.String() != f.String() || filterTree(g.root) != filterTree(f.root) {
			t.Errorf("re-parsing %q gave %q, %s", f.String(), g.String(), filterTree(g.root))
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		in   string
		pos  int
		want string // the whole message when it starts with `where`, else a substring
	}{
		{"age >= ", 8, `where "age >= ": position 8: expected a number or quoted string`},
		{"age", 4, `where "age": position 4: expected a comparison operator (== != < <= > >=)`},
		{"age = 5", 5, `expected a comparison operator (== != < <= > >=), found "="`},
		{"age ! 5", 5, `found "!"`},
		{"age <> 5", 6, `expected a number or quoted string, found ">"`},
		{"age === 5", 7, `found "="`},
		{"50 < age", 1, `expected a column name, "not" or "(", found "50"`},
		{"'F' == sex", 1, `expected a column name, "not" or "(", found "'F'"`},
		{"age < 50 and", 13, `expected a column name, "not" or "("`},
		{"age < 50 or or", 13, `found "or"`},
		{"(age < 50", 10, `expected "and", "or" or ")"`},
		{"age < 50)", 9, `expected "and", "or" or end of filter, found ")"`},
		{"age < 50 sex == 'F'", 10, `expected "and", "or" or end of filter, found "sex"`},
		{"a == 1 AND b == 2", 8, `found "AND"`},
		{"a == 1 && b == 2", 8, `found "&"`},
		{"a == 1 || b == 2", 8, `found "|"`},
		{"!(a == 1)", 1, `found "!"`},
		{"a == b", 6, `expected a number or quoted string, found "b"`},
		{"a == -", 6, `expected a number or quoted string, found "-"`},
		{"a == -x", 6, `found "-"`},
		{"a == - 1", 6, `found "-"`},
		{"a == +1", 6, `found "+"`},
		{"s == 'abc", 6, `unterminated string: no closing '`},
		{`s == "abc'`, 6, `unterminated string: no closing "`},
		{`s == 'a\nb'`, 8, `unknown escape in string`},
		{`s == 'a\`, 8, `unknown escape in string`},
		{"s == 'a\tb'", 8, `control character '\t' in string`},
		{"s == 'a\x01b'", 8, `control character`},
		{"s == 'a\xffb'", 8, `invalid UTF-8`},
		{"a == 1e", 6, `malformed number "1e"`},
		{"a == 1e+", 6, `malformed number "1e+"`},
		{"a == 1abc", 6, `malformed number "1abc"`},
		{"a == 1.2.3", 6, `malformed number "1.2.3"`},
		{"a == 1and b == 2", 6, `malformed number "1and"`},
		{"a == .", 6, `malformed number "."`},
		{"a == 0x10", 6, `malformed number "0x10"`},
		{"a == 1_000", 6, `malformed number "1_000"`},
		{"a == 1e400", 6, `number 1e400 is out of range`},
		{"a == -1e400", 6, `out of range`},
		{"`` == 1", 1, `empty column name`},
		{"`abc == 1", 1, "unterminated column name: no closing `"},
		{"`a\nb` == 1", 3, `control character '\n' in column name`},
		{"()", 2, `expected a column name, "not" or "(", found ")"`},
		{"not", 4, `expected a column name, "not" or "("`},
		{"âge == 1", 1, `found "â"`},
		{"a == " + strings.Repeat("x", 40), 6, `found "xxxxxxxxxxxxxxxxxxxxxxxx..."`},
		{strings.Repeat("(", MaxFilterDepth+1) + "a == 1" + strings.Repeat(")", MaxFilterDepth+1), MaxFilterDepth + 1,
			`parentheses and "not" nest more than 64 deep`},
		{strings.Repeat("not ", MaxFilterDepth+1) + "a == 1", 4*MaxFilterDepth + 1, `nest more than 64 deep`},
		{strings.Repeat("not (", 33) + "a == 1" + strings.Repeat(")", 33), 4*32 + 32 + 1, `nest more than 64 deep`},
		{strings.Repeat(" ", MaxFilterLength+1), 0, `where: filter is 4097 bytes long; the limit is 4096`},
		// Within the limit as written, but not in canonical form.
		{"a<.5" + strings.Repeat(" or a<.5", 500), 0, `bytes long in canonical form; the limit is 4096`},
	}
	for _, tc := range tests {
		f, err := ParseFilter(tc.in)
		if err == nil {
			t.Errorf("ParseFilter(%q) = %q, want an error", tc.in, f)
			continue
		}
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("ParseFilter(%q) error %T, want *FilterError", tc.in, err)
			continue
		}
		if fe.Pos != tc.pos {
			t.Errorf("ParseFilter(%q) error at position %d, want %d: %v", tc.in, fe.Pos, tc.pos, err)
		}
		if strings.HasPrefix(tc.want, "where") {
			if err.Error() != tc.want {
				t.Errorf("ParseFilter(%q) error\n %s\nwant\n %s", tc.in, err, tc.want)
			}
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFilter(%q) error %q, want it to contain %q", tc.in, err, tc.want)
		}
	}
	// Exactly at the limits is fine.
	for _, in := range []string{
		strings.Repeat("(", MaxFilterDepth) + "a == 1" + strings.Repeat(")", MaxFilterDepth),
		strings.Repeat("not ", MaxFilterDepth) + "a == 1",
		"a == 1" + strings.Repeat(" ", MaxFilterLength-6),
	} {
		if _, err := ParseFilter(in); err != nil {
			t.Errorf("ParseFilter(%.40q...): %v", in, err)
		}
	}
}

// filterTestTable: rows 0..5.
//
//	age       30  55  NaN 70  45  50
//	sex       F   F   M   NA  M   F
//	bmi       18  25  22  NaN 19  NaN
//	odd name  1   2   3   4   5   6
//	a.b       x   y   x   y   NA  x
func filterTestTable() *Table {
	return &Table{Name: "patients", Rows: 6, Columns: []*Column{
		{Name: "age", Kind: Numeric, Num: []float64{30, 55, math.NaN(), 70, 45, 50}},
		{Name: "sex", Kind: Categorical, Cat: []int32{0, 0, 1, -1, 1, 0}, Levels: NewLevels([]string{"F", "M"})},
		{Name: "bmi", Kind: Numeric, Num: []float64{18, 25, 22, math.NaN(), 19, math.NaN()}},
		{Name: "odd name", Kind: Numeric, Num: []float64{1, 2, 3, 4, 5, 6}},
		{Name: "a.b", Kind: Categorical, Cat: []int32{0, 1, 0, 1, -1, 0}, Levels: NewLevels([]string{"x", "y"})},
	}}
}

func TestFilterRows(t *testing.T) {
	tab := filterTestTable()
	tests := []struct {
		expr string
		want string // one letter a row: T passes, F does not
	}{
		{"", "TTTTTT"},
		{"age >= 50", "FTFTFT"},
		{"age > 55", "FFFTFF"},
		{"age <= 50", "TFFFTT"},
		{"age < 45", "TFFFFF"},
		{"age == 55", "FTFFFF"},
		{"age != 55", "TFFTTT"},         // the missing age is unknown, not true
		{"not age >= 50", "TFFFTF"},     // not unknown = unknown
		{"not not age >= 50", "FTFTFT"}, // = age >= 50
		{"age >= 50 or age < 50", "TTFTTT"},
		{"sex == 'F'", "TTFFFT"},
		{`sex == "M"`, "FFTFTF"},
		{"sex != 'F'", "FFTFTF"},
		{"sex == 'X'", "FFFFFF"}, // not a level: equals no row
		{"sex != 'X'", "TTTFTT"}, // but the missing row stays unknown
		{"not sex == 'X'", "TTTFTT"},
		{"age > 40 and bmi < 20", "FFFFTF"},
		{"not (age > 40 and bmi < 20)", "TTTFFF"}, // row 3: T and U = U; row 5: T and U = U
		{"age < 40 or bmi < 20", "TFFFTF"},
		{"not (age < 40 or bmi < 20)", "FTFFFF"}, // row 2: U or F = U
		{"age > 0 or sex == 'M'", "TTTTTT"},      // U or T = T, T or U = T
		{"age > 0 and sex == 'F'", "TTFFFT"},     // U and F = F
		{"not (age > 0 and sex == 'F')", "FFTFTF"},
		{"sex == 'F' and age >= 50 or not (bmi < 20)", "FTTFFT"},
		{"sex == 'F' and (age >= 50 or not bmi < 20)", "FTFFFT"},
		{"`odd name` == 3", "FFTFFF"},
		{"`odd name` >= 2 and `odd name` < 5", "FTTTFF"},
		{"a.b == 'y'", "FTFTFF"},
		{"a.b != 'y' or sex == 'M'", "TFTFTT"},
	}
	for _, tc := range tests {
		f, err := ParseFilter(tc.expr)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.expr, err)
			continue
		}
		rows, err := f.Rows(tab)
		if err != nil {
			t.Errorf("%q: Rows: %v", tc.expr, err)
			continue
		}
		if got := filterLetters(rows); got != tc.want {
			t.Errorf("%q: Rows = %s, want %s", tc.expr, got, tc.want)
		}
	}
	var nilFilter *Filter
	for _, f := range []*Filter{nilFilter, {}} {
		rows, err := f.Rows(tab)
		if err != nil || filterLetters(rows) != "TTTTTT" {
			t.Errorf("%#v.Rows = %s, %v; want every row", f, filterLetters(rows), err)
		}
		if f.String() != "" || f.Columns() != nil {
			t.Errorf("empty filter: String %q, Columns %q", f.String(), f.Columns())
		}
	}
}

func filterLetters(rows []bool) string {
	b := make([]byte, len(rows))
	for i, r := range rows {
		b[i] = 'F'
		if r {
			b[i] = 'T'
		}
	}
	return string(b)
}

func TestFilterRowsErrors(t *testing.T) {
	tab := filterTestTable()
	tests := []struct{ expr, want string }{
		{"weight > 1", `unknown column "weight" in table patients (columns: age, sex, bmi, odd name, a.b)`},
		{"age > 1 and weight > 1", `unknown column "weight"`},
		{"age == 'F'", `column "age" of table patients is numeric: it cannot be compared with the string 'F' by ==`},
		{"sex == 1", `column "sex" of table patients is categorical: it cannot be compared with the number 1 by ==`},
		{"sex < 'F'", `column "sex" of table patients is categorical: only == and != apply to it, not <`},
		{"sex >= 'F'", `not >=`},
		{"not (age > 1 or a.b <= 'x')", `column "a.b" of table patients is categorical: only == and != apply to it, not <=`},
	}
	for _, tc := range tests {
		f, err := ParseFilter(tc.expr)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.expr, err)
			continue
		}
		rows, err := f.Rows(tab)
		if err == nil {
			t.Errorf("%q: Rows = %s, want an error", tc.expr, filterLetters(rows))
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: Rows error %q, want it to contain %q", tc.expr, err, tc.want)
		}
	}
	f, _ := ParseFilter("age > 1")
	if _, err := f.Rows(nil); err == nil {
		t.Error("Rows(nil table): no error")
	}
	short := filterTestTable()
	short.Columns[0].Num = short.Columns[0].Num[:3]
	if _, err := f.Rows(short); err == nil || !strings.Contains(err.Error(), "has 3 rows") {
		t.Errorf("Rows with a short column: %v", err)
	}
}

// filterRefEval is the obvious row-at-a-time evaluator: 0 false, 1 unknown, 2 true.
func filterRefEval(n *filterNode, t *Table, row int) uint8 {
	switch n.kind {
	case nodeCmp:
		c, _ := t.Column(n.col)
		if c.Kind == Categorical {
			v := c.Cat[row]
			if v < 0 {
				return 1
			}
			eq := v >= 0 && int(v) < c.Levels.Len() && c.Levels.At(int(v)) == n.str
			if eq == (n.op == opEq) {
				return 2
			}
			return 0
		}
		v := c.Num[row]
		if math.IsNaN(v) {
			return 1
		}
		var r bool
		switch n.op {
		case opEq:
			r = v == n.num
		case opNe:
			r = v != n.num
		case opLt:
			r = v < n.num
		case opLe:
			r = v <= n.num
		case opGt:
			r = v > n.num
		case opGe:
			r = v >= n.num
		}
		if r {
			return 2
		}
		return 0
	case nodeNot:
		return 2 - filterRefEval(n.kids[0], t, row)
	case nodeAnd:
		r := uint8(2)
		for _, k := range n.kids {
			if v := filterRefEval(k, t, row); v < r {
				r = v
			}
		}
		return r
	default:
		r := uint8(0)
		for _, k := range n.kids {
			if v := filterRefEval(k, t, row); v > r {
				r = v
			}
		}
		return r
	}
}

func checkFilterAgainstRef(t *testing.T, f *Filter, tab *Table) {
	t.Helper()
	rows, err := f.Rows(tab)
	if err != nil {
		t.Fatalf("%q: Rows: %v", f, err)
	}
	for i, got := range rows {
		if want := f.root == nil || filterRefEval(f.root, tab, i) == 2; got != want {
			t.Fatalf("%q: row %d = %v, reference %v", f, i, got, want)
		}
	}
}

// randomFilterExpr writes a random, well-typed filter over testTable's columns.
func randomFilterExpr(r *rand.Rand, depth int) string {
	if depth <= 0 || r.IntN(3) == 0 {
		ops := []string{"==", "!=", "<", "<=", ">", ">="}
		switch r.IntN(4) {
		case 0:
			return fmt.Sprintf("sex %s '%s'", ops[r.IntN(2)], []string{"F", "M", "X"}[r.IntN(3)])
		case 1:
			return fmt.Sprintf("a.b %s \"%s\"", ops[r.IntN(2)], []string{"x", "y", ""}[r.IntN(3)])
		case 2:
			return fmt.Sprintf("age %s %d", ops[r.IntN(6)], 25+5*r.IntN(10))
		default:
			return fmt.Sprintf("bmi%s%d", ops[r.IntN(6)], 17+r.IntN(10))
		}
	}
	switch r.IntN(4) {
	case 0:
		return "not " + randomFilterExpr(r, depth-1)
	case 1:
		return "(" + randomFilterExpr(r, depth-1) + ")"
	case 2:
		return randomFilterExpr(r, depth-1) + " and " + randomFilterExpr(r, depth-1)
	default:
		return randomFilterExpr(r, depth-1) + " or " + randomFilterExpr(r, depth-1)
	}
}

func TestFilterRowsAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tab := filterTestTable()
	for range 3000 {
		expr := randomFilterExpr(r, 5)
		f, err := ParseFilter(expr)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", expr, err)
		}
		checkFilterAgainstRef(t, f, tab)
		g, err := ParseFilter(f.String())
		if err != nil || filterTree(g.root) != filterTree(f.root) {
			t.Fatalf("%q: canonical %q re-parses to %s, %v; want %s", expr, f, filterTree(g.root), err, filterTree(f.root))
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"", "age >= 50", "sex == 'F' and age >= 50 or not (bmi < 20)",
		`s == "it's" or s == 'a\'b\\c'`, "`odd name` != -1.5e3", "not not (a.b == 'x' or age < .5)",
		"((age > 1))", "age >= ", "50 < age", "a == 1e400", "`and` == 1 and `x` == 2",
	} {
		f.Add(s)
	}
	tab := filterTestTable()
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := ParseFilter(expr)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFilter(%q): error %T", expr, err)
			}
			if fe.Pos < 0 || fe.Pos > len(expr)+1 {
				t.Fatalf("ParseFilter(%q): position %d out of range", expr, fe.Pos)
			}
			return
		}
		canon := flt.String()
		again, err := ParseFilter(canon)
		if err != nil {
			t.Fatalf("ParseFilter(%q): canonical %q does not parse: %v", expr, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("ParseFilter(%q): canonical %q re-parses as %q", expr, canon, again.String())
		}
		if filterTree(again.root) != filterTree(flt.root) {
			t.Fatalf("ParseFilter(%q): structure %s re-parses as %s", expr, filterTree(flt.root), filterTree(again.root))
		}
		if rows, err := flt.Rows(tab); err == nil {
			for i, got := range rows {
				if want := flt.root == nil || filterRefEval(flt.root, tab, i) == 2; got != want {
					t.Fatalf("%q: row %d = %v, reference %v", canon, i, got, want)
				}
			}
		}
	})
}

func filterBenchTable(n int) *Table {
	r := rand.New(rand.NewPCG(3, 4))
	age := make([]float64, n)
	bmi := make([]float64, n)
	sex := make([]int32, n)
	for i := range n {
		age[i] = float64(18 + r.IntN(70))
		bmi[i] = 15 + 20*r.Float64()
		sex[i] = int32(r.IntN(2))
		if r.IntN(50) == 0 {
			age[i] = math.NaN()
		}
		if r.IntN(50) == 0 {
			bmi[i] = math.NaN()
		}
		if r.IntN(50) == 0 {
			sex[i] = -1
		}
	}
	ab := make([]int32, n)
	for i := range ab {
		ab[i] = int32(r.IntN(3)) - 1
	}
	return &Table{Name: "patients", Rows: n, Columns: []*Column{
		{Name: "age", Kind: Numeric, Num: age},
		{Name: "sex", Kind: Categorical, Cat: sex, Levels: NewLevels([]string{"F", "M"})},
		{Name: "bmi", Kind: Numeric, Num: bmi},
		{Name: "a.b", Kind: Categorical, Cat: ab, Levels: NewLevels([]string{"x", "y"})},
	}}
}

func BenchmarkFilterRows1e6(b *testing.B) {
	tab := filterBenchTable(1_000_000)
	f, err := ParseFilter("sex == 'F' and age >= 50 or not (bmi < 20)")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Rows(tab); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFilterRowsLargeAgainstReference(t *testing.T) {
	// Two and a bit blocks, and a length that is not a multiple of 8, to
	// cover the block and word loops and their tails.
	tab := filterBenchTable(2*filterBlock + 13)
	r := rand.New(rand.NewPCG(5, 6))
	exprs := []string{"sex == 'F' and age >= 50 or not (bmi < 20)"}
	for range 200 {
		exprs = append(exprs, randomFilterExpr(r, 4))
	}
	for _, expr := range exprs {
		f, err := ParseFilter(expr)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", expr, err)
		}
		checkFilterAgainstRef(t, f, tab)
	}
}
