package mpc

import (
	"context"
	"errors"
)

// RandomBits returns this party's shares of m random bits, each 0 or 1
// with probability 1/2, that no coalition of t or fewer parties knows.
// Three rounds (random values and double sharings, a product, an
// opening), or two when Prepare made the randomness beforehand.
//
// For a random shared u, the parties compute and open v = u² (checked):
// v reveals u only up to its sign. With s a square root of v, u/s = ±1,
// each sign with probability 1/2, and b = (u/s + 1)/2 is a shared bit. A
// u of 0 (probability 2^−61) gives no bit and is drawn again.
func (sh *Shamir) RandomBits(ctx context.Context, m int) ([]Fp, error) {
	out := make([]Fp, 0, m)
	half := Fp(2).Inv()
	for len(out) < m {
		need := m - len(out)
		if err := sh.prepare(ctx, need, need); err != nil {
			return nil, err
		}
		u, err := sh.Random(ctx, need)
		if err != nil {
			return nil, err
		}
		sq, err := sh.Mul(ctx, u, u)
		if err != nil {
			return nil, err
		}
		v, err := sh.Open(ctx, sq)
		if err != nil {
			return nil, err
		}
		roots := make([]Fp, 0, need)
		keep := make([]Fp, 0, need)
		for k, x := range v {
			if x == 0 {
				continue
			}
			s, ok := x.Sqrt()
			if !ok {
				err := errors.New("a squared random value opened as a non-square: a member tampered with a multiplication")
				sh.s.Abort(err)
				return nil, err
			}
			roots = append(roots, s)
			keep = append(keep, u[k])
		}
		BatchInv(roots)
		for k, s := range roots {
			out = append(out, keep[k].Mul(s).Add(1).Mul(half))
		}
	}
	return out, nil
}
