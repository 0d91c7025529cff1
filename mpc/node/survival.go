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
// Each member reserves in its release memory the rows of each group and,
// per interval and group, the rows of the events, of the leavers and at
// risk at the interval's start (so that two grids cannot show by
// difference the few rows between two close points);
// a set the memory would refuse is merged away first, and a release the
// rules cannot make safe is refused as a whole.

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
	grid            []float64
	counts          *stats.IntervalCounts
	events, leaving []*roaring.Bitmap
	risk            []*rowSet // the rows at risk at each point
	merged          bool
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
			extra = survivalConflicts(mg.e, out, m)
		}
		flags := out.counts.MergeFlags(mg.minCell, extra)
		stuck := m == 1 && (out.counts.Small(mg.minCell) || extra[0])
		joint, err := jointFlags(ctx, mg.e.s.Sub("merge"+strconv.Itoa(mg.round)), append(flags, stuck))
		if err != nil {
			return nil, err
		}
		if len(joint) != m+1 {
			return nil, fmt.Errorf("merging: %d flags for %d grid points", len(joint), m)
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
	for q := range mg.events {
		for k, s := range []*rowSet{setOf(mg.events[q]), setOf(mg.leaving[q]), mg.risk[q]} {
			if s.card == 0 || t.same(s, false) {
				continue
			}
			if why, _ := t.conflict(s, false); why != "" && why != "small" {
				j := q % m
				if k == 2 && j > 0 {
					j--
				}
				flags[j] = true
			}
		}
	}
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

// survivalReserve reserves the groups' rows and the intervals' row sets
// (events, leavers, and the rows at risk at the interval's start) in this
// member's release memory.
func survivalReserve(e *env, si *survInput, sg *survivalGrid, mg *mergedGrid) error {
	var out []releaseSet
	for g, rows := range si.groupRows(len(sg.levels)) {
		if !rows.IsEmpty() {
			out = append(out, releaseSet{what: "group " + sg.levels[g], rows: rows})
		}
	}
	out = append(out, si.levelSets()...)
	if m := len(sg.grid); m > 0 && mg != nil {
		for q := range mg.events {
			name := fmt.Sprintf("interval %d of group %s", q%m, sg.levels[q/m])
			for _, s := range []releaseSet{{what: name + " (events)", rows: mg.events[q]}, {what: name + " (leaving)", rows: mg.leaving[q]},
				{what: name + " (at risk)", set: mg.risk[q]}} {
				if s.view().card > 0 {
					out = append(out, s)
				}
			}
		}
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
