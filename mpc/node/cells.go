package node

import (
	"context"
	"math"

	"github.com/RoaringBitmap/roaring/v2"
)

// Tables of counts over node-held data (histograms, frequencies,
// crosstabs): the cells whose pooled count is below min_cell, or that a
// member's release memory flags, are suppressed at every member
// (releaseCells, checked inside MPC), their counts never enter the sum,
// and the answer shows them as null. Margins are sums of the cells shown,
// so suppression cannot be undone by subtraction, and the release memory
// has checked each of them.

// releaseAndSum decides which cells are kept (releaseCells) and adds the
// kept cells' counts across the members, and only theirs: a suppressed
// cell has no total, not even a 0. The deciding party gets the pooled
// counts, NaN where a cell was suppressed, and the others nil.
func releaseAndSum(ctx context.Context, e *env, cells []releaseSet, margins func(keep []bool) []releaseSet) ([]bool, []float64, error) {
	keep, err := releaseCells(ctx, e, cells, margins)
	if err != nil {
		return nil, nil, err
	}
	var v []float64
	for j, c := range cells {
		if keep[j] {
			v = append(v, float64(c.rows.GetCardinality()))
		}
	}
	var tot []float64
	if len(v) > 0 { // every member knows which cells are kept
		if tot, err = e.c.Sum(ctx, v); err != nil {
			return nil, nil, err
		}
	}
	if !e.c.Decider() {
		return keep, nil, nil
	}
	out := make([]float64, len(cells))
	k := 0
	for j := range cells {
		out[j] = math.NaN()
		if keep[j] {
			out[j] = math.Round(tot[k])
			k++
		}
	}
	return keep, out, nil
}

func suppressedCount(keep []bool) int {
	n := 0
	for _, k := range keep {
		if !k {
			n++
		}
	}
	return n
}

func orEmpty(b *roaring.Bitmap) *roaring.Bitmap {
	if b == nil {
		return roaring.New()
	}
	return b
}
