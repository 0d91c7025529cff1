package node

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// env is what a microprotocol runs with at one party.
type env struct {
	c    *mpc.Combiner
	rank stats.Combiner // what order statistics run on (rankCombinerFor)
	s    *mpc.Session
	open bool // every party gets the answer (the FSC way)
	// Over node-held data: what this node would release of its rows, and
	// the order-statistic rule's margin (the members' largest min_cell).
	plan   *releasePlan
	margin int
}

// microprotocol is one computation the node offers: how a party's own data
// (the FSC way) or its node-held rows become its input, and how the parties
// compute the answer from their inputs. run returns the answer at the
// parties that see it and nil at the others.
type microprotocol struct {
	own   func(data any, limit int) (*input, error)
	table func(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error)
	run   func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error)
}

// cohort is the number of rows a party's input covers, which its min_cell
// rule checks.
func (in *input) cohort() int {
	switch {
	case in.added || in.n > 0:
		return in.n
	case in.y != nil:
		return len(in.y)
	case in.x != nil:
		return len(in.x)
	case in.a != nil:
		return len(in.a)
	}
	return 0
}

// microprotocols lists every microprotocol by its FSC name; the
// reference's result keys are kept exactly (regression_interceipt too).
var microprotocols = map[string]*microprotocol{
	"SecureSum": {
		own: ownNumbers,
		table: func(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error) {
			if ds.Column == "" {
				return nil, bad("dataset.column: SecureSum needs the column to add up")
			}
			c, err := t.NumericColumn(ds.Column)
			if err != nil {
				return nil, bad("%v", err)
			}
			s, n := stats.Sum(c, rows) // one pass, nothing copied
			return &input{x: []float64{s}, n: n, added: true}, nil
		},
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			local := stats.SumValues(in.x)
			if _, err := encodeAggregate("data", []float64{local}); err != nil {
				return nil, err
			}
			s, err := e.c.Sum(ctx, []float64{local})
			if s == nil || err != nil {
				return nil, err
			}
			return map[string]any{"sum": s[0]}, nil
		},
	},
	"Count": {
		own: func(data any, limit int) (*input, error) {
			list, err := asList(data, limit, "Count")
			return &input{n: len(list)}, err
		},
		table: func(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error) {
			if ds.Column == "" {
				return &input{n: stats.CountRows(rows, t.Rows)}, nil
			}
			c, err := t.Column(ds.Column)
			if err != nil {
				return nil, bad("%v", err)
			}
			return &input{n: stats.CountValues(c, rows)}, nil
		},
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			s, err := e.c.Sum(ctx, []float64{float64(in.n)})
			if s == nil || err != nil {
				return nil, err
			}
			return map[string]any{"count": int64(math.Round(s[0]))}, nil
		},
	},
	"MinimumMaximum": {
		own: ownExtremes, table: numericColumn,
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			lo, hi, n, err := stats.MinMax(ctx, e.rank, in.x)
			if err != nil {
				return nil, err
			}
			if e.plan == nil {
				// Own data: samples counts what the parties gave, an
				// item {"minimum", "maximum"} once (it adds two values).
				s, err := e.c.Sum(ctx, []float64{float64(in.n)})
				if s == nil || err != nil {
					return nil, err
				}
				n = int64(math.Round(s[0]))
			}
			if !e.c.Decider() {
				return nil, nil
			}
			return map[string]any{"samples": n, "minimum": lo, "maximum": hi}, nil
		},
	},
	"SecureMedian": {
		own: ownNumbers, table: numericColumn,
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			margin, err := agreeMargin(ctx, e)
			if err != nil {
				return nil, err
			}
			q, err := stats.QuantilesInside(ctx, e.rank, in.x, []float64{0.5}, margin)
			if err != nil || !e.c.Decider() {
				return nil, err
			}
			return map[string]any{"median": q[0]}, nil
		},
	},
	"Quantiles": {
		own: ownNumbers, table: numericColumn,
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			margin, err := agreeMargin(ctx, e)
			if err != nil {
				return nil, err
			}
			q, err := stats.QuantilesInside(ctx, e.rank, in.x, p.probs, margin)
			if err != nil || !e.c.Decider() {
				return nil, err
			}
			return map[string]any{"probabilities": p.probs, "quantiles": q, "type": 7}, nil
		},
	},
	"StatisticsUnivariate": {
		own: ownNumbers, table: numericColumn,
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			if e.plan != nil && !p.extremes {
				// Node-held data: no extremes unless asked for and allowed.
				m, err := stats.Moments(ctx, e.c, in.x, 0)
				if err != nil || m == nil {
					return nil, err
				}
				out, err := m.Univariate(math.NaN(), math.NaN())
				if out != nil {
					out["minimum"], out["maximum"] = nil, nil
				}
				return out, err
			}
			// The moments (a local pass and one sum) run beside the min/max
			// search, on a view of the session with steps of their own.
			type moments struct {
				m   *stats.MomentSums
				err error
			}
			done := make(chan moments, 1)
			sub := &mpc.Combiner{Session: e.s.Sub("moments"), Deciders: e.c.Deciders, CheckFunc: e.c.CheckFunc}
			go func() {
				m, err := stats.Moments(ctx, sub, in.x, 0)
				done <- moments{m, err}
			}()
			lo, hi, _, err := stats.MinMax(ctx, e.rank, in.x)
			if err != nil {
				e.s.Abort(err) // ends the moments too
				<-done
				return nil, err
			}
			mo := <-done
			if mo.err != nil || mo.m == nil {
				return nil, mo.err
			}
			return mo.m.Univariate(lo, hi)
		},
	},
	"Moments": {
		own: ownNumbers, table: numericColumn,
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			m, err := stats.Moments(ctx, e.c, in.x, 0)
			if err != nil || m == nil {
				return nil, err
			}
			out, err := m.Univariate(math.NaN(), math.NaN())
			delete(out, "minimum")
			delete(out, "maximum")
			return out, err
		},
	},
	"Histogram": {
		own: ownNumbers, table: binnedColumn,
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			if e.plan != nil {
				return histogramCells(ctx, e, p)
			}
			counts, err := stats.Histogram(ctx, e.c, in.x, p.edges)
			if err != nil || !e.c.Decider() {
				return nil, err
			}
			return map[string]any{"edges": p.edges, "counts": counts}, nil
		},
	},
	"StatisticsBivariate": {
		own: ownPairs,
		table: func(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error) {
			in, err := tableNumericRows(t, rows, ds, 2, "StatisticsBivariate")
			if err != nil {
				return nil, err
			}
			if len(in.rows) > 0 && len(in.rows[0]) != 1 {
				return nil, bad("dataset.columns: StatisticsBivariate takes two columns [x, y]")
			}
			x, y := in.y, make([]float64, len(in.rows))
			for i, r := range in.rows {
				y[i] = r[0]
			}
			return &input{x: x, y: y}, nil
		},
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			return stats.Bivariate(ctx, e.c, in.x, in.y, 0, 0)
		},
	},
	"Regression": {
		own: ownRows,
		table: func(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error) {
			cols, err := tableColumns(t, ds, 2, "Regression")
			if err != nil {
				return nil, err
			}
			in := &input{sel: rows}
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
			return in, nil // the fit checks its cohort against min_cell itself
		},
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			k := 0
			if len(in.rows) > 0 {
				k = len(in.rows[0])
			}
			if in.vars != nil {
				k = len(in.vars) - 1
			}
			if in.part != nil {
				k = len(in.names)
			}
			names := p.names
			if len(names) != k && len(in.names) == k {
				names = in.names
			}
			if len(names) != k {
				names = make([]string, k)
				for i := range names {
					names[i] = fmt.Sprintf("x%d", i+1)
				}
			}
			var r *stats.OLSResult
			var err error
			switch {
			case in.part != nil:
				r, err = in.part.Combine(ctx, e.c, names)
			case in.vars != nil:
				r, err = stats.OLSColumns(ctx, e.c, in.vars, in.sel, names)
			default:
				r, err = stats.OLS(ctx, e.c, in.y, in.rows, names)
			}
			if err != nil || r == nil {
				return nil, err
			}
			return r.Map(), nil
		},
	},
	"GLM": {table: glmTable, run: glmRun},
	"StatisticsFrequency": {
		own: ownLabels,
		table: func(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error) {
			return labelColumns(t, ds, 1, "StatisticsFrequency")
		},
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			if e.plan != nil {
				return frequencyCells(ctx, e)
			}
			levels, err := labelUnion(ctx, e, in.counts)
			if err != nil {
				return nil, err
			}
			v := make([]float64, len(levels))
			for i, l := range levels {
				v[i] = in.counts[l]
			}
			total, err := e.c.Sum(ctx, v)
			if err != nil || !e.c.Decider() {
				return nil, err
			}
			return stats.FrequencyTable(levels, total), nil
		},
	},
	"StatisticsContingency": {
		own: ownLabelPairs,
		table: func(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error) {
			return labelColumns(t, ds, 2, "StatisticsContingency")
		},
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			if e.plan != nil {
				return contingencyCells(ctx, e)
			}
			if err := e.c.Check("cell", slices.Collect(maps.Values(in.pairCounts))); err != nil {
				return nil, err
			}
			// One union for both columns' labels, told apart by a prefix.
			both := map[string]float64{}
			for k, c := range in.pairCounts {
				both["a\x00"+k[0]] += c
				both["b\x00"+k[1]] += c
			}
			union, err := labelUnion(ctx, e, both)
			if err != nil {
				return nil, err
			}
			la, lb := splitPairLabels(union)
			v := make([]float64, 0, len(la)*len(lb))
			for _, x := range la {
				for _, y := range lb {
					v = append(v, in.pairCounts[[2]string{x, y}])
				}
			}
			total, err := e.c.Sum(ctx, v)
			if err != nil || !e.c.Decider() {
				return nil, err
			}
			grid := make([][]float64, len(la))
			for i := range grid {
				grid[i] = total[i*len(lb) : (i+1)*len(lb)]
			}
			return stats.ContingencyTable(la, lb, grid), nil
		},
	},
	"SetIntersection": {
		own: func(data any, limit int) (*input, error) {
			items, err := ownSets(data, limit)
			return &input{items: items}, err
		},
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			common, err := mpc.SetIntersection(ctx, e.s, in.items)
			if err != nil {
				return nil, err
			}
			for _, item := range common {
				e.s.RecordOpened(item)
			}
			return map[string]any{"size_intersection": len(common), "intersection": common}, nil
		},
	},
	"SetIntersectionSize": {
		own: func(data any, limit int) (*input, error) {
			items, err := ownSets(data, limit)
			return &input{items: items}, err
		},
		run: func(ctx context.Context, e *env, in *input, p *params) (map[string]any, error) {
			size, err := mpc.SetIntersectionSize(ctx, e.s, in.items)
			if err != nil {
				return nil, err
			}
			e.s.RecordOpened(size)
			return map[string]any{"size_intersection": size}, nil
		},
	},
}

// numericColumn reads the dataset's column as numbers; a whole column
// comes sorted, which the rank search uses.
func numericColumn(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error) {
	if rows == nil && ds.Column != "" {
		if c, err := t.NumericColumn(ds.Column); err == nil {
			return &input{x: sortedValues(c)}, nil
		}
	}
	x, err := tableNumbers(t, rows, ds.Column)
	return &input{x: x}, err
}

// binnedColumn checks the column of a dataset-backed histogram, whose
// counts are the sizes of the release plan's bins (planRelease).
func binnedColumn(t *stats.Table, rows []bool, ds *DatasetRef) (*input, error) {
	if ds.Column == "" {
		return nil, bad("dataset.column: missing")
	}
	if _, err := t.NumericColumn(ds.Column); err != nil {
		return nil, bad("%v", err)
	}
	return &input{}, nil
}

// splitPairLabels splits the union of both columns' labels, told apart
// by the prefixes "a\x00" and "b\x00", into the two columns' levels.
func splitPairLabels(union []string) (la, lb []string) {
	for _, l := range union {
		if rest, ok := strings.CutPrefix(l, "a\x00"); ok {
			la = append(la, rest)
		} else if rest, ok := strings.CutPrefix(l, "b\x00"); ok {
			lb = append(lb, rest)
		}
	}
	return la, lb
}

// labelUnion checks this party's count of each of its labels against its
// disclosure rule, then learns the union of every party's labels.
func labelUnion(ctx context.Context, e *env, counts map[string]float64) ([]string, error) {
	if err := e.c.Check("cell", slices.Collect(maps.Values(counts))); err != nil {
		return nil, err
	}
	return stats.LabelUnion(ctx, e.c, slices.Sorted(maps.Keys(counts)))
}

// encodeAggregate checks that an aggregate can be shared and encodes it;
// what names the input in the error (e.g. "data").
func encodeAggregate(what string, agg []float64) ([]uint64, error) {
	for i, v := range agg {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errorf(400, "%s: the values overflow (their aggregate %d is %v)", what, i, v)
		}
	}
	enc, err := mpc.EncodeReals(agg)
	if err != nil {
		return nil, errorf(400, "%s: %v", what, err)
	}
	return enc, nil
}
