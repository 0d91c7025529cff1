package node

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// rowIndex is a bitmap index of one table from which the release
// memory's row sets are made. For each column it holds the rows that lack
// a value, and the rows of each group of values: of each distinct value
// when there are few (a categorical column's levels, or a numeric column
// such as age in years), or else of each of about groupsPerColumn runs of
// ascending values (a numeric column such as bmi). A cohort, a histogram
// bin or a table cell is then a few bitmap operations. A column is
// indexed when a query first uses it; the index's bitmaps are never
// modified.
type rowIndex struct {
	t    *stats.Table
	mu   sync.Mutex
	cols map[*stats.Column]*columnRows
	gaps map[*stats.Column]*roaring.Bitmap // missing rows, nil for none
	// pairCells: the whole table's rows in each cell of a crosstab.
	pairCells map[[2]*stats.Column][]*roaring.Bitmap
	// times: the rows of each time of a (time, event) pair of columns
	// (survival_cells.go).
	times map[[2]*stats.Column]*timeCells
}

// columnRows is the index of one column.
type columnRows struct {
	once sync.Once
	// exact: each group is one value, named in names (a level, or a
	// number's shortest decimal), with its rows. Otherwise (a numeric
	// column of many values) group holds each row's group, whose values
	// span lo..hi; missingGroup marks a row without a value.
	exact  bool
	names  []string
	rows   []*roaring.Bitmap
	group  []uint16
	lo, hi []float64
}

// groupsPerColumn bounds the groups of an indexed column: a column of more
// distinct values is cut into about this many runs of values.
const groupsPerColumn = 1024

const missingGroup = math.MaxUint16

func newRowIndex(t *stats.Table) *rowIndex {
	return &rowIndex{t: t, cols: map[*stats.Column]*columnRows{}, gaps: map[*stats.Column]*roaring.Bitmap{},
		pairCells: map[[2]*stats.Column][]*roaring.Bitmap{}, times: map[[2]*stats.Column]*timeCells{}}
}

// column returns c's index, building it on first use.
func (ix *rowIndex) column(c *stats.Column) *columnRows {
	ix.mu.Lock()
	cr := ix.cols[c]
	if cr == nil {
		cr = &columnRows{}
		ix.cols[c] = cr
	}
	ix.mu.Unlock()
	cr.once.Do(func() { cr.build(c, ix.t.Rows) })
	return cr
}

// missing returns the rows in which c lacks a value (nil when none),
// without building c's value groups.
func (ix *rowIndex) missing(c *stats.Column) *roaring.Bitmap {
	ix.mu.Lock()
	m, ok := ix.gaps[c]
	ix.mu.Unlock()
	if ok {
		return m
	}
	only := []*stats.Column{c}
	m = bitmapOf(ix.t.Rows, func(i int) bool { return !complete(only, nil, i) })
	if m.IsEmpty() {
		m = nil
	}
	ix.mu.Lock()
	ix.gaps[c] = m
	ix.mu.Unlock()
	return m
}

func (cr *columnRows) build(c *stats.Column, n int) {
	code, names, num := valueCodes(c, groupsPerColumn)
	if code == nil { // a numeric column of many values: runs of values
		cr.lo = valueCuts(c.Num, groupsPerColumn)
		cr.hi = make([]float64, len(cr.lo))
		for j := range cr.hi {
			cr.hi[j] = math.Inf(-1)
		}
		cr.group = make([]uint16, n)
		for i, v := range c.Num {
			if math.IsNaN(v) {
				cr.group[i] = missingGroup
				continue
			}
			g := sort.Search(len(cr.lo), func(j int) bool { return cr.lo[j] > v }) - 1
			cr.group[i] = uint16(g)
			cr.hi[g] = max(cr.hi[g], v)
		}
		return
	}
	cr.exact, cr.names, cr.lo, cr.hi = true, names, num, num
	k := len(names)
	all := roaring.New()
	all.AddRange(0, uint64(n))
	groups := groupRows(all, k+1, func(i int) int {
		if g := code(i); g >= 0 {
			return g
		}
		return k
	})
	cr.rows = groups[:k] // groups[k]: rows without a value
	for g, bm := range cr.rows {
		if bm == nil {
			cr.rows[g] = roaring.New()
		}
	}
}

// valueCuts returns about k ascending distinct values, the least of x
// first, that cut x into runs of about equal size (from a sample).
func valueCuts(x []float64, k int) []float64 {
	const sample = 64 * groupsPerColumn
	step := max(1, len(x)/sample)
	var s []float64
	for i := 0; i < len(x); i += step {
		if !math.IsNaN(x[i]) {
			s = append(s, x[i])
		}
	}
	if len(s) == 0 {
		return nil // every value missing
	}
	least := math.Inf(1)
	for _, v := range x {
		if v < least { // false for NaN
			least = v
		}
	}
	slices.Sort(s)
	cuts := []float64{least}
	for j := 1; j < k; j++ {
		if v := s[j*len(s)/k]; v > cuts[len(cuts)-1] {
			cuts = append(cuts, v)
		}
	}
	return cuts
}

// valueCodes numbers the distinct values of c (−1 for a missing value), or
// returns a nil code when c has more than limit of them. Levels keep their
// order; numbers are numbered in ascending order (returned in num) and
// named by their shortest decimal text.
func valueCodes(c *stats.Column, limit int) (code func(i int) int, names []string, num []float64) {
	if c.Kind == stats.Categorical {
		if c.Levels.Len() > limit {
			return nil, nil, nil
		}
		return func(i int) int { return int(c.Cat[i]) }, c.Levels.Strings(), nil
	}
	seen := map[float64]bool{}
	for _, v := range c.Num {
		if !math.IsNaN(v) && !seen[v] {
			if len(seen) == limit {
				return nil, nil, nil
			}
			seen[v] = true
		}
	}
	num = make([]float64, 0, len(seen))
	for v := range seen {
		num = append(num, v)
	}
	slices.Sort(num)
	pos := make(map[float64]int, len(num))
	names = make([]string, len(num))
	for j, v := range num {
		pos[v] = j
		names[j] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return func(i int) int {
		if j, ok := pos[c.Num[i]]; ok {
			return j
		}
		return -1
	}, names, num
}

// cohort is the bitmap of rows the filter keeps (all when rows is nil)
// that hold a value in every column (complete cases).
func (ix *rowIndex) cohort(rows []bool, cols []*stats.Column) *roaring.Bitmap {
	var bm *roaring.Bitmap
	if rows == nil {
		bm = roaring.New()
		bm.AddRange(0, uint64(ix.t.Rows))
	} else {
		bm = bitmapOf(ix.t.Rows, func(i int) bool { return rows[i] })
		bm.RunOptimize() // a filter often keeps runs of rows: cheaper to compare
	}
	for _, c := range cols {
		if m := ix.missing(c); m != nil {
			bm.AndNot(m)
		}
	}
	return bm
}

// within is the rows of bm in the cohort (bm itself when the cohort is the
// whole table).
func (ix *rowIndex) within(bm, cohort *roaring.Bitmap) *roaring.Bitmap {
	if cohort.GetCardinality() == uint64(ix.t.Rows) {
		return bm
	}
	return roaring.And(bm, cohort)
}

// groups splits the cohort by the values of c: their names and the rows
// of each (nil where the cohort has none).
func (ix *rowIndex) groups(c *stats.Column, cohort *roaring.Bitmap) ([]string, []*roaring.Bitmap, error) {
	if cr := ix.column(c); cr.exact {
		out := make([]*roaring.Bitmap, len(cr.rows))
		for g, bm := range cr.rows {
			if r := ix.within(bm, cohort); !r.IsEmpty() {
				out[g] = r
			}
		}
		return cr.names, out, nil
	}
	code, names, err := labelCodes(c)
	if err != nil {
		return nil, nil, err
	}
	return names, groupRows(cohort, len(names), code), nil
}

// labelCodes numbers the values of a column of many values as categories,
// up to maxLabels of them.
func labelCodes(c *stats.Column) (func(i int) int, []string, error) {
	code, names, _ := valueCodes(c, maxLabels)
	if code == nil {
		return nil, nil, bad("column %q has more than %d distinct values: too many categories for a table of counts", c.Name, maxLabels)
	}
	return code, names, nil
}

// pairs splits the cohort by the values of a and b: the names of each and
// the rows of each pair, indexed by ia·len(namesB)+ib.
func (ix *rowIndex) pairs(a, b *stats.Column, cohort *roaring.Bitmap) (namesA, namesB []string, out []*roaring.Bitmap, err error) {
	if !ix.column(a).exact || !ix.column(b).exact {
		codeA, namesA, err := labelCodes(a)
		if err != nil {
			return nil, nil, nil, err
		}
		codeB, namesB, err := labelCodes(b)
		if err != nil {
			return nil, nil, nil, err
		}
		if err := crosstabCells(a, b, len(namesA), len(namesB)); err != nil {
			return nil, nil, nil, err
		}
		nb := len(namesB)
		return namesA, namesB, groupRows(cohort, len(namesA)*nb, func(i int) int { return codeA(i)*nb + codeB(i) }), nil
	}
	ca, cb := ix.column(a), ix.column(b)
	if err := crosstabCells(a, b, len(ca.names), len(cb.names)); err != nil {
		return nil, nil, nil, err
	}
	whole := ix.pairRows(a, b)
	out = make([]*roaring.Bitmap, len(whole))
	for k, bm := range whole {
		if r := ix.within(bm, cohort); !r.IsEmpty() {
			out[k] = r
		}
	}
	return ca.names, cb.names, out, nil
}

// maxCachedPairs bounds the column pairs whose cells the index keeps.
const maxCachedPairs = 16

// pairRows returns the rows of the whole table in each cell of two
// columns of few values, kept for later crosstabs (up to maxCachedPairs
// pairs of columns).
func (ix *rowIndex) pairRows(a, b *stats.Column) []*roaring.Bitmap {
	key := [2]*stats.Column{a, b}
	ix.mu.Lock()
	cells, ok := ix.pairCells[key]
	ix.mu.Unlock()
	if ok {
		return cells
	}
	ca, cb := ix.column(a), ix.column(b)
	cells = make([]*roaring.Bitmap, len(ca.rows)*len(cb.rows))
	for i, ra := range ca.rows {
		for j, rb := range cb.rows {
			cells[i*len(cb.rows)+j] = roaring.And(ra, rb)
		}
	}
	ix.mu.Lock()
	if len(ix.pairCells) < maxCachedPairs {
		ix.pairCells[key] = cells
	}
	ix.mu.Unlock()
	return cells
}

// crosstabCells refuses a crosstab of more than maxLabels cells.
func crosstabCells(a, b *stats.Column, na, nb int) error {
	if na*nb > maxLabels {
		return bad("columns %q and %q: %d × %d categories: more than %d cells for a crosstab", a.Name, b.Name, na, nb, maxLabels)
	}
	return nil
}

// bins puts the cohort's rows of numeric column c into histogram bins
// (numpy's convention, as stats.Histogram counts them: the last bin
// closed, values outside the edges in none).
func (ix *rowIndex) bins(c *stats.Column, cohort *roaring.Bitmap, edges []float64) []*roaring.Bitmap {
	if len(edges) < 2 {
		return nil
	}
	k := len(edges) - 1
	bin := func(v float64) int {
		if math.IsNaN(v) || v < edges[0] || v > edges[k] {
			return k // outside: in no bin
		}
		b := sort.SearchFloat64s(edges, v)
		// edges[b] >= v: v in bin b-1 unless it sits on edge b.
		if b < len(edges) && edges[b] == v {
			b++
		}
		return min(b-1, k-1)
	}
	cr := ix.column(c)
	// Each group of values that lies in one bin goes there whole; only the
	// rows of a group an edge cuts are binned one by one.
	whole := make([]int, len(cr.lo))
	for g, lo := range cr.lo {
		hi := cr.hi[g]
		whole[g] = -1
		if b := bin(lo); b == bin(hi) && (b < k || hi < edges[0] || lo > edges[k]) {
			whole[g] = b
		}
	}
	if !cr.exact {
		out := groupRows(cohort, k+1, func(i int) int {
			g := cr.group[i]
			if g == missingGroup {
				return k
			}
			if b := whole[g]; b >= 0 {
				return b
			}
			return bin(c.Num[i])
		})[:k]
		for b, bm := range out {
			if bm == nil {
				out[b] = roaring.New()
			}
		}
		return out
	}
	parts := make([][]*roaring.Bitmap, k+1)
	for g, rows := range cr.rows {
		parts[whole[g]] = append(parts[whole[g]], rows) // one value: one bin
	}
	out := make([]*roaring.Bitmap, k)
	for b := range out {
		out[b] = ix.within(roaring.FastOr(parts[b]...), cohort)
	}
	return out
}

// bitmapOf is the set of rows below n for which in holds.
func bitmapOf(n int, in func(i int) bool) *roaring.Bitmap {
	bm := roaring.New()
	buf := make([]uint32, 0, 4096)
	for i := 0; i < n; i++ {
		if in(i) {
			buf = append(buf, uint32(i))
			if len(buf) == cap(buf) {
				bm.AddMany(buf)
				buf = buf[:0]
			}
		}
	}
	bm.AddMany(buf)
	return bm
}

// groupRows splits the cohort's rows by group (0 ≤ group(i) < k); a group
// with no rows is nil. The rows are counted per group first, so that each
// group's rows are laid out once, in order, in one shared array.
func groupRows(cohort *roaring.Bitmap, k int, group func(i int) int) []*roaring.Bitmap {
	n := cohort.GetCardinality()
	of := make([]int32, 0, n)
	count := make([]int, k+1)
	eachRow(cohort, func(i uint32) {
		g := group(int(i))
		of = append(of, int32(g))
		count[g+1]++
	})
	for g := 1; g <= k; g++ {
		count[g] += count[g-1]
	}
	start := slices.Clone(count)
	rows := make([]uint32, n)
	j := 0
	eachRow(cohort, func(i uint32) {
		g := of[j]
		rows[count[g]] = i
		count[g]++
		j++
	})
	out := make([]*roaring.Bitmap, k)
	for g := range out {
		if start[g] < start[g+1] {
			out[g] = roaring.BitmapOf(rows[start[g]:start[g+1]]...)
		}
	}
	return out
}

// eachRow calls f with each row of bm in order, a block at a time.
func eachRow(bm *roaring.Bitmap, f func(i uint32)) {
	buf := make([]uint32, 4096)
	it := bm.ManyIterator()
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, i := range buf[:n] {
			f(i)
		}
	}
}
