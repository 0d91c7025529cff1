package node

import (
	"context"
	"math"

	"github.com/RoaringBitmap/roaring/v2"
)

// Tables of counts over node-held data (histograms, frequencies,
// crosstabs): the cells any member cannot release are suppressed at every
// member (releaseCells), their counts never enter the sum, and the answer
// shows them as null. Margins are sums of the cells shown, so suppression
// cannot be undone by subtraction, and the release memory has checked
// each of them.

// releaseAndSum decides which cells are kept (releaseCells) and adds the
// kept cells' counts across the members; the deciding party gets the
// pooled counts, NaN where a cell was suppressed, and the others nil.
func releaseAndSum(ctx context.Context, e *env, cells []releaseSet, margins func(keep []bool) []releaseSet) ([]bool, []float64, error) {
	keep, err := releaseCells(ctx, e, cells, margins)
	if err != nil {
		return nil, nil, err
	}
	v := make([]float64, len(cells))
	for j, c := range cells {
		if keep[j] {
			v[j] = float64(c.rows.GetCardinality())
		}
	}
	tot, err := e.c.Sum(ctx, v)
	if err != nil || !e.c.Decider() {
		return keep, nil, err
	}
	out := make([]float64, len(cells))
	for j := range cells {
		out[j] = math.NaN()
		if keep[j] {
			out[j] = math.Round(tot[j])
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
