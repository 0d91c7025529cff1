package node

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// survCellsTable is a table of survival records in whole months with
// missing values in every column, a categorical and a numeric group
// column, and a numeric time column of many distinct values.
func survCellsTable(n int, seed uint64) *stats.Table {
	r := rand.New(rand.NewPCG(seed, 3))
	tm, fine, ev, num := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	arm := make([]int32, n)
	for i := range n {
		tm[i] = float64(r.IntN(40))
		fine[i] = math.Round(r.Float64()*40000) / 1000
		ev[i] = float64(r.IntN(2))
		arm[i] = int32(r.IntN(3))
		num[i] = float64(10 * r.IntN(4))
		switch r.IntN(25) {
		case 0:
			tm[i], fine[i] = math.NaN(), math.NaN()
		case 1:
			ev[i] = math.NaN()
		case 2:
			arm[i] = -1
		case 3:
			num[i] = math.NaN()
		}
	}
	return &stats.Table{Name: "surv", Rows: n, Columns: []*stats.Column{
		{Name: "time", Kind: stats.Numeric, Num: tm},
		{Name: "fine", Kind: stats.Numeric, Num: fine},
		{Name: "event", Kind: stats.Numeric, Num: ev},
		{Name: "arm", Kind: stats.Categorical, Cat: arm, Levels: stats.NewLevels([]string{"A", "B", "C"})},
		{Name: "num", Kind: stats.Numeric, Num: num},
	}}
}

// TestSurvivalCellsEqualRows: the records read from the index's cells
// give the cohort, the groups, the times, the counts and the row sets on
// any grid that the rows give, with and without a filter and a by column.
func TestSurvivalCellsEqualRows(t *testing.T) {
	tab := survCellsTable(20_000, 1)
	ix := newRowIndex(tab)
	col := func(name string) *stats.Column {
		c, err := tab.Column(name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	r := rand.New(rand.NewPCG(7, 7))
	filter := make([]bool, tab.Rows)
	for i := range filter {
		filter[i] = r.IntN(3) > 0
	}
	grids := [][]float64{
		{0, 1.5, 7, 7.5, 20, 39},
		{5, 6, 12.25, 30},         // censored times before the grid leave it
		{-3, 100},                 // one interval holds everything
		{10},                      // a one-point grid
		{0, 1, 2, 3, 4, 5, 6, 70}, // points beyond the times
	}
	for _, by := range []string{"", "arm", "num"} {
		for _, sel := range [][]bool{nil, filter} {
			name := fmt.Sprintf("by %q, filter %v", by, sel != nil)
			cols := []*stats.Column{col("time"), col("event")}
			if by != "" {
				cols = append(cols, col(by))
			}
			cohort := ix.cohort(sel, cols)
			cells, err := newSurvivalCells(ix, cols, cohort)
			if err != nil || cells == nil {
				t.Fatalf("%s: cells %v, %v", name, cells, err)
			}
			want, err := readSurvivalRows(tab, sel, cols, "KaplanMeier")
			if err != nil {
				t.Fatal(err)
			}
			got := &survInput{cells: cells, labels: cells.labels}
			if got.cohort() != want.cohort() || !slices.Equal(got.labels, want.labels) {
				t.Fatalf("%s: cohort %d, labels %q; rows: %d, %q", name, got.cohort(), got.labels, want.cohort(), want.labels)
			}
			groups := max(len(want.labels), 1)
			if g, w := got.groupSizes(groups), want.groupSizes(groups); !slices.Equal(g, w) {
				t.Fatalf("%s: group sizes %v, rows %v", name, g, w)
			}
			if g, w := got.times(), distinct(want.times()); !slices.Equal(g, w) {
				t.Fatalf("%s: times %v, rows %v", name, g, w)
			}
			if by != "" { // the union's order: reversed
				at := map[string]int{}
				for k, l := range want.labels {
					at[l] = len(want.labels) - 1 - k
				}
				local := make([]int, len(got.labels))
				for g, l := range got.labels {
					local[g] = at[l]
				}
				got.cells.relabel(local, len(local))
				for k, g := range want.rows.Group {
					want.rows.Group[k] = at[want.labels[g]]
				}
			}
			sameSets(t, name+": groups", got.groupRows(groups), want.groupRows(groups))
			for _, grid := range grids {
				g, w := got.count(grid, groups), want.count(grid, groups)
				if !slices.Equal(g.Events, w.Events) || !slices.Equal(g.Leaving, w.Leaving) {
					t.Fatalf("%s, grid %v: counts %v %v, rows %v %v", name, grid, g.Events, g.Leaving, w.Events, w.Leaving)
				}
				gs, ws := got.rowSets(grid, groups), want.rowSets(grid, groups)
				sameSets(t, fmt.Sprintf("%s, grid %v: events", name, grid), gs.events, ws.events)
				sameSets(t, fmt.Sprintf("%s, grid %v: leaving", name, grid), gs.leaving, ws.leaving)
				keep := make([]bool, len(grid))
				for j := range keep {
					keep[j] = j%2 == 0
				}
				ge, gl := gs.merged(keep)
				we, wl := ws.merged(keep)
				sameSets(t, fmt.Sprintf("%s, grid %v: merged events", name, grid), ge, we)
				sameSets(t, fmt.Sprintf("%s, grid %v: merged leaving", name, grid), gl, wl)
			}
		}
	}
	// A time column of many distinct values is read row by row.
	if cells, err := newSurvivalCells(ix, []*stats.Column{col("fine"), col("event")}, ix.cohort(nil, nil)); cells != nil || err != nil {
		t.Errorf("a time column of many values: cells %v, %v", cells != nil, err)
	}
}

// TestSurvivalCellsErrors: a time that is not finite and an event that is
// neither 0 nor 1 are named as the rows name them, the first in row order.
func TestSurvivalCellsErrors(t *testing.T) {
	for _, c := range []struct {
		inf, badEvent int // rows, -1 for none
	}{{5, -1}, {-1, 9}, {12, 3}, {4, 4}, {30, 31}} {
		tab := survCellsTable(100, 2)
		if c.inf >= 0 {
			tab.Columns[0].Num[c.inf] = math.Inf(1)
		}
		if c.badEvent >= 0 {
			tab.Columns[2].Num[c.badEvent] = 2
		}
		cols := []*stats.Column{tab.Columns[0], tab.Columns[2]}
		sel := make([]bool, tab.Rows)
		for i := range sel {
			sel[i] = true
		}
		ix := newRowIndex(tab)
		_, got := newSurvivalCells(ix, cols, ix.cohort(sel, cols))
		_, want := readSurvivalRows(tab, sel, cols, "KaplanMeier")
		if got == nil || want == nil || got.Error() != want.Error() {
			t.Errorf("time Inf at %d, event 2 at %d: %v; rows: %v", c.inf, c.badEvent, got, want)
		}
	}
}

func distinct(x []float64) []float64 {
	out := slices.Clone(x)
	slices.Sort(out)
	return slices.Compact(out)
}

func sameSets(t *testing.T, what string, got, want []*roaring.Bitmap) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d sets, rows %d", what, len(got), len(want))
	}
	for q := range got {
		if !got[q].Equals(want[q]) {
			t.Fatalf("%s: set %d holds %d rows, rows %d", what, q, got[q].GetCardinality(), want[q].GetCardinality())
		}
	}
}

// TestCompleteCount: the cohort of the table's index (the rows selected
// less each column's gaps), which GLM counts its complete rows by, equals
// complete's rows, row by row, with and without a filter.
func TestCompleteCount(t *testing.T) {
	tab := survCellsTable(5000, 4)
	r := rand.New(rand.NewPCG(9, 9))
	filter := make([]bool, tab.Rows)
	for i := range filter {
		filter[i] = r.IntN(2) == 0
	}
	for _, sel := range [][]bool{nil, filter} {
		for k := 1; k <= len(tab.Columns); k++ {
			cols := tab.Columns[:k]
			want := 0
			for i := range tab.Rows {
				if complete(cols, sel, i) {
					want++
				}
			}
			if got := int(newRowIndex(tab).cohort(sel, cols).GetCardinality()); got != want {
				t.Errorf("%d columns, filter %v: %d complete rows, complete says %d", k, sel != nil, got, want)
			}
		}
	}
}
