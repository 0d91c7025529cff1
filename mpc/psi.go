package mpc

import (
	"bytes"
	"context"
	"crypto/ecdh"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"sync"
)

// Limits of the private set intersection. A list of MaxPSIItems values is
// 32 MB on the wire, within MaxBody.
const (
	// MaxPSIItems is the largest number of distinct items one party's set
	// may hold.
	MaxPSIItems = 1_000_000
	// MaxPSIItemBytes is the longest item, in bytes.
	MaxPSIItemBytes = 4096
)

// psiDomain separates the item hash from every other use of SHA-256.
const psiDomain = "fsc-kernel/mpc/psi/v1: item to Curve25519 u-coordinate, try-and-increment"

// errPSILowOrder marks a value that is a point of small order, for which
// X25519 gives the all-zero output.
var errPSILowOrder = errors.New("a low-order point (X25519 gives the all-zero output)")

// psiPoint is the u-coordinate of a point of Curve25519, 32 bytes little
// endian, as X25519 reads and writes it.
type psiPoint [32]byte

// SetIntersection computes the intersection of the parties' sets of strings
// and reveals it, sorted, to every party. Every party of s calls it with its
// own items; duplicates are removed first. A party may hold at most
// MaxPSIItems distinct items of at most MaxPSIItemBytes bytes each.
//
// # Protocol
//
// Commutative encryption with X25519: every party draws a fresh secret
// scalar k_i from crypto/rand for this call, and hashes each item x to a
// point H(x) of Curve25519 (SHA-256 over the domain, the session id, the step
// label and the item, each length-prefixed, with a counter incremented until
// the u-coordinate is on the curve proper, not its twist: X25519 keeps a
// point on the curve or on the twist, so a plain hash would leave in every
// ciphertext one bit of H(x) that anyone holding a guess for x could check).
// E_i(P) = X25519(k_i, P); these commute, so E_1(E_2(H(x))) = E_2(E_1(H(x))),
// and a value encrypted under every key, [k_1···k_m]H(x), depends only on x.
// Because the session id is hashed in, values of two sessions cannot be
// linked even for the same items.
//
// With m parties in session order, party i's successor is party i+1 (mod m).
//
//   - Round 1..m−1 (step psi.N/ringR): each party sends its successor the
//     list it holds, and encrypts under its own key the list it receives
//     from its predecessor. In round 1 a party sends its own set encrypted
//     under its own key; in round r it forwards the set of party i−r+1,
//     which after round m−1 is encrypted under all m keys. The m lists
//     travel in parallel: m messages a round.
//   - Final round (step psi.N/final): the party holding party j's fully
//     encrypted list sends it to j and to every other party: m(m−1)
//     messages. Each party then holds every party's fully encrypted set and
//     keeps its own items whose fully encrypted value is in every other set.
//
// In all m rounds and 2m(m−1) messages; a message carrying party j's list
// is 32·n_j bytes for a set of n_j items. With sets of n items, each party
// hashes n items (two SHA-256 and two Legendre symbols each, on average),
// computes m·n X25519 scalar multiplications, and checks 2(m−1)·n received
// values. A party waits for each list at most the session's Timeout while
// its predecessor encrypts one (X25519 took about 36 µs a value on one
// core of the server we measured on), so sets near MaxPSIItems on few cores
// need a Timeout above the default.
//
// # Order
//
// An owner maps its fully encrypted values back to its items by position,
// so its list keeps one order all the way round the ring: the owner sorts
// its once-encrypted values E_j(H(x)) as bytes, a uniformly random order
// independent of the items (a list in the items' own, alphabetical, order
// would give away their ranks), and the forwarders encrypt each value in
// place and never re-order (sorting would lose the owner's map). A party
// sees a given owner's list once in transit, so the kept order links nothing
// for it. The final list goes back to its owner in that order and to every
// other party sorted, so no party but the owner and the one that computed it
// holds a final list in transit order.
//
// # What is revealed
//
// Against honest-but-curious parties that do not collude, and under the
// decisional Diffie–Hellman assumption with SHA-256 as a random oracle,
// each party learns:
//
//   - the intersection of all sets;
//   - every party's set size (the number of its distinct items), from the
//     length of its lists;
//   - the equality pattern of the fully encrypted values: every party holds
//     every party's fully encrypted set, so it learns, for every subset of
//     the parties, how many items are held by exactly that subset (the whole
//     Venn diagram of counts), and, since it can map its own values back to
//     its items, for each of its own items exactly which other parties hold
//     it. Plainly: a party learns its pairwise intersection with every other
//     party (and with every group of parties), not only the intersection of
//     all; and it learns how many items any two others share, though not
//     which. Where that is too much, do not use this protocol.
//
// Parties that collude pool what they see; that is not analysed here.
// Received lists are checked (whole 32-byte values, canonical, on the curve,
// not of low order, distinct, sorted where they must be, of the length seen
// before); a malformed one aborts the session at every party with a
// PeerError naming its sender. A malicious party can still change its own
// set or corrupt the lists it forwards, and so the result.
func SetIntersection(ctx context.Context, s *Session, items []string) ([]string, error) {
	set, err := psiInput(s, items)
	if err != nil {
		return nil, err
	}
	r, err := runPSI(ctx, s, "psi", set, true)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for pos, v := range r.lists[r.me] {
		if r.inEveryOther(v) {
			out = append(out, set[r.perm[pos]])
		}
	}
	slices.Sort(out)
	return out, nil
}

// SetIntersectionSize computes the number of items common to the sets of
// all parties and reveals that number to every party. It runs the protocol
// of SetIntersection, except that nobody maps values back to items: every
// party sorts every list it forwards, and a party only counts the fully
// encrypted values common to all sets.
//
// It reveals the size of the intersection, every party's set size, and the
// equality pattern of the fully encrypted values: for every subset of the
// parties, how many items are held by exactly that subset (so the size of
// every pairwise intersection, too, not only of the intersection of all). No
// party learns which of its items are shared.
func SetIntersectionSize(ctx context.Context, s *Session, items []string) (int, error) {
	set, err := psiInput(s, items)
	if err != nil {
		return 0, err
	}
	r, err := runPSI(ctx, s, "psisize", set, false)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range r.lists[r.me] {
		if r.inEveryOther(v) {
			n++
		}
	}
	return n, nil
}

// IntersectLists turns a party's data in the FSC reference's shape, a list
// of sets, into the party's own set: the items in every one of its sets,
// sorted, without duplicates. A party with no sets holds no items.
func IntersectLists(sets [][]string) []string {
	if len(sets) == 0 {
		return []string{}
	}
	cur := slices.Clone(sets[0])
	slices.Sort(cur)
	cur = slices.Compact(cur)
	for _, set := range sets[1:] {
		in := make(map[string]bool, len(set))
		for _, x := range set {
			in[x] = true
		}
		cur = slices.DeleteFunc(cur, func(x string) bool { return !in[x] })
	}
	if cur == nil {
		cur = []string{}
	}
	return cur
}

// psiInput checks a party's items against the limits and removes
// duplicates. On failure it aborts the session, telling the other parties
// which limit was broken but not which item broke it.
func psiInput(s *Session, items []string) ([]string, error) {
	for i, x := range items {
		if len(x) > MaxPSIItemBytes {
			s.Abort(fmt.Errorf("set intersection input refused: an item is longer than the limit of %d bytes", MaxPSIItemBytes))
			return nil, fmt.Errorf("set intersection: item %d is %d bytes long, over the limit of %d bytes (MaxPSIItemBytes)",
				i, len(x), MaxPSIItemBytes)
		}
	}
	set := slices.Clone(items)
	slices.Sort(set)
	set = slices.Compact(set)
	if len(set) > MaxPSIItems {
		s.Abort(fmt.Errorf("set intersection input refused: more than the limit of %d distinct items", MaxPSIItems))
		return nil, fmt.Errorf("set intersection: %d distinct items, over the limit of %d (MaxPSIItems)", len(set), MaxPSIItems)
	}
	return set, nil
}

// psiResult is what the protocol leaves at one party: every party's fully
// encrypted list, indexed as s.Parties. Its own list is in transit order,
// where position p holds the value of set[perm[p]]; the others are sorted.
type psiResult struct {
	me    int
	perm  []int
	lists [][]psiPoint
}

// inEveryOther reports whether v is in the fully encrypted list of every
// party but this one.
func (r *psiResult) inEveryOther(v psiPoint) bool {
	for j, l := range r.lists {
		if j == r.me {
			continue
		}
		if _, ok := slices.BinarySearchFunc(l, v, psiCompare); !ok {
			return false
		}
	}
	return true
}

// runPSI runs the ring protocol of SetIntersection over a set without
// duplicates. With mapBack the owners' lists keep their order round the
// ring; without it every forwarded list is sorted.
func runPSI(ctx context.Context, s *Session, name string, set []string, mapBack bool) (*psiResult, error) {
	step := s.Step(name)
	m := len(s.Parties)
	me := slices.Index(s.Parties, s.Self)
	if me < 0 {
		return nil, fmt.Errorf("set intersection: party %s is not among the session's parties", s.Self)
	}
	// fail aborts the session on a local failure, telling the others what
	// failed but not which item.
	fail := func(what string, err error) error {
		s.Abort(fmt.Errorf("set intersection: could not %s", what))
		return fmt.Errorf("set intersection: %s: %w", what, err)
	}
	key, err := ecdh.X25519().GenerateKey(crand.Reader)
	if err != nil {
		return nil, fail("draw a secret scalar", err)
	}
	hashed := make([]psiPoint, len(set))
	err = psiParallel(len(set), func(lo, hi int) error {
		var c psiCurve
		for i := lo; i < hi; i++ {
			p, err := c.hash(s.ID, step, set[i])
			if err != nil {
				return err
			}
			hashed[i] = p
		}
		return nil
	})
	if err != nil {
		return nil, fail("hash its items", err)
	}
	first, err := psiEncrypt(key, hashed)
	if err != nil {
		return nil, fail("encrypt its items", err)
	}
	// The owner's list goes out in the byte order of its first ciphertexts:
	// a random order independent of the items. perm[p] is the item at p.
	perm := make([]int, len(set))
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(a, b int) int { return psiCompare(first[a], first[b]) })
	cur := make([]psiPoint, len(set))
	for p, i := range perm {
		cur[p] = first[i]
	}

	lengths := make([]int, m) // length of each owner's list, as first seen
	lengths[me] = len(set)
	succ := s.Parties[(me+1)%m]
	pred := s.Parties[(me+m-1)%m]
	for r := 1; r < m; r++ {
		owner := (me - r + m) % m
		body := psiEncode(cur)
		var next []psiPoint
		err := exchangeTo(ctx, s, step+"/ring"+strconv.Itoa(r), []string{succ}, func(string) []byte { return body },
			[]string{pred}, func(_ string, b []byte) error {
				in, err := psiDecode(b, !mapBack)
				if err != nil {
					return fmt.Errorf("list of %s in round %d: %w", s.Parties[owner], r, err)
				}
				out, err := psiEncrypt(key, in)
				if err != nil {
					return fmt.Errorf("list of %s in round %d: %w", s.Parties[owner], r, err)
				}
				if !mapBack {
					slices.SortFunc(out, psiCompare)
				}
				lengths[owner] = len(in)
				next = out
				return nil
			})
		if err != nil {
			return nil, err
		}
		cur = next
	}

	// cur is now the fully encrypted list of the successor, in transit order.
	lists := make([][]psiPoint, m)
	sorted := cur
	if mapBack {
		sorted = slices.Clone(cur)
		slices.SortFunc(sorted, psiCompare)
	}
	lists[(me+1)%m] = sorted
	toOwner, toOthers := psiEncode(cur), psiEncode(sorted)
	index := make(map[string]int, m)
	for i, p := range s.Parties {
		index[p] = i
	}
	err = exchangeTo(ctx, s, step+"/final", s.Others(), func(p string) []byte {
		if p == succ {
			return toOwner
		}
		return toOthers
	}, s.Others(), func(p string, b []byte) error {
		owner := (index[p] + 1) % m
		in, err := psiDecode(b, !mapBack || owner != me)
		if err != nil {
			return fmt.Errorf("fully encrypted list of %s: %w", s.Parties[owner], err)
		}
		if len(in) != lengths[owner] {
			return fmt.Errorf("fully encrypted list of %s has %d values, but that list had %d in transit",
				s.Parties[owner], len(in), lengths[owner])
		}
		lists[owner] = in
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &psiResult{me: me, perm: perm, lists: lists}, nil
}

// psiEncrypt raises every value to the key's scalar, in parallel, keeping
// their order. A low-order input, whose output would be all zero, is an
// error naming its position.
func psiEncrypt(key *ecdh.PrivateKey, in []psiPoint) ([]psiPoint, error) {
	out := make([]psiPoint, len(in))
	err := psiParallel(len(in), func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			pub, err := ecdh.X25519().NewPublicKey(in[i][:])
			if err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
			shared, err := key.ECDH(pub)
			if err != nil {
				// crypto/ecdh refuses exactly the all-zero output.
				return fmt.Errorf("value %d is %w: %v", i, errPSILowOrder, err)
			}
			copy(out[i][:], shared)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// psiEncode writes a list of values back to back.
func psiEncode(l []psiPoint) []byte {
	b := make([]byte, 0, 32*len(l))
	for i := range l {
		b = append(b, l[i][:]...)
	}
	return b
}

// psiDecode reads a list written by psiEncode and checks it: whole
// 32-byte values, at most MaxPSIItems of them, each the canonical
// u-coordinate of a point on the curve (not the twist) not of low order,
// no value twice, and in increasing byte order when sorted is set.
func psiDecode(b []byte, sorted bool) ([]psiPoint, error) {
	if len(b)%32 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of 32-byte values", len(b))
	}
	n := len(b) / 32
	if n > MaxPSIItems {
		return nil, fmt.Errorf("%d values, over the limit of %d (MaxPSIItems)", n, MaxPSIItems)
	}
	l := make([]psiPoint, n)
	for i := range l {
		copy(l[i][:], b[32*i:])
	}
	err := psiParallel(n, func(lo, hi int) error {
		var c psiCurve
		for i := lo; i < hi; i++ {
			if err := c.check(&l[i]); err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sorted {
		for i := 1; i < n; i++ {
			if psiCompare(l[i-1], l[i]) >= 0 {
				return nil, fmt.Errorf("values %d and %d are not in increasing order without repeats", i-1, i)
			}
		}
		return l, nil
	}
	seen := make(map[psiPoint]int, n)
	for i, v := range l {
		if j, ok := seen[v]; ok {
			return nil, fmt.Errorf("values %d and %d are equal", j, i)
		}
		seen[v] = i
	}
	return l, nil
}

func psiCompare(a, b psiPoint) int { return bytes.Compare(a[:], b[:]) }

// Curve25519 (v² = u³ + A·u² + u over GF(p), p = 2^255 − 19) and the
// canonical u-coordinates of its points of small order and of the twist's:
// 0, 1, the two of order 8, and p − 1.
var (
	psiCurveP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	psiCurveA = big.NewInt(486662)
	psiOne    = big.NewInt(1)

	psiLowOrder = []psiPoint{
		{},
		{1},
		{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
			0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
		{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
			0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
		{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	}
)

// psiCurve holds scratch space for field arithmetic; one per goroutine.
type psiCurve struct {
	be   [32]byte
	u, g big.Int
}

// check returns nil when u is the canonical u-coordinate of a point on the
// curve proper (not the twist) that is not of small order.
func (c *psiCurve) check(u *psiPoint) error {
	if u[31]&0x80 != 0 {
		return errors.New("not canonical: the top bit is set")
	}
	for i := range c.be {
		c.be[i] = u[31-i]
	}
	c.u.SetBytes(c.be[:])
	if c.u.Cmp(psiCurveP) >= 0 {
		return errors.New("not canonical: not reduced modulo 2^255-19")
	}
	if slices.Contains(psiLowOrder, *u) {
		return errPSILowOrder
	}
	// g = u³ + A·u² + u = ((u + A)·u + 1)·u; on the curve iff g is a square.
	c.g.Add(&c.u, psiCurveA)
	c.g.Mul(&c.g, &c.u)
	c.g.Add(&c.g, psiOne)
	c.g.Mul(&c.g, &c.u)
	c.g.Mod(&c.g, psiCurveP)
	if psiLegendre(c.g.FillBytes(c.be[:])) != 1 {
		return errors.New("not on Curve25519 (a point of its twist)")
	}
	return nil
}

// hash maps an item to a point of the curve proper, not of small order:
// SHA-256 of the length-prefixed domain, session id, step label and item
// and a counter, read as a little-endian u-coordinate with the top bit
// cleared, for counter 0, 1, ... until the value passes check (on average
// two tries).
func (c *psiCurve) hash(session, step, item string) (psiPoint, error) {
	buf := make([]byte, 0, 8*4+len(psiDomain)+len(session)+len(step)+len(item)+4)
	for _, f := range []string{psiDomain, session, step, item} {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	n := len(buf)
	for ctr := uint32(0); ctr < 256; ctr++ {
		buf = binary.BigEndian.AppendUint32(buf[:n], ctr)
		u := psiPoint(sha256.Sum256(buf))
		u[31] &= 0x7f
		if c.check(&u) == nil {
			return u, nil
		}
	}
	// Each try succeeds with probability 1/2: this does not happen.
	return psiPoint{}, errors.New("hash an item to the curve: no point in 256 tries")
}

// psiParallel runs f over [0, n) split into chunks, one goroutine per chunk
// up to GOMAXPROCS chunks, and returns the error of the first failing chunk.
func psiParallel(n int, f func(lo, hi int) error) error {
	const minChunk = 64
	workers := min(runtime.GOMAXPROCS(0), (n+minChunk-1)/minChunk)
	if workers <= 1 {
		return f(0, n)
	}
	chunk := (n + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = f(lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// psiU256 is a 256-bit number as four little-endian 64-bit limbs.
type psiU256 [4]uint64

// psiFieldP is 2^255 − 19 as a psiU256.
var psiFieldP = psiU256{0xffffffffffffffed, 0xffffffffffffffff, 0xffffffffffffffff, 0x7fffffffffffffff}

// psiLegendre returns the Legendre symbol (a | 2^255 − 19) of a 32-byte
// big-endian number below 2^255 − 19: 1 for a nonzero square, −1 for a
// non-square, 0 for zero. It is the binary Jacobi symbol algorithm on fixed
// 256-bit limbs, about four times faster than big.Jacobi and free of
// allocations; each turn of the loop shortens a or n by a bit at least, so it
// ends within 512 turns. Its running time depends on a, which is a public
// value or a hash of the party's own item.
func psiLegendre(be []byte) int {
	var a psiU256
	for i := range a {
		a[i] = binary.BigEndian.Uint64(be[32-8*(i+1):])
	}
	n := psiFieldP
	t := 1
	for {
		if a == (psiU256{}) {
			if n == (psiU256{1}) {
				return t
			}
			return 0
		}
		for a[0] == 0 { // dividing by 2^64, an even power of two, keeps t
			a[0], a[1], a[2], a[3] = a[1], a[2], a[3], 0
		}
		if v := uint(bits.TrailingZeros64(a[0])); v > 0 {
			a[0] = a[0]>>v | a[1]<<(64-v)
			a[1] = a[1]>>v | a[2]<<(64-v)
			a[2] = a[2]>>v | a[3]<<(64-v)
			a[3] >>= v
			if r := n[0] & 7; v&1 == 1 && (r == 3 || r == 5) {
				t = -t // (2 | n) = −1 for n ≡ ±3 mod 8
			}
		}
		if psiLessU256(&a, &n) {
			a, n = n, a
			if a[0]&3 == 3 && n[0]&3 == 3 {
				t = -t // quadratic reciprocity
			}
		}
		var borrow uint64 // a −= n: even, not negative
		a[0], borrow = bits.Sub64(a[0], n[0], 0)
		a[1], borrow = bits.Sub64(a[1], n[1], borrow)
		a[2], borrow = bits.Sub64(a[2], n[2], borrow)
		a[3], _ = bits.Sub64(a[3], n[3], borrow)
	}
}

func psiLessU256(a, b *psiU256) bool {
	for i := 3; i >= 0; i-- {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
