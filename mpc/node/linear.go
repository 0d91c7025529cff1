package node

import (
	"context"
	"fmt"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

func init() {
	register("StatisticsBivariate", linear{})
	register("Regression", linear{regression: true})
}

// linear is the family of the statistics of linear relations:
// StatisticsBivariate (covariance, correlation and the least squares line
// of pairs [x, y]) and Regression (ordinary least squares of y on
// regressors x1..xk, over rows [y, x1, ..., xk]). Each adds one vector of
// sums and cross-products across the parties in one wide secure sum
// (stats.Bivariate, stats.OLSPart.Combine).
//
// What it reveals, to the parties that see the answer: the pooled count,
// sums and cross-products, through the statistics built on them. Over
// node-held data, each member checks its cohort against min_cell and the
// linked aggregates rule counts the released values.
type linear struct {
	regression bool // Regression, not StatisticsBivariate
}

func (f linear) paramKeys(string) []string {
	if f.regression {
		return []string{"names"}
	}
	return nil
}

// parseParams reads Regression's parameters.names, the regressors' names.
func (f linear) parseParams(_ *Policy, _ string, raw map[string]any, p *params) error {
	v, ok := raw["names"]
	if !ok || !f.regression {
		return nil
	}
	list, ok := oneOrList(v)
	if !ok {
		return bad("parameters.names: expected a list of regressor names")
	}
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return bad("parameters.names[%d]: expected a string", i)
		}
		p.names = append(p.names, s)
	}
	return nil
}

// linked counts Σx, Σy, Σx², Σy², Σxy for StatisticsBivariate; for a
// regression, its coefficients, standard errors, r² and σ.
func (f linear) linked(_ string, ds *DatasetRef, _ *params) int {
	if !f.regression {
		return 5
	}
	k := max(len(ds.Columns)-1, 1)
	return 2*(k+1) + 2
}

// pairs is a party's pairs (x[i], y[i]).
type pairs struct{ x, y []float64 }

func (in *pairs) cohort() int { return len(in.y) }

// fit is a party's data for a regression, in one of three forms: rows
// (the response y and each row's regressors, client-supplied); columns
// of a table (vars: the regressors, then y; sel the rows, nil for all);
// or the table's sufficient statistics (part), when its gram covers them.
// names are the regressors' column names.
type fit struct {
	y     []float64
	rows  [][]float64
	vars  [][]float64
	sel   []bool
	part  *stats.OLSPart
	names []string
}

// cohort is the client's rows; over a table the fit checks its cohort
// against min_cell itself.
func (in *fit) cohort() int { return len(in.y) }

// regressors is the number k of regressors of the fit.
func (in *fit) regressors() int {
	switch {
	case in.part != nil:
		return len(in.names)
	case in.vars != nil:
		return len(in.vars) - 1
	case len(in.rows) > 0:
		return len(in.rows[0])
	}
	return 0
}

func (f linear) own(data any, limit int) (input, error) {
	if f.regression {
		return ownRows(data, limit)
	}
	return ownPairs(data, limit)
}

func (f linear) table(t *stats.Table, rows []bool, ds *DatasetRef) (input, error) {
	if f.regression {
		return regressionColumns(t, rows, ds)
	}
	y, x, err := tableNumericRows(t, rows, ds, 2, "StatisticsBivariate")
	if err != nil {
		return nil, err
	}
	if len(x) > 0 && len(x[0]) != 1 {
		return nil, bad("dataset.columns: StatisticsBivariate takes two columns [x, y]")
	}
	in := &pairs{x: y, y: make([]float64, len(x))}
	for i, r := range x {
		in.y[i] = r[0]
	}
	return in, nil
}

// regressionColumns reads a regression's columns [y, x1, ..., xk] of a
// table: from the table's gram when it covers them and every row is
// selected, else the columns themselves, shared.
func regressionColumns(t *stats.Table, rows []bool, ds *DatasetRef) (*fit, error) {
	cols, err := tableColumns(t, ds, 2, "Regression")
	if err != nil {
		return nil, err
	}
	in := &fit{sel: rows}
	for _, c := range cols[1:] {
		in.names = append(in.names, c.Name)
	}
	if rows == nil {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		if in.part = regressionPart(t, names); in.part != nil {
			return in, nil
		}
	}
	for _, c := range append(cols[1:], cols[0]) { // regressors, then y
		if c.Kind != stats.Numeric {
			return nil, bad("column %q of table %s is categorical; Regression needs numeric columns", c.Name, t.Name)
		}
		in.vars = append(in.vars, c.Num)
	}
	return in, nil
}

func (f linear) run(ctx context.Context, e *env, in input, p *params) (map[string]any, error) {
	if !f.regression {
		x := in.(*pairs)
		r, err := stats.Bivariate(ctx, e.c, x.x, x.y, 0, 0)
		if err != nil || r == nil {
			return nil, err
		}
		return bivariateShape(r), nil
	}
	x := in.(*fit)
	names := regressorNames(p.names, x.names, x.regressors())
	var r *stats.OLSResult
	var err error
	switch {
	case x.part != nil:
		r, err = x.part.Combine(ctx, e.c, names)
	case x.vars != nil:
		r, err = stats.OLSColumns(ctx, e.c, x.vars, x.sel, names)
	default:
		r, err = stats.OLS(ctx, e.c, x.y, x.rows, names)
	}
	if err != nil || r == nil {
		return nil, err
	}
	return olsShape(r), nil
}

// regressorNames names k regressors: as the parameters say, else by their
// columns, else x1..xk.
func regressorNames(given, columns []string, k int) []string {
	switch {
	case len(given) == k:
		return given
	case len(columns) == k:
		return columns
	}
	names := make([]string, k)
	for i := range names {
		names[i] = fmt.Sprintf("x%d", i+1)
	}
	return names
}
