package mpc

import (
	"context"
	"fmt"
	"slices"
)

// Input shares the vector x of party owner among all parties: owner deals
// a fresh random polynomial of degree t for every value and sends every
// party its shares. The owner passes x; every other party passes nil.
// Every party passes the same length, and gets its shares of x. One round.
//
// The dealing itself is not verified: an owner that deals shares off a
// polynomial is detected at the next opening of a value computed from
// them, which then names the member holding the false share.
func (sh *Shamir) Input(ctx context.Context, owner string, x []Fp, length int) ([]Fp, error) {
	step := sh.s.Step("shamir-input")
	if !slices.Contains(sh.s.Parties, owner) {
		return nil, fmt.Errorf("input: %s is not a party of the session", owner)
	}
	if owner != sh.s.Self {
		var mine []Fp
		err := exchangeTo(ctx, sh.s, step, nil, nil, []string{owner}, func(_ string, b []byte) error {
			v, err := decodeFp(b, length)
			mine = v
			return err
		})
		return mine, err
	}
	if len(x) != length {
		return nil, fmt.Errorf("input: %d values, the parties agreed on %d", len(x), length)
	}
	shares, err := sh.deal(x, sh.t)
	if err != nil {
		return nil, err
	}
	err = exchangeTo(ctx, sh.s, step, sh.s.Others(), func(p string) []byte { return encodeFp(shares[sh.index(p)]) }, nil, nil)
	if err != nil {
		return nil, err
	}
	return shares[sh.self], nil
}

// InputAll shares every party's vector x at once (all of the same length):
// the result's element i is this party's shares of party i's vector, in
// session order. One round.
func (sh *Shamir) InputAll(ctx context.Context, x []Fp) ([][]Fp, error) {
	step := sh.s.Step("shamir-input-all")
	shares, err := sh.deal(x, sh.t)
	if err != nil {
		return nil, err
	}
	out := make([][]Fp, sh.n)
	out[sh.self] = shares[sh.self]
	err = exchangeTo(ctx, sh.s, step, sh.s.Others(), func(p string) []byte { return encodeFp(shares[sh.index(p)]) },
		sh.s.Others(), func(p string, b []byte) error {
			v, err := decodeFp(b, len(x))
			out[sh.index(p)] = v
			return err
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deal returns every party's shares of x at degree deg, by party.
func (sh *Shamir) deal(x []Fp, deg int) ([][]Fp, error) {
	shares := make([][]Fp, sh.n)
	for i := range shares {
		shares[i] = make([]Fp, len(x))
	}
	return shares, dealShares(sh.s, x, deg, sh.n, shares)
}
