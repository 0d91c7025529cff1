package node

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// input is one party's checked data for a microprotocol: whichever fields
// its microprotocol reads.
type input struct {
	x, y  []float64       // values; pairs as x and y
	rows  [][]float64     // regressors of each row (y holds the response)
	a, b  []string        // categories; category pairs as a and b
	items []string        // a set (PSI)
	vars  [][]float64     // columns to fit, shared with the table (regressors, then y)
	sel   []bool          // the rows of vars selected (nil: all)
	names []string        // the regressors' column names
	part  *stats.OLSPart  // sufficient statistics, when the table's gram covers the fit
	cols  []*stats.Column // GLM: the response, then the covariates
	surv  *survInput      // survival records (survival.go)
	n     int             // a count, or the rows a pre-added x covers
	added bool            // x holds one value already added over n rows
	// Category counts, computed once: label -> count, and for pairs
	// [a, b] -> count.
	counts     map[string]float64
	pairCounts map[[2]string]float64
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

// oneOrList reads a list, or one value (a string, number or boolean) as a
// list of one: R's httr with auto_unbox, as the FSC R client sends, turns
// a vector of one element into that element, and the reference reads it as
// one value. Null and objects are no list.
func oneOrList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case string, float64, bool:
		return []any{x}, true
	}
	return nil, false
}

// isNumber reports whether a JSON value is a number.
func isNumber(v any) bool {
	_, ok := v.(float64)
	return ok
}

func asList(data any, limit int, what string) ([]any, error) {
	list, ok := oneOrList(data)
	if !ok {
		return nil, bad("data: %s expects a list, got %s", what, jsonType(data))
	}
	if len(list) > limit {
		return nil, bad("data: %d values exceed this node's limit of %d", len(list), limit)
	}
	return list, nil
}

// ownPairs reads a list of [x, y] pairs of numbers; one pair [x, y] alone
// is a list of one (R sends list(c(x, y)) so, and no list of pairs has two
// numbers for elements).
func ownPairs(data any, limit int) (*input, error) {
	list, err := asList(data, limit, "a list of [x, y] pairs")
	if err != nil {
		return nil, err
	}
	if len(list) == 2 && isNumber(list[0]) && isNumber(list[1]) {
		list = []any{list}
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

// ownRows reads rows [y, x1, ..., xk] of numbers, all of one length; one
// row alone (a flat list of numbers) is a list of one row.
func ownRows(data any, limit int) (*input, error) {
	list, err := asList(data, limit, "rows [y, x1, ..., xk]")
	if err != nil {
		return nil, err
	}
	if len(list) >= 2 && !slices.ContainsFunc(list, func(v any) bool { return !isNumber(v) }) {
		list = []any{list}
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
		if len(r) > maxRegressors+1 {
			return nil, bad("data[%d]: row of %d numbers; a regression takes y and at most %d regressors", i, len(r), maxRegressors)
		}
		if len(r)*len(list) > limit {
			return nil, bad("data: %d rows of %d numbers exceed this node's limit of %d values", len(list), len(r), limit)
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

// ownExtremes reads MinimumMaximum's data in either form: numbers, or the
// reference's items {"minimum": a, "maximum": b} (each one sample whose
// smallest value is a and largest b), mixed as they come; one number or
// one item alone is a list of one. n counts the samples.
func ownExtremes(data any, limit int) (*input, error) {
	if m, ok := data.(map[string]any); ok {
		data = []any{m}
	}
	list, err := asList(data, limit, "a list of numbers or of {\"minimum\": a, \"maximum\": b}")
	if err != nil {
		return nil, err
	}
	in := &input{x: make([]float64, 0, len(list)), n: len(list)}
	for i, e := range list {
		switch v := e.(type) {
		case float64:
			in.x = append(in.x, v)
		case map[string]any:
			for _, k := range []string{"minimum", "maximum"} {
				f, ok := v[k].(float64)
				if !ok {
					if _, has := v[k]; !has {
						return nil, bad("data[%d]: %q missing; expected {\"minimum\": a, \"maximum\": b}", i, k)
					}
					return nil, bad("data[%d].%s: expected a number, got %s", i, k, jsonType(v[k]))
				}
				in.x = append(in.x, f)
			}
		default:
			return nil, bad("data[%d]: expected a number or {\"minimum\": a, \"maximum\": b}, got %s", i, jsonType(e))
		}
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

// ownLabels reads a list of categories into counts.
func ownLabels(data any, limit int) (*input, error) {
	list, err := asList(data, limit, "a list of categories")
	if err != nil {
		return nil, err
	}
	in := &input{counts: map[string]float64{}, n: len(list)}
	for i, e := range list {
		s, ok := label(e)
		if !ok {
			return nil, bad("data[%d]: expected a category (string or number), got %s", i, jsonType(e))
		}
		in.counts[s]++
		if len(in.counts) > maxLabels {
			return nil, bad("data: more than %d distinct categories", maxLabels)
		}
	}
	return in, nil
}

// ownLabelPairs reads a list of [a, b] category pairs into counts; one
// pair [a, b] alone is a list of one.
func ownLabelPairs(data any, limit int) (*input, error) {
	list, err := asList(data, limit, "a list of [a, b] category pairs")
	if err != nil {
		return nil, err
	}
	if len(list) == 2 {
		_, aok := label(list[0])
		_, bok := label(list[1])
		if aok && bok {
			list = []any{list}
		}
	}
	in := &input{pairCounts: map[[2]string]float64{}, n: len(list)}
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
		in.pairCounts[[2]string{a, b}]++
		if len(in.pairCounts) > maxLabels {
			return nil, bad("data: more than %d distinct pairs of categories", maxLabels)
		}
	}
	return in, nil
}

// ownSets reads a list of sets of strings; this party's set is their
// intersection, as the FSC reference reads it. A flat list of strings (or
// one string) is one set; in a list of sets, a string alone is a set of one
// (R sends list(c("a"), c("a", "b")) as ["a", ["a", "b"]]).
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
	if len(sets) > 0 {
		for _, str := range flat {
			sets = append(sets, []string{str})
		}
	} else {
		sets = [][]string{flat}
	}
	return mpc.IntersectLists(sets), nil
}

// sortedCache keeps, for each numeric column used whole by an order
// statistic, its values sorted without the missing ones: the rank search
// then counts by binary search. Built on first use, kept while the node runs
// (columns never change once loaded).
var sortedCache sync.Map // *stats.Column -> *sortedColumn

type sortedColumn struct {
	once   sync.Once
	values []float64
}

func sortedValues(c *stats.Column) []float64 {
	v, _ := sortedCache.LoadOrStore(c, &sortedColumn{})
	sc := v.(*sortedColumn)
	sc.once.Do(func() {
		sc.values = slices.DeleteFunc(slices.Clone(c.Num), math.IsNaN)
		slices.Sort(sc.values)
	})
	return sc.values
}

// gapless remembers, for each numeric column loaded, whether it has no
// missing value (columns never change once loaded).
var gapless sync.Map // *stats.Column -> bool

func hasNoGaps(c *stats.Column) bool {
	if v, ok := gapless.Load(c); ok {
		return v.(bool)
	}
	ok := !slices.ContainsFunc(c.Num, math.IsNaN)
	gapless.Store(c, ok)
	return ok
}

// tableNumbers reads the non-missing values of a numeric column in the
// selected rows. A whole column without gaps is shared, not copied: the
// statistics only read their input.
func tableNumbers(t *stats.Table, rows []bool, column string) ([]float64, error) {
	if column == "" {
		return nil, bad("dataset.column: missing")
	}
	c, err := t.NumericColumn(column)
	if err != nil {
		return nil, bad("%v", err)
	}
	if rows == nil && hasNoGaps(c) {
		return c.Num, nil
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
	k := len(cols) - 1
	var backing []float64 // every row's regressors in one allocation
	for i := 0; i < t.Rows; i++ {
		if !complete(cols, rows, i) {
			continue
		}
		if backing == nil {
			backing = make([]float64, 0, k*t.Rows)
		}
		in.y = append(in.y, cols[0].Num[i])
		start := len(backing)
		for _, c := range cols[1:] {
			backing = append(backing, c.Num[i])
		}
		in.rows = append(in.rows, backing[start:len(backing):len(backing)])
	}
	return in, nil
}

// labelColumns checks the one or two columns a dataset-backed table of
// counts names. Its counts are the sizes of the release plan's cells
// (planRelease), so no pass over the rows is made here.
func labelColumns(t *stats.Table, ds *DatasetRef, width int, what string) (*input, error) {
	cols, err := tableColumns(t, ds, width, what)
	if err != nil {
		return nil, err
	}
	if len(cols) != width {
		return nil, bad("dataset.columns: %s takes %d column(s), got %d", what, width, len(cols))
	}
	return &input{}, nil
}
