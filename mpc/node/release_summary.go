package node

import "encoding/binary"

// Summaries in the release memory: a set kept as its size, sketch and the
// keyed hash of its rows (see memoryEntry), and how a set is found equal
// to an entry of either kind.

// summaryBytes is a summary record's size: size, hash and sketch.
const summaryBytes = 16 + 4*sketchBlocks

// encodeSummary is e's summary record.
func (e *memoryEntry) encodeSummary() []byte {
	b := make([]byte, 0, summaryBytes)
	b = binary.LittleEndian.AppendUint64(b, e.card)
	b = binary.LittleEndian.AppendUint64(b, e.hash)
	for _, c := range e.blocks {
		b = binary.LittleEndian.AppendUint32(b, c)
	}
	return b
}

// decodeSummary reads a summary record into e: false when it is not one.
func (e *memoryEntry) decodeSummary(b []byte) bool {
	if len(b) != summaryBytes {
		return false
	}
	e.card, e.hash, e.hashed = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), true
	var sum uint64
	for i := range e.blocks {
		e.blocks[i] = binary.LittleEndian.Uint32(b[16+4*i:])
		sum += uint64(e.blocks[i])
	}
	return sum == e.card
}

// entryHash is the hash of an entry's rows under the table's key.
func (t *tableMemory) entryHash(e *memoryEntry) uint64 {
	if !e.hashed {
		e.hash, e.hashed = hashRows(e.rows, t.key), true
	}
	return e.hash
}

// equal says whether s holds exactly e's rows: row by row when both are
// bitmaps, else by their hashes (no union is built for it).
func (t *tableMemory) equal(s *rowSet, e *memoryEntry) bool {
	if s.card != e.card {
		return false
	}
	if s.head == nil && e.rows != nil {
		return s.bm.Equals(e.rows)
	}
	return s.rowHash(t.key) == t.entryHash(e)
}

// sameEntry says whether two entries of one kind hold the same rows.
func sameEntry(a, b *memoryEntry) bool {
	switch {
	case a.card != b.card || (a.rows == nil) != (b.rows == nil):
		return false
	case a.rows != nil:
		return a.rows.Equals(b.rows)
	}
	return a.hash == b.hash
}
