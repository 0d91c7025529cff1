package node

import (
	"context"
	"math"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

func init() {
	register("StatisticsUnivariate", moments{extremes: true})
	register("Moments", moments{})
}

// moments is the family of StatisticsUnivariate (the reference's summary
// of a variable, extremes included) and Moments (the same without the
// extremes): one wide secure sum of power sums (stats.Moments), and for
// the extremes a rank search beside it (stats.MinMax).
//
// What it reveals, to the parties that see the answer: the pooled count
// and power sums to the sixth order, through the statistics built on them;
// the pooled minimum and maximum where asked for. Over node-held data the
// extremes come only with parameters.extremes and each member's
// policy.extremes (checkRules), and the linked aggregates rule counts
// every released moment.
type moments struct {
	extremes bool // StatisticsUnivariate, not Moments
}

func (moments) own(data any, limit int) (input, error) { return ownNumbers(data, limit) }

func (f moments) paramKeys(string) []string {
	if f.extremes {
		return []string{"extremes"}
	}
	return nil
}

// parseParams reads StatisticsUnivariate's parameters.extremes.
func (f moments) parseParams(_ *Policy, _ string, raw map[string]any, p *params) error {
	if v, ok := raw["extremes"]; ok && f.extremes {
		b, ok := v.(bool)
		if !ok {
			return bad("parameters.extremes: expected true or false, got %s", jsonType(v))
		}
		p.extremes = b
	}
	return nil
}

// linked counts the power sums to the sixth order (hyper-flatness), and
// the extremes when asked for.
func (moments) linked(_ string, _ *DatasetRef, p *params) int {
	if p.extremes {
		return 8
	}
	return 6
}

func (moments) table(t *stats.Table, rows []bool, ds *DatasetRef) (input, error) {
	return numericColumn(t, rows, ds)
}

func (f moments) run(ctx context.Context, e *env, in input, p *params) (map[string]any, error) {
	x := in.(*values).x
	if !f.extremes || e.plan != nil && !p.extremes {
		// Node-held data: no extremes unless asked for and allowed.
		m, err := stats.Moments(ctx, e.c, x, 0)
		if err != nil || m == nil {
			return nil, err
		}
		r, err := m.Univariate(math.NaN(), math.NaN())
		if err != nil {
			return nil, err
		}
		return univariateShape(r, f.extremes), nil
	}
	// The moments (a local pass and one sum) run beside the min/max
	// search, on a view of the session with steps of their own.
	type sums struct {
		m   *stats.MomentSums
		err error
	}
	done := make(chan sums, 1)
	sub := &mpc.Combiner{Session: e.s.Sub("moments"), Deciders: e.c.Deciders, CheckFunc: e.c.CheckFunc}
	go func() {
		m, err := stats.Moments(ctx, sub, x, 0)
		done <- sums{m, err}
	}()
	lo, hi, _, err := stats.MinMax(ctx, e.rank, x)
	if err != nil {
		e.s.Abort(err) // ends the moments too
		<-done
		return nil, err
	}
	mo := <-done
	if mo.err != nil || mo.m == nil {
		return nil, mo.err
	}
	r, err := mo.m.Univariate(lo, hi)
	if err != nil {
		return nil, err
	}
	return univariateShape(r, true), nil
}
