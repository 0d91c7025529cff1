package stats

import (
	"fmt"
	"math"
	"slices"
)

// Survival data on a time grid.
//
// Every survival statistic here (Kaplan–Meier, the log-rank test, the Cox
// model) works on a grid of times g_0 < g_1 < … < g_(m-1). A row with
// follow-up time T falls in interval j when g_j ≤ T < g_(j+1) (the last
// interval is open above); an event before g_0 is counted in interval 0,
// and a censored time before g_0 leaves the risk set before the grid
// starts. The statistics then equal R's survival package on the data with
// every time rounded down to the grid point at or below it. On the grid of
// the distinct event times, no time moves that the estimates depend on, so
// they equal survfit, survdiff and coxph (ties = "breslow") on the data as
// they are.

// survMaxGrid bounds the number of grid points of one computation.
const survMaxGrid = 1 << 16

// CheckGrid says what is wrong with a time grid: at least one point,
// finite, strictly increasing, not too many.
func CheckGrid(grid []float64) error {
	if len(grid) == 0 {
		return fmt.Errorf("time grid: no points")
	}
	if len(grid) > survMaxGrid {
		return fmt.Errorf("time grid: %d points: at most %d are allowed", len(grid), survMaxGrid)
	}
	for i, g := range grid {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("time grid: point %d is %v: points must be finite", i, g)
		}
		if i > 0 && g <= grid[i-1] {
			return fmt.Errorf("time grid: point %d (%v) is not above point %d (%v): points must be strictly increasing", i, g, i-1, grid[i-1])
		}
	}
	return nil
}

// SurvivalRows are one party's complete survival records: follow-up
// times, event indicators (1 an event, 0 censored) and, for stratified
// statistics, each row's group (an index into the groups; nil for one
// group).
type SurvivalRows struct {
	Time, Event []float64
	Group       []int
}

// NewSurvivalRows checks and keeps a party's records: times finite,
// events 0 or 1, groups (when given) as many as times. row names the
// records in errors (their positions in the party's table).
func NewSurvivalRows(time, event []float64, group []int, row func(i int) int) (*SurvivalRows, error) {
	if len(event) != len(time) || group != nil && len(group) != len(time) {
		return nil, fmt.Errorf("survival: %d times, %d events and %d groups", len(time), len(event), len(group))
	}
	for i, t := range time {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("survival: row %d: time is %v: follow-up times must be finite", row(i), t)
		}
		if e := event[i]; e != 0 && e != 1 {
			return nil, fmt.Errorf("survival: row %d: event is %v: the event indicator must be 1 (event) or 0 (censored)", row(i), e)
		}
	}
	return &SurvivalRows{Time: time, Event: event, Group: group}, nil
}

// Interval returns the grid interval of time t for a row with the given
// event indicator, or -1 for a censored time before the grid.
func Interval(grid []float64, t float64, event bool) int {
	j, found := slices.BinarySearch(grid, t) // the first point ≥ t
	if found {
		return j
	}
	if j == 0 {
		if event {
			return 0
		}
		return -1
	}
	return j - 1
}

// IntervalCounts are one party's counts on a grid, for each of k groups
// and m grid points (index g·m + j): the events in interval j, the rows
// leaving the risk set in it (events and censored), and the rows at risk
// at its start (every row in interval j or later).
type IntervalCounts struct {
	Groups, Points  int
	Events, Leaving []float64
}

// gridLookup finds intervals fast: a table over equal cells of
// [g_0, g_(m-1)] gives the interval of each cell's start, corrected by a
// few comparisons (a binary search when points crowd), as histograms do.
type gridLookup struct {
	grid  []float64
	scale float64
	start []int32
}

func newGridLookup(grid []float64) *gridLookup {
	l := &gridLookup{grid: grid}
	m := len(grid)
	if m < 2 {
		return l
	}
	cells := min(max(4*m, 1024), 1<<20)
	lo, hi := grid[0], grid[m-1]
	l.scale = float64(cells) / (hi - lo)
	if !(l.scale > 0) || math.IsInf(l.scale, 0) {
		return l
	}
	l.start = make([]int32, cells)
	for g := range l.start {
		l.start[g] = int32(Interval(grid, lo+float64(g)/l.scale, true))
	}
	return l
}

// interval is Interval(grid, t, event).
func (l *gridLookup) interval(t float64, event bool) int {
	g := l.grid
	m := len(g)
	if l.start == nil || !(t >= g[0]) || t >= g[m-1] {
		return Interval(g, t, event)
	}
	c := int((t - g[0]) * l.scale)
	if c >= len(l.start) {
		c = len(l.start) - 1
	}
	j := int(l.start[c])
	for steps := 0; ; steps++ {
		switch {
		case t < g[j]:
			j--
		case j+1 < m && t >= g[j+1]:
			j++
		default:
			return j
		}
		if steps == 8 || j < 0 {
			return Interval(g, t, event)
		}
	}
}

// Intervals returns each row's interval on the grid, as Interval finds
// it (-1 for a censored time before the grid), in one fast pass.
func (r *SurvivalRows) Intervals(grid []float64) []int32 {
	look := newGridLookup(grid)
	out := make([]int32, len(r.Time))
	for i, t := range r.Time {
		out[i] = int32(look.interval(t, r.Event[i] == 1))
	}
	return out
}

// Count counts the rows on the grid, for groups groups.
func (r *SurvivalRows) Count(grid []float64, groups int) *IntervalCounts {
	m := len(grid)
	c := &IntervalCounts{Groups: groups, Points: m, Events: make([]float64, groups*m), Leaving: make([]float64, groups*m)}
	look := newGridLookup(grid)
	for i, t := range r.Time {
		ev := r.Event[i] == 1
		j := look.interval(t, ev)
		if j < 0 {
			continue
		}
		g := 0
		if r.Group != nil {
			if g = r.Group[i]; g < 0 || g >= groups {
				continue
			}
		}
		c.Leaving[g*m+j]++
		if ev {
			c.Events[g*m+j]++
		}
	}
	return c
}

// AtRisk returns the rows at risk at each grid point of group g: the rows
// leaving in that interval or later.
func (c *IntervalCounts) AtRisk(g int) []float64 {
	m := c.Points
	out := make([]float64, m)
	s := 0.0
	for j := m - 1; j >= 0; j-- {
		s += c.Leaving[g*m+j]
		out[j] = s
	}
	return out
}

// MergeFlags returns the grid points this party asks to remove so that
// every interval's count of events, of censored rows and of rows leaving,
// in every group, is 0 or at least minCell. A flagged interval is merged
// with the next one (its upper grid point removed), the last interval with
// the one before it. extra, when not nil, flags further intervals (those
// whose row sets the release memory would refuse). Point 0 is never
// flagged: when the grid has one point left, small counts are a refusal.
func (c *IntervalCounts) MergeFlags(minCell float64, extra []bool) []bool {
	m := c.Points
	flags := make([]bool, m)
	small := func(v float64) bool { return v >= 1 && v < minCell }
	for j := range m {
		bad := extra != nil && extra[j]
		for g := range c.Groups {
			d, l := c.Events[g*m+j], c.Leaving[g*m+j]
			bad = bad || small(d) || small(l) || small(l-d)
		}
		if !bad {
			continue
		}
		switch {
		case j+1 < m:
			flags[j+1] = true
		case j > 0:
			flags[j] = true
		}
	}
	return flags
}

// Merge returns the counts on the grid that keeps the points kept (point
// 0 always): each interval of the kept grid is the union of the intervals
// of this grid that it holds, so its counts are their sums.
func (c *IntervalCounts) Merge(keep []bool) *IntervalCounts {
	m := c.Points
	start := make([]int, 0, m) // the original interval each kept one starts at
	for j := range m {
		if j == 0 || keep[j] {
			start = append(start, j)
		}
	}
	k := len(start)
	out := &IntervalCounts{Groups: c.Groups, Points: k, Events: make([]float64, c.Groups*k), Leaving: make([]float64, c.Groups*k)}
	for g := range c.Groups {
		q := 0
		for j := range m {
			if q+1 < k && start[q+1] == j {
				q++
			}
			out.Events[g*k+q] += c.Events[g*m+j]
			out.Leaving[g*k+q] += c.Leaving[g*m+j]
		}
	}
	return out
}

// Small reports whether any count of the one-point grid is between 1 and
// minCell-1, which no merging can mend.
func (c *IntervalCounts) Small(minCell float64) bool {
	for j := range c.Events {
		d, l := c.Events[j], c.Leaving[j]
		for _, v := range []float64{d, l, l - d} {
			if v >= 1 && v < minCell {
				return true
			}
		}
	}
	return false
}

// Alternate keeps, of each run of consecutive flagged points, every
// other one (the first, the third, ...), so that one round of merging
// joins an interval with its neighbour but does not chain a run of small
// intervals into one: the next round sees the merged counts.
func Alternate(flags []bool) []bool {
	out := make([]bool, len(flags))
	for j, f := range flags {
		out[j] = f && (j == 0 || !out[j-1])
	}
	return out
}

// RemovePoints returns grid without the flagged points.
func RemovePoints(grid []float64, flags []bool) []float64 {
	out := make([]float64, 0, len(grid))
	for j, g := range grid {
		if !flags[j] {
			out = append(out, g)
		}
	}
	return out
}
