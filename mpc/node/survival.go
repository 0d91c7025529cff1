package node

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

func init() {
	register("KaplanMeier", survival{name: "KaplanMeier"})
	register("LogRank", survival{name: "LogRank"})
	register("CoxPH", survival{name: "CoxPH"})
}

// Survival analysis over node-held data: Kaplan–Meier curves, the
// log-rank test and the Cox model, on a time grid (see stats/survival.go).
//
// What each computation reveals, and to whom (the leader is the
// analyst's own node; the analyst gets the result):
//   - The grid. With parameters.times it is the analyst's own. By default
//     (survival_grid.go) every member learns, through anonymous joint
//     flags, the finest decimal resolution of anyone's times, the power of
//     two that bounds the largest time, and, once intervals are merged,
//     which merged intervals hold an event somewhere: never a time that
//     min_cell merges away, nor which member holds what.
//   - Which grid points any member asked to merge away, round by round
//     (one joint flag per point, never which member flagged it), and so
//     the merged grid: every member, every interval and every group then
//     has 0 or at least min_cell events, censored rows and rows leaving the
//     risk set, and no interval's rows differ by 1 to min_cell−1 from a row
//     set the member released before (its release memory).
//   - KaplanMeier and LogRank: the pooled events and at-risk counts of
//     each group at each merged grid point (what survfit shows), to the
//     leader; the analyst gets the curves and the test.
//   - CoxPH: the pooled rows and covariate sums (the means), the pooled
//     events per interval and their covariate sums, and at each
//     Newton–Raphson iteration the pooled sums over each interval's
//     leavers of exp(βᵀx), exp(βᵀx)·x and exp(βᵀx)·xxᵀ, to the leader; the
//     analyst gets the fit. These are sums over at least min_cell rows of
//     every member (or none), as the intervals are merged for that.
//
// Each member reserves in its release memory the rows of each group, its
// events and censored rows, and, per interval and group, the rows of the
// events, of the censored rows, of the leavers and at risk at the
// interval's start (so that two grids cannot show by difference the few
// rows between two close points), and the same sets of the union of the
// groups and, with three groups or more, of the union less each group
// (survivalReserve); a set the memory would refuse is merged away
// first, and a release the rules cannot make safe is refused as a whole.
// Rows censored before the first point of an analyst's grid leave the
// curve, yet its size counts them: 1 to min_cell−1 of them in a group, at
// any member, refuse the query (no merging moves the first point).
//
// Known limit: the memory holds these sets, not every union of them (the
// events of one interval with the censored rows of another, two groups
// of three): such a union is a tracker of three or more releases.

// survival is the family of the survival microprotocols, over node-held
// data only.
type survival struct {
	nodeHeldOnly
	name string // KaplanMeier, LogRank or CoxPH
}

// survInput is a party's survival records: the complete records of the
// cohort with their row positions, groups by local label, covariates; or,
// for KaplanMeier and LogRank where the index holds the rows of each time,
// cells instead of rows. Until the release plan is known (usePlan), src
// holds what to read.
type survInput struct {
	src    *survivalSource
	cells  *survivalCells
	rows   *stats.SurvivalRows
	pos    []uint32        // table row of each record
	labels []string        // local group labels (Group indexes them)
	x      [][]float64     // CoxPH covariates, column by column (a factor's level codes)
	cat    []*stats.Column // the factor of each covariate that is one, else nil
	names  []string        // their names
}

// survivalSource is what a survival query reads, kept until its release
// plan is known.
type survivalSource struct {
	t    *stats.Table
	sel  []bool
	cols []*stats.Column
	mp   string
}

func (in *survInput) cohort() int {
	if in.cells != nil {
		return in.cells.n
	}
	return len(in.pos)
}

// usePlan reads the records once the cohort is known: from the index's
// cells where it can, else row by row.
func (in *survInput) usePlan(plan *releasePlan) error {
	src := in.src
	if src == nil {
		return nil
	}
	in.src = nil
	cells, err := newSurvivalCells(plan.index, src.cols, plan.cohort)
	if err != nil {
		return err
	}
	if cells != nil {
		in.cells, in.labels = cells, cells.labels
		return nil
	}
	r, err := readSurvivalRows(src.t, src.sel, src.cols, src.mp)
	if err != nil {
		return err
	}
	*in = *r
	return nil
}

// grouped reports whether the records are split by a by column.
func (in *survInput) grouped() bool {
	if in.cells != nil {
		return in.labels != nil
	}
	return in.rows.Group != nil
}

// groupOf is record k's group.
func (in *survInput) groupOf(k int) int {
	if in.rows.Group != nil {
		return in.rows.Group[k]
	}
	return 0
}

// groupSizes are the records of each of the groups.
func (in *survInput) groupSizes(groups int) []float64 {
	if in.cells != nil {
		return in.cells.sizes()
	}
	size := make([]float64, groups)
	for k := range in.pos {
		size[in.groupOf(k)]++
	}
	return size
}

// groupRows are the rows of each of the groups.
func (in *survInput) groupRows(groups int) []*roaring.Bitmap {
	if in.cells != nil {
		return in.cells.groups
	}
	byGroup := make([][]uint32, groups)
	for k, pos := range in.pos {
		g := in.groupOf(k)
		byGroup[g] = append(byGroup[g], pos)
	}
	out := make([]*roaring.Bitmap, groups)
	for g, rows := range byGroup {
		out[g] = roaring.BitmapOf(rows...)
	}
	return out
}

// times are the records' times (each distinct one at least once).
func (in *survInput) times() []float64 {
	if in.cells != nil {
		return in.cells.present()
	}
	return in.rows.Time
}

// count counts the records on the grid.
func (in *survInput) count(grid []float64, groups int) *stats.IntervalCounts {
	if in.cells != nil {
		return in.cells.count(grid)
	}
	return in.rows.Count(grid, groups)
}

// rowSets are the records' row sets on the grid.
func (in *survInput) rowSets(grid []float64, groups int) *survivalRowSets {
	if in.cells != nil {
		return in.cells.rowSets(grid)
	}
	return newSurvivalRowSets(in, grid, groups)
}

// maxSurvivalGroups bounds the groups of a stratified curve or test.
const maxSurvivalGroups = 64

// columns checks the columns a survival microprotocol names: how many,
// and a numeric time and event.
func (f survival) columns(t *stats.Table, ds *DatasetRef) ([]*stats.Column, error) {
	mp := f.name
	cols, err := tableColumns(t, ds, 2, mp)
	if err != nil {
		return nil, err
	}
	switch {
	case mp == "KaplanMeier" && len(cols) > 3:
		return nil, bad("dataset.columns: KaplanMeier takes [time, event] or [time, event, by]")
	case mp == "LogRank" && len(cols) != 3:
		return nil, bad("dataset.columns: LogRank takes [time, event, by]")
	case mp == "CoxPH" && len(cols) < 3:
		return nil, bad("dataset.columns: CoxPH takes [time, event, x1, ..., xp]: at least one covariate")
	case mp == "CoxPH" && len(cols)-2 > maxRegressors:
		return nil, bad("dataset.columns: CoxPH takes at most %d covariates", maxRegressors)
	}
	for _, c := range cols[:2] {
		if c.Kind != stats.Numeric {
			return nil, bad("column %q of table %s is categorical; %s needs a numeric time and event", c.Name, t.Name, mp)
		}
	}
	return cols, nil
}

// table checks the columns: [time, event] (KaplanMeier also [time, event,
// by], LogRank needs by; CoxPH [time, event, x1, ..., xp]). CoxPH reads
// the complete rows of the cohort at once, the others once the cohort is
// known (usePlan).
func (f survival) table(t *stats.Table, rows []bool, ds *DatasetRef) (input, error) {
	cols, err := f.columns(t, ds)
	if err != nil {
		return nil, err
	}
	if f.name != "CoxPH" {
		return &survInput{src: &survivalSource{t: t, sel: rows, cols: cols, mp: f.name}}, nil
	}
	return readSurvivalRows(t, rows, cols, f.name)
}

// readSurvivalRows reads the complete rows of the cohort.
func readSurvivalRows(t *stats.Table, rows []bool, cols []*stats.Column, mp string) (*survInput, error) {
	var err error
	si := &survInput{}
	var tm, ev []float64
	var group []int
	var by *stats.Column
	local := map[string]int{}
	if mp != "CoxPH" && len(cols) == 3 {
		by = cols[2]
		group = []int{}
	}
	if mp == "CoxPH" {
		si.x = make([][]float64, len(cols)-2)
		si.cat = make([]*stats.Column, len(cols)-2)
		for a, c := range cols[2:] {
			si.names = append(si.names, c.Name)
			if c.Kind == stats.Categorical {
				si.cat[a] = c
			}
		}
	}
	tm, ev, si.pos = make([]float64, 0, t.Rows), make([]float64, 0, t.Rows), make([]uint32, 0, t.Rows)
	if by != nil {
		group = make([]int, 0, t.Rows)
	}
	var levelGroup []int // a categorical by: level -> local group, -1 unseen
	if by != nil && by.Kind == stats.Categorical {
		levelGroup = make([]int, by.Levels.Len())
		for l := range levelGroup {
			levelGroup[l] = -1
		}
	}
	for i := 0; i < t.Rows; i++ {
		if !complete(cols, rows, i) {
			continue
		}
		tm = append(tm, cols[0].Num[i])
		ev = append(ev, cols[1].Num[i])
		si.pos = append(si.pos, uint32(i))
		for a := range si.x {
			if c := si.cat[a]; c != nil {
				si.x[a] = append(si.x[a], float64(c.Cat[i]))
			} else {
				si.x[a] = append(si.x[a], cols[2+a].Num[i])
			}
		}
		if levelGroup != nil && levelGroup[by.Cat[i]] >= 0 {
			group = append(group, levelGroup[by.Cat[i]])
		} else if by != nil {
			l := byLabel(by, i)
			g, ok := local[l]
			if !ok {
				if len(local) == maxSurvivalGroups {
					return nil, bad("column %q has more than %d values; group it into fewer categories first", by.Name, maxSurvivalGroups)
				}
				g = len(local)
				local[l] = g
				si.labels = append(si.labels, l)
				if levelGroup != nil {
					levelGroup[by.Cat[i]] = g
				}
			}
			group = append(group, g)
		}
	}
	row := func(k int) int { return int(si.pos[k]) + 1 }
	if si.rows, err = stats.NewSurvivalRows(tm, ev, group, row); err != nil {
		return nil, bad("%v", err)
	}
	return si, nil
}

// run learns the grid, then computes the curves, the test or the model.
func (f survival) run(ctx context.Context, e *env, in input, p *params) (map[string]any, error) {
	si := in.(*survInput)
	sg, err := survivalSetup(ctx, e, si, p)
	if err != nil {
		return nil, err
	}
	if f.name == "CoxPH" {
		return runCoxPH(ctx, e, si, sg)
	}
	nrisk, nevent, n, err := survivalCounts(ctx, e, si, sg)
	if err != nil || !e.c.Decider() {
		return nil, err
	}
	if f.name == "LogRank" {
		return logRank(sg, nrisk, nevent, n)
	}
	return kaplanMeier(sg, nrisk, nevent, n)
}

// byLabel is the group label of row i.
func byLabel(c *stats.Column, i int) string {
	if c.Kind == stats.Categorical {
		return c.Levels.At(int(c.Cat[i]))
	}
	return strconv.FormatFloat(c.Num[i], 'g', -1, 64)
}

// survivalGrid is the outcome of the joint grid search: the merged grid,
// the groups' labels (sorted) and this party's counts on the grid.
type survivalGrid struct {
	grid   []float64
	levels []string
	counts *stats.IntervalCounts
	asked  int  // points of a grid the analyst gave (0 for the default grid)
	merged bool // intervals were merged for the members' rules
}

// survivalSetup learns the groups and the grid, merges intervals until
// every member's rules pass, and reserves the row sets in this member's
// release memory.
func survivalSetup(ctx context.Context, e *env, si *survInput, p *params) (*survivalGrid, error) {
	sg := &survivalGrid{levels: []string{"all"}}
	if si.grouped() {
		levels, err := survivalGroups(ctx, e, si)
		if err != nil {
			return nil, err
		}
		sg.levels = levels
	}
	groups := len(sg.levels)
	grid := p.times
	if grid != nil {
		sg.asked = len(grid)
	} else {
		var err error
		if grid, err = latticeGrid(ctx, e, si.times()); err != nil {
			return nil, err
		}
	}
	// Intervals are merged for min_cell first, which depends on the data
	// alone (so the same query finds the same grid again), and then for
	// the release memory as well.
	mg := &merger{e: e, si: si, groups: groups, minCell: float64(e.plan.mem.minCell)}
	first, err := mg.merge(ctx, grid, false)
	if err != nil {
		return nil, err
	}
	if grid = first.grid; p.times == nil {
		// The default grid: the merged lattice's intervals that hold an
		// event somewhere.
		if grid, err = eventPoints(ctx, e, grid, first.counts); err != nil {
			return nil, err
		}
		if len(grid) == 0 { // no events anywhere: nothing but the groups' sizes
			sg.counts = &stats.IntervalCounts{Groups: groups}
			return sg, survivalReserve(e, si, sg, nil)
		}
	}
	last, err := mg.merge(ctx, grid, true)
	if err != nil {
		return nil, err
	}
	sg.grid, sg.counts, sg.merged = last.grid, last.counts, first.merged || last.merged
	return sg, survivalReserve(e, si, sg, last)
}

// survivalGroups learns the groups of a stratified statistic: each member
// checks its own group sizes against min_cell, the levels are the label
// union, and si's groups are renumbered to index them.
func survivalGroups(ctx context.Context, e *env, si *survInput) ([]string, error) {
	counts := si.groupSizes(len(si.labels))
	if err := e.c.Check("group", counts); err != nil {
		return nil, err
	}
	levels, err := stats.LabelUnion(ctx, e.c, si.labels)
	if err != nil {
		return nil, err
	}
	if len(levels) > maxSurvivalGroups {
		return nil, bad("the by column has %d values; at most %d groups", len(levels), maxSurvivalGroups)
	}
	at := map[string]int{}
	for k, l := range levels {
		at[l] = k
	}
	if si.cells != nil {
		local := make([]int, len(si.labels))
		for g, l := range si.labels {
			local[g] = at[l]
		}
		si.cells.relabel(local, len(levels))
	} else {
		for k, g := range si.rows.Group { // local label index -> union index
			si.rows.Group[k] = at[si.labels[g]]
		}
	}
	si.labels = levels
	return levels, nil
}

// merger merges a grid's intervals, round by round, until no member flags
// one.
type merger struct {
	e       *env
	si      *survInput
	groups  int
	minCell float64
	round   int // rounds so far: each names its step of the session
}

// mergedGrid is what merging left: the grid, this member's counts on it,
// with the release memory its row sets, and whether anything was merged.
type mergedGrid struct {
	grid                      []float64
	counts                    *stats.IntervalCounts
	events, leaving, censored []*roaring.Bitmap
	risk                      []*rowSet // the rows at risk at each point
	// margin holds the same sets of the union of the groups (nil for one
	// group): a curve by groups shows their sums.
	margin *mergedGrid
	merged bool
}

// censoredSets are the censored rows of each interval and group: its
// leavers less its events, whose counts a curve shows.
func censoredSets(events, leaving []*roaring.Bitmap) []*roaring.Bitmap {
	out := make([]*roaring.Bitmap, len(leaving))
	for q := range leaving {
		out[q] = roaring.AndNot(leaving[q], events[q])
	}
	return out
}

// marginOf is the row sets of every interval of the union of the groups
// (events, leavers, censored rows and rows at risk), like a table's margin.
func marginOf(mg *mergedGrid, m, groups int) *mergedGrid {
	out := &mergedGrid{events: make([]*roaring.Bitmap, m), leaving: make([]*roaring.Bitmap, m)}
	ev, lv := make([]*roaring.Bitmap, groups), make([]*roaring.Bitmap, groups)
	for j := range m {
		for g := range groups {
			ev[g], lv[g] = mg.events[g*m+j], mg.leaving[g*m+j]
		}
		out.events[j], out.leaving[j] = roaring.FastOr(ev...), roaring.FastOr(lv...)
	}
	out.censored = censoredSets(out.events, out.leaving)
	out.risk = atRisk(out.leaving, m)
	return out
}

// eachSet calls fn with every row set of every interval: g is the group
// (-1 for the margin), j the interval, kind what the set holds.
func (mg *mergedGrid) eachSet(m int, fn func(g, j int, kind string, s *rowSet)) {
	grids := []*mergedGrid{mg}
	if mg.margin != nil {
		grids = append(grids, mg.margin)
	}
	for k, x := range grids {
		for q := range x.events {
			g := q / m
			if k == 1 {
				g = -1
			}
			fn(g, q%m, "events", setOf(x.events[q]))
			fn(g, q%m, "leaving", setOf(x.leaving[q]))
			fn(g, q%m, "censored", setOf(x.censored[q]))
			fn(g, q%m, "at risk", x.risk[q])
		}
	}
}

// merge merges grid's intervals until every member holds 0 or at least
// min_cell rows in each count of each interval and, with memory, no
// interval's row sets conflict with the release memory. Each record's
// interval is found once; a merged grid keeps a subset of the points, so
// its counts and row sets are unions of the first grid's.
func (mg *merger) merge(ctx context.Context, grid []float64, memory bool) (*mergedGrid, error) {
	base := mg.si.count(grid, mg.groups)
	keep := make([]bool, len(grid))
	for j := range keep {
		keep[j] = true
	}
	var sets *survivalRowSets
	out := &mergedGrid{}
	before := mg.beforeGrid(base) // no merging moves the first point
	for ; ; mg.round++ {
		out.counts = base.Merge(keep)
		m := out.counts.Points
		extra := make([]bool, m)
		if memory {
			if sets == nil {
				sets = mg.si.rowSets(grid, mg.groups)
			}
			out.events, out.leaving = sets.merged(keep)
			out.risk = sets.atRisk(keep)
			out.censored = censoredSets(out.events, out.leaving)
			if mg.groups > 1 {
				out.margin = marginOf(out, m, mg.groups)
			}
			extra = survivalConflicts(mg.e, out, m)
		}
		flags := out.counts.MergeFlags(mg.minCell, extra)
		stuck := m == 1 && (out.counts.Small(mg.minCell) || extra[0])
		joint, err := jointFlags(ctx, mg.e.s.Sub("merge"+strconv.Itoa(mg.round)), append(flags, stuck, before))
		if err != nil {
			return nil, err
		}
		if len(joint) != m+2 {
			return nil, fmt.Errorf("merging: %d flags for %d grid points", len(joint), m)
		}
		if joint[m+1] {
			return nil, errorf(http.StatusForbidden, "refused: policy min_cell: between 1 and min_cell-1 rows of a member node, in a group, are censored before the grid's first time; the cohort's size less the rows at risk there would count them; start the grid earlier or later")
		}
		if joint[m] {
			return nil, errorf(http.StatusForbidden, "refused: policy min_cell: even merged into one interval, the events, censored rows or rows at risk of a group would hold between 1 and min_cell-1 rows of a member node, or repeat an earlier release too closely; widen the filter or use fewer groups")
		}
		if !slices.Contains(joint[:m], true) {
			mg.round++
			out.grid = stats.RemovePoints(grid, notKept(keep))
			return out, nil
		}
		out.merged = true
		// The flags are of the kept points: drop every other one of each run.
		drop := stats.Alternate(joint[:m])
		q := 0
		for j := range keep {
			if keep[j] {
				if drop[q] {
					keep[j] = false
				}
				q++
			}
		}
	}
}

// beforeGrid says whether a group holds 1 to min_cell−1 rows censored
// before the grid's first point (counts are on the grid): the curve
// leaves them out, but it shows the group's size beside the rows at risk
// at the first point, whose difference counts them.
func (mg *merger) beforeGrid(c *stats.IntervalCounts) bool {
	sizes := mg.si.groupSizes(mg.groups)
	m := c.Points
	for g := range mg.groups {
		left := sizes[g]
		for j := range m {
			left -= c.Leaving[g*m+j]
		}
		if left >= 1 && left < mg.minCell {
			return true
		}
	}
	return false
}

func notKept(keep []bool) []bool {
	out := make([]bool, len(keep))
	for j, k := range keep {
		out[j] = !k && j > 0
	}
	return out
}

// survivalRowSets are a party's row sets on the grid asked, per group g
// and interval j (index g·m + j): the events' rows and the leavers' rows.
type survivalRowSets struct {
	m, groups       int
	events, leaving []*roaring.Bitmap
	risk            []*rowSet // atRisk(leaving), once asked for
}

func newSurvivalRowSets(si *survInput, grid []float64, groups int) *survivalRowSets {
	m := len(grid)
	ev := make([][]uint32, groups*m)
	lv := make([][]uint32, groups*m)
	r := si.rows
	for k, j32 := range r.Intervals(grid) {
		isEv, j := r.Event[k] == 1, int(j32)
		if j < 0 {
			continue
		}
		g := 0
		if r.Group != nil {
			g = r.Group[k]
		}
		lv[g*m+j] = append(lv[g*m+j], si.pos[k])
		if isEv {
			ev[g*m+j] = append(ev[g*m+j], si.pos[k])
		}
	}
	s := &survivalRowSets{m: m, groups: groups, events: make([]*roaring.Bitmap, groups*m), leaving: make([]*roaring.Bitmap, groups*m)}
	for q := range ev {
		s.events[q], s.leaving[q] = roaring.BitmapOf(ev[q]...), roaring.BitmapOf(lv[q]...)
	}
	return s
}

// merged returns the row sets on the grid that keeps the points kept.
func (s *survivalRowSets) merged(keep []bool) (events, leaving []*roaring.Bitmap) {
	for g := range s.groups {
		var ev, lv []*roaring.Bitmap
		for j := range s.m {
			if j > 0 && keep[j] {
				events, leaving = append(events, unionOf(ev)), append(leaving, unionOf(lv))
				ev, lv = nil, nil
			}
			ev, lv = append(ev, s.events[g*s.m+j]), append(lv, s.leaving[g*s.m+j])
		}
		events, leaving = append(events, unionOf(ev)), append(leaving, unionOf(lv))
	}
	return events, leaving
}

// atRisk returns the rows at risk at each point of the grid that keeps
// the points kept, per group: unions of the intervals' leavers on the
// grid asked, built once for every merge of it, so that each interval's
// rows are hashed and sketched once.
func (s *survivalRowSets) atRisk(keep []bool) []*rowSet {
	if s.risk == nil {
		s.risk = atRisk(s.leaving, s.m)
	}
	var out []*rowSet
	for g := range s.groups {
		for j := range s.m {
			if j == 0 || keep[j] {
				out = append(out, s.risk[g*s.m+j])
			}
		}
	}
	return out
}

// survivalConflicts flags the intervals with a row set that this member's
// release memory would refuse. Nothing is remembered while the grid is
// merged (a probe of one round would block the merged set of the next);
// the final reservation remembers what it refuses. The rows at risk at a
// grid point go when the point does: a conflict of theirs flags the
// interval that ends there.
func survivalConflicts(e *env, mg *mergedGrid, m int) []bool {
	flags := make([]bool, m)
	t := e.plan.mem
	t.mu.Lock()
	defer t.mu.Unlock()
	mg.eachSet(m, func(_, j int, kind string, s *rowSet) {
		if s.card == 0 || t.same(s, false) {
			return
		}
		if why, _ := t.conflict(s, false); why != "" && why != "small" {
			if kind == "at risk" && j > 0 {
				j--
			}
			flags[j] = true
		}
	})
	return flags
}

// atRisk returns, per group g and grid point j (index g·m + j), the rows
// at risk there, whose count a curve shows: the leavers of interval j and
// of every later one, as unions that share their later parts.
func atRisk(leaving []*roaring.Bitmap, m int) []*rowSet {
	out := make([]*rowSet, len(leaving))
	for g := range len(leaving) / max(m, 1) {
		var next *rowSet
		for j := m - 1; j >= 0; j-- {
			next = next.after(leaving[g*m+j])
			out[g*m+j] = next
		}
	}
	return out
}

// survivalReserve reserves in this member's release memory every row set
// whose count the result shows or gives by a difference of two of its
// counts: the rows of each group, its events and censored rows in all and
// those censored before the grid (the group's size less the rows at risk
// at the first point), and per interval its events, leavers, censored rows
// and the rows at risk at its start; with groups, the same of their union
// (the cohort), as a table's margin. Each of these is a union of the
// atoms every member checked (an interval's events or censored rows of a
// group, the rows censored before the grid), each 0 or at least min_cell
// rows, so that no two of them differ by 1 to min_cell−1 rows.
func survivalReserve(e *env, si *survInput, sg *survivalGrid, mg *mergedGrid) error {
	var out []releaseSet
	add := func(what string, s *rowSet) {
		if s.card > 0 {
			out = append(out, releaseSet{what: what, set: s})
		}
	}
	m := len(sg.grid)
	if mg == nil {
		m = 0
	}
	groups := si.groupRows(len(sg.levels))
	if len(groups) > 1 { // and their union, whose size the groups' sum shows
		groups = append(groups, roaring.FastOr(groups...))
	}
	// With three groups or more, the sum of all groups but one shows its
	// rows too: the cohort's set less the group's (a summary).
	rest := len(sg.levels) >= 3
	kinds := []string{"", " (events)", " (censored)", " (censored before the grid)"}
	sets := make([][]*rowSet, len(groups))
	for g, rows := range groups {
		sets[g] = []*rowSet{setOf(rows)}
		if m == 0 {
			continue
		}
		// The group's events and censored rows in all (the curve's events
		// and its size less them), and its rows censored before the grid.
		var ev, lv []*roaring.Bitmap
		if g < len(sg.levels) {
			ev, lv = mg.events[g*m:(g+1)*m], mg.leaving[g*m:(g+1)*m]
		} else {
			ev, lv = mg.margin.events, mg.margin.leaving
		}
		events := roaring.FastOr(ev...)
		sets[g] = append(sets[g], setOf(events), setOf(roaring.AndNot(rows, events)), setOf(roaring.AndNot(rows, roaring.FastOr(lv...))))
	}
	for g, gs := range sets {
		name := "cohort"
		if g < len(sg.levels) {
			name = "group " + sg.levels[g]
		}
		for k, s := range gs {
			add(name+kinds[k], s)
			if rest && g < len(sg.levels) {
				add("all groups but "+sg.levels[g]+kinds[k], sets[len(sets)-1][k].minus(s))
			}
		}
	}
	for _, s := range si.levelSets() {
		add(s.what, s.view())
	}
	if m > 0 {
		type at struct {
			j    int
			kind string
		}
		margin := map[at]*rowSet{}
		mg.eachSet(m, func(g, j int, kind string, s *rowSet) {
			if g < 0 {
				margin[at{j, kind}] = s
			}
		})
		mg.eachSet(m, func(g, j int, kind string, s *rowSet) {
			group := "the cohort"
			if g >= 0 {
				group = "group " + sg.levels[g]
			}
			add(fmt.Sprintf("interval %d of %s (%s)", j, group, kind), s)
			if rest && g >= 0 {
				add(fmt.Sprintf("interval %d of all groups but %s (%s)", j, sg.levels[g], kind), margin[at{j, kind}].minus(s))
			}
		})
	}
	res, err := e.plan.mem.reserve(out)
	if err != nil {
		return refused(err.(*refusal))
	}
	e.plan.res = res
	return nil
}

// survivalCounts adds every member's counts on the merged grid; the
// leader gets, per group, the rows at risk and the events at each point.
func survivalCounts(ctx context.Context, e *env, si *survInput, sg *survivalGrid) (nrisk, nevent [][]float64, n []float64, err error) {
	c := sg.counts
	groups, m := len(sg.levels), len(sg.grid)
	v := make([]float64, 0, 2*groups*m+groups)
	v = append(v, c.Events...)
	v = append(v, c.Leaving...)
	v = append(v, si.groupSizes(groups)...)
	tot, err := e.c.Sum(ctx, v)
	if err != nil || !e.c.Decider() {
		return nil, nil, nil, err
	}
	for i := range tot {
		tot[i] = math.Round(tot[i])
	}
	pooled := &stats.IntervalCounts{Groups: groups, Points: m, Events: tot[:groups*m], Leaving: tot[groups*m : 2*groups*m]}
	for g := range groups {
		nrisk = append(nrisk, pooled.AtRisk(g))
		nevent = append(nevent, pooled.Events[g*m:(g+1)*m])
	}
	return nrisk, nevent, tot[2*groups*m:], nil
}

// kaplanMeier computes each group's curve from the pooled counts.
func kaplanMeier(sg *survivalGrid, nrisk, nevent [][]float64, n []float64) (map[string]any, error) {
	curves := make([]*stats.KMCurve, len(sg.levels))
	for g := range sg.levels {
		k, err := stats.KaplanMeier(sg.grid, nrisk[g], nevent[g])
		if err != nil {
			return nil, err
		}
		k.N = n[g]
		curves[g] = k
	}
	return gridShape(kmShape(sg.levels, curves), sg), nil
}

// logRank tests the groups' curves for equality from the pooled counts.
func logRank(sg *survivalGrid, nrisk, nevent [][]float64, n []float64) (map[string]any, error) {
	if len(sg.levels) < 2 {
		return nil, bad("logrank: the by column has one value in this cohort; the test compares at least two groups")
	}
	if len(sg.grid) == 0 {
		return nil, bad("logrank: no events in this cohort")
	}
	r, err := stats.LogRank(nrisk, nevent)
	if err != nil {
		return nil, err
	}
	r.N = n
	return gridShape(logRankShape(r, sg.levels), sg), nil
}

// runCoxPH fits the Cox model on the grid.
func runCoxPH(ctx context.Context, e *env, si *survInput, sg *survivalGrid) (map[string]any, error) {
	if len(sg.grid) == 0 { // every party knows it; the leader says so
		if !e.c.Decider() {
			return nil, nil
		}
		return nil, bad("coxph: no events in this cohort: the model cannot be fitted")
	}
	x, names, err := si.design(ctx, e)
	if err != nil {
		return nil, err
	}
	r, err := stats.CoxPH(ctx, e.c, &stats.CoxRows{Time: si.rows.Time, Event: si.rows.Event, X: x}, sg.grid, names)
	if err != nil || r == nil {
		return nil, err
	}
	return gridShape(coxShape(r), sg), nil
}

func (survival) paramKeys(string) []string { return []string{"times"} }

// survival checks and reserves the rows of its grid's intervals itself.
func (survival) reservesItself() {}

// groupedBy names the grouping column of curves and tests by group.
func (survival) groupedBy(mp string, ds *DatasetRef) ([]string, string) {
	if mp == "CoxPH" || len(ds.Columns) != 3 {
		return nil, ""
	}
	return ds.Columns[2:], "curves by its values"
}

// linked counts a Cox model's coefficients, standard errors and two
// log-likelihoods; a curve's intervals are checked one by one.
func (survival) linked(mp string, ds *DatasetRef, _ *params) int {
	if mp != "CoxPH" {
		return 0
	}
	return 2*max(len(ds.Columns)-2, 1) + 2
}

// parseParams reads parameters.times: a grid of at most maxEdges finite,
// strictly increasing times.
func (survival) parseParams(_ *Policy, _ string, raw map[string]any, p *params) error {
	v, ok := raw["times"]
	if !ok || v == nil {
		return nil
	}
	times, err := numberList(v, "times", maxEdges)
	if err != nil {
		return err
	}
	if err := stats.CheckGrid(times); err != nil {
		return bad("parameters.times: %v", err)
	}
	p.times = times
	return nil
}
