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
		res.commit()
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

// TestReservedIsRemembered: a set is on disk from its reservation on, so a
// node that dies in the middle of a computation (no commit, no cancel)
// still refuses a set near it after a restart; a cancelled reservation
// comes back as a probe.
func TestReservedIsRemembered(t *testing.T) {
	dir := t.TempDir()
	open := func() (*releaseMemory, *tableMemory) {
		m, err := openReleaseMemory(dir, map[string]int{"t": 1000}, 5, 100)
		if err != nil {
			t.Fatal(err)
		}
		return m, m.tables["t"]
	}
	rows := func(lo, hi uint64) []releaseSet {
		bm := roaring.New()
		bm.AddRange(lo, hi)
		return []releaseSet{{what: "cohort", rows: bm}}
	}
	m, mem := open()
	if _, err := mem.reserve(rows(0, 500)); err != nil { // then the node dies
		t.Fatal(err)
	}
	res, err := mem.reserve(rows(600, 800))
	if err != nil {
		t.Fatal(err)
	}
	res.cancel()
	m.close()

	m, mem = open()
	defer m.close()
	if _, err := mem.reserve(rows(0, 502)); err == nil {
		t.Errorf("a set 2 rows from one reserved before a crash was accepted after the restart")
	}
	if r := mem.checkLocked(rows(600, 801), false); r == nil || !strings.Contains(r.analyst, "asked for") {
		t.Errorf("a set 1 row from a cancelled reservation: %v, want a refusal naming a set asked for", r)
	}
}
