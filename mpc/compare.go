package mpc

import (
	"context"
	"fmt"
)

// CompareBits bounds the operands of the comparisons: LessThan and
// GreaterEqual take signed integers in [−2^59, 2^59), whose difference
// then lies in (−2^60, 2^60), the range LessThanZero reads correctly.
// Counts (below 2^40) and 48-bit integers fit with room to spare.
const CompareBits = 59

// fieldBits is the number of bits of a field element: the random mask of a
// comparison has this many shared bits.
const fieldBits = 61

// Message rounds of a batch of comparisons, whatever its size (up to
// CompareBatch): at most CompareRounds for LessThanZero and the comparisons
// built on it (one fewer once the keys of pseudo-random secret sharing are
// agreed), of which PrepareRounds make the input-independent randomness
// (BitRounds for the random bits and, in the same rounds, the verified
// triples of the products to come; one for the products of neighbouring
// bits) and CompareOnlineRounds the rest (opening the masked value, five
// levels of products in the bitwise comparison, one for the final
// exclusive or). After PrepareCompare, a comparison takes
// CompareOnlineRounds.
const (
	PrepareRounds       = BitRounds + 1
	CompareOnlineRounds = 1 + 5 + 1
	CompareRounds       = PrepareRounds + CompareOnlineRounds
)

// PrepareCompare makes, in PrepareRounds rounds, the randomness m later
// comparisons use (61 random shared bits, the 30 products of neighbouring
// bits, and 60 verified triples for the products online, each),
// so that they take CompareOnlineRounds rounds each. A protocol that runs
// several comparisons one after another (a rank search) prepares them all
// at once. Other products (Mul) share the pool of triples; what they take
// is made again when needed.
func (sh *Shamir) PrepareCompare(ctx context.Context, m int) error {
	return sh.prepareCompare(ctx, m, 0)
}

// prepareCompare is PrepareCompare with extra more verified triples in the
// pool, made in the same rounds, for products a protocol computes beside
// its comparisons.
func (sh *Shamir) prepareCompare(ctx context.Context, m, extra int) error {
	const pairs = fieldBits / 2
	bits, err := sh.bitsAndTriples(ctx, m*fieldBits, m*(pairs+treeProducts(pairs+fieldBits%2)+1)+extra)
	if err != nil {
		return err
	}
	// The products of neighbouring bits, r_2j·r_2j+1: with them the first
	// level of the bitwise comparison is local.
	lo, hi := make([]Fp, 0, m*pairs), make([]Fp, 0, m*pairs)
	for k := range m {
		for j := range pairs {
			lo = append(lo, bits[k*fieldBits+2*j])
			hi = append(hi, bits[k*fieldBits+2*j+1])
		}
	}
	q, err := sh.Mul(ctx, lo, hi)
	if err != nil {
		return err
	}
	sh.maskBits = append(sh.maskBits, bits...)
	sh.maskPairs = append(sh.maskPairs, q...)
	return nil
}

// CompareBatch is the most comparisons one batch holds; a longer vector
// runs in batches of this size, one after the other, so that no message
// exceeds MaxBody (a batch's largest message, of the randomness, is about
// 4 kB a value with 3 parties).
const CompareBatch = 4096

// compareBatch is CompareBatch, smaller in tests of the batching.
var compareBatch = CompareBatch

// LessThanZero returns this party's shares of the bits [a_k < 0] for the
// shared signed integers a (each of magnitude below 2^60, in the field as
// a or p − |a|; for a value outside that range the result is a bit, but
// not its sign). The bits stay shared: open them only if the result is to
// be seen. CompareRounds rounds for a batch of up to CompareBatch values.
//
// Protocol (the least-significant-bit method of Nishide and Ohta, with the
// bitwise comparison of Catrina and de Hoogh): for a in (−p/2, p/2), y = 2a
// mod p is even exactly when a ≥ 0, since p is odd. The parties make a
// random r = Σ 2^i r_i from 61 shared random bits, open c = y + r mod p,
// and use that y + r = c + w·p with w = [c < r] as integers, so that
// lsb(y) = c_0 ⊕ r_0 ⊕ w. The mask r is uniform on [0, 2^61 − 1], so c is
// uniform on the field up to a statistical distance of 2^−61 and shows
// nothing of a. w, the comparison of the public c with the shared bits of
// r, is computed by a tree of (less-than, equal) pairs: for two halves,
// lt = lt_hi + eq_hi·lt_lo and eq = eq_hi·eq_lo, two products per node in
// one round per level (see lessThanBits). Per value: 61 random bits, 151
// verified products made ahead of the input, 60 products online.
func (sh *Shamir) LessThanZero(ctx context.Context, a []Fp) ([]Fp, error) {
	if len(a) <= compareBatch {
		return sh.lessThanZero(ctx, a)
	}
	out := make([]Fp, 0, len(a))
	for lo := 0; lo < len(a); lo += compareBatch {
		b, err := sh.lessThanZero(ctx, a[lo:min(lo+compareBatch, len(a))])
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// lessThanZero is LessThanZero on at most CompareBatch values.
func (sh *Shamir) lessThanZero(ctx context.Context, a []Fp) ([]Fp, error) {
	m := len(a)
	if m == 0 {
		return nil, nil
	}
	if need := m - len(sh.maskBits)/fieldBits; need > 0 {
		if err := sh.PrepareCompare(ctx, need); err != nil {
			return nil, err
		}
	}
	nBits, nPairs := m*fieldBits, m*(fieldBits/2)
	bits, pairs := sh.maskBits[:nBits:nBits], sh.maskPairs[:nPairs:nPairs]
	sh.maskBits, sh.maskPairs = sh.maskBits[nBits:], sh.maskPairs[nPairs:]
	masked := make([]Fp, m)
	for k := range a {
		r := bits[k*fieldBits : (k+1)*fieldBits]
		var acc Fp
		for i := fieldBits - 1; i >= 0; i-- {
			acc = acc.Add(acc).Add(r[i])
		}
		masked[k] = a[k].Add(a[k]).Add(acc)
	}
	c, err := sh.Open(ctx, masked)
	if err != nil {
		return nil, err
	}
	w, err := sh.lessThanBits(ctx, c, bits, pairs)
	if err != nil {
		return nil, err
	}
	// lsb(y) = t ⊕ w with t = c_0 ⊕ r_0, and x ⊕ w = x + w − 2xw.
	t := make([]Fp, m)
	for k := range t {
		t[k] = xorPublic(bits[k*fieldBits], uint64(c[k])&1)
	}
	tw, err := sh.Mul(ctx, t, w)
	if err != nil {
		return nil, err
	}
	out := make([]Fp, m)
	for k := range out {
		out[k] = t[k].Add(w[k]).Sub(tw[k].Add(tw[k]))
	}
	return out, nil
}

// LessThan returns shares of the bits [a_k < b_k] for shared signed
// integers in [−2^59, 2^59) (see CompareBits).
func (sh *Shamir) LessThan(ctx context.Context, a, b []Fp) ([]Fp, error) {
	if len(a) != len(b) {
		return nil, fmt.Errorf("less than: %d values against %d", len(a), len(b))
	}
	return sh.LessThanZero(ctx, SubVec(a, b))
}

// GreaterEqual returns shares of the bits [a_k ≥ b_k] for shared signed
// integers in [−2^59, 2^59).
func (sh *Shamir) GreaterEqual(ctx context.Context, a, b []Fp) ([]Fp, error) {
	lt, err := sh.LessThan(ctx, a, b)
	if err != nil {
		return nil, err
	}
	return not(lt), nil
}

// GreaterEqualPublic returns shares of the bits [a_k ≥ c] for shared
// signed integers a and a public threshold c, both in [−2^59, 2^59): a
// count checked against min_cell, say.
func (sh *Shamir) GreaterEqualPublic(ctx context.Context, a []Fp, c int64) ([]Fp, error) {
	if c < -(1<<CompareBits) || c >= 1<<CompareBits {
		return nil, fmt.Errorf("greater or equal: threshold %d outside [−2^%d, 2^%d)", c, CompareBits, CompareBits)
	}
	lt, err := sh.LessThanZero(ctx, AddPublic(a, NewFp(-c)))
	if err != nil {
		return nil, err
	}
	return not(lt), nil
}

// not returns shares of 1 − b.
func not(b []Fp) []Fp {
	out := make([]Fp, len(b))
	for k, x := range b {
		out[k] = Fp(1).Sub(x)
	}
	return out
}

// xorPublic returns shares of b ⊕ c for a shared bit b and a public bit c.
func xorPublic(b Fp, c uint64) Fp {
	if c == 1 {
		return Fp(1).Sub(b)
	}
	return b
}

// treeProducts is the number of products lessThanBits needs per value for
// n-bit operands: two per combined pair, one at the root.
func treeProducts(n int) int {
	total := 0
	for n > 1 {
		pairs := n / 2
		n = pairs + n%2
		if n == 1 {
			total += pairs
		} else {
			total += 2 * pairs
		}
	}
	return total
}

// lessThanBits returns shares of [c_k < r_k] for public c_k and r_k shared
// bitwise, r_k = Σ 2^i bits[k·61 + i], with pairs[k·30 + j] = r_2j·r_2j+1.
// A node holds (lt, eq) = ([c < r], [c = r]) on its block of bits; two
// neighbours (low, high) combine to (lt_hi + eq_hi·lt_lo, eq_hi·eq_lo).
// On single bits lt = (1 − c_i)·r_i and eq = 1 − (c_i ⊕ r_i), and for
// public c both products of the first level are linear in r_2j, r_2j+1 and
// their product, so that level is local. Each further level combines
// neighbours for all values in one Mul: ⌈log2 61⌉ − 1 = 5 rounds.
func (sh *Shamir) lessThanBits(ctx context.Context, c []Fp, bits, pairs []Fp) ([]Fp, error) {
	m := len(c)
	const half = fieldBits / 2
	width := half + fieldBits%2
	lt := make([]Fp, m*width)
	eq := make([]Fp, m*width)
	for k := range m {
		for j := range half {
			rl, rh, q := bits[k*fieldBits+2*j], bits[k*fieldBits+2*j+1], pairs[k*half+j]
			cl, ch := uint64(c[k])>>(2*j)&1, uint64(c[k])>>(2*j+1)&1
			// eq_hi·r_lo, and eq_hi·eq_lo, from r_lo, r_hi and q = r_lo·r_hi.
			eqhRl := rl.Sub(q)
			if ch == 1 {
				eqhRl = q
			}
			var eqEq Fp
			switch {
			case ch == 1 && cl == 1:
				eqEq = q
			case ch == 1:
				eqEq = rh.Sub(q)
			case cl == 1:
				eqEq = rl.Sub(q)
			default:
				eqEq = Fp(1).Sub(rh).Sub(rl).Add(q)
			}
			ltHi := Fp(0)
			if ch == 0 {
				ltHi = rh
			}
			if cl == 0 {
				ltHi = ltHi.Add(eqhRl) // + eq_hi·lt_lo, lt_lo = r_lo
			}
			lt[k*width+j], eq[k*width+j] = ltHi, eqEq
		}
		if fieldBits%2 == 1 {
			i := fieldBits - 1
			ci, r := uint64(c[k])>>i&1, bits[k*fieldBits+i]
			if ci == 0 {
				lt[k*width+half] = r
			}
			eq[k*width+half] = Fp(1).Sub(xorPublic(r, ci))
		}
	}
	for width > 1 {
		pairs := width / 2
		next := pairs + width%2
		root := next == 1
		// x·y for every pair: eq_hi·lt_lo, and eq_hi·eq_lo below the root.
		x, y := make([]Fp, 0, 2*m*pairs), make([]Fp, 0, 2*m*pairs)
		for k := range m {
			for j := range pairs {
				lo, hi := k*width+2*j, k*width+2*j+1
				x = append(x, eq[hi])
				y = append(y, lt[lo])
				if !root {
					x = append(x, eq[hi])
					y = append(y, eq[lo])
				}
			}
		}
		prod, err := sh.Mul(ctx, x, y)
		if err != nil {
			return nil, err
		}
		nlt := make([]Fp, m*next)
		neq := make([]Fp, m*next)
		p := 0
		for k := range m {
			for j := range pairs {
				hi := k*width + 2*j + 1
				nlt[k*next+j] = lt[hi].Add(prod[p])
				p++
				if !root {
					neq[k*next+j] = prod[p]
					p++
				}
			}
			if width%2 == 1 {
				nlt[k*next+pairs] = lt[k*width+width-1]
				neq[k*next+pairs] = eq[k*width+width-1]
			}
		}
		lt, eq, width = nlt, neq, next
	}
	return lt, nil
}
