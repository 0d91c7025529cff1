package stats

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Frequencies returns the pooled number of the parties' values equal to
// each of levels (the public list of categories of a node-held column), in
// the order of levels. A value that is not among the levels is an error
// naming it; levels must be distinct, at least one.
//
// Every party counts its own values and calls c.Check("cell", counts) on
// those local counts before contributing them (so its disclosure rule can
// refuse, stopping every party); then one Sum adds the counts. The deciding
// parties get the pooled counts, the others nil. Revealed: the pooled count
// of each level, to the deciding parties; nothing of any one party's counts.
func Frequencies(ctx context.Context, c Combiner, values []string, levels []string) ([]float64, error) {
	index, err := freqIndex("frequencies", "levels", levels)
	if err != nil {
		return nil, err
	}
	counts := make([]float64, len(levels))
	for i, v := range values {
		j, ok := index[v]
		if !ok {
			return nil, fmt.Errorf("frequencies: value %d (%q) is not among the %d levels", i, v, len(levels))
		}
		counts[j]++
	}
	return freqSum(ctx, c, counts, "frequencies")
}

// Contingency returns the pooled contingency table of the parties' pairs
// (a[i], b[i]): counts[i][j] is the number of rows with a == levelsA[i] and
// b == levelsB[j]. a and b are one party's two columns, equally long; a
// value that is not among its levels is an error naming it. As Frequencies,
// each party calls c.Check("cell", counts) on its own cells (row by row)
// before one Sum; the deciding parties get the table, the others nil.
// Revealed: the pooled count of every cell, to the deciding parties.
func Contingency(ctx context.Context, c Combiner, a, b []string, levelsA, levelsB []string) ([][]float64, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("contingency: %d values in the first column but %d in the second", len(a), len(b))
	}
	ia, err := freqIndex("contingency", "first column's levels", levelsA)
	if err != nil {
		return nil, err
	}
	ib, err := freqIndex("contingency", "second column's levels", levelsB)
	if err != nil {
		return nil, err
	}
	nb := len(levelsB)
	flat := make([]float64, len(levelsA)*nb)
	for i := range a {
		ja, ok := ia[a[i]]
		if !ok {
			return nil, fmt.Errorf("contingency: row %d: value %q of the first column is not among its %d levels", i, a[i], len(levelsA))
		}
		jb, ok := ib[b[i]]
		if !ok {
			return nil, fmt.Errorf("contingency: row %d: value %q of the second column is not among its %d levels", i, b[i], len(levelsB))
		}
		flat[ja*nb+jb]++
	}
	tot, err := freqSum(ctx, c, flat, "contingency")
	if err != nil || tot == nil {
		return nil, err
	}
	out := make([][]float64, len(levelsA))
	for i := range out {
		out[i] = tot[i*nb : (i+1)*nb : (i+1)*nb]
	}
	return out, nil
}

// freqIndex maps distinct levels to their positions.
func freqIndex(what, name string, levels []string) (map[string]int, error) {
	if len(levels) == 0 {
		return nil, fmt.Errorf("%s: no %s", what, name)
	}
	index := make(map[string]int, len(levels))
	for i, l := range levels {
		if j, dup := index[l]; dup {
			return nil, fmt.Errorf("%s: %s: %q is both level %d and level %d", what, name, l, j, i)
		}
		index[l] = i
	}
	return index, nil
}

// freqSum checks a party's cells and adds them up.
func freqSum(ctx context.Context, c Combiner, counts []float64, what string) ([]float64, error) {
	if err := c.Check("cell", counts); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	tot, err := c.Sum(ctx, counts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if tot == nil {
		return nil, nil
	}
	if len(tot) != len(counts) {
		return nil, fmt.Errorf("%s: %d pooled counts for %d cells", what, len(tot), len(counts))
	}
	for i, v := range tot {
		tot[i] = math.Round(v)
	}
	return tot, nil
}

// The label union's table. Each slot holds an indicator, the label (its
// length byte, then its bytes) packed labelChunkBytes bytes an element, and
// a checksum. Five bytes an element keep every pooled element below 2^46
// with up to 64 parties, so it is exact in the fixed-point sum and in a
// float64.
var (
	// labelUnionSlots is the number of slots of the first table (tests
	// make it small to force collisions).
	labelUnionSlots = 4096
	// labelUnionRetryMax is the most slots of a retry table.
	labelUnionRetryMax = 1 << 18
)

const (
	labelMaxBytes      = 64   // bytes of one label
	labelMaxPerParty   = 1024 // distinct labels of one party
	labelChunkBytes    = 5
	labelChunks        = (1 + labelMaxBytes + labelChunkBytes - 1) / labelChunkBytes
	labelWidth         = 1 + labelChunks + 1 // elements of a slot
	labelCheckBits     = 40
	labelAttempts      = 8 // tables, the first included
	labelMinRetrySlots = 64
	labelDecideBytes   = 6 // bytes of a label an element of the final decision

	labelStatusDone  = 0
	labelStatusRetry = 1
	labelStatusFail  = -1
)

// labelHash returns a label's slot in a table of slots slots and its
// checksum, under the hash key of the attempt (0 for the first table; every
// party uses the same sequence).
func labelHash(attempt, slots int, label string) (slot int, check uint64) {
	h := sha256.New()
	var a [8]byte
	binary.BigEndian.PutUint64(a[:], uint64(attempt))
	h.Write([]byte("fsc-kernel label union v1\x00"))
	h.Write(a[:])
	h.Write([]byte(label))
	var sum [sha256.Size]byte
	d := h.Sum(sum[:0])
	return int(binary.BigEndian.Uint64(d[0:8]) % uint64(slots)), binary.BigEndian.Uint64(d[8:16]) >> (64 - labelCheckBits)
}

// labelPack writes a label's length and bytes into chunks.
func labelPack(label string) [labelChunks]uint64 {
	var buf [labelChunks * labelChunkBytes]byte
	buf[0] = byte(len(label))
	copy(buf[1:], label)
	var out [labelChunks]uint64
	for i := range out {
		for _, b := range buf[i*labelChunkBytes : (i+1)*labelChunkBytes] {
			out[i] = out[i]<<8 | uint64(b)
		}
	}
	return out
}

// labelUnpack reads a label back from chunks.
func labelUnpack(chunks []uint64) (string, bool) {
	var buf [labelChunks * labelChunkBytes]byte
	for i, c := range chunks {
		if c>>(8*labelChunkBytes) != 0 {
			return "", false
		}
		for j := labelChunkBytes - 1; j >= 0; j-- {
			buf[i*labelChunkBytes+j] = byte(c)
			c >>= 8
		}
	}
	n := int(buf[0])
	if n > labelMaxBytes {
		return "", false
	}
	for _, b := range buf[1+n:] {
		if b != 0 {
			return "", false
		}
	}
	return string(buf[1 : 1+n]), true
}

// LabelUnion returns the union of the parties' labels, sorted, at every
// party: the categories of client-supplied data, which nobody knows in
// advance. Each party passes its own labels (repeats are ignored); a label
// longer than 64 bytes, or more than 1024 distinct labels, is an error.
//
// One Sum does it: every party writes each of its labels into a slot of a
// table (sized first: one Sum of the parties' label counts and a Decide of
// the size, 8 slots a label, from 64 to 4096) chosen by a keyed hash of the label, as an indicator, the
// label's bytes packed into integers, and a 40-bit checksum (the parties'
// contributions are added securely). A slot that k parties' copies of one
// label fell into sums to k and k times the label's elements, so dividing
// gives the label back. A slot where different labels met does not decode
// to a label with a matching checksum and hash; the labels of such slots
// (and only those) are written again into a fresh table (sized for the
// few labels left) under the next hash key, every party taking the same key sequence, until no slot
// collides (at most 7 retries, each one more Sum and Decide). When some
// parties do not decide, the deciding party then Decides the union so that
// every party has it: 4 calls in all without collisions.
//
// Revealed: the union of the labels and, to the deciding parties, how many
// parties hold each label (and, in a retry, the slots where labels met,
// which follow from the union). Which party holds a label, and how many
// rows carry it, are not revealed.
func LabelUnion(ctx context.Context, c Combiner, labels []string) ([]string, error) {
	own := slices.Clone(labels)
	slices.Sort(own)
	own = slices.Compact(own)
	if len(own) > labelMaxPerParty {
		return nil, fmt.Errorf("label union: %d distinct labels: at most %d are allowed", len(own), labelMaxPerParty)
	}
	for _, l := range own {
		if len(l) > labelMaxBytes {
			return nil, fmt.Errorf("label union: label %.20q… is %d bytes long: at most %d are allowed", l, len(l), labelMaxBytes)
		}
	}
	var dec *labelDecider
	if c.Decider() {
		dec = &labelDecider{holders: map[string]int{}}
	}
	// The first table is sized to the labels there are: one round that
	// adds the parties' label counts (at most 8 slots a label, so that few
	// collide) saves megabytes of table when labels are few.
	size, err := c.Sum(ctx, []float64{float64(len(own))})
	if err != nil {
		return nil, fmt.Errorf("label union: sizing: %w", err)
	}
	var sized []float64
	if c.Decider() {
		slots := 64
		for slots < 8*int(size[0]) && slots < labelUnionSlots {
			slots *= 2
		}
		sized = []float64{float64(min(slots, labelUnionSlots))}
	}
	if sized, err = c.Decide(ctx, sized); err != nil {
		return nil, fmt.Errorf("label union: sizing decision: %w", err)
	}
	if len(sized) != 1 || sized[0] < 1 || sized[0] > float64(labelUnionSlots) || sized[0] != math.Trunc(sized[0]) {
		return nil, fmt.Errorf("label union: malformed table size %v from the deciding party", sized)
	}
	pending, slots := own, int(sized[0])
	for attempt := 0; ; attempt++ {
		vec := make([]float64, slots*labelWidth)
		where := make([]int, len(pending))
		for i, l := range pending {
			s, check := labelHash(attempt, slots, l)
			where[i] = s
			base := s * labelWidth
			vec[base]++
			for j, ch := range labelPack(l) {
				vec[base+1+j] += float64(ch)
			}
			vec[base+1+labelChunks] += float64(check)
		}
		tot, err := c.Sum(ctx, vec)
		if err != nil {
			return nil, fmt.Errorf("label union: table %d: %w", attempt+1, err)
		}
		var decision []float64
		var decErr error
		if dec != nil {
			decision, decErr = dec.step(tot, attempt, slots)
			if decErr != nil {
				decision = []float64{labelStatusFail}
			}
		}
		d, err := c.Decide(ctx, decision)
		if decErr != nil {
			return nil, decErr
		}
		if err != nil {
			return nil, fmt.Errorf("label union: table %d decision: %w", attempt+1, err)
		}
		if len(d) == 0 {
			return nil, fmt.Errorf("label union: table %d: empty decision from the deciding party", attempt+1)
		}
		switch d[0] {
		case labelStatusDone:
			union, err := labelDecodeUnion(d)
			if err != nil {
				return nil, fmt.Errorf("label union: malformed union from the deciding party: %w", err)
			}
			return union, nil
		case labelStatusFail:
			return nil, fmt.Errorf("label union: the deciding party stopped (colliding or inconsistent table)")
		case labelStatusRetry:
		default:
			return nil, fmt.Errorf("label union: table %d: unknown decision status %v", attempt+1, d[0])
		}
		next, collided, err := labelParseRetry(d)
		if err != nil {
			return nil, fmt.Errorf("label union: table %d: malformed retry decision: %w", attempt+1, err)
		}
		var again []string
		for i, l := range pending {
			if collided[where[i]] {
				again = append(again, l)
			}
		}
		pending, slots = again, next
	}
}

// labelParseRetry reads a retry decision: [status, next slots, m, m slots].
func labelParseRetry(d []float64) (next int, collided map[int]bool, err error) {
	if len(d) < 3 || d[1] != math.Trunc(d[1]) || d[1] < 1 || d[1] > float64(labelUnionRetryMax) ||
		d[2] != math.Trunc(d[2]) || d[2] < 1 || int(d[2]) != len(d)-3 {
		return 0, nil, fmt.Errorf("bad header %v", d[:min(3, len(d))])
	}
	collided = make(map[int]bool, len(d)-3)
	for _, s := range d[3:] {
		if s != math.Trunc(s) || s < 0 || s >= 1<<31 {
			return 0, nil, fmt.Errorf("bad slot %v", s)
		}
		collided[int(s)] = true
	}
	return int(d[1]), collided, nil
}

// labelDecider is the deciding party's side of the label union.
type labelDecider struct {
	holders map[string]int // label -> number of parties that hold it
}

// step decodes a pooled table and decides: the union, or a retry of the
// slots where labels collided.
func (d *labelDecider) step(tot []float64, attempt, slots int) ([]float64, error) {
	if len(tot) != slots*labelWidth {
		return nil, fmt.Errorf("label union: table %d: %d pooled elements, want %d", attempt+1, len(tot), slots*labelWidth)
	}
	var collided []float64
	used := 0 // copies of labels in collided slots
	var chunks [labelChunks]uint64
	for s := range slots {
		cell := tot[s*labelWidth : (s+1)*labelWidth]
		k, ok := labelInt(cell[0])
		if !ok {
			return nil, fmt.Errorf("label union: table %d: slot %d: indicator %v is not a count", attempt+1, s, cell[0])
		}
		if k == 0 {
			for _, v := range cell {
				if v != 0 {
					return nil, fmt.Errorf("label union: table %d: slot %d holds bytes but no label", attempt+1, s)
				}
			}
			continue
		}
		label, ok := labelDecode(cell, k, attempt, slots, s, chunks[:])
		if !ok {
			collided = append(collided, float64(s))
			used += int(k)
			continue
		}
		if _, dup := d.holders[label]; dup {
			return nil, fmt.Errorf("label union: table %d: label %q decoded twice", attempt+1, label)
		}
		d.holders[label] = int(k)
	}
	if len(collided) == 0 {
		union := make([]string, 0, len(d.holders))
		for l := range d.holders {
			union = append(union, l)
		}
		slices.Sort(union)
		return labelEncodeUnion(union), nil
	}
	if attempt+1 >= labelAttempts {
		return nil, fmt.Errorf("label union: labels still collide in %d slots after %d tables", len(collided), labelAttempts)
	}
	// A table of about 8·used² slots makes a new collision unlikely when
	// few labels are left; when many are, up to 4096 slots or 4·used (so
	// that about a quarter of them collide again, at most).
	limit := max(4096, 4*used)
	next := labelMinRetrySlots
	for next < limit && next < 8*used*used {
		next *= 2
	}
	next = max(1, min(next, labelUnionRetryMax))
	return append([]float64{labelStatusRetry, float64(next), float64(len(collided))}, collided...), nil
}

// labelDecode reads the label of a slot that k copies fell into; false
// when different labels met there.
func labelDecode(cell []float64, k uint64, attempt, slots, s int, chunks []uint64) (string, bool) {
	for i := range chunks {
		v, ok := labelInt(cell[1+i])
		if !ok || v%k != 0 {
			return "", false
		}
		chunks[i] = v / k
	}
	label, ok := labelUnpack(chunks)
	if !ok {
		return "", false
	}
	slot, check := labelHash(attempt, slots, label)
	sum, ok := labelInt(cell[1+labelChunks])
	return label, ok && slot == s && sum == k*check
}

// labelInt reads a pooled non-negative integer.
func labelInt(v float64) (uint64, bool) {
	r := math.Round(v)
	if r < 0 || r >= 1<<53 || math.Abs(r-v) > 1e-6 {
		return 0, false
	}
	return uint64(r), true
}

// labelEncodeUnion writes the union as a decision: [status, count, then
// each label's length and its bytes, 6 an element].
func labelEncodeUnion(union []string) []float64 {
	out := []float64{labelStatusDone, float64(len(union))}
	for _, l := range union {
		out = append(out, float64(len(l)))
		for i := 0; i < len(l); i += labelDecideBytes {
			var e uint64
			for j := i; j < i+labelDecideBytes; j++ {
				e <<= 8
				if j < len(l) {
					e |= uint64(l[j])
				}
			}
			out = append(out, float64(e))
		}
	}
	return out
}

// labelDecodeUnion reads a union decision.
func labelDecodeUnion(d []float64) ([]string, error) {
	if len(d) < 2 || d[1] != math.Trunc(d[1]) || d[1] < 0 || d[1] > float64(len(d)) {
		return nil, fmt.Errorf("bad label count")
	}
	n := int(d[1])
	union := make([]string, 0, n)
	pos := 2
	for range n {
		if pos >= len(d) {
			return nil, fmt.Errorf("%d elements for %d labels", len(d), n)
		}
		size := d[pos]
		if size != math.Trunc(size) || size < 0 || size > labelMaxBytes {
			return nil, fmt.Errorf("bad label length %v", size)
		}
		pos++
		l := int(size)
		elems := (l + labelDecideBytes - 1) / labelDecideBytes
		if pos+elems > len(d) {
			return nil, fmt.Errorf("%d elements for %d labels", len(d), n)
		}
		buf := make([]byte, 0, elems*labelDecideBytes)
		for _, e := range d[pos : pos+elems] {
			if e != math.Trunc(e) || e < 0 || e >= 1<<(8*labelDecideBytes) {
				return nil, fmt.Errorf("bad label element %v", e)
			}
			u := uint64(e)
			for j := labelDecideBytes - 1; j >= 0; j-- {
				buf = append(buf, byte(u>>(8*j)))
			}
		}
		pos += elems
		union = append(union, string(buf[:l]))
	}
	if pos != len(d) {
		return nil, fmt.Errorf("%d elements left over", len(d)-pos)
	}
	return union, nil
}

// FrequencyResult is a table of pooled counts of one categorical
// variable: Counts[i] is the count of Labels[i], NaN where a count is
// withheld (a suppressed cell). Mode is the index of the largest count
// (ties go to the label first in Labels), -1 when no count is positive.
type FrequencyResult struct {
	Labels []string
	Counts []float64
	Mode   int
}

// FrequencyTable returns the FrequencyResult of labels and their pooled
// counts (as Frequencies gives them). Counts beyond the labels, or labels
// beyond the counts, are ignored.
func FrequencyTable(labels []string, counts []float64) *FrequencyResult {
	n := min(len(labels), len(counts))
	r := &FrequencyResult{Labels: labels[:n], Counts: counts[:n], Mode: -1}
	best := 0.0
	for i, c := range r.Counts {
		if c > best {
			best, r.Mode = c, i
		}
	}
	return r
}

// ContingencyResult is a table of pooled counts of two categorical
// variables: Counts[i][j] is the count of rows with Rows[i] and Cols[j],
// NaN where a count is withheld (a suppressed cell). ModeRow and ModeCol
// index the largest cell (ties go to the cell first in row-major order),
// both -1 when no count is positive.
type ContingencyResult struct {
	Rows, Cols       []string
	Counts           [][]float64
	ModeRow, ModeCol int
}

// ContingencyTable returns the ContingencyResult of the levels of the two
// columns and the pooled counts (as Contingency gives them). Cells beyond
// the levels are ignored; missing cells count 0.
func ContingencyTable(levelsA, levelsB []string, counts [][]float64) *ContingencyResult {
	r := &ContingencyResult{Rows: levelsA, Cols: levelsB, Counts: make([][]float64, len(levelsA)), ModeRow: -1, ModeCol: -1}
	best := 0.0
	for i := range levelsA {
		row := make([]float64, len(levelsB))
		for j := range levelsB {
			if i < len(counts) && j < len(counts[i]) {
				row[j] = counts[i][j]
			}
			if row[j] > best {
				best, r.ModeRow, r.ModeCol = row[j], i, j
			}
		}
		r.Counts[i] = row
	}
	return r
}
