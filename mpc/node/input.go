package node

import (
	"math"
	"net/http"
	"strconv"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// input is one party's checked data for a microprotocol: whichever fields
// its microprotocol reads.
type input struct {
	x, y  []float64   // values; pairs as x and y
	rows  [][]float64 // regressors of each row (y holds the response)
	a, b  []string    // categories; category pairs as a and b
	items []string    // a set (PSI)
	n     int         // a count
}

func bad(format string, args ...any) error { return errorf(http.StatusBadRequest, format, args...) }

// ownNumbers reads data that must be a number or a list of numbers.
func ownNumbers(data any, limit int) (*input, error) {
	x, err := numbers(data, limit)
	if err != nil {
		return nil, err
	}
	return &input{x: x}, nil
}

func asList(data any, limit int, what string) ([]any, error) {
	list, ok := data.([]any)
	if !ok {
		return nil, bad("data: %s expects a list, got %s", what, jsonType(data))
	}
	if len(list) > limit {
		return nil, bad("data: %d values exceed this node's limit of %d", len(list), limit)
	}
	return list, nil
}

// ownPairs reads a list of [x, y] pairs of numbers.
func ownPairs(data any, limit int) (*input, error) {
	list, err := asList(data, limit, "a list of [x, y] pairs")
	if err != nil {
		return nil, err
	}
	in := &input{x: make([]float64, len(list)), y: make([]float64, len(list))}
	for i, e := range list {
		p, ok := e.([]any)
		if !ok || len(p) != 2 {
			return nil, bad("data[%d]: expected a pair [x, y], got %s", i, jsonType(e))
		}
		for j, v := range p {
			f, ok := v.(float64)
			if !ok {
				return nil, bad("data[%d][%d]: expected a number, got %s", i, j, jsonType(v))
			}
			if j == 0 {
				in.x[i] = f
			} else {
				in.y[i] = f
			}
		}
	}
	return in, nil
}

// ownRows reads rows [y, x1, ..., xk] of numbers, all of one length.
func ownRows(data any, limit int) (*input, error) {
	list, err := asList(data, limit, "rows [y, x1, ..., xk]")
	if err != nil {
		return nil, err
	}
	in := &input{}
	width := -1
	for i, e := range list {
		r, ok := e.([]any)
		if !ok || len(r) < 2 {
			return nil, bad("data[%d]: expected a row [y, x1, ..., xk] of at least two numbers, got %s", i, jsonType(e))
		}
		if width >= 0 && len(r) != width {
			return nil, bad("data[%d]: row of %d numbers, earlier rows have %d", i, len(r), width)
		}
		width = len(r)
		row := make([]float64, len(r)-1)
		for j, v := range r {
			f, ok := v.(float64)
			if !ok {
				return nil, bad("data[%d][%d]: expected a number, got %s", i, j, jsonType(v))
			}
			if j == 0 {
				in.y = append(in.y, f)
			} else {
				row[j-1] = f
			}
		}
		in.rows = append(in.rows, row)
	}
	return in, nil
}

// label turns a category given as a string or number into its label.
func label(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// ownLabels reads a list of categories.
func ownLabels(data any, limit int) (*input, error) {
	list, err := asList(data, limit, "a list of categories")
	if err != nil {
		return nil, err
	}
	in := &input{a: make([]string, len(list))}
	for i, e := range list {
		s, ok := label(e)
		if !ok {
			return nil, bad("data[%d]: expected a category (string or number), got %s", i, jsonType(e))
		}
		in.a[i] = s
	}
	return in, nil
}

// ownLabelPairs reads a list of [a, b] category pairs.
func ownLabelPairs(data any, limit int) (*input, error) {
	list, err := asList(data, limit, "a list of [a, b] category pairs")
	if err != nil {
		return nil, err
	}
	in := &input{a: make([]string, len(list)), b: make([]string, len(list))}
	for i, e := range list {
		p, ok := e.([]any)
		if !ok || len(p) != 2 {
			return nil, bad("data[%d]: expected a pair [a, b], got %s", i, jsonType(e))
		}
		a, aok := label(p[0])
		b, bok := label(p[1])
		if !aok || !bok {
			return nil, bad("data[%d]: categories must be strings or numbers", i)
		}
		in.a[i], in.b[i] = a, b
	}
	return in, nil
}

// ownSets reads a list of sets of strings; this party's set is their
// intersection, as the FSC reference reads it. A flat list of strings is
// one set.
func ownSets(data any, limit int) ([]string, error) {
	list, err := asList(data, limit, "a list of sets (lists of strings)")
	if err != nil {
		return nil, err
	}
	var sets [][]string
	flat := []string{}
	for i, e := range list {
		switch v := e.(type) {
		case string:
			flat = append(flat, v)
		case []any:
			set := make([]string, len(v))
			for j, s := range v {
				str, ok := s.(string)
				if !ok {
					return nil, bad("data[%d][%d]: expected a string, got %s", i, j, jsonType(s))
				}
				set[j] = str
			}
			sets = append(sets, set)
		default:
			return nil, bad("data[%d]: expected a set (a list of strings), got %s", i, jsonType(e))
		}
	}
	if len(sets) > 0 && len(flat) > 0 {
		return nil, bad("data: mixes strings and sets; give a list of sets")
	}
	if len(sets) == 0 {
		sets = [][]string{flat}
	}
	return mpc.IntersectLists(sets), nil
}

// tableNumbers reads the non-missing values of a numeric column in the
// selected rows.
func tableNumbers(t *stats.Table, rows []bool, column string) ([]float64, error) {
	if column == "" {
		return nil, bad("dataset.column: missing")
	}
	c, err := t.NumericColumn(column)
	if err != nil {
		return nil, bad("%v", err)
	}
	out := make([]float64, 0, len(c.Num))
	for i, v := range c.Num {
		if (rows == nil || rows[i]) && !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// tableColumns returns the named columns, at least min of them.
func tableColumns(t *stats.Table, ds *DatasetRef, min int, what string) ([]*stats.Column, error) {
	names := ds.Columns
	if len(names) == 0 && ds.Column != "" {
		names = []string{ds.Column}
	}
	if len(names) < min {
		return nil, bad("dataset.columns: %s needs %s", what, map[int]string{1: "a column", 2: "two columns"}[min])
	}
	cols := make([]*stats.Column, len(names))
	for i, name := range names {
		c, err := t.Column(name)
		if err != nil {
			return nil, bad("%v", err)
		}
		cols[i] = c
	}
	return cols, nil
}

// complete reports whether row i is selected and holds a value in every
// column (complete cases).
func complete(cols []*stats.Column, rows []bool, i int) bool {
	if rows != nil && !rows[i] {
		return false
	}
	for _, c := range cols {
		if c.Kind == stats.Numeric && math.IsNaN(c.Num[i]) || c.Kind == stats.Categorical && c.Cat[i] < 0 {
			return false
		}
	}
	return true
}

// tableNumericRows reads complete rows of numeric columns: the first as y
// (or x), the rest as the row's other values.
func tableNumericRows(t *stats.Table, rows []bool, ds *DatasetRef, min int, what string) (*input, error) {
	cols, err := tableColumns(t, ds, min, what)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		if c.Kind != stats.Numeric {
			return nil, bad("column %q of table %s is categorical; %s needs numeric columns", c.Name, t.Name, what)
		}
	}
	in := &input{}
	for i := 0; i < t.Rows; i++ {
		if !complete(cols, rows, i) {
			continue
		}
		in.y = append(in.y, cols[0].Num[i])
		r := make([]float64, len(cols)-1)
		for j, c := range cols[1:] {
			r[j] = c.Num[i]
		}
		in.rows = append(in.rows, r)
	}
	return in, nil
}

// labelOf returns row i of a column as a category label.
func labelOf(c *stats.Column, i int) string {
	if c.Kind == stats.Categorical {
		return c.Levels[c.Cat[i]]
	}
	return strconv.FormatFloat(c.Num[i], 'f', -1, 64)
}

// tableLabels reads one or two columns as categories (numbers become
// their decimal text), complete cases only.
func tableLabels(t *stats.Table, rows []bool, ds *DatasetRef, width int, what string) (*input, error) {
	cols, err := tableColumns(t, ds, width, what)
	if err != nil {
		return nil, err
	}
	if len(cols) != width {
		return nil, bad("dataset.columns: %s takes %d column(s), got %d", what, width, len(cols))
	}
	in := &input{}
	for i := 0; i < t.Rows; i++ {
		if !complete(cols, rows, i) {
			continue
		}
		in.a = append(in.a, labelOf(cols[0], i))
		if width == 2 {
			in.b = append(in.b, labelOf(cols[1], i))
		}
	}
	return in, nil
}
