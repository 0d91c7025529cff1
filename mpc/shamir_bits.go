package mpc

import (
	"context"
	"errors"
)

// RandomBits returns this party's shares of m random bits, each 0 or 1
// with probability 1/2, that no coalition of t or fewer parties knows.
// BitRounds rounds.
func (sh *Shamir) RandomBits(ctx context.Context, m int) ([]Fp, error) {
	return sh.bitsAndTriples(ctx, m, 0)
}

// BitRounds is the most rounds RandomBits takes for a batch of any size:
// one for random values and double sharings (dealt, or the keys of
// pseudo-random secret sharing agreed on first use; none after that), then
// the verified squares (verifiedProducts), opened in the round of their
// check.
const BitRounds = 1 + 4

// bitsAndTriples returns shares of m random bits and adds nTriples
// verified triples to the pool, in BitRounds rounds.
//
// For a random shared u, the parties compute v = u², verified as a
// product, and open it: v reveals u only up to its sign. With s a square
// root of v, u/s = ±1, each sign with probability 1/2, and b = (u/s + 1)/2
// is a shared bit. A u of 0 (probability 2^−61) gives no bit and is drawn
// again.
func (sh *Shamir) bitsAndTriples(ctx context.Context, m, nTriples int) ([]Fp, error) {
	out := make([]Fp, 0, m)
	half := Fp(2).Inv()
	for len(out) < m || nTriples > 0 {
		need := m - len(out)
		products := nTriples + need
		// a and b of the triples, u, a' of every product, two coins.
		if err := sh.prepare(ctx, len(sh.rand)+2*nTriples+need+products+2, len(sh.doubleT)+2*products); err != nil {
			return nil, err
		}
		ab, err := sh.Random(ctx, 2*nTriples)
		if err != nil {
			return nil, err
		}
		u, err := sh.Random(ctx, need)
		if err != nil {
			return nil, err
		}
		z, v, err := sh.verifiedProducts(ctx, append(ab[:nTriples:nTriples], u...), append(ab[nTriples:], u...), need)
		if err != nil {
			return nil, err
		}
		sh.addTriples(ab[:nTriples], ab[nTriples:], z[:nTriples])
		nTriples = 0
		squares := make([]Fp, 0, need)
		keep := make([]Fp, 0, need)
		for k, x := range v {
			if x != 0 {
				squares = append(squares, x)
				keep = append(keep, u[k])
			}
		}
		roots := make([]Fp, len(squares))
		if !SqrtVec(squares, roots) { // cannot happen: the squares were verified
			err := errors.New("a verified square opened as a non-square")
			sh.s.Abort(err)
			return nil, err
		}
		BatchInv(roots)
		for k, s := range roots {
			out = append(out, keep[k].Mul(s).Add(1).Mul(half))
		}
	}
	return out, nil
}
