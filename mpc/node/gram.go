package node

import (
	"math"
	"slices"
	"sync"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// gram is a table's sufficient statistics for regressions over whole
// columns: the row count, sums and cross-products of every numeric column
// without missing values. Built once when the node loads its data (the
// data never change), it turns an unfiltered regression on any of those
// columns into work on a few numbers.
type gram struct {
	columns []string // the columns it covers, in its order
	part    *stats.OLSPart
}

var grams sync.Map // *stats.Table -> *gram

// buildGram computes a table's gram; tables without two gapless numeric
// columns get none.
func buildGram(t *stats.Table) error {
	g := &gram{}
	var vars [][]float64
	for _, c := range t.Columns {
		if c.Kind == stats.Numeric && !slices.ContainsFunc(c.Num, math.IsNaN) {
			g.columns = append(g.columns, c.Name)
			vars = append(vars, c.Num)
		}
	}
	if len(vars) < 2 {
		return nil
	}
	part, err := stats.LocalOLS(vars, nil, g.columns)
	if err != nil {
		return err
	}
	g.part = part
	grams.Store(t, g)
	return nil
}

// regressionPart returns the sufficient statistics of a regression of the
// first column on the others from the table's gram, or nil when the gram
// does not cover them.
func regressionPart(t *stats.Table, columns []string) *stats.OLSPart {
	v, ok := grams.Load(t)
	if !ok {
		return nil
	}
	g := v.(*gram)
	idx := make([]int, 0, len(columns))
	for _, c := range append(columns[1:], columns[0]) { // regressors, then y
		i := slices.Index(g.columns, c)
		if i < 0 {
			return nil
		}
		idx = append(idx, i)
	}
	part, err := g.part.Select(idx)
	if err != nil {
		return nil
	}
	return part
}
