package node

import (
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

const (
	benchRows     = 1_000_000
	benchReleases = 10_000
	benchMinCell  = 5
)

// cohortLike builds a set of about size rows of a benchRows table as a
// filter would select them: a few ranges plus sparse random noise.
func cohortLike(r *rand.Rand, size uint64) *roaring.Bitmap {
	bm := roaring.New()
	k := 1 + r.IntN(8)
	part := size / uint64(k)
	for i := 0; i < k; i++ {
		lo := r.Uint64N(benchRows - part + 1)
		bm.AddRange(lo, lo+part)
	}
	for i := r.IntN(200); i > 0; i-- {
		bm.Add(uint32(r.IntN(benchRows)))
	}
	for i := r.IntN(200); i > 0; i-- {
		bm.Remove(uint32(r.IntN(benchRows)))
	}
	return bm
}

func benchMemory(b *testing.B) *tableMemory {
	m, err := openReleaseMemory(b.TempDir(), map[string]int{"t": benchRows}, benchMinCell, 2*benchReleases)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(m.close)
	return m.tables["t"]
}

func reportBytes(b *testing.B, t *tableMemory) {
	var total uint64
	for _, list := range t.byCard {
		for _, e := range list {
			total += e.rows.GetSerializedSizeInBytes()
		}
	}
	b.ReportMetric(float64(total)/float64(t.count), "B/release")
}

// BenchmarkReleaseCheck measures one check of a new cohort against a
// memory of 10,000 earlier releases of a table of 1,000,000 rows.
func BenchmarkReleaseCheck(b *testing.B) {
	b.Run("typical", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		t := benchMemory(b)
		for t.count < benchReleases {
			s := cohortLike(r, 1000+r.Uint64N(899_001))
			if !t.same(setOf(s), true) {
				e, _ := t.newEntry(setOf(s), false)
				t.add(e)
			}
		}
		sets := []releaseSet{{what: "cohort", rows: cohortLike(r, 1000+r.Uint64N(899_001))}}
		for b.Loop() {
			t.check(sets)
		}
		reportBytes(b, t)
	})
	// Every earlier set lies within min_cell of the new one in size (so
	// each needs an intersection count) and none is near it in rows.
	b.Run("worst", func(b *testing.B) {
		r := rand.New(rand.NewPCG(3, 4))
		t := benchMemory(b)
		const size = 500_000
		news := roaring.New()
		news.AddRange(0, size)
		for t.count < benchReleases {
			off := 5 + r.Uint64N(400_000)
			s := roaring.New()
			holes := uint64(r.IntN(100))
			s.AddRange(off, off+size-(benchMinCell-1)+r.Uint64N(2*benchMinCell-1)+holes)
			for i := holes; i > 0; i-- {
				s.Remove(uint32(off + r.Uint64N(size-benchMinCell)))
			}
			if d := s.GetCardinality(); d+benchMinCell-1 < size || d > size+benchMinCell-1 || t.same(setOf(s), true) {
				continue
			}
			e, _ := t.newEntry(setOf(s), false)
			t.add(e)
		}
		sets := []releaseSet{{what: "cohort", rows: news}}
		if r := t.checkLocked(sets, false); r != nil {
			b.Fatalf("the new set is refused: %s", r.detail)
		}
		for b.Loop() {
			t.check(sets)
		}
		reportBytes(b, t)
	})
}

// wideTable is a table of benchRows rows: age (integers 18..97), bmi
// (continuous) and two categorical columns of ten levels.
func wideTable() *stats.Table {
	r := rand.New(rand.NewPCG(5, 6))
	age := make([]float64, benchRows)
	bmi := make([]float64, benchRows)
	c1 := make([]int32, benchRows)
	c2 := make([]int32, benchRows)
	for i := range benchRows {
		age[i] = float64(18 + r.IntN(80))
		bmi[i] = 18 + 20*r.Float64()
		c1[i], c2[i] = int32(r.IntN(10)), int32(r.IntN(10))
	}
	levels := []string{"L0", "L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8", "L9"}
	return &stats.Table{Name: "t", Rows: benchRows, Columns: []*stats.Column{
		{Name: "age", Kind: stats.Numeric, Num: age},
		{Name: "bmi", Kind: stats.Numeric, Num: bmi},
		{Name: "c1", Kind: stats.Categorical, Cat: c1, Levels: stats.NewLevels(levels)},
		{Name: "c2", Kind: stats.Categorical, Cat: c2, Levels: stats.NewLevels(levels)},
	}}
}

// BenchmarkReleasePlan measures what one node does for a table of counts
// over 1,000,000 rows before any message is sent: the row sets of the
// cohort and of each cell, and their check against the release memory
// (which holds the same table from an earlier run).
func BenchmarkReleasePlan(b *testing.B) {
	t := wideTable()
	ix := newRowIndex(t)
	edges := make([]float64, 101)
	for i := range edges {
		edges[i] = 18 + 0.8*float64(i)
	}
	cases := []struct {
		name, mp string
		ds       DatasetRef
	}{
		{"histogram age 100 bins", "Histogram", DatasetRef{Table: "t", Column: "age"}},
		{"histogram bmi 100 bins", "Histogram", DatasetRef{Table: "t", Column: "bmi"}},
		{"frequency c1", "StatisticsFrequency", DatasetRef{Table: "t", Columns: []string{"c1"}}},
		{"crosstab c1 c2", "StatisticsContingency", DatasetRef{Table: "t", Columns: []string{"c1", "c2"}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			mem := benchMemory(b)
			for b.Loop() {
				plan, err := planRelease(c.mp, t, ix, nil, &c.ds, &params{edges: edges})
				if err != nil {
					b.Fatal(err)
				}
				var sets []releaseSet
				for _, bm := range plan.bins {
					sets = append(sets, releaseSet{what: "bin", rows: bm})
				}
				for _, bm := range plan.cells {
					sets = append(sets, releaseSet{what: "cell", rows: bm})
				}
				for _, bm := range plan.pairs {
					sets = append(sets, releaseSet{what: "cell", rows: bm})
				}
				res, err := mem.reserve(sets)
				if err != nil {
					b.Fatal(err)
				}
				res.commit()
			}
		})
	}
}
