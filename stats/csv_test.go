package stats

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		is   error  // sentinel the error wraps, if any
		msg  string // the whole message
	}{
		{"empty file", "", ErrNoHeader, `p.csv: empty file: no header row`},
		{"only BOM", "\xEF\xBB\xBF", ErrNoHeader, `p.csv: empty file: no header row`},
		{"only blank lines", "\n\n\r\n", ErrNoHeader, `p.csv: empty file: no header row`},
		{"empty header name", "a,,c\n1,2,3\n", ErrEmptyColumnName, `p.csv: line 1: field 2: empty column name in header`},
		{"blank header name", "a, ,c\n", ErrEmptyColumnName, `p.csv: line 1: field 2: empty column name in header`},
		{"quoted empty header", "\"\"\n", ErrEmptyColumnName, `p.csv: line 1: field 1: empty column name in header`},
		{"duplicate header", "a,b,a\n", ErrDuplicateColumn, `p.csv: line 1: column "a": duplicate column name (fields 1 and 3)`},
		{"duplicate after trim", "age, age \n", ErrDuplicateColumn, `p.csv: line 1: column "age": duplicate column name (fields 1 and 2)`},
		{"too few fields", "a,b,c\n1,2,3\n1,2\n", ErrRaggedRow, `p.csv: line 3: column "c": ragged row: 2 fields, header has 3`},
		{"too many fields", "a,b,c\n1,2,3,4\n", ErrRaggedRow, `p.csv: line 2: field 4: ragged row: 4 fields, header has 3`},
		{"ragged after blank lines", "a,b\n\n1,2\n\n3\n", ErrRaggedRow, `p.csv: line 5: column "b": ragged row: 1 fields, header has 2`},
		{"typo in numeric column", "id,age\na,61\nb,62\nc,6x3\nd,64\n", ErrNotANumber, `p.csv: line 4: column "age": "6x3" is not a number`},
		{"first typo is reported", "age\n1\nabc\n2\nxyz\n3\n4\n5\n", ErrNotANumber, `p.csv: line 3: column "age": "abc" is not a number`},
		{"NaN text in numeric column", "x\n1\n2\nNaN\n", ErrNotANumber, `p.csv: line 4: column "x": "NaN" is not a number`},
		{"Inf text in numeric column", "x\n1\n2\n-Inf\n", ErrNotANumber, `p.csv: line 4: column "x": "-Inf" is not a number`},
		{"overflow in numeric column", "x\n1\n2\n1e400\n", ErrNotANumber, `p.csv: line 4: column "x": "1e400" is not a number`},
		{"lowercase na is text", "x\n1\n2\nna\n", ErrNotANumber, `p.csv: line 4: column "x": "na" is not a number`},
		{"typo after multi-line cell", "a,b\n\"x\ny\",1\nz,2\nw,3\nq,oops\n", ErrNotANumber, `p.csv: line 6: column "b": "oops" is not a number`},
		{"bare quote", "a,b\n1,x\"y\n", csv.ErrBareQuote, `p.csv: line 2: character 4: bare " in non-quoted-field`},
		{"unterminated quote", "a\n1\n\"abc\n", csv.ErrQuote, `p.csv: line 3: character 6: extraneous or missing " in quoted-field`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := ReadCSV(strings.NewReader(tc.in), "p.csv", "patients")
			if err == nil {
				t.Fatalf("no error; table has %d rows", tab.Rows)
			}
			if tab != nil {
				t.Errorf("table %v returned with error", tab)
			}
			if err.Error() != tc.msg {
				t.Errorf("error\n got %s\nwant %s", err, tc.msg)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			var ce *CSVError
			if !errors.As(err, &ce) || ce.File != "p.csv" {
				t.Errorf("error %#v is not a *CSVError for p.csv", err)
			}
		})
	}
}

func TestReadCSVReadFailure(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("a,b\n1,2\n"), iotest.ErrReader(boom))
	_, err := ReadCSV(r, "p.csv", "t")
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "p.csv: read: ") {
		t.Fatalf("got %v, want p.csv: read: ... wrapping %v", err, boom)
	}
}

func TestLoadCSVMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.csv")
	_, err := LoadCSV(path, "patients")
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want a not-exist error naming %s", err, path)
	}
}

func TestLoadCSVErrorNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, []byte("a,b\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCSV(path, "patients")
	want := path + `: line 2: column "b": ragged row: 1 fields, header has 2`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// csvCol describes the expected content of one column: nums for a numeric
// column (NaN for missing), else levels and cats.
type csvCol struct {
	name   string
	nums   []float64
	levels []string
	cats   []int32
}

var csvNA = math.NaN()

func TestReadCSVInference(t *testing.T) {
	tests := []struct {
		name string
		in   string
		rows int
		cols []csvCol
	}{
		{"header only", "a,b\n", 0, []csvCol{{name: "a", nums: []float64{}}, {name: "b", nums: []float64{}}}},
		{"header without newline", "a", 0, []csvCol{{name: "a", nums: []float64{}}}},
		{"numbers with missing", "x\n1\n\nNA\n 2.5 \n-3e2\n+.5\n", 5, []csvCol{
			{name: "x", nums: []float64{1, csvNA, 2.5, -300, 0.5}}}},
		{"categorical sorted levels", "sex,resp\nM,PR\nF,CR\n,PD\nM,NA\n", 4, []csvCol{
			{name: "sex", levels: []string{"F", "M"}, cats: []int32{1, 0, -1, 1}},
			{name: "resp", levels: []string{"CR", "PD", "PR"}, cats: []int32{2, 0, 1, -1}}}},
		{"all missing is numeric", "a,b\n,1\nNA,2\n", 2, []csvCol{
			{name: "a", nums: []float64{csvNA, csvNA}}, {name: "b", nums: []float64{1, 2}}}},
		{"minority numbers are categories", "code\nA\nB\n10\nA\n", 4, []csvCol{
			{name: "code", levels: []string{"10", "A", "B"}, cats: []int32{1, 2, 0, 1}}}},
		{"half numbers are categories", "x\n1\na\n", 2, []csvCol{
			{name: "x", levels: []string{"1", "a"}, cats: []int32{0, 1}}}},
		{"NaN and Inf alone are categories", "x\nNaN\nInf\nNaN\n", 3, []csvCol{
			{name: "x", levels: []string{"Inf", "NaN"}, cats: []int32{1, 0, 1}}}},
		{"ids", "patient_id,age\nA-00002,70\nA-00001,61\n", 2, []csvCol{
			{name: "patient_id", levels: []string{"A-00001", "A-00002"}, cats: []int32{1, 0}},
			{name: "age", nums: []float64{70, 61}}}},
		{"BOM, CRLF, spaces and quotes", "\xEF\xBB\xBF id , \"v\"\r\n\" a,b \", 1 \r\n\"x\ny\",\"2\"\r\n", 2, []csvCol{
			{name: "id", levels: []string{"a,b", "x\ny"}, cats: []int32{0, 1}},
			{name: "v", nums: []float64{1, 2}}}},
		{"blank lines skipped", "a\n\n1\n\n2\n", 2, []csvCol{{name: "a", nums: []float64{1, 2}}}},
		{"no final newline", "a,b\n1,x", 1, []csvCol{
			{name: "a", nums: []float64{1}}, {name: "b", levels: []string{"x"}, cats: []int32{0}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := ReadCSV(strings.NewReader(tc.in), "p.csv", "patients")
			if err != nil {
				t.Fatal(err)
			}
			checkCSVTable(t, tab, "patients", tc.rows, tc.cols)
		})
	}
}

func checkCSVTable(t *testing.T, tab *Table, name string, rows int, cols []csvCol) {
	t.Helper()
	if tab.Name != name || tab.Rows != rows || len(tab.Columns) != len(cols) {
		t.Fatalf("table %s with %d rows and %d columns, want %s, %d, %d",
			tab.Name, tab.Rows, len(tab.Columns), name, rows, len(cols))
	}
	for i, want := range cols {
		c := tab.Columns[i]
		if c.Name != want.name {
			t.Errorf("column %d is %q, want %q", i, c.Name, want.name)
		}
		if want.nums != nil {
			if c.Kind != Numeric || c.Cat != nil || c.Levels.Len() != 0 {
				t.Errorf("column %q: %v, want numeric", c.Name, c.Kind)
				continue
			}
			if !slices.EqualFunc(c.Num, want.nums, sameCSVFloat) {
				t.Errorf("column %q: %v, want %v", c.Name, c.Num, want.nums)
			}
			continue
		}
		if c.Kind != Categorical || c.Num != nil {
			t.Errorf("column %q: %v, want categorical", c.Name, c.Kind)
			continue
		}
		if !slices.Equal(c.Levels.Strings(), want.levels) || !slices.Equal(c.Cat, want.cats) {
			t.Errorf("column %q: levels %q cats %v, want %q %v", c.Name, c.Levels.Strings(), c.Cat, want.levels, want.cats)
		}
	}
}

func sameCSVFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// Past csvMaxNumericTexts distinct numbers written in other than their
// shortest form a column stops keeping their texts; if it still ends
// categorical those cells get their shortest form.
func TestReadCSVManyNumericTexts(t *testing.T) {
	defer func(n int) { csvMaxNumericTexts = n }(csvMaxNumericTexts)
	csvMaxNumericTexts = 2
	in := "x\n1.0\n2\n3.0\n1.0\n007\na\nb\nc\nd\ne\n"
	tab, err := ReadCSV(strings.NewReader(in), "p.csv", "t")
	if err != nil {
		t.Fatal(err)
	}
	checkCSVTable(t, tab, "t", 10, []csvCol{{name: "x",
		levels: []string{"1", "1.0", "2", "3.0", "7", "a", "b", "c", "d", "e"},
		cats:   []int32{1, 2, 3, 0, 4, 5, 6, 7, 8, 9}}})

	// The same column with fewer texts keeps every number's own text.
	csvMaxNumericTexts = 100
	tab, err = ReadCSV(strings.NewReader(in), "p.csv", "t")
	if err != nil {
		t.Fatal(err)
	}
	checkCSVTable(t, tab, "t", 10, []csvCol{{name: "x",
		levels: []string{"007", "1.0", "2", "3.0", "a", "b", "c", "d", "e"},
		cats:   []int32{1, 2, 3, 1, 0, 4, 5, 6, 7, 8}}})

	// And a numeric column gives the same values either way.
	for _, n := range []int{2, 100} {
		csvMaxNumericTexts = n
		tab, err = ReadCSV(strings.NewReader("x\n1.0\n2\n3.0\nNA\n1.0\n007\n"), "p.csv", "t")
		if err != nil {
			t.Fatal(err)
		}
		checkCSVTable(t, tab, "t", 6, []csvCol{{name: "x", nums: []float64{1, 2, 3, csvNA, 1, 7}}})
	}
}

func TestLoadCSVTestdata(t *testing.T) {
	tab, err := LoadCSV(filepath.Join("testdata", "patients.csv"), "patients")
	if err != nil {
		t.Fatal(err)
	}
	checkCSVTable(t, tab, "patients", 6, []csvCol{
		{name: "patient_id", levels: []string{"A-00001", "A-00002", "A-00003", "A-00004", "A-00005", "A-00006"},
			cats: []int32{0, 1, 2, 3, 4, 5}},
		{name: "age", nums: []float64{64, 71, 55, 80, 47, 62}},
		{name: "sex", levels: []string{"F", "M"}, cats: []int32{0, 1, 1, 0, 0, 1}},
		{name: "bmi", nums: []float64{24.1, csvNA, 31.7, 22, 27.5, 29.3}},
		{name: "dose", nums: []float64{60, 66.5, 54, 70, 60, 50.2}},
		{name: "response", levels: []string{"CR", "PD", "PR", "SD"}, cats: []int32{0, 2, 3, 1, 0, 2}},
		{name: "toxicity", nums: []float64{0, 1, 0, 1, 0, 0}},
		{name: "survival_months", nums: []float64{48.2, 20.5, 33, 7.9, 60.1, 41.4}},
		{name: "event", nums: []float64{0, 1, 1, 1, 0, 0}},
	})
	if _, err := tab.NumericColumn("sex"); err == nil {
		t.Error("sex is numeric")
	}
}

// The example federation's committed tables load with the documented
// columns and kinds.
func TestLoadCSVExampleFederation(t *testing.T) {
	kinds := map[string]Kind{"patient_id": Categorical, "age": Numeric, "sex": Categorical, "bmi": Numeric,
		"dose": Numeric, "response": Categorical, "toxicity": Numeric, "survival_months": Numeric, "event": Numeric}
	for site, rows := range map[string]int{"a": 1200, "b": 2000, "c": 2800} {
		path := filepath.Join("..", "examples", "federation", "data", "hospital-"+site, "patients.csv")
		tab, err := LoadCSV(path, "patients")
		if err != nil {
			t.Fatal(err)
		}
		checkCSVTableConsistent(t, tab)
		if tab.Rows != rows || len(tab.Columns) != len(kinds) {
			t.Errorf("%s: %d rows, %d columns; want %d, %d", path, tab.Rows, len(tab.Columns), rows, len(kinds))
		}
		for _, c := range tab.Columns {
			if k, ok := kinds[c.Name]; !ok || c.Kind != k {
				t.Errorf("%s: column %q is %v", path, c.Name, c.Kind)
			}
		}
		if c, _ := tab.Column("sex"); c != nil && !slices.Equal(c.Levels.Strings(), []string{"F", "M"}) {
			t.Errorf("%s: sex levels %q", path, c.Levels.Strings())
		}
		if c, _ := tab.Column("response"); c != nil && !slices.Equal(c.Levels.Strings(), []string{"CR", "PD", "PR", "SD"}) {
			t.Errorf("%s: response levels %q", path, c.Levels.Strings())
		}
		if c, _ := tab.Column("bmi"); c != nil {
			missing := 0
			for _, v := range c.Num {
				if math.IsNaN(v) {
					missing++
				}
			}
			if missing == 0 || missing > rows/40 {
				t.Errorf("%s: %d of %d bmi values missing, want about 1%%", path, missing, rows)
			}
		}
	}
}

// csvLenReader claims a size of n bytes, as *bytes.Reader does, whatever it
// really holds.
type csvLenReader struct {
	io.Reader
	n int
}

func (r csvLenReader) Len() int { return r.n }

// Large inputs load the same whether or not the reader tells its size, and
// whether or not that size is right: it only sizes the memory.
func TestReadCSVLarge(t *testing.T) {
	const rows = 20_000
	data := genPatientsCSV(rows)
	path := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := LoadCSV(path, "t")
	if err != nil {
		t.Fatal(err)
	}
	checkCSVTableConsistent(t, want)
	if want.Rows != rows {
		t.Fatalf("%d rows, want %d", want.Rows, rows)
	}
	kinds := []Kind{Categorical, Numeric, Categorical, Numeric, Numeric, Categorical, Numeric, Numeric, Numeric}
	for j, c := range want.Columns {
		if c.Kind != kinds[j] {
			t.Errorf("column %q is %v, want %v", c.Name, c.Kind, kinds[j])
		}
	}
	// Spot checks against the text.
	lines := strings.Split(string(data), "\n")
	for _, i := range []int{0, csvSizingRows - 1, csvSizingRows, rows - 1} {
		f := strings.Split(lines[i+1], ",")
		id, _ := want.Column("patient_id")
		bmi, _ := want.Column("bmi")
		if id.Levels.At(int(id.Cat[i])) != f[0] || strconv.FormatFloat(bmi.Num[i], 'f', 1, 64) != f[3] && !(f[3] == "" && math.IsNaN(bmi.Num[i])) {
			t.Errorf("row %d: %s %v, want %s %s", i, id.Levels.At(int(id.Cat[i])), bmi.Num[i], f[0], f[3])
		}
	}
	readers := map[string]io.Reader{
		"bytes.Reader":       bytes.NewReader(data),
		"one byte at a time": iotest.OneByteReader(bytes.NewReader(data)),
		"size too small":     csvLenReader{bytes.NewReader(data), len(data) / 3},
		"size too large":     csvLenReader{bytes.NewReader(data), len(data) * 3},
	}
	for name, r := range readers {
		got, err := ReadCSV(r, "big.csv", "t")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Rows != rows {
			t.Fatalf("%s: %d rows, want %d", name, got.Rows, rows)
		}
		for j, c := range want.Columns {
			d := got.Columns[j]
			if d.Kind != c.Kind || !slices.EqualFunc(c.Num, d.Num, sameCSVFloat) || !slices.Equal(c.Cat, d.Cat) || !slices.Equal(c.Levels.Strings(), d.Levels.Strings()) {
				t.Errorf("%s: column %q differs from LoadCSV's", name, c.Name)
			}
		}
	}
}

// genPatientsCSV writes a deterministic patients-like CSV with n rows and 9 columns.
func genPatientsCSV(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.Grow(n * 56)
	b.WriteString("patient_id,age,sex,bmi,dose,response,toxicity,survival_months,event\n")
	var buf []byte
	responses := []string{"CR", "PR", "SD", "PD"}
	for i := range n {
		buf = fmt.Appendf(buf[:0], "X-%07d,", i+1)
		buf = strconv.AppendInt(buf, int64(18+rng.IntN(78)), 10)
		buf = append(buf, ',')
		buf = append(buf, "FM"[rng.IntN(2)])
		buf = append(buf, ',')
		if rng.IntN(100) != 0 {
			buf = strconv.AppendFloat(buf, 16+rng.Float64()*29, 'f', 1, 64)
		}
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, 40+rng.Float64()*40, 'f', 1, 64)
		buf = append(buf, ',')
		buf = append(buf, responses[rng.IntN(4)]...)
		buf = append(buf, ',', '0'+byte(rng.IntN(2)), ',')
		buf = strconv.AppendFloat(buf, 0.1+rng.ExpFloat64()*30, 'f', 1, 64)
		buf = append(buf, ',', '0'+byte(rng.IntN(2)), '\n')
		b.Write(buf)
	}
	return b.Bytes()
}

// checkCSVTableConsistent checks what every loaded table must satisfy.
func checkCSVTableConsistent(t testing.TB, tab *Table) {
	t.Helper()
	names := map[string]bool{}
	for _, c := range tab.Columns {
		if c.Name == "" || names[c.Name] {
			t.Fatalf("column name %q empty or repeated", c.Name)
		}
		names[c.Name] = true
		if c.Len() != tab.Rows {
			t.Fatalf("column %q has %d rows, table %d", c.Name, c.Len(), tab.Rows)
		}
		switch c.Kind {
		case Numeric:
			if c.Cat != nil || c.Levels.Len() != 0 {
				t.Fatalf("numeric column %q has categories", c.Name)
			}
			for _, v := range c.Num {
				if math.IsInf(v, 0) {
					t.Fatalf("column %q holds %v", c.Name, v)
				}
			}
		case Categorical:
			if c.Num != nil {
				t.Fatalf("categorical column %q has numbers", c.Name)
			}
			for i := 1; i < c.Levels.Len(); i++ {
				if c.Levels.At(i-1) >= c.Levels.At(i) {
					t.Fatalf("column %q levels not sorted and distinct: %q, %q", c.Name, c.Levels.At(i-1), c.Levels.At(i))
				}
			}
			for _, x := range c.Cat {
				if x < -1 || int(x) >= c.Levels.Len() {
					t.Fatalf("column %q: index %d outside %d levels", c.Name, x, c.Levels.Len())
				}
			}
		default:
			t.Fatalf("column %q has kind %d", c.Name, c.Kind)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"", "a", "a,b\n1,2\n", "a,b\n1\n", "a,a\n", "a,,b\n",
		"x\n1\n2\nabc\n", "x\nNaN\nInf\n", "x\n1\na\n", "code\nA\n10\nB\n",
		"\xEF\xBB\xBFid,v\r\n\" a,b \",1\r\n\"x\ny\",NA\r\n",
		"a,b\n1,x\"y\n", "a\n\"abc\n", "a\n0x1p3\n-.5e1\n+7\n",
		"patient_id,age,sex,bmi\nA-00001,61,F,\nA-00002,70,M,27.5\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", "t")
		if err != nil {
			var ce *CSVError
			if tab != nil || !errors.As(err, &ce) || ce.File != "fuzz.csv" {
				t.Fatalf("error %v: table %v, want nil and a *CSVError", err, tab)
			}
			return
		}
		checkCSVTableConsistent(t, tab)
		checkAgainstEncodingCSV(t, data, tab)
	})
}

// checkAgainstEncodingCSV compares every cell of a loaded table with the same input
// read plainly by encoding/csv.
func checkAgainstEncodingCSV(t *testing.T, data []byte, tab *Table) {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
	cr.TrimLeadingSpace = true
	recs, err := cr.ReadAll()
	if err != nil || len(recs) != tab.Rows+1 {
		t.Fatalf("encoding/csv: %d records, %v; table has %d rows", len(recs), err, tab.Rows)
	}
	for j, c := range tab.Columns {
		if h := strings.TrimSpace(recs[0][j]); h != c.Name {
			t.Fatalf("column %d is %q, header says %q", j, c.Name, h)
		}
		for i, rec := range recs[1:] {
			cell := strings.TrimSpace(rec[j])
			missing := cell == "" || cell == "NA"
			if c.Kind == Numeric {
				v, ok := plainCSVNumber(cell)
				if missing && !math.IsNaN(c.Num[i]) || !missing && (!ok || v != c.Num[i]) {
					t.Fatalf("row %d column %q: %v from %q", i+1, c.Name, c.Num[i], cell)
				}
				continue
			}
			x := c.Cat[i]
			if missing != (x == -1) {
				t.Fatalf("row %d column %q: index %d from %q", i+1, c.Name, x, cell)
			}
			if !missing && c.Levels.At(int(x)) != cell {
				v, ok := plainCSVNumber(cell)
				if !ok || c.Levels.At(int(x)) != csvFormat(v) {
					t.Fatalf("row %d column %q: level %q from %q", i+1, c.Name, c.Levels.At(int(x)), cell)
				}
			}
		}
	}
}

// plainCSVNumber is the plain definition of a number cell: ParseFloat accepts it and
// the value is finite.
func plainCSVNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
}

func TestCSVNumberMatchesParseFloat(t *testing.T) {
	for _, s := range []string{"0", "-0", "+1", ".5", "-.5", "1.", "1e3", "1E-3", "0x1p-2", "0x10",
		"1_000", "0x_1p0", "Inf", "+Inf", "-inf", "infinity", "NaN", "nan", "1e400", "-1e400", "abc",
		"-", "+", ".", "e5", "1e", "١", "1,5", "++1", "-+1"} {
		v1, ok1 := csvNumber(s)
		v2, ok2 := plainCSVNumber(s)
		if ok1 != ok2 || ok1 && v1 != v2 {
			t.Errorf("number(%q) = %v, %v; ParseFloat says %v, %v", s, v1, ok1, v2, ok2)
		}
	}
}

// A number text csvCanonical accepts is what csvFormat makes of its value.
func TestCSVCanonical(t *testing.T) {
	check := func(s string) {
		t.Helper()
		v, ok := csvNumber(s)
		if !ok {
			return
		}
		if csvCanonical(s) && csvFormat(v) != s {
			t.Errorf("%q is canonical but formats as %q", s, csvFormat(v))
		}
	}
	for _, s := range []string{"0", "-0", "1", "-1", "0.5", "-0.5", "10", "123456789012345", "0.000000000000001",
		"0.1234567890123456", "9007199254740993", "1.7976931348623157", "0." + strings.Repeat("0", 289) + "1",
		"0." + strings.Repeat("0", 320) + "1", "1" + strings.Repeat("0", 300), "0.3", "2.675"} {
		check(s)
	}
	for _, s := range []string{"1.0", "01", "+1", ".5", "1.", "1e3", "0x1p3", "1.50", "-0.0", "00", "1234567890123456"} {
		if csvCanonical(s) {
			t.Errorf("%q is canonical", s)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		v := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
		prec := rng.IntN(18) - 1
		check(strconv.FormatFloat(v, 'f', prec, 64))
		check(strconv.FormatFloat(v, 'g', prec, 64))
	}
}

func BenchmarkLoadCSV1e6(b *testing.B) {
	data := genPatientsCSV(1_000_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tab, err := ReadCSV(bytes.NewReader(data), "bench.csv", "t")
		if err != nil {
			b.Fatal(err)
		}
		if tab.Rows != 1_000_000 {
			b.Fatalf("%d rows", tab.Rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/row")
}
