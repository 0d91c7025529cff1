package stats

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Errors a CSV file can fail with. A load error is a *CSVError that wraps one
// of these (or an encoding/csv or I/O error), so callers can test it with
// errors.Is.
var (
	// ErrNoHeader: the file is empty, so it has no header row.
	ErrNoHeader = errors.New("empty file: no header row")
	// ErrEmptyColumnName: a header cell is empty.
	ErrEmptyColumnName = errors.New("empty column name in header")
	// ErrDuplicateColumn: two header cells have the same name.
	ErrDuplicateColumn = errors.New("duplicate column name")
	// ErrRaggedRow: a row has more or fewer fields than the header.
	ErrRaggedRow = errors.New("ragged row")
	// ErrNotANumber: a cell of a mostly numeric column is not a number.
	ErrNotANumber = errors.New("not a number")
	// ErrTooManyLevels: a column has more distinct values than a
	// categorical column can index.
	ErrTooManyLevels = errors.New("too many distinct values")
)

// CSVError is a problem found while loading a CSV file. Its message names the
// file, and where known the line and the column, as in
//
//	patients.csv: line 17: column "event": ragged row: 8 fields, header has 9
type CSVError struct {
	File   string // the file name given to ReadCSV or LoadCSV
	Line   int    // 1-based line number, 0 when the problem has no line
	Column string // header name of the column, "" when unknown
	Field  int    // 1-based field number, 0 when unknown
	Err    error  // what is wrong
}

// Error returns the message, prefixed with file, line and column.
func (e *CSVError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	switch {
	case e.Column != "":
		fmt.Fprintf(&b, ": column %q", e.Column)
	case e.Field > 0:
		fmt.Fprintf(&b, ": field %d", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *CSVError) Unwrap() error { return e.Err }

// LoadCSV reads the CSV file at path into a table called table, as ReadCSV
// does, with path as the file name in errors. A file that cannot be opened
// gives the *os.PathError, wrapped.
func LoadCSV(path, table string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load table %s: %w", table, err)
	}
	defer f.Close()
	return ReadCSV(f, path, table)
}

// csvSize returns how many bytes r will yield, when r tells, else 0.
func csvSize(r io.Reader) int64 {
	switch v := r.(type) {
	case *os.File:
		st, err := v.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return 0
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0
		}
		return st.Size() - off
	case interface{ Len() int }: // *bytes.Reader, *strings.Reader, *bytes.Buffer
		return int64(v.Len())
	}
	return 0
}

// ReadCSV reads a CSV table from r into columnar memory. file names the input
// in error messages; table becomes the table's Name.
//
// The first row is the header: one distinct, non-empty name a column. Every
// other row must have as many fields as the header; blank lines are skipped.
// A UTF-8 byte order mark at the start is skipped, and spaces around every
// cell are trimmed. An empty cell or "NA" is a missing value.
//
// A column is Numeric when every non-missing cell parses as a finite float64
// (strconv.ParseFloat; "NaN" and "Inf" are not numbers), including a column
// whose cells are all missing. A column where more than half of the
// non-missing cells are numbers but some are not is a data error, reported at
// the first cell that is not a number, so a typo in a numeric column stops the
// load instead of turning the column categorical. Any other column is
// Categorical, with the distinct cell texts as its sorted Levels. (Only in a
// categorical column with thousands of distinct numbers written in other than
// their shortest form, such as "1.50" or "007", may some of those cells get
// the shortest form as their level.)
//
// A file with a header and no rows gives a table with no rows. Every error is
// a *CSVError.
//
// Memory is sized once from the input size when r tells it (an *os.File of a
// regular file, or a reader with a Len method such as *bytes.Reader);
// otherwise columns grow as rows come.
func ReadCSV(r io.Reader, file, table string) (*Table, error) {
	size := csvSize(r)
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
		size -= 3
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, &CSVError{File: file, Err: ErrNoHeader}
	}
	if err != nil {
		return nil, csvReadError(file, err)
	}
	cols := make([]*csvColumn, len(header))
	seen := make(map[string]int, len(header))
	for j, h := range header {
		h = strings.TrimSpace(h)
		line, _ := cr.FieldPos(j)
		if h == "" {
			return nil, &CSVError{File: file, Line: line, Field: j + 1, Err: ErrEmptyColumnName}
		}
		if k, dup := seen[h]; dup {
			return nil, &CSVError{File: file, Line: line, Column: h,
				Err: fmt.Errorf("%w (fields %d and %d)", ErrDuplicateColumn, k+1, j+1)}
		}
		seen[h] = j
		cols[j] = &csvColumn{name: strings.Clone(h)}
	}
	headerBytes := cr.InputOffset()

	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvReadError(file, err)
		}
		if len(rec) != len(cols) {
			return nil, csvRaggedError(cr, file, len(rec), cols)
		}
		if rows == csvSizingRows && size > 0 {
			csvGrow(cols, rows, cr.InputOffset()-headerBytes, size-headerBytes)
		}
		rows++
		for j, cell := range rec {
			c := cols[j]
			cell = strings.TrimSpace(cell)
			if cell == "" || cell == "NA" {
				c.slots = append(c.slots, csvMissingSlot)
				continue
			}
			isNumber, err := c.add(cell)
			if err != nil {
				line, _ := cr.FieldPos(j)
				return nil, &CSVError{File: file, Line: line, Column: c.name, Err: err}
			}
			if !isNumber && c.other == 1 {
				c.firstOtherLine, _ = cr.FieldPos(j)
				c.firstOther = strings.Clone(cell)
			}
		}
	}

	for _, c := range cols {
		if c.other > 0 && c.numeric > c.other {
			return nil, &CSVError{File: file, Line: c.firstOtherLine, Column: c.name,
				Err: fmt.Errorf("%q is %w", c.firstOther, ErrNotANumber)}
		}
	}
	t := &Table{Name: table, Rows: rows, Columns: make([]*Column, len(cols))}
	for j, c := range cols {
		col, err := c.finish()
		if err != nil {
			return nil, &CSVError{File: file, Column: c.name, Err: err}
		}
		t.Columns[j] = col
		cols[j] = nil // let the builder go before the next column is built
	}
	return t, nil
}

// csvMaxNumericTexts is how many distinct numeric texts a column remembers
// beyond those its numbers give back exactly (see csvCanonical), so that a
// column that ends categorical keeps its cells' own texts. Past it a column is
// almost surely numeric and only the values are kept.
var csvMaxNumericTexts = 4096

// csvSizingRows is the row after which a column's memory is grown once to
// the row count the input size suggests.
const csvSizingRows = 1024

// Cell slots: while loading, every column keeps one float64 a row. A finite
// value is a number; a NaN carries a tag in its payload: the id of an
// interned text, or missing. ParseFloat never yields a NaN that is kept,
// because non-finite numbers count as text.
const (
	csvTagMask    = 0xFFFF_FFFF_0000_0000
	csvTextTag    = 0x7FF8_0001_0000_0000 // low 32 bits: text id
	csvMissingTag = 0x7FF8_0002_0000_0000
)

var csvMissingSlot = math.Float64frombits(csvMissingTag)

func csvTextSlot(id int32) float64 { return math.Float64frombits(csvTextTag | uint64(uint32(id))) }

// csvTextID returns the text id a slot holds, or -1.
func csvTextID(s float64) int32 {
	if b := math.Float64bits(s); b&csvTagMask == csvTextTag {
		return int32(uint32(b))
	}
	return -1
}

// csvColumn accumulates one column while streaming.
type csvColumn struct {
	name  string
	slots []float64 // one a row
	texts csvTexts  // the column's distinct texts, by id

	numeric  int  // non-missing cells that are numbers
	other    int  // non-missing cells that are not numbers
	numTexts int  // distinct numeric texts interned
	lossy    bool // numbers' texts are no longer kept

	firstOtherLine int
	firstOther     string
}

// add appends one trimmed, non-missing cell.
func (c *csvColumn) add(cell string) (isNumber bool, err error) {
	v, ok := csvNumber(cell)
	if !ok {
		c.other++
		id, err := c.texts.intern(cell)
		c.slots = append(c.slots, csvTextSlot(id))
		return false, err
	}
	c.numeric++
	if c.lossy || csvCanonical(cell) {
		c.slots = append(c.slots, v)
		return true, nil
	}
	n := c.texts.len()
	id, err := c.texts.intern(cell)
	if c.texts.len() > n {
		c.numTexts++
		if c.numTexts >= csvMaxNumericTexts {
			c.lossy = true
		}
	}
	c.slots = append(c.slots, csvTextSlot(id))
	return true, err
}

// csvGrow gives every column room for the rows the input size suggests, from
// the bytes the first rows took, so that a large file's columns are not
// copied again and again while they grow. A column whose texts are mostly
// distinct (an identifier) gets room for as many texts.
func csvGrow(cols []*csvColumn, rows int, used, total int64) {
	if used <= 0 || total <= used {
		return
	}
	est := float64(total) / float64(used) * float64(rows) * 1.02
	// A row takes at least a byte a column (a comma or the newline).
	est = min(est, float64(total)/float64(len(cols))+1)
	if est > math.MaxInt32 {
		return
	}
	n := int(est) + 64
	for _, c := range cols {
		c.slots = slices.Grow(c.slots, n-len(c.slots))
		if k := c.texts.len(); k > rows/2 {
			c.texts.grow(int(float64(n) * float64(k) / float64(rows)))
		}
	}
}

// finish turns the builder into a Column, reusing the slot memory for a
// numeric column.
func (c *csvColumn) finish() (*Column, error) {
	if c.other == 0 {
		// Every text is a number; only non-canonical ones were interned.
		values := make([]float64, c.texts.len())
		for id := range values {
			values[id], _ = csvNumber(string(c.texts.text(int32(id))))
		}
		num := c.slots
		for i, s := range num {
			if id := csvTextID(s); id >= 0 {
				num[i] = values[id]
			} else if math.IsNaN(s) {
				num[i] = math.NaN()
			}
		}
		return &Column{Name: c.name, Kind: Numeric, Num: num}, nil
	}

	// Categorical. Numbers kept only as values get their text back, and
	// levels are the texts some cell uses.
	used := make([]bool, c.texts.len())
	for i, s := range c.slots {
		if !math.IsNaN(s) {
			id, err := c.texts.intern(csvFormat(s))
			if err != nil {
				return nil, err
			}
			s = csvTextSlot(id)
			c.slots[i] = s
		}
		if id := csvTextID(s); id >= 0 {
			for int(id) >= len(used) {
				used = append(used, false)
			}
			used[id] = true
		}
	}
	c.texts.table = nil
	order := make([]int32, 0, len(used))
	for id, u := range used {
		if u {
			order = append(order, int32(id))
		}
	}
	used = nil
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(c.texts.text(a), c.texts.text(b)) })
	all := string(c.texts.arena) // the levels share one string
	rank := make([]int32, c.texts.len())
	levels := make([]string, len(order))
	for i, id := range order {
		rank[id] = int32(i)
		start, end := c.texts.bounds(id)
		levels[i] = all[start:end]
	}
	kept := NewLevels(levels) // one text: no pointer a level for the collector
	levels, all = nil, ""
	order, c.texts = nil, csvTexts{}
	cat := make([]int32, len(c.slots))
	for i, s := range c.slots {
		if id := csvTextID(s); id >= 0 {
			cat[i] = rank[id]
		} else {
			cat[i] = -1
		}
	}
	c.slots = nil
	return &Column{Name: c.name, Kind: Categorical, Cat: cat, Levels: kept}, nil
}

// csvNumber reports whether s is a finite number, and its value. A cheap check
// of the first characters keeps ParseFloat, which allocates on failure, away
// from most text cells.
func csvNumber(s string) (float64, bool) {
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	if i == len(s) || (s[i] != '.' && (s[i] < '0' || s[i] > '9')) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// csvCanonical reports whether the text s of a number is what csvFormat
// gives back for its value: an optional minus, an integer part without
// leading zeros, an optional fraction that does not end in zero, at most 15
// significant digits and no value near the subnormal range. Such a text is
// the shortest decimal that reads back as its value, so it need not be kept.
func csvCanonical(s string) bool {
	i := 0
	if s[0] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i - start
	if intDigits == 0 || (intDigits > 1 && s[start] == '0') {
		return false
	}
	sig := intDigits
	if s[start] == '0' {
		sig = 0
	}
	if i < len(s) {
		if s[i] != '.' {
			return false
		}
		i++
		fracStart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i != len(s) || i == fracStart || s[i-1] == '0' {
			return false
		}
		frac := s[fracStart:]
		if sig == 0 {
			frac = strings.TrimLeft(frac, "0")
			if len(s)-fracStart-len(frac) > 290 { // near the subnormal range
				return false
			}
		}
		sig += len(frac)
	}
	return sig <= 15
}

// csvFormat is the text a number cell gets when the column ends categorical
// and the cell's own text was not kept.
func csvFormat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// csvTexts interns a column's distinct texts: ids count from 0 in the order
// texts are first seen, the texts lie end to end in one byte arena, and an
// open-addressing hash table finds them. For a column of a million
// identifiers it takes a fraction of the memory of a map[string]int32 and a
// string a text.
type csvTexts struct {
	seed  maphash.Seed
	table []uint64 // hash tag << 32 | id+1; 0 is an empty slot
	arena []byte   // the texts, end to end
	ends  []uint32 // ends[id]: end of text id in arena
}

func (t *csvTexts) len() int { return len(t.ends) }

func (t *csvTexts) bounds(id int32) (start, end uint32) {
	if id > 0 {
		start = t.ends[id-1]
	}
	return start, t.ends[id]
}

func (t *csvTexts) text(id int32) []byte {
	start, end := t.bounds(id)
	return t.arena[start:end:end]
}

// intern returns the id of s, adding it when new.
func (t *csvTexts) intern(s string) (int32, error) {
	if t.table == nil {
		t.seed = maphash.MakeSeed()
		t.table = make([]uint64, 16)
	}
	tag := uint32(maphash.String(t.seed, s) >> 32)
	mask := uint32(len(t.table) - 1)
	i := tag & mask
	for {
		e := t.table[i]
		if e == 0 {
			break
		}
		if uint32(e>>32) == tag && string(t.text(int32(uint32(e)-1))) == s {
			return int32(uint32(e) - 1), nil
		}
		i = (i + 1) & mask
	}
	if len(t.ends) >= math.MaxInt32-1 || uint64(len(t.arena))+uint64(len(s)) > math.MaxUint32 {
		return 0, ErrTooManyLevels
	}
	id := int32(len(t.ends))
	t.arena = append(t.arena, s...)
	t.ends = append(t.ends, uint32(len(t.arena)))
	t.table[i] = uint64(tag)<<32 | uint64(id+1)
	if 2*len(t.ends) > len(t.table) {
		t.rehash(2 * len(t.table))
	}
	return id, nil
}

// rehash moves the hash table to size slots, a power of two.
func (t *csvTexts) rehash(size int) {
	old := t.table
	t.table = make([]uint64, size)
	mask := uint32(size - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := uint32(e>>32) & mask
		for t.table[i] != 0 {
			i = (i + 1) & mask
		}
		t.table[i] = e
	}
}

// grow makes room for n texts as long on average as those so far, so that a
// column of identifiers is not copied again and again while it grows.
func (t *csvTexts) grow(n int) {
	if n <= t.len() || t.table == nil {
		return
	}
	avg := len(t.arena)/t.len() + 1
	t.arena = slices.Grow(t.arena, (n-t.len())*avg)
	t.ends = slices.Grow(t.ends, n-t.len())
	size := len(t.table)
	for size < 2*n {
		size *= 2
	}
	if size > len(t.table) {
		t.rehash(size)
	}
}

// csvReadError turns an encoding/csv or I/O error into a *CSVError.
func csvReadError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &CSVError{File: file, Line: pe.Line, Err: fmt.Errorf("character %d: %w", pe.Column, pe.Err)}
	}
	return &CSVError{File: file, Err: fmt.Errorf("read: %w", err)}
}

// csvRaggedError reports a row with n fields, naming the first column without
// a value, or the first field beyond the header.
func csvRaggedError(cr *csv.Reader, file string, n int, cols []*csvColumn) error {
	e := &CSVError{File: file, Err: fmt.Errorf("%w: %d fields, header has %d", ErrRaggedRow, n, len(cols))}
	if n < len(cols) {
		if n > 0 {
			e.Line, _ = cr.FieldPos(n - 1)
		}
		e.Column = cols[n].name
	} else {
		e.Line, _ = cr.FieldPos(len(cols))
		e.Field = len(cols) + 1
	}
	return e
}
