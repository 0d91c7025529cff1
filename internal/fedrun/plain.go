package fedrun

import (
	"fmt"
	"math"
	"slices"

	"github.com/fsc-kernel/fsc-kernel/stats"
	"gonum.org/v1/gonum/mat"
)

// PlainRows returns the rows of the pooled table a filter selects, nil
// for all.
func PlainRows(all *stats.Table, where string) ([]bool, error) {
	if where == "" {
		return nil, nil
	}
	f, err := stats.ParseFilter(where)
	if err != nil {
		return nil, err
	}
	return f.Rows(all)
}

// PlainValues returns the pooled non-missing values of a numeric column in
// the rows a filter selects, sorted: the plaintext tests check secure
// answers against.
func PlainValues(all *stats.Table, column, where string) ([]float64, error) {
	rows, err := PlainRows(all, where)
	if err != nil {
		return nil, err
	}
	c, err := all.NumericColumn(column)
	if err != nil {
		return nil, err
	}
	var out []float64
	for i, v := range c.Num {
		if (rows == nil || rows[i]) && !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, nil
}

// PlainDesign returns the response y and the design matrix (a column of
// ones, then the regressors xs) over the rows a filter selects where every
// variable is present: least squares on it is the plaintext regression.
func PlainDesign(all *stats.Table, where, y string, xs ...string) ([]float64, *mat.Dense, error) {
	rows, err := PlainRows(all, where)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]*stats.Column, 0, len(xs)+1)
	for _, name := range append([]string{y}, xs...) {
		c, err := all.NumericColumn(name)
		if err != nil {
			return nil, nil, err
		}
		cols = append(cols, c)
	}
	var ys, data []float64
	for i := 0; i < all.Rows; i++ {
		ok := rows == nil || rows[i]
		for _, c := range cols {
			ok = ok && !math.IsNaN(c.Num[i])
		}
		if !ok {
			continue
		}
		ys = append(ys, cols[0].Num[i])
		data = append(data, 1)
		for _, c := range cols[1:] {
			data = append(data, c.Num[i])
		}
	}
	if len(ys) == 0 {
		return nil, nil, fmt.Errorf("no rows with %s and %v where %q", y, xs, where)
	}
	return ys, mat.NewDense(len(ys), len(cols), data), nil
}
