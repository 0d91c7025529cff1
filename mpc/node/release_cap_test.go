package node

import (
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestReleaseMemoryCap pins policy.max_releases: once the memory holds
// that many sets, a new set is refused (nothing released that is not
// remembered), a repeat of a remembered set still passes, and the count
// survives a restart.
func TestReleaseMemoryCap(t *testing.T) {
	dir := t.TempDir()
	open := func() *tableMemory {
		m, err := openReleaseMemory(dir, map[string]int{"t": 1000}, 5, 3)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.close)
		return m.tables["t"]
	}
	set := func(lo, hi uint64) []releaseSet {
		bm := roaring.New()
		bm.AddRange(lo, hi)
		return []releaseSet{{what: "cohort", rows: bm}}
	}
	mem := open()
	for i := range uint64(3) {
		res, err := mem.reserve(set(0, 100+100*i))
		if err != nil {
			t.Fatalf("release %d of 3: %v", i+1, err)
		}
		if err := res.commit(); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []*tableMemory{mem, open()} {
		if _, err := m.reserve(set(0, 700)); err == nil || !strings.Contains(err.Error(), "max_releases") {
			t.Errorf("a fourth set with max_releases = 3: %v, want a refusal naming max_releases", err)
		}
		if m.count != 3 {
			t.Errorf("the memory holds %d sets, want 3", m.count)
		}
		res, err := m.reserve(set(0, 200))
		if err != nil {
			t.Errorf("a repeat of a remembered set is refused: %v", err)
		} else {
			res.cancel()
		}
	}
}
