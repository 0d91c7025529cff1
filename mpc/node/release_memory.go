package node

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// The release memory is a node's defence against differencing: for every
// table it remembers the set of its own rows behind each release (a
// cohort, a histogram bin, a frequency or crosstab cell, a margin), across
// all analysts, and refuses a new release whose row set differs from any
// remembered one, from the whole table or from the empty set by 1 to
// min_cell − 1 rows (the size of the symmetric difference). Row sets that
// were refused are remembered as well ("probes"), so that the line between
// refused and released cannot be walked one row at a time.
//
// Each set is a roaring bitmap of row positions, or a summary of one (see
// memoryEntry and release_summary.go). A check compares the new
// set only with remembered sets whose size lies within min_cell − 1 of its
// own (||A| − |B|| ≤ |A Δ B|), found through an index by size, and needs
// one intersection count per candidate. Sets are kept in a file per table
// in the node's state folder, appended and synced as they are committed,
// and read back when the node starts.
//
// Known limit: the rule looks at two sets at a time. Three or more releases
// can still be combined (A − B − C, a "tracker"); the per-statistic rules,
// min_cell and the identifier rule make such trackers costly but not
// impossible.

// memoryEntry is one remembered row set.
type memoryEntry struct {
	rows  *roaring.Bitmap
	card  uint64
	at    time.Time
	probe bool // refused, not released
	held  bool // pending: reserved by a computation still running
	// blocks counts the set's rows in each of 64 equal runs of row
	// positions: Σ|a_b − b_b| is a lower bound of |A Δ B| that is cheaper
	// than an intersection, so most candidates of the right size are
	// passed over without one.
	blocks [sketchBlocks]uint32
	hash   uint64 // the keyed hash of the rows (rowSet), once hashed
	hashed bool
}

// An entry with rows nil is a summary: a set kept as its size, sketch and
// hash only. The rows at risk of survival curves are kept so (one set per
// grid point and group, nested, together many times a table's rows):
// a set compared with a summary is the same when its hash is, and
// otherwise, when the sketches do not tell them at least min_cell rows
// apart, is taken to be near it (the safe side: such sets are rare).

const sketchBlocks = 64

// sketch counts rows in each block of a table of rows rows, by ranks at
// the block boundaries (no pass over the rows).
func sketch(bm *roaring.Bitmap, rows uint64) (out [sketchBlocks]uint32) {
	width := rows/sketchBlocks + 1
	var prev uint64
	for b := range sketchBlocks {
		r := bm.GetCardinality() // the last block takes the rest
		if end := uint64(b+1) * width; b < sketchBlocks-1 && end-1 <= math.MaxUint32 {
			r = bm.Rank(uint32(end - 1))
		}
		out[b] = uint32(r - prev)
		prev = r
	}
	return out
}

// sketchDistance is the lower bound of |A Δ B| the sketches give, stopping
// once it reaches limit.
func sketchDistance(a, b *[sketchBlocks]uint32, limit uint64) uint64 {
	var d uint64
	for i := range a {
		if a[i] > b[i] {
			d += uint64(a[i] - b[i])
		} else {
			d += uint64(b[i] - a[i])
		}
		if d >= limit {
			return d
		}
	}
	return d
}

// tableMemory is the release memory of one table.
type tableMemory struct {
	mu      sync.Mutex
	table   string
	rows    uint64 // rows of the table: the whole-table rule
	key     uint64 // the key of the row hashes (rowSet), kept in the file
	minCell uint64
	max     int
	file    *os.File
	path    string
	byCard  map[uint64][]*memoryEntry
	count   int
}

// releaseMemory holds the memory of every table a node serves.
type releaseMemory struct {
	tables map[string]*tableMemory
}

// memoryMagic starts every release memory file.
const memoryMagic = "FSC-RELEASES-1\n"

// maxStoredSet bounds one stored bitmap when a file is read back (a table
// of 2^32 rows, dense, is 512 MiB).
const maxStoredSet = 1 << 29

// openReleaseMemory opens (or creates) the memory of each table in dir.
func openReleaseMemory(dir string, tables map[string]int, minCell, max int) (*releaseMemory, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state folder %s: %w", dir, err)
	}
	m := &releaseMemory{tables: map[string]*tableMemory{}}
	for name, rows := range tables {
		tm := &tableMemory{table: name, rows: uint64(rows), minCell: uint64(minCell), max: max,
			path:   filepath.Join(dir, "releases-"+name+".bin"),
			byCard: map[uint64][]*memoryEntry{}}
		if err := tm.load(); err != nil {
			m.close()
			return nil, err
		}
		m.tables[name] = tm
	}
	return m, nil
}

func (m *releaseMemory) close() {
	for _, t := range m.tables {
		if t.file != nil {
			t.file.Close()
		}
	}
}

// load reads the table's file back, or starts it.
func (t *tableMemory) load() error {
	f, err := os.OpenFile(t.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("release memory: %w", err)
	}
	t.file = f
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("release memory %s: %w", t.path, err)
	}
	if st.Size() == 0 {
		if _, err := f.WriteString(memoryMagic); err != nil {
			return fmt.Errorf("release memory %s: %w", t.path, err)
		}
		return t.newKey()
	}
	r := bufio.NewReader(f)
	head := make([]byte, len(memoryMagic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != memoryMagic {
		return fmt.Errorf("release memory %s: not a release memory file (move it away only if you know why it is there)", t.path)
	}
	good := int64(len(memoryMagic))
	keyed := false
	for n := 1; ; n++ {
		e, kind, size, err := readEntry(r)
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			// A crash in the middle of an append: the record was never
			// committed, so nothing was released with it.
			if err := f.Truncate(good); err != nil {
				return fmt.Errorf("release memory %s: truncate a partial record: %w", t.path, err)
			}
			break
		}
		if err != nil {
			return fmt.Errorf("release memory %s: record %d: %w; the node will not start without its memory", t.path, n, err)
		}
		good += size
		switch kind {
		case kindKey:
			t.key, keyed = e.hash, true
		case kindCancel, kindSummaryCancel:
			t.cancelled(e)
		default:
			t.add(e)
		}
	}
	if _, err = f.Seek(good, io.SeekStart); err != nil || keyed {
		return err
	}
	return t.newKey() // a file from before summaries
}

// newKey draws the key of the table's row hashes and appends it.
func (t *tableMemory) newKey() error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("release memory %s: a key: %w", t.path, err)
	}
	t.key = binary.LittleEndian.Uint64(b[:])
	if err := t.writeRecord(kindKey, time.Now(), b[:]); err != nil {
		return fmt.Errorf("release memory %s: %w", t.path, err)
	}
	return t.file.Sync()
}

// Record kinds: a released set, a refused one (a probe), and the cancel of
// a release whose computation released nothing (it turns into a probe);
// the same three for summaries; and the key of the table's row hashes.
const (
	kindRelease byte = iota
	kindProbe
	kindCancel
	kindSummary
	kindSummaryProbe
	kindSummaryCancel
	kindKey
)

// readEntry reads one record: kind (1 byte), unix nanoseconds (8), length
// (4), the bitmap, and a CRC-32 of all that.
func readEntry(r io.Reader) (*memoryEntry, byte, int64, error) {
	var head [13]byte
	if _, err := io.ReadFull(r, head[:1]); err != nil {
		return nil, 0, 0, err // io.EOF at a record boundary
	}
	if _, err := io.ReadFull(r, head[1:]); err != nil {
		return nil, 0, 0, io.ErrUnexpectedEOF
	}
	size := binary.LittleEndian.Uint32(head[9:])
	if head[0] > kindKey || size > maxStoredSet {
		return nil, 0, 0, fmt.Errorf("kind %d, %d bytes: corrupt", head[0], size)
	}
	body, err := io.ReadAll(io.LimitReader(r, int64(size)+4)) // grows with the bytes, not with the length announced
	if err != nil || len(body) < int(size)+4 {
		return nil, 0, 0, io.ErrUnexpectedEOF
	}
	crc := crc32.NewIEEE()
	crc.Write(head[:])
	crc.Write(body[:size])
	if crc.Sum32() != binary.LittleEndian.Uint32(body[size:]) {
		return nil, 0, 0, errors.New("checksum mismatch: corrupt")
	}
	e := &memoryEntry{probe: head[0] == kindProbe || head[0] == kindSummaryProbe,
		at: time.Unix(0, int64(binary.LittleEndian.Uint64(head[1:]))).UTC()}
	switch head[0] {
	case kindKey:
		if size != 8 {
			return nil, 0, 0, fmt.Errorf("a key of %d bytes: corrupt", size)
		}
		e.hash = binary.LittleEndian.Uint64(body)
	case kindSummary, kindSummaryProbe, kindSummaryCancel:
		if !e.decodeSummary(body[:size]) {
			return nil, 0, 0, fmt.Errorf("a summary of %d bytes: corrupt", size)
		}
	default:
		e.rows = roaring.New()
		if _, err := e.rows.ReadFrom(bytes.NewReader(body[:size])); err != nil {
			return nil, 0, 0, fmt.Errorf("bitmap: %w", err)
		}
		e.card = e.rows.GetCardinality()
	}
	return e, head[0], int64(len(head)) + int64(len(body)), nil
}

// cancelled turns the release a cancel record names back into a probe.
func (t *tableMemory) cancelled(c *memoryEntry) {
	for _, e := range t.byCard[c.card] {
		if !e.probe && sameEntry(e, c) {
			e.probe = true
			return
		}
	}
}

// add indexes an entry (the caller holds the lock or owns t).
func (t *tableMemory) add(e *memoryEntry) {
	if e.rows != nil {
		e.blocks = sketch(e.rows, t.rows)
	}
	t.byCard[e.card] = append(t.byCard[e.card], e)
	t.count++
}

// writeEntry appends a record of e to the file; the caller syncs it. A
// summary's kind is the summary kind of the one given.
func (t *tableMemory) writeEntry(e *memoryEntry, kind byte, data []byte) error {
	if e.rows == nil {
		kind += kindSummary
	}
	return t.writeRecord(kind, e.at, data)
}

// writeRecord appends a record.
func (t *tableMemory) writeRecord(kind byte, at time.Time, data []byte) error {
	var head [13]byte
	head[0] = kind
	binary.LittleEndian.PutUint64(head[1:], uint64(at.UnixNano()))
	binary.LittleEndian.PutUint32(head[9:], uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write(head[:])
	crc.Write(data)
	rec := make([]byte, 0, len(head)+len(data)+4)
	rec = append(append(rec, head[:]...), data...)
	rec = binary.LittleEndian.AppendUint32(rec, crc.Sum32())
	_, err := t.file.Write(rec)
	return err
}

// conflict says why a set of card rows may not be released, or "".
// pooled says that min_cell is checked on the pooled count of the
// release, inside MPC (a table's cells and margins, a Count's cohort),
// so that this node's own count may lie between 1 and min_cell − 1.
func (t *tableMemory) conflict(s *rowSet, pooled bool) (string, *memoryEntry) {
	min, card := t.minCell, s.card
	if !pooled && card >= 1 && card < min {
		return "small", nil
	}
	if card <= t.rows && t.rows-card >= 1 && t.rows-card < min {
		return "complement", nil
	}
	lo := uint64(0)
	if card > min-1 {
		lo = card - (min - 1)
	}
	for d := lo; d <= card+min-1; d++ {
		for _, e := range t.byCard[d] {
			if sketchDistance(s.sketch(t.rows), &e.blocks, min) >= min {
				continue
			}
			if e.rows == nil { // a summary: the same rows, or taken to be near
				if t.equal(s, e) {
					continue
				}
				return "near", e
			}
			diff := card + d - 2*s.rows().AndCardinality(e.rows)
			if diff >= 1 && diff < min {
				return "near", e
			}
		}
	}
	return "", nil
}

// releaseSet is one row set a computation wants to release, with what it
// is ("cohort", "bin 3", "cell F/PD") for the node's log. pooled says that
// the min_cell rule applies to the pooled count of the release, checked
// inside MPC, rather than to this node's rows (see conflict).
//
// whole marks a table's total, all of this node's rows that the table
// shows: it is checked and remembered even when empty, as a Count's
// cohort is, since a member whose rows all leave a second table would
// otherwise show by difference the few rows it held in the first.
//
// set, with rows nil, is the set as a union of parts (see rowSet).
type releaseSet struct {
	what   string
	rows   *roaring.Bitmap
	set    *rowSet
	pooled bool
	whole  bool
}

// view is the set as the memory reads it.
func (s releaseSet) view() *rowSet {
	if s.rows == nil {
		return s.set
	}
	return setOf(s.rows)
}

// reservation holds the sets of one computation until it ends.
type reservation struct {
	t       *tableMemory
	entries []*memoryEntry
	data    [][]byte
}

// refusal is a release rule's answer: the rule, in words for the analyst
// (never naming this node), and the detail for the node's own log.
type refusal struct {
	analyst, detail string
}

func (r *refusal) Error() string { return r.analyst }

// check reports the first set that may not be released, remembering it as
// a probe, or nil when every set may be. The sets of one release are not
// compared with each other: several sets are only ever the kept cells of a
// table of counts and unions of them (releaseCells), each cell's pooled
// count 0 or min_cell or more, so any two differ by whole cells, whose
// counts are released anyway.
func (t *tableMemory) check(sets []releaseSet) *refusal {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checkLocked(sets, true)
}

func (t *tableMemory) checkLocked(sets []releaseSet, remember bool) *refusal {
	r, _, _ := t.checkKnown(sets, remember)
	return r
}

// checkKnown is checkLocked; it also says which sets the memory holds
// already, as a release or a probe, and gives the sets as it read them.
func (t *tableMemory) checkKnown(sets []releaseSet, remember bool) (*refusal, []bool, []*rowSet) {
	known := make([]bool, len(sets))
	views := make([]*rowSet, len(sets))
	for i, s := range sets {
		v := s.view()
		views[i] = v
		released, held := t.match(v)
		known[i] = held
		if released {
			continue // released before: its numbers again show nothing new
		}
		why, e := t.conflict(v, s.pooled)
		if why == "" {
			continue
		}
		if remember && rememberable(why) {
			t.remember(v)
		}
		return t.refusalFor(why, s.what, v.card, e), nil, nil
	}
	return nil, known, views
}

// rememberable says which refusals leave a probe: a small set, and a set
// close to an earlier one. A set refused for leaving out a few rows of the
// whole table is not kept (it would block the whole table itself); the
// few rows it leaves out are what a probe would protect, and they are
// refused on their own as a small set.
func rememberable(why string) bool { return why == "small" || why == "near" }

// remember keeps a refused set as a probe (best effort: a full memory or
// a failed write loses nothing that was released).
func (t *tableMemory) remember(s *rowSet) {
	if t.count >= t.max {
		return
	}
	if t.same(s, true) {
		return
	}
	e, data := t.newEntry(s, true)
	if err := t.writeEntry(e, kindProbe, data); err == nil && t.file.Sync() == nil {
		t.add(e)
	}
}

// newEntry is the entry of a set and its record's data: a union of parts
// is kept as a summary, any other set as its rows.
func (t *tableMemory) newEntry(s *rowSet, probe bool) (*memoryEntry, []byte) {
	e := &memoryEntry{card: s.card, at: time.Now().UTC(), probe: probe}
	if s.head != nil {
		e.blocks, e.hash, e.hashed = *s.sketch(t.rows), s.rowHash(t.key), true
		return e, e.encodeSummary()
	}
	e.rows = s.bm.Clone()
	e.rows.RunOptimize()
	data, _ := e.rows.ToBytes()
	return e, data
}

// same says whether the memory holds exactly these rows for good (a set
// another computation holds may still be cancelled), as a release or, when
// probes is true, as a probe.
func (t *tableMemory) same(s *rowSet, probes bool) bool {
	for _, e := range t.byCard[s.card] {
		if !e.held && (probes || !e.probe) && t.equal(s, e) {
			return true
		}
	}
	return false
}

// match says whether the memory holds exactly these rows for good as a
// release, and whether it holds them for good at all (a release or a
// probe): same(s, false) and same(s, true), comparing each set once.
func (t *tableMemory) match(s *rowSet) (released, remembered bool) {
	for _, e := range t.byCard[s.card] {
		if e.held || remembered && e.probe {
			continue // nothing more to learn from it
		}
		if t.equal(s, e) {
			remembered = true
			if !e.probe {
				return true, true
			}
		}
	}
	return false, remembered
}

func (t *tableMemory) refusalFor(why, what string, card uint64, e *memoryEntry) *refusal {
	m := t.minCell
	r := &refusal{}
	switch why {
	case "small":
		r.analyst = fmt.Sprintf("refused: policy min_cell=%d: a released %s would hold between 1 and %d rows of a member node; widen the filter or merge bins or categories", m, kindOf(what), m-1)
	case "complement":
		r.analyst = fmt.Sprintf("refused: policy min_cell=%d: this %s leaves out between 1 and %d rows of a member node's table, so the whole table minus it would show them; widen the exclusion or drop the filter", m, kindOf(what), m-1)
	default:
		verb := "released"
		if e.probe {
			verb = "asked for"
		}
		r.analyst = fmt.Sprintf("refused: release memory: this %s differs from one %s at %s by between 1 and %d rows of a member node, so the two together would show those rows; change the filter by more", kindOf(what), verb, e.at.Format("2006-01-02 15:04:05 UTC"), m-1)
	}
	r.detail = fmt.Sprintf("table %s: %s of %d rows: %s", t.table, what, card, why)
	if e != nil {
		r.detail += fmt.Sprintf(" (earlier set of %d rows at %s)", e.card, e.at.Format(time.RFC3339Nano))
	}
	return r
}

// kindOf turns "bin 3" or "cell F/PD" into "bin" or "cell".
func kindOf(what string) string {
	kind, _, _ := strings.Cut(what, " ")
	return kind
}

// reserve checks sets and, when each may be released, remembers them at
// once, on disk too, before anything is computed: a node that fails or
// stops in the middle of a computation has remembered what it may have
// released. Until commit or cancel they are held, so a concurrent
// computation is checked against them. A refused set is remembered as a
// probe.
func (t *tableMemory) reserve(sets []releaseSet) (*reservation, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, known, views := t.checkKnown(sets, true)
	if r != nil {
		return nil, r
	}
	var fresh []*rowSet
	for i, v := range views {
		if !known[i] {
			fresh = append(fresh, v) // the others are remembered already
		}
	}
	if t.count+len(fresh) > t.max {
		return nil, &refusal{
			analyst: "refused: a member node's release memory is full; its owner must raise policy.max_releases",
			detail:  fmt.Sprintf("table %s: release memory holds %d sets (policy.max_releases)", t.table, t.count)}
	}
	res := &reservation{t: t}
	for _, s := range fresh {
		e, data := t.newEntry(s, false)
		if err := t.writeEntry(e, kindRelease, data); err != nil {
			res.cancelLocked()
			return nil, &refusal{
				analyst: "refused: a member node cannot write its release memory; its owner must look at its log",
				detail:  fmt.Sprintf("table %s: release memory %s: %v", t.table, t.path, err)}
		}
		e.held = true
		t.add(e)
		res.entries = append(res.entries, e)
		res.data = append(res.data, data)
	}
	if err := t.file.Sync(); err != nil {
		res.cancelLocked()
		return nil, &refusal{
			analyst: "refused: a member node cannot write its release memory; its owner must look at its log",
			detail:  fmt.Sprintf("table %s: release memory %s: %v", t.table, t.path, err)}
	}
	return res, nil
}

// commit ends the hold: the sets were released.
func (r *reservation) commit() {
	if r == nil {
		return
	}
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	for _, e := range r.entries {
		e.held = false
	}
	r.entries = nil
}

// cancel ends the hold of a computation that released nothing: its sets
// stay remembered as probes (on disk by a cancel record), like sets that
// were refused.
func (r *reservation) cancel() {
	if r == nil {
		return
	}
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	r.cancelLocked()
}

func (r *reservation) cancelLocked() {
	for i, e := range r.entries {
		e.held, e.probe = false, true
		_ = r.t.writeEntry(e, kindCancel, r.data[i]) // lost, it leaves a release: the safe side
	}
	_ = r.t.file.Sync()
	r.entries = nil
}

// refused turns a refusal into the analyst's 403.
func refused(r *refusal) error {
	return &apiError{Code: http.StatusForbidden, Msg: r.analyst, Detail: r.detail}
}
