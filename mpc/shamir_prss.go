package mpc

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// prssMaxSubsets bounds the number of keys pseudo-random secret sharing
// may use, C(n, t): up to 8 parties. Larger sessions deal randomness
// (dealRandom) instead.
const prssMaxSubsets = 64

// prss is this party's part of pseudo-random secret sharing (Cramer,
// Damgård and Ishai): for every set A of t parties, a key k_A that every
// party outside A holds and no party in A does, and the polynomial f_A of
// degree t with f_A(0) = 1 that vanishes at the points of A. A random
// sharing is Σ_A PRF(k_A)·f_A(x), which each party evaluates at its own
// point with no message: any t parties miss the key of their own set, so
// the value is pseudo-random to them. The PRF is ChaCha8 keyed by k_A,
// read in the same order at every party holding k_A.
type prss struct {
	streams []*rand.ChaCha8 // one for every set A this party is outside of
	coef    []Fp            // f_A(x_self), in the same order
	pow     []Fp            // x_self^j for j = 1..t
}

// subsets returns every set of t of the n parties, in lexicographic order.
func subsets(n, t int) [][]int {
	var out [][]int
	cur := make([]int, 0, t)
	var rec func(from int)
	rec = func(from int) {
		if len(cur) == t {
			out = append(out, append([]int(nil), cur...))
			return
		}
		for i := from; i < n; i++ {
			cur = append(cur, i)
			rec(i + 1)
			cur = cur[:len(cur)-1]
		}
	}
	rec(0)
	return out
}

// binomial returns C(n, k), or a number above limit once it passes limit.
func binomial(n, k, limit int) int {
	c := 1
	for i := 1; i <= k; i++ {
		c = c * (n - k + i) / i
		if c > limit {
			return limit + 1
		}
	}
	return c
}

// setupPRSS agrees the keys, in one round, the first time it is called:
// for every set A, the first party outside A draws k_A and sends it to the
// other parties outside A. Every party sends every other one message, the
// keys it owns that the receiver may hold, in the order of the sets.
func (sh *Shamir) setupPRSS(ctx context.Context) error {
	if sh.prss != nil {
		return nil
	}
	sets := subsets(sh.n, sh.t)
	in := func(a []int, i int) bool {
		for _, j := range a {
			if j == i {
				return true
			}
		}
		return false
	}
	owner := func(a []int) int {
		for i := range sh.n {
			if !in(a, i) {
				return i
			}
		}
		return -1
	}
	keys := make([][]byte, len(sets))
	for s, a := range sets {
		if owner(a) == sh.self {
			keys[s] = make([]byte, 32)
			if _, err := sh.s.Read(keys[s]); err != nil {
				return fmt.Errorf("draw a randomness key: %w", err)
			}
		}
	}
	body := func(p string) []byte {
		to := sh.index(p)
		var b []byte
		for s, a := range sets {
			if owner(a) == sh.self && !in(a, to) {
				b = append(b, keys[s]...)
			}
		}
		return b
	}
	err := exchangeTo(ctx, sh.s, sh.s.Step("shamir-keys"), sh.s.Others(), body, sh.s.Others(), func(p string, b []byte) error {
		from := sh.index(p)
		for s, a := range sets {
			if owner(a) != from || in(a, sh.self) {
				continue
			}
			if len(b) < 32 {
				return fmt.Errorf("randomness keys: %d bytes short", 32-len(b))
			}
			keys[s], b = b[:32], b[32:]
		}
		if len(b) != 0 {
			return fmt.Errorf("randomness keys: %d bytes too many", len(b))
		}
		return nil
	})
	if err != nil {
		return err
	}
	ps := &prss{}
	x := Fp(sh.self + 1)
	for s, a := range sets {
		if in(a, sh.self) {
			continue
		}
		ps.streams = append(ps.streams, rand.NewChaCha8([32]byte(keys[s])))
		f := Fp(1)
		for _, j := range a {
			xj := Fp(j + 1)
			f = f.Mul(x.Sub(xj)).Mul(xj.Neg().Inv()) // (x − x_j)/(0 − x_j)
		}
		ps.coef = append(ps.coef, f)
	}
	p := Fp(1)
	for range sh.t {
		p = p.Mul(x)
		ps.pow = append(ps.pow, p)
	}
	sh.prss = ps
	return nil
}

// next draws the next field element from a key's stream: 61 bits, the one
// value p drawn again, alike at every party holding the key.
func next(c *rand.ChaCha8) Fp {
	for {
		if x := c.Uint64() & FieldPrime; x != FieldPrime {
			return Fp(x)
		}
	}
}

// random returns this party's shares of m pseudo-random values, at
// degree t: Σ_A PRF(k_A)·f_A(x_self).
func (ps *prss) random(m int) []Fp {
	out := make([]Fp, m)
	for k := range out {
		var acc Fp
		for s, c := range ps.streams {
			acc = acc.Add(next(c).Mul(ps.coef[s]))
		}
		out[k] = acc
	}
	return out
}

// zero returns this party's shares of m sharings of 0 at degree 2t:
// Σ_A Σ_{j=1..t} PRF(k_A)·x^j·f_A(x) at x = x_self. Any t parties miss
// the terms of their own set, which span every polynomial of degree 2t
// that is 0 at 0 and at their points, so the sharing is uniform to them.
func (ps *prss) zero(m int) []Fp {
	out := make([]Fp, m)
	for k := range out {
		var acc Fp
		for s, c := range ps.streams {
			var inner Fp
			for _, p := range ps.pow {
				inner = inner.Add(next(c).Mul(p))
			}
			acc = acc.Add(inner.Mul(ps.coef[s]))
		}
		out[k] = acc
	}
	return out
}
