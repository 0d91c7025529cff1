package node

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// Kaplan–Meier and the log-rank test read a cohort's records only through
// counts and row sets per grid interval. When the time column has few
// distinct values (whole months or days: a column the row index keeps
// exactly), those are unions of the rows of single times, which the index
// keeps for the whole table: a query then intersects them with its
// cohort and groups and never copies a row. timeCells are the table's
// part, built once; survivalCells a query's.

// timeCells are the rows of each distinct time of a table, and of those
// the events: the same for every query on the pair of columns.
type timeCells struct {
	once   sync.Once
	times  []float64         // the distinct times (not NaN), ascending
	rows   []*roaring.Bitmap // the rows of each time
	events []*roaring.Bitmap // of those, the rows whose event is 1
	// badEvent are the rows whose event is neither missing, 0 nor 1.
	badEvent *roaring.Bitmap
	event    *stats.Column
}

// maxCachedTimeCells bounds the (time, event) pairs whose cells the index
// keeps.
const maxCachedTimeCells = 16

// timeCells returns the cells of a time and an event column, or nil when
// the time column has too many distinct values to keep them (or the
// index keeps enough pairs already).
func (ix *rowIndex) timeCells(time, event *stats.Column) *timeCells {
	if time.Kind != stats.Numeric || event.Kind != stats.Numeric || !ix.column(time).exact {
		return nil
	}
	key := [2]*stats.Column{time, event}
	ix.mu.Lock()
	tc := ix.times[key]
	if tc == nil {
		if len(ix.times) == maxCachedTimeCells {
			ix.mu.Unlock()
			return nil
		}
		tc = &timeCells{}
		ix.times[key] = tc
	}
	ix.mu.Unlock()
	tc.once.Do(func() { tc.build(ix.column(time), event, ix.t.Rows) })
	return tc
}

func (tc *timeCells) build(cr *columnRows, event *stats.Column, n int) {
	one := bitmapOf(n, func(i int) bool { return event.Num[i] == 1 })
	tc.badEvent = bitmapOf(n, func(i int) bool {
		v := event.Num[i]
		return v == v && v != 0 && v != 1
	})
	tc.times, tc.rows, tc.event = cr.lo, cr.rows, event
	tc.events = make([]*roaring.Bitmap, len(cr.rows))
	for v, bm := range cr.rows {
		tc.events[v] = roaring.And(bm, one)
	}
}

// survivalCells are one query's records: the table's time cells within
// each group of the cohort (the whole cohort without by).
type survivalCells struct {
	tc     *timeCells
	whole  bool              // the cohort is the whole table
	groups []*roaring.Bitmap // the cohort's rows of each group
	labels []string          // each group's label (byLabel's form)
	n      int
	// Per group g and time v (index g·V + v): the records and the events,
	// counted at once, their rows when first asked.
	nRows, nEvents       []float64
	timeRows, timeEvents []*roaring.Bitmap
}

// maxCellCounts bounds groups × distinct times for the cells: beyond it,
// one pass over the rows costs less than the intersections.
const maxCellCounts = 1 << 14

// newSurvivalCells reads a KaplanMeier or LogRank query's records from
// the index: cols are [time, event] or [time, event, by], cohort their
// complete rows within the filter. It returns nil where the rows must be
// read one by one instead (too many distinct times or groups), and the
// error the rows would give (too many groups, a time not finite, an event
// not 0 or 1).
func newSurvivalCells(ix *rowIndex, cols []*stats.Column, cohort *roaring.Bitmap) (*survivalCells, error) {
	tc := ix.timeCells(cols[0], cols[1])
	if tc == nil {
		return nil, nil
	}
	sc := &survivalCells{tc: tc, whole: cohort.GetCardinality() == uint64(ix.t.Rows), n: int(cohort.GetCardinality())}
	if len(cols) == 3 {
		by := cols[2]
		if !ix.column(by).exact {
			return nil, nil
		}
		_, groups, err := ix.groups(by, cohort)
		if err != nil {
			return nil, err
		}
		cr := ix.column(by)
		type group struct {
			rows  *roaring.Bitmap
			label string
		}
		var seen []group
		for g, bm := range groups {
			if bm == nil {
				continue
			}
			l := ""
			if by.Kind == stats.Categorical {
				l = cr.names[g]
			} else {
				l = strconv.FormatFloat(cr.lo[g], 'g', -1, 64)
			}
			seen = append(seen, group{bm, l})
		}
		if len(seen) > maxSurvivalGroups {
			return nil, bad("column %q has more than %d values; group it into fewer categories first", by.Name, maxSurvivalGroups)
		}
		// In the order the rows first show them, as a pass over the rows
		// numbers them.
		slices.SortFunc(seen, func(a, b group) int { return cmp.Compare(a.rows.Minimum(), b.rows.Minimum()) })
		for _, s := range seen {
			sc.groups, sc.labels = append(sc.groups, s.rows), append(sc.labels, s.label)
		}
		sc.whole = false
	} else {
		sc.groups = []*roaring.Bitmap{cohort}
	}
	if len(sc.groups)*len(tc.times) > maxCellCounts {
		return nil, nil
	}
	if err := sc.check(cohort); err != nil {
		return nil, err
	}
	V := len(tc.times)
	sc.nRows, sc.nEvents = make([]float64, len(sc.groups)*V), make([]float64, len(sc.groups)*V)
	for g, gr := range sc.groups {
		for v := range V {
			if sc.whole {
				sc.nRows[g*V+v], sc.nEvents[g*V+v] = float64(tc.rows[v].GetCardinality()), float64(tc.events[v].GetCardinality())
			} else {
				sc.nRows[g*V+v], sc.nEvents[g*V+v] = float64(tc.rows[v].AndCardinality(gr)), float64(tc.events[v].AndCardinality(gr))
			}
		}
	}
	return sc, nil
}

// check gives the error of the cohort's first record (in row order) whose
// time is not finite or whose event is neither 0 nor 1, as
// stats.NewSurvivalRows words it.
func (sc *survivalCells) check(cohort *roaring.Bitmap) error {
	first, what := uint64(math.MaxUint64), ""
	for v, t := range sc.tc.times {
		if !math.IsInf(t, 0) {
			continue
		}
		if in := roaring.And(sc.tc.rows[v], cohort); !in.IsEmpty() && uint64(in.Minimum()) < first {
			first, what = uint64(in.Minimum()), fmt.Sprintf("time is %v: follow-up times must be finite", t)
		}
	}
	if in := roaring.And(sc.tc.badEvent, cohort); !in.IsEmpty() && uint64(in.Minimum()) < first {
		first = uint64(in.Minimum())
		what = fmt.Sprintf("event is %v: the event indicator must be 1 (event) or 0 (censored)", sc.tc.event.Num[first])
	}
	if what != "" {
		return bad("survival: row %d: %s", first+1, what)
	}
	return nil
}

// relabel renumbers the groups to the union's levels: at[g] is local
// group g's index among the levels, of which there are k.
func (sc *survivalCells) relabel(at []int, k int) {
	V := len(sc.tc.times)
	groups := make([]*roaring.Bitmap, k)
	nRows, nEvents := make([]float64, k*V), make([]float64, k*V)
	for g, u := range at {
		groups[u] = sc.groups[g]
		copy(nRows[u*V:(u+1)*V], sc.nRows[g*V:(g+1)*V])
		copy(nEvents[u*V:(u+1)*V], sc.nEvents[g*V:(g+1)*V])
	}
	for u, bm := range groups {
		if bm == nil {
			groups[u] = roaring.New()
		}
	}
	sc.groups, sc.nRows, sc.nEvents = groups, nRows, nEvents
}

// sizes are the records of each group.
func (sc *survivalCells) sizes() []float64 {
	out := make([]float64, len(sc.groups))
	for g, bm := range sc.groups {
		out[g] = float64(bm.GetCardinality())
	}
	return out
}

// present are the distinct times of the records.
func (sc *survivalCells) present() []float64 {
	V := len(sc.tc.times)
	var out []float64
	for v, t := range sc.tc.times {
		for g := range sc.groups {
			if sc.nRows[g*V+v] > 0 {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// interval is the grid interval of time v's events (event) or censored
// records, as stats.Interval finds it.
func (sc *survivalCells) interval(grid []float64, v int, event bool) int {
	return stats.Interval(grid, sc.tc.times[v], event)
}

// count counts the records on the grid, as stats.SurvivalRows.Count does.
func (sc *survivalCells) count(grid []float64) *stats.IntervalCounts {
	m, G, V := len(grid), len(sc.groups), len(sc.tc.times)
	c := &stats.IntervalCounts{Groups: G, Points: m, Events: make([]float64, G*m), Leaving: make([]float64, G*m)}
	for v := range V {
		je, jc := sc.interval(grid, v, true), sc.interval(grid, v, false)
		for g := range G {
			d, r := sc.nEvents[g*V+v], sc.nRows[g*V+v]
			if je >= 0 { // the events
				c.Leaving[g*m+je] += d
				c.Events[g*m+je] += d
			}
			if jc >= 0 { // the censored records
				c.Leaving[g*m+jc] += r - d
			}
		}
	}
	return c
}

// cells returns the rows of each group and time, and of its events.
func (sc *survivalCells) cells() (rows, events []*roaring.Bitmap) {
	if sc.timeRows != nil {
		return sc.timeRows, sc.timeEvents
	}
	V := len(sc.tc.times)
	sc.timeRows, sc.timeEvents = make([]*roaring.Bitmap, len(sc.groups)*V), make([]*roaring.Bitmap, len(sc.groups)*V)
	for g, gr := range sc.groups {
		for v := range V {
			q := g*V + v
			switch {
			case sc.nRows[q] == 0:
				sc.timeRows[q], sc.timeEvents[q] = roaring.New(), roaring.New()
			case sc.whole:
				sc.timeRows[q], sc.timeEvents[q] = sc.tc.rows[v], sc.tc.events[v]
			default:
				sc.timeRows[q], sc.timeEvents[q] = roaring.And(sc.tc.rows[v], gr), roaring.And(sc.tc.events[v], gr)
			}
		}
	}
	return sc.timeRows, sc.timeEvents
}

// rowSets returns the records' row sets on the grid, as
// newSurvivalRowSets finds them from the rows. The sets may be the index's
// own bitmaps: they are never modified.
func (sc *survivalCells) rowSets(grid []float64) *survivalRowSets {
	m, G, V := len(grid), len(sc.groups), len(sc.tc.times)
	rows, events := sc.cells()
	ev := make([][]*roaring.Bitmap, G*m)
	lv := make([][]*roaring.Bitmap, G*m)
	for v := range V {
		// Events always fall in an interval; censored records with them,
		// or, before the grid, in none.
		je, jc := sc.interval(grid, v, true), sc.interval(grid, v, false)
		for g := range G {
			q := g*V + v
			if sc.nRows[q] == 0 {
				continue
			}
			if je == jc {
				lv[g*m+je] = append(lv[g*m+je], rows[q])
			} else {
				lv[g*m+je] = append(lv[g*m+je], events[q])
			}
			if sc.nEvents[q] > 0 {
				ev[g*m+je] = append(ev[g*m+je], events[q])
			}
		}
	}
	s := &survivalRowSets{m: m, groups: G, events: make([]*roaring.Bitmap, G*m), leaving: make([]*roaring.Bitmap, G*m)}
	for q := range ev {
		s.events[q], s.leaving[q] = unionOf(ev[q]), unionOf(lv[q])
	}
	return s
}

// unionOf is the union of bitmaps that are never modified: the one bitmap
// itself when there is one.
func unionOf(bms []*roaring.Bitmap) *roaring.Bitmap {
	switch len(bms) {
	case 0:
		return roaring.New()
	case 1:
		return bms[0]
	}
	return roaring.FastOr(bms...)
}
