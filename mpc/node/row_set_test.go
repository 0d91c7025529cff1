package node

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// unionSet is the row set of the union of disjoint bitmaps (at least one).
func unionSet(parts []*roaring.Bitmap) *rowSet {
	var s *rowSet
	for i := len(parts) - 1; i >= 0; i-- {
		s = s.after(parts[i])
	}
	return s
}

// randomParts splits rows 0..n-1 at random into k disjoint parts and a
// rest that is in none.
func randomParts(r *rand.Rand, n uint32, k int) []*roaring.Bitmap {
	parts := make([]*roaring.Bitmap, k)
	for i := range parts {
		parts[i] = roaring.New()
	}
	for row := range n {
		if j := r.IntN(k + 1); j < k {
			parts[j].Add(row)
		}
	}
	return parts
}

// swapOne returns bm with one of its rows swapped for one it lacks: the
// same size, other rows.
func swapOne(r *rand.Rand, bm *roaring.Bitmap) *roaring.Bitmap {
	out := bm.Clone()
	x, _ := out.Select(uint32(r.Uint64N(out.GetCardinality())))
	out.Remove(x)
	for y := uint32(0); ; y++ {
		if !bm.Contains(y) {
			out.Add(y)
			return out
		}
	}
}

// A union of disjoint parts, or a difference, reads as the bitmap of its rows would: the same
// size, sketch and intersections, equal to an entry of exactly its rows
// (kept as rows or as a summary) and to no other entry of its size,
// without the union being built for any of that but the intersections.
func TestUnionSetReadsAsItsRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 200_000
	m, err := openReleaseMemory(t.TempDir(), map[string]int{"t": n}, 5, 100)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.close)
	mem := m.tables["t"]
	for trial := range 30 {
		parts := randomParts(r, n, 1+r.IntN(8))
		u := unionSet(parts)
		whole := roaring.FastOr(parts...)
		if u.card != whole.GetCardinality() || *u.sketch(n) != sketch(whole, n) {
			t.Fatalf("trial %d: size %d, sketch of the parts differ from the union's", trial, u.card)
		}
		same, _ := mem.newEntry(setOf(whole), false)
		other, _ := mem.newEntry(setOf(swapOne(r, whole)), false)
		summary, _ := mem.newEntry(unionSet(parts), false)
		otherSummary, _ := mem.newEntry(unionSet(append([]*roaring.Bitmap{swapOne(r, parts[0])}, parts[1:]...)), false)
		if summary.rows != nil || same.rows == nil {
			t.Fatalf("trial %d: a union is kept as rows, or a bitmap as a summary", trial)
		}
		for _, c := range []struct {
			e    *memoryEntry
			want bool
		}{{same, true}, {other, false}, {summary, true}, {otherSummary, false}} {
			if got := mem.equal(u, c.e); got != c.want {
				t.Fatalf("trial %d: equal to an entry (summary %v) = %v, want %v", trial, c.e.rows == nil, got, c.want)
			}
		}
		if !mem.equal(setOf(whole), summary) || mem.equal(setOf(other.rows), summary) {
			t.Fatalf("trial %d: a bitmap against the union's summary", trial)
		}
		if u.bm != nil {
			t.Fatalf("trial %d: the union was built to compare it", trial)
		}
		if got, want := u.rows().AndCardinality(other.rows), whole.AndCardinality(other.rows); got != want {
			t.Fatalf("trial %d: intersection %d, want %d", trial, got, want)
		}
		// The total less its first part, as a difference, reads as the
		// rest of the parts.
		rest := roaring.AndNot(whole, parts[0])
		d := setOf(whole).minus(setOf(parts[0]))
		restEntry, _ := mem.newEntry(setOf(rest), false)
		if d.card != rest.GetCardinality() || *d.sketch(n) != sketch(rest, n) || !mem.equal(d, restEntry) || mem.equal(d, same) {
			t.Fatalf("trial %d: a difference does not read as its rows", trial)
		}
		if !d.rows().Equals(rest) {
			t.Fatalf("trial %d: a difference builds other rows", trial)
		}
	}
}

// TestSummariesAreRemembered: a union released is kept as a summary, on
// disk with its table's hash key. After a restart the same rows (as a
// union or as a bitmap) count as released before, and a set a few rows
// off, union or bitmap, is refused as near it; a set far from it passes;
// a cancelled union comes back as a probe.
func TestSummariesAreRemembered(t *testing.T) {
	const n = 5000
	dir := t.TempDir()
	open := func() *tableMemory {
		m, err := openReleaseMemory(dir, map[string]int{"t": n}, 5, 100)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.close)
		return m.tables["t"]
	}
	r := rand.New(rand.NewPCG(9, 10))
	parts := randomParts(r, n, 4)
	mem := open()
	res, err := mem.reserve([]releaseSet{{what: "interval 0 of group all (at risk)", set: unionSet(parts)}})
	if err != nil {
		t.Fatal(err)
	}
	res.commit()
	cancelled := randomParts(r, n, 3)
	res, err = mem.reserve([]releaseSet{{what: "interval 1 of group all (at risk)", set: unionSet(cancelled)}})
	if err != nil {
		t.Fatal(err)
	}
	res.cancel()
	key := mem.key
	mem = open()
	if mem.key != key || mem.count != 2 {
		t.Fatalf("after a restart: key kept %v, %d sets, want 2", mem.key == key, mem.count)
	}
	whole := roaring.FastOr(parts...)
	if released, _ := mem.match(setOf(whole)); !released {
		t.Errorf("the rows of a released union, as a bitmap, are not known as released")
	}
	if released, _ := mem.match(unionSet(parts)); !released {
		t.Errorf("a released union, again, is not known as released")
	}
	if released, held := mem.match(unionSet(cancelled)); released || !held {
		t.Errorf("a cancelled union: released %v, remembered %v; want a probe", released, held)
	}
	off := whole.Clone()
	for k := 0; k < 2; k++ {
		x, _ := off.Select(uint32(r.Uint64N(off.GetCardinality())))
		off.Remove(x)
	}
	if why, _ := mem.conflict(setOf(off), false); why != "near" {
		t.Errorf("a bitmap 2 rows off a released union: %q, want near", why)
	}
	offParts := append([]*roaring.Bitmap{roaring.AndNot(parts[0], roaring.BitmapOf(parts[0].Minimum()))}, parts[1:]...)
	if why, _ := mem.conflict(unionSet(offParts), false); why != "near" {
		t.Errorf("a union 1 row off a released union: %q, want near", why)
	}
	far := roaring.New()
	far.AddRange(0, whole.GetCardinality())
	if why, _ := mem.conflict(setOf(far), false); why != "" {
		t.Errorf("a set of the same size far from the union: %q, want none", why)
	}
}

// FuzzReleaseRecord: reading a record of a release memory file, whatever
// its bytes, never panics, and what it reads back is consistent: a
// bitmap's size is its rows', a summary's its sketch's.
func FuzzReleaseRecord(f *testing.F) {
	m, err := openReleaseMemory(f.TempDir(), map[string]int{"t": 1000}, 5, 100)
	if err != nil {
		f.Fatal(err)
	}
	defer m.close()
	mem := m.tables["t"]
	bm := roaring.BitmapOf(1, 5, 900)
	for _, s := range []*rowSet{setOf(bm), unionSet([]*roaring.Bitmap{bm, roaring.BitmapOf(7)})} {
		e, data := mem.newEntry(s, false)
		if err := mem.writeEntry(e, kindRelease, data); err != nil {
			f.Fatal(err)
		}
	}
	file, err := os.ReadFile(mem.path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(file[len(memoryMagic):])
	f.Add([]byte{kindSummary, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x1f})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			e, kind, _, err := readEntry(r)
			if err != nil {
				return
			}
			switch {
			case kind == kindKey:
			case e.rows != nil && e.card != e.rows.GetCardinality():
				t.Fatalf("a bitmap of %d rows read as %d", e.rows.GetCardinality(), e.card)
			case e.rows == nil && kind < kindSummary:
				t.Fatalf("a record of kind %d read as a summary", kind)
			}
		}
	})
}
