package node

import (
	"context"
	"math"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

func init() {
	register("SecureSum", sums{})
	register("Count", sums{count: true})
}

// sums is the family of SecureSum (the sum of the values) and Count (the
// number of values, or of rows): one secure sum of one number per party.
// What it reveals: the pooled sum or count, to the parties that see the
// answer; no party's own sum. A Count over node-held data is checked
// against min_cell on the pooled count first, inside MPC (passCohort):
// every member learns whether it passes, and nothing more unless it does.
type sums struct {
	count bool // Count, not SecureSum
}

// sumInput is a party's own sum and the number of values it covers.
type sumInput struct {
	sum float64
	n   int
}

func (in *sumInput) cohort() int { return in.n }

// checksPooled: a Count's cohort is checked against min_cell on its
// pooled count (passCohort); a SecureSum's by each member on its rows.
func (f sums) checksPooled(string) bool { return f.count }

func (f sums) own(data any, limit int) (input, error) {
	if f.count {
		list, err := asList(data, limit, "Count")
		return &sumInput{n: len(list)}, err
	}
	x, err := numbers(data, limit)
	if err != nil {
		return nil, err
	}
	return &sumInput{sum: stats.SumValues(x), n: len(x)}, nil
}

// table adds up the column over the selected rows in one pass, nothing
// copied; Count without a column counts the rows.
func (f sums) table(t *stats.Table, rows []bool, ds *DatasetRef) (input, error) {
	switch {
	case f.count && ds.Column == "":
		return &sumInput{n: stats.CountRows(rows, t.Rows)}, nil
	case f.count:
		c, err := t.Column(ds.Column)
		if err != nil {
			return nil, bad("%v", err)
		}
		return &sumInput{n: stats.CountValues(c, rows)}, nil
	case ds.Column == "":
		return nil, bad("dataset.column: SecureSum needs the column to add up")
	}
	c, err := t.NumericColumn(ds.Column)
	if err != nil {
		return nil, bad("%v", err)
	}
	s, n := stats.Sum(c, rows)
	return &sumInput{sum: s, n: n}, nil
}

func (f sums) run(ctx context.Context, e *env, in input, p *params) (map[string]any, error) {
	x := in.(*sumInput)
	if f.count {
		if e.plan != nil {
			if err := passCohort(ctx, e, x.n); err != nil {
				return nil, err
			}
		}
		s, err := e.c.Sum(ctx, []float64{float64(x.n)})
		if s == nil || err != nil {
			return nil, err
		}
		return countShape(int64(math.Round(s[0]))), nil
	}
	if _, err := encodeAggregate("data", []float64{x.sum}); err != nil {
		return nil, err
	}
	s, err := e.c.Sum(ctx, []float64{x.sum})
	if s == nil || err != nil {
		return nil, err
	}
	return sumShape(s[0]), nil
}
