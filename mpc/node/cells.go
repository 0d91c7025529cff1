package node

import (
	"context"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// Tables of counts over node-held data (histograms, frequencies,
// crosstabs): the cells any member cannot release are suppressed at every
// member (releaseCells), their counts never enter the sum, and the answer
// shows them as null. Margins are sums of the cells shown, so suppression
// cannot be undone by subtraction, and the release memory has checked
// each of them.

// releaseAndSum decides which cells are kept (releaseCells) and adds the
// kept cells' counts across the members; the deciding party gets the
// pooled counts, nil where a cell was suppressed, and the others nil.
func releaseAndSum(ctx context.Context, e *env, cells []releaseSet, margins func(keep []bool) []releaseSet) ([]bool, []any, error) {
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
	out := make([]any, len(cells))
	for j := range cells {
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

// histogramCells is Histogram over node-held data.
func histogramCells(ctx context.Context, e *env, p *params) (map[string]any, error) {
	cells := make([]releaseSet, len(e.plan.bins))
	for j, b := range e.plan.bins {
		cells[j] = releaseSet{what: "bin " + strconv.Itoa(j), rows: b}
	}
	keep, counts, err := releaseAndSum(ctx, e, cells, totalMargin(cells))
	if err != nil || counts == nil {
		return nil, err
	}
	return map[string]any{"edges": p.edges, "counts": counts, "suppressed": suppressedCount(keep)}, nil
}

// frequencyCells is StatisticsFrequency over node-held data.
func frequencyCells(ctx context.Context, e *env) (map[string]any, error) {
	levels, err := stats.LabelUnion(ctx, e.c, slices.Sorted(maps.Keys(e.plan.cells)))
	if err != nil {
		return nil, err
	}
	cells := make([]releaseSet, len(levels))
	for j, l := range levels {
		cells[j] = releaseSet{what: cellName(l), rows: orEmpty(e.plan.cells[l])}
	}
	keep, counts, err := releaseAndSum(ctx, e, cells, totalMargin(cells))
	if err != nil || counts == nil {
		return nil, err
	}
	hist := make(map[string]any, len(levels))
	var mode any
	best := 0.0
	for j, l := range levels {
		hist[l] = counts[j]
		if c, ok := counts[j].(float64); ok && c > best {
			best, mode = c, l
		}
	}
	return map[string]any{"mode": mode, "histogram": hist, "suppressed": suppressedCount(keep)}, nil
}

// contingencyCells is StatisticsContingency over node-held data; its
// margins are the row, column and grand totals of the cells shown.
func contingencyCells(ctx context.Context, e *env) (map[string]any, error) {
	both := map[string]bool{}
	for k := range e.plan.pairs {
		both["a\x00"+k[0]] = true
		both["b\x00"+k[1]] = true
	}
	union, err := stats.LabelUnion(ctx, e.c, slices.Sorted(maps.Keys(both)))
	if err != nil {
		return nil, err
	}
	la, lb := splitPairLabels(union)
	cells := make([]releaseSet, 0, len(la)*len(lb))
	for _, a := range la {
		for _, b := range lb {
			cells = append(cells, releaseSet{what: cellName(a, b), rows: orEmpty(e.plan.pairs[[2]string{a, b}])})
		}
	}
	margins := func(keep []bool) []releaseSet {
		var out []releaseSet
		pick := func(what string, idx func(k int) int, n int) {
			var bms []*roaring.Bitmap
			for k := 0; k < n; k++ {
				if j := idx(k); keep[j] {
					bms = append(bms, cells[j].rows)
				}
			}
			out = append(out, releaseSet{what: what, rows: roaring.FastOr(bms...)})
		}
		for i, a := range la {
			pick("margin "+a, func(k int) int { return i*len(lb) + k }, len(lb))
		}
		for j, b := range lb {
			pick("margin "+b, func(k int) int { return k*len(lb) + j }, len(la))
		}
		return append(out, totalMargin(cells)(keep)...)
	}
	keep, counts, err := releaseAndSum(ctx, e, cells, margins)
	if err != nil || counts == nil {
		return nil, err
	}
	table := make(map[string]map[string]any, len(la))
	var mode any
	best := 0.0
	for i, a := range la {
		row := make(map[string]any, len(lb))
		for j, b := range lb {
			v := counts[i*len(lb)+j]
			row[b] = v
			if c, ok := v.(float64); ok && c > best {
				best, mode = c, []string{a, b}
			}
		}
		table[a] = row
	}
	return map[string]any{"mode": mode, "table": table, "suppressed": suppressedCount(keep)}, nil
}

func orEmpty(b *roaring.Bitmap) *roaring.Bitmap {
	if b == nil {
		return roaring.New()
	}
	return b
}
