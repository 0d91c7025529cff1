package mpc

import "context"

// prepare makes the pools hold at least nRand random sharings and nDouble
// double sharings (the same random value at degree t and at degree 2t).
// With pseudo-random secret sharing (up to 8 parties) no message is sent
// once the keys are agreed (one round, the first time); larger sessions
// deal the randomness in one round (dealRandom).
func (sh *Shamir) prepare(ctx context.Context, nRand, nDouble int) error {
	nRand -= len(sh.rand)
	nDouble -= len(sh.doubleT)
	if nRand <= 0 && nDouble <= 0 {
		return nil
	}
	if !sh.usePRSS {
		return sh.dealRandom(ctx, nRand, nDouble)
	}
	if err := sh.setupPRSS(ctx); err != nil {
		return err
	}
	if nRand > 0 {
		sh.rand = append(sh.rand, sh.prss.random(nRand)...)
	}
	if nDouble > 0 {
		r := sh.prss.random(nDouble)
		sh.doubleT = append(sh.doubleT, r...)
		sh.double2T = append(sh.double2T, AddVec(r, sh.prss.zero(nDouble))...)
	}
	return nil
}

// dealRandom adds at least nRand random sharings and nDouble double
// sharings to the pools, in one round (Damgård–Nielsen): every party deals
// random values of its own, each at degree t (and, for a double sharing,
// the same value again at degree 2t), and the parties apply the (n−t)×n
// Vandermonde matrix to the n dealt sharings of a block to get n−t
// sharings. Any n−t columns of the matrix are invertible, so the n−t
// outputs are uniform and independent given what any t parties dealt or
// hold: nobody knows them.
func (sh *Shamir) dealRandom(ctx context.Context, nRand, nDouble int) error {
	out := sh.n - sh.t
	br, bd := max(0, (nRand+out-1)/out), max(0, (nDouble+out-1)/out)
	step := sh.s.Step("shamir-random")
	secrets := make([]Fp, br+bd)
	if err := RandomFp(sh.s, secrets); err != nil {
		return err
	}
	// Party i's message: its shares of the br random values, then of the bd
	// double values at degree t, then at degree 2t.
	tShares, err := sh.deal(secrets, sh.t)
	if err != nil {
		return err
	}
	dShares, err := sh.deal(secrets[br:], 2*sh.t)
	if err != nil {
		return err
	}
	msg := func(i int) []Fp { return append(grow(tShares[i]), dShares[i]...) }
	dealt := make([][]Fp, sh.n)
	dealt[sh.self] = msg(sh.self)
	size := br + 2*bd
	err = exchangeTo(ctx, sh.s, step, sh.s.Others(), func(p string) []byte { return encodeFp(msg(sh.index(p))) },
		sh.s.Others(), func(p string, b []byte) error {
			v, err := decodeFp(b, size)
			dealt[sh.index(p)] = v
			return err
		})
	if err != nil {
		return err
	}
	extract := func(lo, hi int) []Fp {
		res := make([]Fp, 0, (hi-lo)*out)
		col := make([]Fp, sh.n)
		for b := lo; b < hi; b++ {
			for i := range col {
				col[i] = dealt[i][b]
			}
			for _, row := range sh.vander {
				res = append(res, Dot(row, col))
			}
		}
		return res
	}
	sh.rand = append(sh.rand, extract(0, br)...)
	sh.doubleT = append(sh.doubleT, extract(br, br+bd)...)
	sh.double2T = append(sh.double2T, extract(br+bd, br+2*bd)...)
	return nil
}

// grow returns a copy of v with room to grow.
func grow(v []Fp) []Fp { return append(make([]Fp, 0, 2*len(v)), v...) }

// Random returns this party's shares of m uniformly random field elements
// that no coalition of t or fewer parties knows anything about (with
// pseudo-random secret sharing: that no such coalition can tell from
// uniform). At most one round (see prepare).
func (sh *Shamir) Random(ctx context.Context, m int) ([]Fp, error) {
	if err := sh.prepare(ctx, m, 0); err != nil {
		return nil, err
	}
	out := sh.rand[:m:m]
	sh.rand = sh.rand[m:]
	return out, nil
}
