package node

import (
	"math"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// releasePlan is what one dataset-backed computation would release of this
// node's rows: the cohort, or for a table of counts the rows of each cell,
// and the reservation in the release memory once the rules have passed.
type releasePlan struct {
	mem    *tableMemory
	cohort *roaring.Bitmap
	// Cells, for histograms, frequencies and crosstabs: the rows of each
	// bin (in order) or of each label or label pair.
	bins  []*roaring.Bitmap
	cells map[string]*roaring.Bitmap
	pairs map[[2]string]*roaring.Bitmap
	res   *reservation
}

// commit makes what the computation released permanent in the memory.
func (p *releasePlan) commit() error {
	if p == nil {
		return nil
	}
	return p.res.commit()
}

// cancel forgets what the computation had reserved: nothing was released.
func (p *releasePlan) cancel() {
	if p != nil {
		p.res.cancel()
	}
}

// cellKinds are the microprotocols that release a table of counts; their
// small cells are suppressed rather than refused.
var cellKinds = map[string]bool{"Histogram": true, "StatisticsFrequency": true, "StatisticsContingency": true}

// missingRows maps each column of a table that lacks values to the rows
// it lacks them in, so that a cohort of complete cases takes a few bitmap
// operations rather than a pass over every column.
type missingRows map[*stats.Column]*roaring.Bitmap

// indexMissing builds a table's missingRows, once, when the node starts.
func indexMissing(t *stats.Table) missingRows {
	out := missingRows{}
	for _, c := range t.Columns {
		bm := bitmapOf(t.Rows, func(i int) bool {
			return c.Kind == stats.Numeric && math.IsNaN(c.Num[i]) || c.Kind == stats.Categorical && c.Cat[i] < 0
		})
		if !bm.IsEmpty() {
			out[c] = bm
		}
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

// selectedRows is the bitmap of rows the filter keeps (all when rows is
// nil) that hold a value in every column (complete cases).
func selectedRows(t *stats.Table, rows []bool, cols []*stats.Column, missing missingRows) *roaring.Bitmap {
	var bm *roaring.Bitmap
	if rows == nil {
		bm = roaring.New()
		bm.AddRange(0, uint64(t.Rows))
	} else {
		bm = bitmapOf(t.Rows, func(i int) bool { return rows[i] })
	}
	for _, c := range cols {
		if m := missing[c]; m != nil {
			bm.AndNot(m)
		}
	}
	return bm
}

// planColumns lists the columns a dataset reference uses.
func planColumns(t *stats.Table, ds *DatasetRef) ([]*stats.Column, error) {
	names := append([]string(nil), ds.Columns...)
	if ds.Column != "" {
		names = append(names, ds.Column)
	}
	cols := make([]*stats.Column, 0, len(names))
	for _, name := range names {
		c, err := t.Column(name)
		if err != nil {
			return nil, bad("%v", err)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// planRelease computes the row sets a computation would release at this
// node.
func planRelease(mp string, t *stats.Table, missing missingRows, rows []bool, ds *DatasetRef, p *params) (*releasePlan, error) {
	cols, err := planColumns(t, ds)
	if err != nil {
		return nil, err
	}
	plan := &releasePlan{cohort: selectedRows(t, rows, cols, missing)}
	switch mp {
	case "Histogram":
		if len(cols) != 1 || cols[0].Kind != stats.Numeric {
			return plan, nil // the microprotocol reports the error
		}
		plan.bins = binRows(cols[0].Num, plan.cohort, p.edges)
	case "StatisticsFrequency", "StatisticsContingency":
		if len(cols) == 0 || len(cols) > 2 {
			return plan, nil
		}
		codeA, namesA := codes(cols[0])
		if len(cols) == 1 {
			plan.cells = map[string]*roaring.Bitmap{}
			for k, bm := range groupRows(plan.cohort, len(namesA), codeA) {
				if bm != nil {
					plan.cells[namesA[k]] = bm
				}
			}
			return plan, nil
		}
		codeB, namesB := codes(cols[1])
		nb := len(namesB)
		plan.pairs = map[[2]string]*roaring.Bitmap{}
		pair := func(i int) int { return codeA(i)*nb + codeB(i) }
		for k, bm := range groupRows(plan.cohort, len(namesA)*nb, pair) {
			if bm != nil {
				plan.pairs[[2]string{namesA[k/nb], namesB[k%nb]}] = bm
			}
		}
	}
	return plan, nil
}

// groupRows splits the cohort's rows by group (0 ≤ group(i) < k); a group
// with no rows is nil.
func groupRows(cohort *roaring.Bitmap, k int, group func(i int) int) []*roaring.Bitmap {
	bufs := make([][]uint32, k)
	eachRow(cohort, func(i uint32) {
		g := group(int(i))
		bufs[g] = append(bufs[g], i)
	})
	out := make([]*roaring.Bitmap, k)
	for g, buf := range bufs {
		if len(buf) > 0 {
			out[g] = roaring.BitmapOf(buf...)
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

// binRows puts the cohort's rows into histogram bins (numpy's convention,
// as stats.Histogram counts them: the last bin closed, values outside the
// edges in none).
func binRows(x []float64, cohort *roaring.Bitmap, edges []float64) []*roaring.Bitmap {
	if len(edges) < 2 {
		return nil
	}
	k := len(edges) - 1
	bins := groupRows(cohort, k+1, func(i int) int {
		v := x[i]
		if math.IsNaN(v) || v < edges[0] || v > edges[k] {
			return k // outside: dropped below
		}
		b := sort.SearchFloat64s(edges, v)
		// edges[b] >= v: v in bin b-1 unless it sits on edge b.
		if b < len(edges) && edges[b] == v {
			b++
		}
		return min(b-1, k-1)
	})[:k]
	for j, b := range bins {
		if b == nil {
			bins[j] = roaring.New()
		}
	}
	return bins
}

// union is the rows of the cells kept.
func union(cells []*roaring.Bitmap, keep []bool) *roaring.Bitmap {
	var sel []*roaring.Bitmap
	for j, c := range cells {
		if keep[j] && c != nil {
			sel = append(sel, c)
		}
	}
	return roaring.FastOr(sel...)
}

// cellName names a cell in the node's log.
func cellName(parts ...string) string { return "cell " + strings.Join(parts, "/") }
