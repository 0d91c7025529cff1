package mpc

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
)

// Shamir is one party's handle on honest-majority Shamir secret sharing
// over a session of n ≥ 3 parties, in the field Fp (p = 2^61 − 1).
//
// A secret s is shared by a random polynomial f of degree t = ⌊(n−1)/2⌋
// with f(0) = s; party i (0-based, in session order) holds f(i+1). Any t+1
// shares determine s; any t or fewer reveal nothing about it. Everything
// built on Shamir is therefore private against any coalition of fewer than
// n/2 members (at most t of them), and no more: a majority of the members
// together can reconstruct every shared value. Sums alone stay on additive
// sharing (SecureSum), which is private against n−1.
//
// Additions, subtractions and products with public constants are local
// (AddVec, SubVec, ScaleVec, AddPublic). Input, InputAll, Open, OpenTo,
// Random, Mul, RandomBits, the comparisons and the preparations of their
// randomness (Prepare, PrepareCompare) exchange messages; each works on a
// whole vector at once, in a constant number of message rounds whatever
// its length. Every party must call the same methods in the same order
// with vectors of the same lengths.
//
// Every opening is checked: with n ≥ 2t+1 shares of a degree-t polynomial
// there is redundancy, and a member whose share is off the polynomial (a
// false opening, or different shares sent to different members) is
// detected, the session is aborted at every member, and the error is
// ErrInconsistent naming the member. A single false share is located when
// n ≥ t+3, which holds for every n ≥ 4; with 3 members it is detected and
// the error names the two members one of whom sent it.
//
// Products are made in two stages. Ahead of the inputs, verified triples
// ([a], [b], [ab]) come from Damgård–Nielsen degree reduction, where a
// member could add an error to a product unseen; every such product is
// therefore checked by sacrifice against a second product with a fresh
// random value, and a failed check aborts with ErrTampered (it tells that a
// member tampered, not which). Mul then multiplies by Beaver's method,
// whose only messages are checked openings. The degree-2t values opened in
// degree reduction have no redundancy when n = 2t+1; each party keeps a
// hash of them and sends it with its shares at every checked opening, so a
// member that sent different product shares to different members is
// detected there (ErrEquivocation) before the shares are checked, and the
// members it misled are not blamed for shares it made false. Without
// signatures no member can prove who misled whom, so that error names only
// whose hash differs.
//
// Jointly random values come from pseudo-random secret sharing (up to 8
// members: one key for every set of t members, held by the members outside
// it, agreed in one round on first use) or, in larger sessions, from
// values every member deals (Damgård–Nielsen extraction).
//
// Not verified: a dealing, of an input (Input, InputAll), of random values,
// or of those keys. A member that gives another a share off the polynomial
// (or a key other than the one the rest got) is detected at the next
// opening of a value computed from it, but that opening names the member
// holding the false share, not the one that dealt it. An owner can always
// input a false value.
type Shamir struct {
	s    *Session
	n, t int
	self int

	lambda []Fp   // Lagrange coefficients at 0 for the points 1..n
	parity [][]Fp // rows h with Σ_j h_j f(j+1) = 0 for every f of degree ≤ t
	vander [][]Fp // (n−t)×n randomness extraction matrix: α_i^k, α_i = i+1

	products hash.Hash // every value opened in degree reduction, with its step

	usePRSS bool  // pseudo-random secret sharing, else dealt randomness
	prss    *prss // its keys, once agreed

	// pools of jointly generated randomness, filled by prepare
	rand              []Fp // random degree-t sharings
	doubleT, double2T []Fp // the same random values, shared at degree t and 2t
	maskBits          []Fp // random bits for comparisons, 61 a comparison
	maskPairs         []Fp // their products r_2j·r_2j+1, 30 a comparison
	tripleA, tripleB  []Fp // verified multiplication triples: c = ab
	tripleC           []Fp

	// cheat, when set (by tests only), may change this party's shares in
	// degree reduction before it uses and sends them: a member that
	// deviates on purpose.
	cheat func(step string, d []Fp)
}

// ErrInconsistent marks an opening whose shares do not lie on one
// polynomial of the sharing's degree: a member sent a false share, or
// different shares to different members.
var ErrInconsistent = errors.New("sent a share off the sharing polynomial (a false opening, or different shares to different members)")

// ErrEquivocation marks members that disagree about the values opened in
// degree reduction since the session began: a member sent different shares
// of a product to different members.
var ErrEquivocation = errors.New("members disagree on the products opened in multiplications: a member sent different shares to different members")

// NewShamir returns the handle of this party of s on Shamir sharing with
// threshold t = ⌊(n−1)/2⌋. It needs n ≥ 3 parties.
func NewShamir(s *Session) (*Shamir, error) {
	n := len(s.Parties)
	if n < 3 {
		return nil, fmt.Errorf("honest-majority sharing needs at least 3 parties, the session has %d", n)
	}
	sh := &Shamir{s: s, n: n, t: (n - 1) / 2, self: slices.Index(s.Parties, s.Self), products: sha256.New()}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	sh.lambda = lagrangeAtZero(all)
	sh.parity = parityRows(all, sh.t)
	sh.usePRSS = binomial(n, sh.t, prssMaxSubsets) <= prssMaxSubsets
	sh.vander = make([][]Fp, n-sh.t)
	for k := range sh.vander {
		sh.vander[k] = make([]Fp, n)
		for i := range n {
			sh.vander[k][i] = Fp(i + 1).Pow(uint64(k))
		}
	}
	return sh, nil
}

// A Shamir is not safe for concurrent use. Protocols that run side by side
// each take their own, over their own Session.Sub view.

// Threshold returns t, the largest coalition the sharing hides values
// from: ⌊(n−1)/2⌋, fewer than half of the members.
func (sh *Shamir) Threshold() int { return sh.t }

// lagrangeAtZero returns the coefficients c_j with f(0) = Σ c_j f(x_j) for
// the points x_j = idx[j]+1 and every f of degree < len(idx).
func lagrangeAtZero(idx []int) []Fp {
	c := make([]Fp, len(idx))
	for j, a := range idx {
		num, den := Fp(1), Fp(1)
		xj := Fp(a + 1)
		for _, b := range idx {
			if b == a {
				continue
			}
			xm := Fp(b + 1)
			num = num.Mul(xm)
			den = den.Mul(xm.Sub(xj))
		}
		c[j] = num.Mul(den.Inv())
	}
	return c
}

// parityRows returns the checks that a vector of values at the points
// idx[j]+1 comes from one polynomial of degree ≤ t: rows h_k with
// h_k[j] = w_j x_j^k, k < len(idx)−t−1, where w_j = 1/Π_{m≠j}(x_j − x_m).
// Σ_j w_j g(x_j) is the leading coefficient of the interpolant of g, which
// vanishes for deg g ≤ len(idx)−2. No rows when there is no redundancy.
func parityRows(idx []int, t int) [][]Fp {
	rows := len(idx) - t - 1
	if rows <= 0 {
		return nil
	}
	w := make([]Fp, len(idx))
	for j, a := range idx {
		den := Fp(1)
		for _, b := range idx {
			if b != a {
				den = den.Mul(Fp(a + 1).Sub(Fp(b + 1)))
			}
		}
		w[j] = den.Inv()
	}
	h := make([][]Fp, rows)
	for k := range h {
		h[k] = make([]Fp, len(idx))
		for j, a := range idx {
			h[k][j] = w[j].Mul(Fp(a + 1).Pow(uint64(k)))
		}
	}
	return h
}

// consistent reports whether shares (indexed like the rows) pass every
// parity check.
func consistent(rows [][]Fp, shares []Fp) bool {
	for _, h := range rows {
		if Dot(h, shares) != 0 {
			return false
		}
	}
	return true
}

// dealShares writes the shares of fresh random polynomials of degree deg
// with constant terms secrets: out[i][k] is party i's share of secrets[k].
func dealShares(rng io.Reader, secrets []Fp, deg, n int, out [][]Fp) error {
	coef := make([]Fp, deg*len(secrets))
	if err := RandomFp(rng, coef); err != nil {
		return err
	}
	for k, s := range secrets {
		c := coef[deg*k : deg*(k+1)]
		for i := range n {
			x := Fp(i + 1)
			// Horner: s + x(c0 + x(c1 + ...)).
			var acc Fp
			for d := deg - 1; d >= 0; d-- {
				acc = acc.Mul(x).Add(c[d])
			}
			out[i][k] = acc.Mul(x).Add(s)
		}
	}
	return nil
}

// suspects returns who may have sent a false share when the shares of
// one value (by party) fail the checks: the one party whose removal leaves
// consistent shares when the shares locate it, else every other party (a
// party trusts its own share).
func (sh *Shamir) suspects(shares []Fp, have []int) []string {
	var fits []int
	if len(have)-1 >= sh.t+2 {
		for _, drop := range have {
			rest := slices.DeleteFunc(slices.Clone(have), func(i int) bool { return i == drop })
			vals := make([]Fp, len(rest))
			for j, i := range rest {
				vals[j] = shares[i]
			}
			if consistent(parityRows(rest, sh.t), vals) {
				fits = append(fits, drop)
			}
		}
	}
	if len(fits) == 1 && fits[0] != sh.self {
		return []string{sh.s.Parties[fits[0]]}
	}
	var out []string
	for _, i := range have {
		if i != sh.self {
			out = append(out, sh.s.Parties[i])
		}
	}
	return out
}

// inconsistency is the error for a failed check at step, and aborts the
// session at every party.
func (sh *Shamir) inconsistency(step string, who []string) error {
	var err error
	if len(who) == 1 {
		err = &PeerError{Party: who[0], Step: step, Err: ErrInconsistent}
	} else {
		err = fmt.Errorf("step %s: one of %s %w; %d members with threshold %d detect a single false share but cannot tell whose it is",
			step, strings.Join(who, " or "), ErrInconsistent, sh.n, sh.t)
	}
	sh.s.Abort(err)
	return err
}
