package mpc

import (
	"context"
	"crypto/ecdh"
	crand "crypto/rand"
	"fmt"
	"slices"
	"strconv"
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
	set, r, shared, err := psiShared(ctx, s, "psi", items, true)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, pos := range shared {
		out = append(out, set[r.perm[pos]])
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
	_, _, shared, err := psiShared(ctx, s, "psisize", items, false)
	return len(shared), err
}

// psiShared checks a party's items, runs the protocol on them, and returns
// the party's set, what the protocol left, and the positions in the
// party's own fully encrypted list of the values every other party holds.
func psiShared(ctx context.Context, s *Session, name string, items []string, mapBack bool) ([]string, *psiResult, []int, error) {
	set, err := psiInput(s, items)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := runPSI(ctx, s, name, set, mapBack)
	if err != nil {
		return nil, nil, nil, err
	}
	var shared []int
	for pos, v := range r.lists[r.me] {
		if r.inEveryOther(v) {
			shared = append(shared, pos)
		}
	}
	return set, r, shared, nil
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
