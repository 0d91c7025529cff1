package node

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

func init() {
	register("Histogram", countTables{kind: histogram})
	register("StatisticsFrequency", countTables{kind: frequency})
	register("StatisticsContingency", countTables{kind: contingency})
}

// countTables is the family of the tables of counts: Histogram (counts of
// a numeric column in bins), StatisticsFrequency (of each category) and
// StatisticsContingency (of each pair of categories). The categories are
// learnt first as the union of every party's (stats.LabelUnion), which
// reveals the labels but not who holds them nor how many rows carry them;
// then one secure sum adds the counts.
//
// What it reveals, to the parties that see the answer: the pooled count
// of every bin or cell. Over node-held data, every member first learns,
// for each cell, only whether it passes: its pooled count, checked inside
// MPC, is 0 or at least min_cell, and no member's release memory flags it
// (threshold.go). A cell that does not pass is suppressed at every member
// (cells.go): its count never enters the sum and shows as null, and the
// margins are sums of the cells shown.
type countTables struct {
	kind countTable
}

// countTable is which table of counts a microprotocol computes.
type countTable int

const (
	histogram countTable = iota
	frequency
	contingency
)

// labelCounts is a party's own categories, counted: label -> count, or
// for pairs [a, b] -> count; n is the number of values.
type labelCounts struct {
	counts     map[string]float64
	pairCounts map[[2]string]float64
	n          int
}

func (in *labelCounts) cohort() int { return in.n }

func (f countTables) own(data any, limit int) (input, error) {
	switch f.kind {
	case frequency:
		return ownLabels(data, limit)
	case contingency:
		return ownLabelPairs(data, limit)
	}
	return ownNumbers(data, limit)
}

// table checks the columns; the counts are the sizes of the release
// plan's bins and cells (planRelease), so no pass over the rows is made
// here.
func (f countTables) table(t *stats.Table, rows []bool, ds *DatasetRef) (input, error) {
	switch f.kind {
	case frequency:
		return labelColumns(t, ds, 1, "StatisticsFrequency")
	case contingency:
		return labelColumns(t, ds, 2, "StatisticsContingency")
	}
	if ds.Column == "" {
		return nil, bad("dataset.column: missing")
	}
	if _, err := t.NumericColumn(ds.Column); err != nil {
		return nil, bad("%v", err)
	}
	return noCohort{}, nil
}

func (f countTables) run(ctx context.Context, e *env, in input, p *params) (map[string]any, error) {
	switch {
	case f.kind == histogram && e.plan != nil:
		return histogramCells(ctx, e, p)
	case f.kind == histogram:
		counts, err := stats.Histogram(ctx, e.c, in.(*values).x, p.edges)
		if err != nil || !e.c.Decider() {
			return nil, err
		}
		return histogramShape(p.edges, counts, -1), nil
	case f.kind == frequency && e.plan != nil:
		return frequencyCells(ctx, e)
	case f.kind == frequency:
		return ownFrequency(ctx, e, in.(*labelCounts).counts)
	case e.plan != nil:
		return contingencyCells(ctx, e)
	}
	return ownContingency(ctx, e, in.(*labelCounts).pairCounts)
}

// ownFrequency is StatisticsFrequency over the parties' own data.
func ownFrequency(ctx context.Context, e *env, counts map[string]float64) (map[string]any, error) {
	if err := e.c.Check("cell", slices.Collect(maps.Values(counts))); err != nil {
		return nil, err
	}
	levels, err := stats.LabelUnion(ctx, e.c, slices.Sorted(maps.Keys(counts)))
	if err != nil {
		return nil, err
	}
	v := make([]float64, len(levels))
	for i, l := range levels {
		v[i] = counts[l]
	}
	total, err := e.c.Sum(ctx, v)
	if err != nil || !e.c.Decider() {
		return nil, err
	}
	return frequencyShape(stats.FrequencyTable(levels, total), -1), nil
}

// ownContingency is StatisticsContingency over the parties' own data.
func ownContingency(ctx context.Context, e *env, pairCounts map[[2]string]float64) (map[string]any, error) {
	if err := e.c.Check("cell", slices.Collect(maps.Values(pairCounts))); err != nil {
		return nil, err
	}
	margins := map[string]float64{}
	for k, c := range pairCounts {
		margins["a\x00"+k[0]] += c
		margins["b\x00"+k[1]] += c
	}
	if err := e.c.Check("cell", slices.Collect(maps.Values(margins))); err != nil {
		return nil, err
	}
	la, lb, err := pairLevels(ctx, e, maps.Keys(pairCounts))
	if err != nil {
		return nil, err
	}
	v := make([]float64, 0, len(la)*len(lb))
	for _, x := range la {
		for _, y := range lb {
			v = append(v, pairCounts[[2]string{x, y}])
		}
	}
	total, err := e.c.Sum(ctx, v)
	if err != nil || !e.c.Decider() {
		return nil, err
	}
	return contingencyShape(stats.ContingencyTable(la, lb, grid(total, len(lb))), -1), nil
}

// pairLevels learns the levels of both columns of every party's pairs in
// one union, the two columns' labels told apart by a prefix.
func pairLevels(ctx context.Context, e *env, pairs func(func([2]string) bool)) (la, lb []string, err error) {
	both := map[string]bool{}
	for k := range pairs {
		both["a\x00"+k[0]] = true
		both["b\x00"+k[1]] = true
	}
	union, err := stats.LabelUnion(ctx, e.c, slices.Sorted(maps.Keys(both)))
	if err != nil {
		return nil, nil, err
	}
	for _, l := range union {
		if rest, ok := strings.CutPrefix(l, "a\x00"); ok {
			la = append(la, rest)
		} else if rest, ok := strings.CutPrefix(l, "b\x00"); ok {
			lb = append(lb, rest)
		}
	}
	return la, lb, nil
}

// grid cuts counts, row by row, into rows of width cols.
func grid(counts []float64, cols int) [][]float64 {
	out := make([][]float64, len(counts)/max(cols, 1))
	for i := range out {
		out[i] = counts[i*cols : (i+1)*cols]
	}
	return out
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
	return histogramShape(p.edges, counts, suppressedCount(keep)), nil
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
	return frequencyShape(stats.FrequencyTable(levels, counts), suppressedCount(keep)), nil
}

// contingencyCells is StatisticsContingency over node-held data; its
// margins are the row, column and grand totals of the cells shown.
func contingencyCells(ctx context.Context, e *env) (map[string]any, error) {
	la, lb, err := pairLevels(ctx, e, maps.Keys(e.plan.pairs))
	if err != nil {
		return nil, err
	}
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
	return contingencyShape(stats.ContingencyTable(la, lb, grid(counts, len(lb))), suppressedCount(keep)), nil
}
