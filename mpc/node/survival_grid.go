package node

import (
	"context"
	"math"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// The default time grid of the survival statistics. It is built from two
// coarse facts every member learns through anonymous joint flags (the OR
// of one flag per member, never whose it is): the finest decimal
// resolution of anyone's times (1, 0.1, ... 1e-6) and the power of two
// that bounds the largest time in units of it. The grid is every multiple
// of the resolution from 0 to that bound: it says nothing of where the
// times lie. Intervals are then merged for min_cell as for any grid, and
// only after that does every member learn which merged intervals hold an
// event somewhere: intervals of at least min_cell events of some member,
// which the released counts show anyway. Those intervals' starts are the
// grid the statistic is computed on: the distinct event times, at the
// data's resolution, where min_cell merged none.

// Bounds of the default grid.
const (
	// maxDecimals is the finest resolution looked for, 10^-maxDecimals.
	maxDecimals = 6
	// maxLatticeShift bounds the lattice at 2^maxLatticeShift intervals;
	// a larger one is coarsened by powers of two (the curve then equals R
	// on times rounded down to the grid, which the result's grid shows).
	maxLatticeShift = 16
)

// latticeGrid returns the default grid of a survival statistic. Every
// member calls it; times must not be negative.
func latticeGrid(ctx context.Context, e *env, times []float64) ([]float64, error) {
	flags := make([]bool, 0, maxDecimals+2)
	negative := false
	for _, t := range times {
		negative = negative || t < 0
	}
	flags = append(flags, negative)
	// Flag d: a time of mine is not a multiple of 10^-d.
	need := decimalsNeeded(times)
	for d := 0; d <= maxDecimals; d++ {
		flags = append(flags, d < need)
	}
	joint, err := jointFlags(ctx, e.s.Sub("grid.resolution"), flags)
	if err != nil {
		return nil, err
	}
	if joint[0] {
		return nil, bad("a follow-up time is negative; give the time grid instead (times=[...])")
	}
	d := maxDecimals
	for k := 0; k <= maxDecimals; k++ {
		if !joint[1+k] {
			d = k
			break
		}
	}
	scale := math.Pow10(d)
	// Flag k: my largest time exceeds 2^k units of the resolution.
	top := 0.0
	for _, t := range times {
		top = max(top, t)
	}
	flags = make([]bool, 63)
	for k := range flags {
		flags[k] = top*scale > math.Ldexp(1, k)
	}
	if joint, err = jointFlags(ctx, e.s.Sub("grid.bound"), flags); err != nil {
		return nil, err
	}
	bits := len(joint)
	for k, f := range joint {
		if !f {
			bits = k
			break
		}
	}
	if bits == len(joint) {
		return nil, bad("follow-up times run past 2^63 units of their resolution; give the time grid instead (times=[...])")
	}
	shift := max(bits-maxLatticeShift, 0) // a point every 2^shift units
	grid := make([]float64, 1<<(bits-shift)+1)
	for j := range grid {
		grid[j] = float64(int64(j)<<shift) / scale // exact for data at this resolution
	}
	return grid, nil
}

// decimalsNeeded is the fewest decimals, up to maxDecimals+1 (more than
// looked for), that write every time exactly: one test a time, mostly.
func decimalsNeeded(times []float64) int {
	need := 0
	for _, t := range times {
		for need <= maxDecimals && !wholeIn(t, need) {
			need++
		}
	}
	return need
}

// wholeIn reports whether t is a whole number of 10^-d.
func wholeIn(t float64, d int) bool {
	v := t * math.Pow10(d)
	return math.Abs(v-math.Round(v)) <= 1e-9*max(1, math.Abs(v))
}

// eventPoints returns the points of grid whose interval holds an event of
// some member, in some group: the other intervals are merged into the one
// before them (censored rows before the first event leave the statistic,
// as in R). counts are this member's counts on grid.
func eventPoints(ctx context.Context, e *env, grid []float64, counts *stats.IntervalCounts) ([]float64, error) {
	m := counts.Points
	mine := make([]bool, m)
	for g := range counts.Groups {
		for j := range m {
			mine[j] = mine[j] || counts.Events[g*m+j] > 0
		}
	}
	joint, err := jointFlags(ctx, e.s.Sub("grid.events"), mine)
	if err != nil {
		return nil, err
	}
	empty := make([]bool, m)
	for j, f := range joint {
		empty[j] = !f
	}
	return stats.RemovePoints(grid, empty), nil
}
