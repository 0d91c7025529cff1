package mpc

import "context"

// Mul returns this party's shares of x·y element-wise. One round, plus one
// to generate double sharings unless Prepare made them beforehand.
//
// Degree reduction after Damgård–Nielsen: with a double sharing ([r]_t,
// [r]_2t) of a random r, each party sends x_i·y_i + r_i^(2t), a share of
// the degree-2t polynomial of xy + r, to every party; each interpolates
// xy + r from the n ≥ 2t+1 shares and subtracts [r]_t. The opened xy + r
// is uniform, and so is the degree-2t polynomial behind it, so it shows
// nothing of x or y.
func (sh *Shamir) Mul(ctx context.Context, x, y []Fp) ([]Fp, error) {
	m := len(x)
	if err := sh.prepare(ctx, 0, m); err != nil {
		return nil, err
	}
	rt, r2t := sh.doubleT[:m], sh.double2T[:m]
	sh.doubleT, sh.double2T = sh.doubleT[m:], sh.double2T[m:]
	step := sh.s.Step("shamir-mul")
	d := make([]Fp, m)
	for k := range d {
		d[k] = x[k].Mul(y[k]).Add(r2t[k])
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
