package mpc

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
)

// Open reveals the shared vector x to every party, checked: each party
// sends its shares to every other, with the hash of the products it has
// opened in Mul, and each checks that the hashes agree and that the n
// shares of every value lie on one polynomial of degree t before it
// reconstructs. On
// a failed check the session is aborted and the error (ErrInconsistent)
// names the member that sent a false share (see Shamir). One round.
func (sh *Shamir) Open(ctx context.Context, x []Fp) ([]Fp, error) {
	return sh.open(ctx, sh.s.Step("shamir-open"), x, "")
}

// OpenTo reveals the shared vector x to party to alone, checked as in
// Open; to gets the values, every other party gets nil. One round.
func (sh *Shamir) OpenTo(ctx context.Context, x []Fp, to string) ([]Fp, error) {
	if !slices.Contains(sh.s.Parties, to) {
		return nil, fmt.Errorf("open to %s: not a party of the session", to)
	}
	return sh.open(ctx, sh.s.Step("shamir-open-to"), x, to)
}

// open sends this party's shares of x to every party (to == "") or to one,
// and, at a receiver, checks and reconstructs.
func (sh *Shamir) open(ctx context.Context, step string, x []Fp, to string) ([]Fp, error) {
	receive := to == "" || to == sh.s.Self
	var targets, senders []string
	switch {
	case to == "":
		targets, senders = sh.s.Others(), sh.s.Others()
	case to == sh.s.Self:
		senders = sh.s.Others()
	default:
		targets = []string{to}
	}
	shares := make([][]Fp, sh.n)
	shares[sh.self] = x
	mine := sh.products.Sum(nil)
	body := append(slices.Clone(mine), encodeFp(x)...)
	var differ []string
	err := exchangeTo(ctx, sh.s, step, targets, func(string) []byte { return body },
		senders, func(p string, b []byte) error {
			if len(b) < len(mine) {
				return fmt.Errorf("opening of %d bytes, shorter than its hash", len(b))
			}
			v, err := decodeFp(b[len(mine):], len(x))
			if err != nil {
				return err
			}
			if !bytes.Equal(b[:len(mine)], mine) {
				differ = append(differ, p)
			}
			shares[sh.index(p)] = v
			return nil
		})
	if err != nil || !receive {
		return nil, err
	}
	if len(differ) > 0 {
		slices.Sort(differ)
		err := fmt.Errorf("step %s: %w (%s opened other products than %s)", step, ErrEquivocation, strings.Join(differ, ", "), sh.s.Self)
		sh.s.Abort(err)
		return nil, err
	}
	return sh.reconstruct(step, shares, sh.parity)
}

// reconstruct checks the shares of every value (shares[party][k]) against
// rows and interpolates them at 0.
func (sh *Shamir) reconstruct(step string, shares [][]Fp, rows [][]Fp) ([]Fp, error) {
	m := len(shares[0])
	out := make([]Fp, m)
	col := make([]Fp, sh.n)
	for k := range m {
		for i := range sh.n {
			col[i] = shares[i][k]
		}
		if !consistent(rows, col) {
			have := make([]int, sh.n)
			for i := range have {
				have[i] = i
			}
			return nil, sh.inconsistency(step, sh.suspects(col, have))
		}
		out[k] = Dot(sh.lambda, col)
	}
	return out, nil
}

// index returns the position of party p in the session.
func (sh *Shamir) index(p string) int {
	for i, q := range sh.s.Parties {
		if q == p {
			return i
		}
	}
	panic(fmt.Sprintf("mpc: %s is not a party of session %s", p, sh.s.ID)) // exchangeTo only hears parties
}
