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

// cellKinds are the microprotocols that release a table of counts; their
// small cells are suppressed rather than refused.
var cellKinds = map[string]bool{"Histogram": true, "StatisticsFrequency": true, "StatisticsContingency": true}

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
func planRelease(mp string, t *stats.Table, ix *rowIndex, rows []bool, ds *DatasetRef, p *params) (*releasePlan, error) {
	cols, err := planColumns(t, ds)
	if err != nil {
		return nil, err
	}
	plan := &releasePlan{index: ix, cohort: ix.cohort(rows, cols)}
	switch mp {
	case "Histogram":
		if len(cols) != 1 || cols[0].Kind != stats.Numeric {
			return plan, nil // the microprotocol reports the error
		}
		plan.bins = ix.bins(cols[0], plan.cohort, p.edges)
	case "StatisticsFrequency":
		if len(cols) != 1 {
			return plan, nil
		}
		names, groups, err := ix.groups(cols[0], plan.cohort)
		if err != nil {
			return nil, err
		}
		plan.cells = map[string]*roaring.Bitmap{}
		for k, bm := range groups {
			if bm != nil {
				plan.cells[names[k]] = bm
			}
		}
	case "GLM":
		if plan.linked, err = glmLevelSets(ix, cols, plan.cohort); err != nil {
			return nil, err
		}
	case "StatisticsContingency":
		if len(cols) != 2 {
			return plan, nil
		}
		namesA, namesB, pairs, err := ix.pairs(cols[0], cols[1], plan.cohort)
		if err != nil {
			return nil, err
		}
		plan.pairs = map[[2]string]*roaring.Bitmap{}
		for k, bm := range pairs {
			if bm != nil {
				plan.pairs[[2]string{namesA[k/len(namesB)], namesB[k%len(namesB)]}] = bm
			}
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
