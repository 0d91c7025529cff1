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

// selectedRows is the bitmap of rows the filter keeps that hold a value in
// every column (complete cases).
func selectedRows(t *stats.Table, rows []bool, cols []*stats.Column) *roaring.Bitmap {
	bm := roaring.New()
	if rows == nil && len(cols) == 0 {
		bm.AddRange(0, uint64(t.Rows))
		return bm
	}
	buf := make([]uint32, 0, 4096)
	for i := 0; i < t.Rows; i++ {
		if complete(cols, rows, i) {
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
func planRelease(mp string, t *stats.Table, rows []bool, ds *DatasetRef, p *params) (*releasePlan, error) {
	cols, err := planColumns(t, ds)
	if err != nil {
		return nil, err
	}
	plan := &releasePlan{cohort: selectedRows(t, rows, cols)}
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
			it := plan.cohort.Iterator()
			for it.HasNext() {
				i := it.Next()
				l := namesA[codeA(int(i))]
				if plan.cells[l] == nil {
					plan.cells[l] = roaring.New()
				}
				plan.cells[l].Add(i)
			}
			return plan, nil
		}
		codeB, namesB := codes(cols[1])
		plan.pairs = map[[2]string]*roaring.Bitmap{}
		it := plan.cohort.Iterator()
		for it.HasNext() {
			i := it.Next()
			k := [2]string{namesA[codeA(int(i))], namesB[codeB(int(i))]}
			if plan.pairs[k] == nil {
				plan.pairs[k] = roaring.New()
			}
			plan.pairs[k].Add(i)
		}
	}
	return plan, nil
}

// binRows puts the cohort's rows into histogram bins (numpy's convention,
// as stats.Histogram counts them: the last bin closed, values outside the
// edges in none).
func binRows(x []float64, cohort *roaring.Bitmap, edges []float64) []*roaring.Bitmap {
	if len(edges) < 2 {
		return nil
	}
	k := len(edges) - 1
	bufs := make([][]uint32, k)
	it := cohort.Iterator()
	for it.HasNext() {
		i := it.Next()
		v := x[i]
		if math.IsNaN(v) || v < edges[0] || v > edges[k] {
			continue
		}
		b := sort.SearchFloat64s(edges, v)
		// edges[b] >= v: v in bin b-1 unless it sits on edge b.
		if b < len(edges) && edges[b] == v {
			b++
		}
		b--
		if b >= k {
			b = k - 1
		}
		bufs[b] = append(bufs[b], i)
	}
	out := make([]*roaring.Bitmap, k)
	for j, buf := range bufs {
		out[j] = roaring.BitmapOf(buf...)
	}
	return out
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
