package node

import (
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
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
			e, _ := newEntry(s, s.GetCardinality(), false)
			if _, dup := t.bySum[e.sum]; !dup {
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
			e, _ := newEntry(s, s.GetCardinality(), false)
			if d := e.card; d+benchMinCell-1 < size || d > size+benchMinCell-1 {
				continue
			}
			if _, dup := t.bySum[e.sum]; !dup {
				t.add(e)
			}
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
