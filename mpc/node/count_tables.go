package node

import (
	"context"
	"maps"
	"math"
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
// of every bin or cell. Over node-held data, a cell that any member cannot
// release (min_cell, release memory) is suppressed at every member
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

func (f countTables) paramKeys(string) []string {
	if f.kind == histogram {
		return []string{"edges", "bins", "range"}
	}
	return nil
}

// parseParams reads a histogram's bins: parameters.edges, or bins and
// range.
func (f countTables) parseParams(_ *Policy, _ string, raw map[string]any, p *params) error {
	if f.kind != histogram {
		return nil
	}
	if e, ok := raw["edges"]; ok {
		if _, both := raw["bins"]; both {
			return bad("parameters: give edges, or bins and range, not both")
		}
		edges, err := numberList(e, "edges", maxEdges)
		if err != nil {
			return err
		}
		p.edges = edges
	} else {
		b, ok := raw["bins"].(float64)
		if !ok || b != math.Trunc(b) || b < 1 || b > 10000 {
			return bad("parameters.bins: expected a whole number of bins from 1 to 10000 (with range), or give edges")
		}
		r, err := numberList(raw["range"], "range", 2)
		if err != nil || len(r) != 2 {
			return bad("parameters.range: expected [low, high] with bins")
		}
		if p.edges, err = stats.EqualBins(int(b), r[0], r[1]); err != nil {
			return bad("parameters: %v", err)
		}
	}
	if len(p.edges) < 2 {
		return bad("parameters.edges: need at least two edges")
	}
	for i := 1; i < len(p.edges); i++ {
		if !(p.edges[i] > p.edges[i-1]) || math.IsInf(p.edges[i], 0) || math.IsInf(p.edges[0], 0) {
			return bad("parameters.edges: must be finite and strictly increasing (at %d)", i)
		}
	}
	return nil
}

// planRelease adds the rows of every bin or cell.
func (f countTables) planRelease(_ string, ix *rowIndex, cols []*stats.Column, p *params, plan *releasePlan) error {
	switch f.kind {
	case histogram:
		if len(cols) != 1 || cols[0].Kind != stats.Numeric {
			return nil // the microprotocol reports the error
		}
		plan.bins = ix.bins(cols[0], plan.cohort, p.edges)
	case frequency:
		if len(cols) != 1 {
			return nil
		}
		names, groups, err := ix.groups(cols[0], plan.cohort)
		if err != nil {
			return err
		}
		plan.cells = map[string]*roaring.Bitmap{}
		for k, bm := range groups {
			if bm != nil {
				plan.cells[names[k]] = bm
			}
		}
	case contingency:
		if len(cols) != 2 {
			return nil
		}
		namesA, namesB, pairs, err := ix.pairs(cols[0], cols[1], plan.cohort)
		if err != nil {
			return err
		}
		plan.pairs = map[[2]string]*roaring.Bitmap{}
		for k, bm := range pairs {
			if bm != nil {
				plan.pairs[[2]string{namesA[k/len(namesB)], namesB[k%len(namesB)]}] = bm
			}
		}
	}
	return nil
}

// A table's small cells are suppressed, and its cells and margins
// reserved, while it runs (cells.go).
func (countTables) reservesItself() {}

// groupedBy names the columns whose categories a frequency table or
// crosstab lists (a histogram's bins are the analyst's).
func (f countTables) groupedBy(_ string, ds *DatasetRef) ([]string, string) {
	if f.kind == histogram {
		return nil, ""
	}
	var cols []string
	for _, c := range append(slices.Clone(ds.Columns), ds.Column) {
		if c != "" {
			cols = append(cols, c)
		}
	}
	return cols, "a table of its values"
}

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
