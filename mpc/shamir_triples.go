package mpc

import (
	"context"
	"errors"
)

// TripleRounds is the most rounds prepareTriples takes for a batch of
// triples of any size: random values and double sharings (see BitRounds),
// the products, two random coins, the opening of the sacrificed
// differences, and the opening of the check.
const TripleRounds = 1 + 1 + 1 + 1 + 1

// ErrTampered marks a product that failed its check: a member added an
// error to its share while the product was reduced in degree. The check
// tells that it happened, not who did it.
var ErrTampered = errors.New("a product failed its check: a member tampered with a multiplication")

// prepareTriples makes the pool hold at least m verified triples.
func (sh *Shamir) prepareTriples(ctx context.Context, m int) error {
	need := m - len(sh.tripleC)
	if need <= 0 {
		return nil
	}
	if err := sh.prepare(ctx, len(sh.rand)+3*need+2, len(sh.doubleT)+2*need); err != nil {
		return err
	}
	ab, err := sh.Random(ctx, 2*need)
	if err != nil {
		return err
	}
	c, _, err := sh.verifiedProducts(ctx, ab[:need], ab[need:], 0)
	if err != nil {
		return err
	}
	sh.addTriples(ab[:need], ab[need:], c)
	return nil
}

// addTriples adds verified triples to the pool.
func (sh *Shamir) addTriples(a, b, c []Fp) {
	sh.tripleA = append(sh.tripleA, a...)
	sh.tripleB = append(sh.tripleB, b...)
	sh.tripleC = append(sh.tripleC, c...)
}

// verifiedProducts returns shares of x·y for shared x and y of which x is
// secret and uniformly random (a triple's a, or a value to be squared),
// each product checked by sacrifice: four rounds after the pool holds m+2
// random sharings and 2m double sharings. The last reveal products are
// also opened, in the round of the check: the values are returned only
// when the check passes.
//
// With a fresh random a', the parties compute z = xy and z' = a'y by
// mulDN, where a member may have added errors e and e'. They then open two
// random coins r and γ, open ρ = r·x − a' (uniform, since a' is), and open
// s = Σ_k γ^k (r·z_k − z'_k − ρ_k·y_k) = Σ_k γ^k (r·e_k − e'_k), which is 0
// when nobody tampered. Errors chosen before r and γ were known leave s at
// 0 with probability at most (m+1)/p. The sharing of s is uniform among
// those of 0, so opening it shows nothing.
func (sh *Shamir) verifiedProducts(ctx context.Context, x, y []Fp, reveal int) (z, opened []Fp, err error) {
	m := len(x)
	a2, err := sh.Random(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	prods, err := sh.mulDN(ctx, append(x[:m:m], a2...), append(y[:m:m], y...))
	if err != nil {
		return nil, nil, err
	}
	z, z2 := prods[:m:m], prods[m:]
	coinShares, err := sh.Random(ctx, 2)
	if err != nil {
		return nil, nil, err
	}
	coins, err := sh.Open(ctx, coinShares)
	if err != nil {
		return nil, nil, err
	}
	r, gamma := coins[0], coins[1]
	rho := make([]Fp, m)
	for k := range rho {
		rho[k] = r.Mul(x[k]).Sub(a2[k])
	}
	if rho, err = sh.Open(ctx, rho); err != nil {
		return nil, nil, err
	}
	var s Fp
	g := Fp(1)
	for k := range m {
		term := r.Mul(z[k]).Sub(z2[k]).Sub(rho[k].Mul(y[k]))
		s = s.Add(g.Mul(term))
		g = g.Mul(gamma)
	}
	check, err := sh.Open(ctx, append([]Fp{s}, z[m-reveal:]...))
	if err != nil {
		return nil, nil, err
	}
	if check[0] != 0 {
		sh.s.Abort(ErrTampered)
		return nil, nil, ErrTampered
	}
	return z, check[1:], nil
}
