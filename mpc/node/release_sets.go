package node

import (
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// releasePlan is what one dataset-backed computation would release of this
// node's rows: the cohort, or for a table of counts the rows of each cell,
// and the reservation in the release memory once the rules have passed.
type releasePlan struct {
	mem    *tableMemory
	index  *rowIndex // the table's
	cohort *roaring.Bitmap
	// Cells, for histograms, frequencies and crosstabs: the rows of each
	// bin (in order) or of each label or label pair.
	bins  []*roaring.Bitmap
	cells map[string]*roaring.Bitmap
	pairs map[[2]string]*roaring.Bitmap
	// linked are row sets released beside the cohort: a model's factor
	// levels (GLM).
	linked []releaseSet
	res    *reservation
}

// commit says the computation released what it reserved.
func (p *releasePlan) commit() {
	if p != nil {
		p.res.commit()
	}
}

// cancel says the computation released nothing: what it reserved stays
// remembered as probes.
func (p *releasePlan) cancel() {
	if p != nil {
		p.res.cancel()
	}
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
// node: its cohort, and what its family's releaser adds.
func planRelease(mp string, t *stats.Table, ix *rowIndex, rows []bool, ds *DatasetRef, p *params) (*releasePlan, error) {
	cols, err := planColumns(t, ds)
	if err != nil {
		return nil, err
	}
	plan := &releasePlan{index: ix, cohort: ix.cohort(rows, cols)}
	if r, ok := microprotocols[mp].(releaser); ok {
		if err := r.planRelease(mp, ix, cols, p, plan); err != nil {
			return nil, err
		}
	}
	return plan, nil
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
