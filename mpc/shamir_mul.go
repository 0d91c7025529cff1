package mpc

import (
	"context"
	"fmt"
)

// mulDN returns this party's shares of x·y element-wise, correct as long
// as every member follows the protocol: a member can add an error of its
// choice to a product unseen (an additive attack). It serves only to make
// products that verifiedProducts then checks. One round, plus one to make
// double sharings unless the pool holds them.
//
// Degree reduction after Damgård–Nielsen: with a double sharing ([r]_t,
// [r]_2t) of a random r, each party sends x_i·y_i + r_i^(2t), a share of
// the degree-2t polynomial of xy + r, to every party; each interpolates
// xy + r from the n ≥ 2t+1 shares and subtracts [r]_t. The opened xy + r
// is uniform, and so is the degree-2t polynomial behind it, so it shows
// nothing of x or y.
func (sh *Shamir) mulDN(ctx context.Context, x, y []Fp) ([]Fp, error) {
	m := len(x)
	if err := sh.prepare(ctx, 0, m); err != nil {
		return nil, err
	}
	rt, r2t := sh.doubleT[:m], sh.double2T[:m]
	sh.doubleT, sh.double2T = sh.doubleT[m:], sh.double2T[m:]
	step := sh.s.Step("shamir-mul-dn")
	d := make([]Fp, m)
	for k := range d {
		d[k] = x[k].Mul(y[k]).Add(r2t[k])
	}
	if sh.cheat != nil {
		sh.cheat(step, d)
	}
	shares := make([][]Fp, sh.n)
	shares[sh.self] = d
	body := encodeFp(d)
	err := exchangeTo(ctx, sh.s, step, sh.s.Others(), func(string) []byte { return body },
		sh.s.Others(), func(p string, b []byte) error {
			v, err := decodeFp(b, m)
			shares[sh.index(p)] = v
			return err
		})
	if err != nil {
		return nil, err
	}
	opened, err := sh.reconstruct(step, shares, nil) // degree 2t: no redundancy to check
	if err != nil {
		return nil, err
	}
	sh.products.Write([]byte(step))
	sh.products.Write(encodeFp(opened))
	for k := range opened {
		opened[k] = opened[k].Sub(rt[k])
	}
	return opened, nil
}

// Mul returns this party's shares of x·y element-wise. One round (a
// checked opening) when the products' triples were made beforehand;
// otherwise it makes them first (TripleRounds more).
//
// Beaver's method with a verified triple ([a], [b], [c = ab]): the parties
// open ε = x − a and δ = y − b, uniform since a and b are, and compute
// [xy] = [c] + ε[b] + δ[a] + εδ. The openings are checked and the triple
// was verified, so no member can shift a product without being detected.
func (sh *Shamir) Mul(ctx context.Context, x, y []Fp) ([]Fp, error) {
	m := len(x)
	if len(y) != m {
		return nil, fmt.Errorf("multiply: %d values by %d", m, len(y))
	}
	if err := sh.prepareTriples(ctx, m); err != nil {
		return nil, err
	}
	a, b, c := sh.tripleA[:m], sh.tripleB[:m], sh.tripleC[:m]
	sh.tripleA, sh.tripleB, sh.tripleC = sh.tripleA[m:], sh.tripleB[m:], sh.tripleC[m:]
	ed, err := sh.open(ctx, sh.s.Step("shamir-mul"), append(SubVec(x, a), SubVec(y, b)...), "")
	if err != nil {
		return nil, err
	}
	z := make([]Fp, m)
	for k := range z {
		eps, del := ed[k], ed[m+k]
		// εδ is public: every party adds it to its share.
		z[k] = c[k].Add(eps.Mul(b[k])).Add(del.Mul(a[k])).Add(eps.Mul(del))
	}
	return z, nil
}
