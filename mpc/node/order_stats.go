package node

import (
	"context"
	"math"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

func init() {
	register("MinimumMaximum", orderStats{kind: extremes})
	register("SecureMedian", orderStats{kind: median})
	register("Quantiles", orderStats{kind: quantiles})
}

// orderStats is the family of the order statistics: MinimumMaximum,
// SecureMedian and Quantiles (R's type 7). Each is a rank search inside
// MPC (stats.MinMax, stats.QuantilesInside): the parties compare secret
// shared counts of values below a candidate, so no party's counts are
// opened.
//
// What it reveals, to the parties that see the answer: the extremes, the
// median or the quantiles asked for, and for MinimumMaximum the number of
// samples. Over node-held data, each member's rule keeps at least its
// margin (the members' largest min_cell) of values on each side of an
// order statistic, and extremes need every member's policy.extremes.
type orderStats struct {
	kind orderStat
}

// orderStat is which order statistic a microprotocol computes.
type orderStat int

const (
	extremes orderStat = iota
	median
	quantiles
)

// own reads numbers; MinimumMaximum also takes the reference's items
// {"minimum": a, "maximum": b}.
func (f orderStats) own(data any, limit int) (input, error) {
	if f.kind == extremes {
		return ownExtremes(data, limit)
	}
	return ownNumbers(data, limit)
}

func (f orderStats) paramKeys(string) []string {
	if f.kind == quantiles {
		return []string{"probabilities"}
	}
	return nil
}

// parseParams reads Quantiles' parameters.probabilities, at most the
// policy's max_quantiles of them.
func (f orderStats) parseParams(pol *Policy, _ string, raw map[string]any, p *params) error {
	if f.kind != quantiles {
		return nil
	}
	v, ok := raw["probabilities"]
	if !ok {
		return bad("parameters.probabilities: missing (e.g. [0.25, 0.5, 0.75])")
	}
	probs, err := numberList(v, "probabilities", maxProbabilities)
	if err != nil {
		return err
	}
	if len(probs) == 0 {
		return bad("parameters.probabilities: empty")
	}
	if max := pol.MaxQuantiles; len(probs) > max {
		return errorf(403, "refused: policy max_quantiles=%d: %d probabilities asked; ask for fewer at a time", max, len(probs))
	}
	for i, q := range probs {
		if !(q >= 0 && q <= 1) {
			return bad("parameters.probabilities[%d]: %v is not between 0 and 1", i, q)
		}
	}
	p.probs = probs
	return nil
}

func (orderStats) table(t *stats.Table, rows []bool, ds *DatasetRef) (input, error) {
	return numericColumn(t, rows, ds)
}

func (f orderStats) run(ctx context.Context, e *env, in input, p *params) (map[string]any, error) {
	x := in.(*values)
	switch f.kind {
	case median:
		margin, err := agreeMargin(ctx, e)
		if err != nil {
			return nil, err
		}
		q, err := stats.QuantilesInside(ctx, e.rank, x.x, []float64{0.5}, margin)
		if err != nil || !e.c.Decider() {
			return nil, err
		}
		return medianShape(q[0]), nil
	case quantiles:
		margin, err := agreeMargin(ctx, e)
		if err != nil {
			return nil, err
		}
		q, err := stats.QuantilesInside(ctx, e.rank, x.x, p.probs, margin)
		if err != nil || !e.c.Decider() {
			return nil, err
		}
		return quantilesShape(p.probs, q), nil
	}
	lo, hi, n, err := stats.MinMax(ctx, e.rank, x.x)
	if err != nil {
		return nil, err
	}
	if e.plan == nil {
		// Own data: samples counts what the parties gave, an item
		// {"minimum", "maximum"} once (it adds two values).
		s, err := e.c.Sum(ctx, []float64{float64(x.n)})
		if s == nil || err != nil {
			return nil, err
		}
		n = int64(math.Round(s[0]))
	}
	if !e.c.Decider() {
		return nil, nil
	}
	return extremesShape(n, lo, hi), nil
}
