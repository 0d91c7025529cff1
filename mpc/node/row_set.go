package node

import (
	"github.com/RoaringBitmap/roaring/v2"
)

// rowSet is a row set as the release memory reads it: a bitmap, or the
// union of disjoint bitmaps (the rows at risk at a point of a survival
// curve are the leavers of that interval and of every later one). A union
// is its first part and the union of the others, which the rows at risk
// at the next point share, and its size, sketch and hash come from its
// parts, each read once; the union itself is built only when it is
// stored or compared with a set row by row.
//
// A difference, a set less a subset of it (a table's total less one of its
// cells), reads the same way: its size, sketch and hash are those of the
// set less those of the subset.
type rowSet struct {
	bm          *roaring.Bitmap // the set; for a union or a difference, nil until built
	head        *roaring.Bitmap // a union's first part
	tail        *rowSet         // the union of its other parts, or nil
	whole, less *rowSet         // a difference: whole less its subset less
	card        uint64
	sk          *[sketchBlocks]uint32
	hash        uint64
	hashed      bool
}

// setOf is the row set of a bitmap.
func setOf(bm *roaring.Bitmap) *rowSet {
	return &rowSet{bm: bm, card: bm.GetCardinality()}
}

// after is the union of part, disjoint from s, and s (s may be nil).
func (s *rowSet) after(part *roaring.Bitmap) *rowSet {
	u := &rowSet{head: part, tail: s, card: part.GetCardinality()}
	if s != nil {
		u.card += s.card
	}
	return u
}

// minus is s less its subset sub.
func (s *rowSet) minus(sub *rowSet) *rowSet {
	return &rowSet{whole: s, less: sub, card: s.card - sub.card}
}

// plain says whether the set is a bitmap, not a union or difference.
func (s *rowSet) plain() bool { return s.head == nil && s.whole == nil }

// rows returns the set as a bitmap, building a union or difference the
// first time.
func (s *rowSet) rows() *roaring.Bitmap {
	if s.bm == nil && s.whole != nil {
		s.bm = roaring.AndNot(s.whole.rows(), s.less.rows())
	}
	if s.bm == nil {
		var parts []*roaring.Bitmap
		for u := s; u != nil; u = u.tail {
			parts = append(parts, u.head)
		}
		s.bm = roaring.FastOr(parts...)
	}
	return s.bm
}

// sketch is the set's sketch in a table of n rows: a union's is the sum
// of its parts'.
func (s *rowSet) sketch(n uint64) *[sketchBlocks]uint32 {
	if s.sk == nil {
		switch {
		case s.whole != nil:
			v := *s.whole.sketch(n)
			for b, c := range s.less.sketch(n) {
				v[b] -= c
			}
			s.sk = &v
		case s.head == nil:
			v := sketch(s.bm, n)
			s.sk = &v
		default:
			v := sketch(s.head, n)
			if s.tail != nil {
				for b, c := range s.tail.sketch(n) {
					v[b] += c
				}
			}
			s.sk = &v
		}
	}
	return s.sk
}

// rowHash is the hash of the set's rows under key: a union's is the sum
// of its parts'. A set is hashed under one key only (its table's).
func (s *rowSet) rowHash(key uint64) uint64 {
	if !s.hashed {
		switch {
		case s.whole != nil:
			s.hash = s.whole.rowHash(key) - s.less.rowHash(key)
		case s.head == nil:
			s.hash = hashRows(s.bm, key)
		default:
			s.hash = hashRows(s.head, key)
			if s.tail != nil {
				s.hash += s.tail.rowHash(key)
			}
		}
		s.hashed = true
	}
	return s.hash
}

// hashRows is the sum, modulo 2⁶⁴, of a keyed mix of each row, so that the
// hash of a union of disjoint sets is the sum of theirs, and no one who
// does not know the key can choose two row sets whose hashes agree (a
// chance of 2⁻⁶⁴ for two different sets).
func hashRows(bm *roaring.Bitmap, key uint64) uint64 {
	var sum uint64
	buf := make([]uint32, 4096)
	it := bm.ManyIterator()
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, r := range buf[:n] {
			z := uint64(r) ^ key
			z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
			z = (z ^ z>>27) * 0x94d049bb133111eb
			sum += z ^ z>>31
		}
	}
	return sum
}
