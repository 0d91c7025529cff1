package node

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// randomTable has a column of few values (some missing), one of many
// values (some missing) and a categorical one (some missing).
func randomTable(r *rand.Rand, rows int) *stats.Table {
	few := make([]float64, rows)
	many := make([]float64, rows)
	cat := make([]int32, rows)
	for i := range rows {
		few[i] = float64(r.IntN(30))
		many[i] = math.Round(r.NormFloat64()*1e4) / 100
		cat[i] = int32(r.IntN(4))
		if r.IntN(20) == 0 {
			few[i] = math.NaN()
		}
		if r.IntN(20) == 0 {
			many[i] = math.NaN()
		}
		if r.IntN(20) == 0 {
			cat[i] = -1
		}
	}
	return &stats.Table{Name: "t", Rows: rows, Columns: []*stats.Column{
		{Name: "few", Kind: stats.Numeric, Num: few},
		{Name: "many", Kind: stats.Numeric, Num: many},
		{Name: "cat", Kind: stats.Categorical, Cat: cat, Levels: stats.NewLevels([]string{"a", "b", "c", "d"})},
	}}
}

// TestRowIndexMatchesAPass checks the index's cohorts, bins, groups and
// pairs against a plain pass over the rows, for random filters and edges
// (edges on values, values outside them, a column cut into runs).
func TestRowIndexMatchesAPass(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	tab := randomTable(r, 200_000)
	ix := newRowIndex(tab)
	few, many, cat := tab.Columns[0], tab.Columns[1], tab.Columns[2]
	for trial := range 20 {
		var rows []bool
		if trial%2 == 1 {
			rows = make([]bool, tab.Rows)
			for i := range rows {
				rows[i] = r.IntN(3) > 0
			}
		}
		cols := []*stats.Column{few, many, cat}
		cohort := ix.cohort(rows, cols)
		want := roaring.New()
		for i := range tab.Rows {
			if complete(cols, rows, i) {
				want.Add(uint32(i))
			}
		}
		if !cohort.Equals(want) {
			t.Fatalf("trial %d: cohort of %d rows, a pass finds %d", trial, cohort.GetCardinality(), want.GetCardinality())
		}
		for _, c := range []*stats.Column{few, many} {
			lo := -50 + r.Float64()*40
			edges := []float64{lo}
			for range 1 + r.IntN(40) {
				edges = append(edges, edges[len(edges)-1]+math.Round(r.Float64()*400)/100)
			}
			if trial%3 == 0 {
				edges[1] = c.Num[r.IntN(tab.Rows)] // an edge on a value
				edges = edges[:2]
				edges[0] = math.Min(edges[0], edges[1]-1)
			}
			got := ix.bins(c, cohort, edges)
			for b := range got {
				want := roaring.New()
				eachRow(cohort, func(i uint32) {
					v := c.Num[i]
					last := b == len(edges)-2
					if v >= edges[b] && (v < edges[b+1] || last && v == edges[b+1]) {
						want.Add(i)
					}
				})
				if !got[b].Equals(want) {
					t.Fatalf("trial %d, column %s, bin %d [%v, %v]: %d rows, a pass finds %d", trial, c.Name, b, edges[b], edges[b+1], got[b].GetCardinality(), want.GetCardinality())
				}
			}
		}
		names, groups, _ := ix.groups(few, cohort)
		_, namesC, pairs, _ := ix.pairs(few, cat, cohort)
		for g, name := range names {
			want := roaring.New()
			eachRow(cohort, func(i uint32) {
				if strconv.FormatFloat(few.Num[i], 'f', -1, 64) == name {
					want.Add(i)
				}
			})
			if got := orEmpty(groups[g]); !got.Equals(want) {
				t.Fatalf("trial %d: group %s: %d rows, a pass finds %d", trial, name, got.GetCardinality(), want.GetCardinality())
			}
			for j, level := range namesC {
				both := roaring.And(want, orEmpty(ix.column(cat).rows[j]))
				if got := orEmpty(pairs[g*len(namesC)+j]); !got.Equals(both) {
					t.Fatalf("trial %d: pair %s/%s: %d rows, a pass finds %d", trial, name, level, got.GetCardinality(), both.GetCardinality())
				}
			}
		}
	}
}
