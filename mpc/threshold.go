package mpc

import (
	"context"
	"errors"
	"fmt"
)

// MaxThreshold bounds the threshold PassThreshold checks against (a
// min_cell): far below the clamp of the counts, so that a clamped count
// passes any threshold.
const MaxThreshold = 1 << 20

// thresholdClamp is the largest count a party's count of one cell enters
// the check as: with at most MaxParties parties the pooled count P stays
// below 2^30, so P·(P − threshold) lies within the range LessThanZero
// reads. A count this large passes every threshold, so the clamp changes
// no verdict.
const thresholdClamp = 1<<24 - 1

// ErrNotABit marks a verdict that opened as neither 0 nor 1: a party
// shared a flag that is not a bit.
var ErrNotABit = errors.New("a cell's verdict opened as neither 0 nor 1: a party shared a flag that is not a bit")

// PassThreshold checks, inside Shamir sharing, each cell of a table whose
// count every party holds a part of: a cell passes when its pooled count
// P = Σ counts over the parties is 0 or at least threshold, and no party
// flagged it. Every party passes its own counts and flags (as many, in the
// same order) and the same threshold, and gets every cell's verdict; the
// verdicts are recorded as opened ("passes" or "suppressed").
//
// What is opened, to every party: the verdicts, and nothing else. The
// pooled counts, each party's counts and flags, and whether a suppressed
// cell was small or flagged (and by how many parties) stay shared.
//
// Protocol: the parties share their counts, each clamped to 2^24 − 1, and
// their flags f_i as 0 or 1 (one round); compute P·P and, by a tree of
// products, G = Π_i (1 − f_i), which is 1 exactly when nobody flagged;
// compare V = P·(P − threshold) with 0 (V < 0 exactly when 0 < P <
// threshold), one comparison a cell; and open (1 − [V < 0])·G. The
// comparisons of every cell run as one batch: the rounds do not grow with
// the number of cells (up to CompareBatch). A flag can only suppress: a
// party that shares a flag other than 0 or 1 cannot make a small cell
// pass (its verdict is 0 whatever G is) and makes another cell's verdict
// a non-bit, an error (ErrNotABit) at every party.
//
// Threat model: that of Shamir, private against any coalition of fewer
// than n/2 members; a false share at an opening is caught. A member can
// still give false counts: one that adds rows it does not hold to a small
// cell makes it pass, and whoever later sees the pooled count and knows
// the false part learns the others' small count. A threshold on pooled
// counts holds against members that report their own counts truly.
func (sh *Shamir) PassThreshold(ctx context.Context, counts []int64, flags []bool, threshold int64) ([]bool, error) {
	m := len(counts)
	if len(flags) != m {
		return nil, fmt.Errorf("threshold: %d flags for %d counts", len(flags), m)
	}
	if threshold < 1 || threshold > MaxThreshold {
		return nil, fmt.Errorf("threshold: %d outside [1, 2^20]", threshold)
	}
	if m == 0 {
		return nil, nil
	}
	mine := make([]Fp, 2*m)
	for k, c := range counts {
		if c < 0 {
			return nil, fmt.Errorf("threshold: count %d of cell %d is negative", c, k)
		}
		mine[k] = Fp(min(c, thresholdClamp))
		if flags[k] {
			mine[m+k] = 1
		}
	}
	all, err := sh.InputAll(ctx, mine)
	if err != nil {
		return nil, err
	}
	pooled := make([]Fp, m)
	notFlagged := make([][]Fp, sh.n)
	for i, v := range all {
		pooled = AddVec(pooled, v[:m])
		notFlagged[i] = not(v[m:])
	}
	// The randomness of the comparisons, in batches of at most
	// CompareBatch, with the triples of the other products of their cells:
	// P·P, the n − 1 of the tree of the flags, and the verdict.
	for lo := 0; lo < m; lo += compareBatch {
		k := min(compareBatch, m-lo)
		if err := sh.prepareCompare(ctx, k, (sh.n+1)*k); err != nil {
			return nil, err
		}
	}
	var square []Fp
	for first := true; len(notFlagged) > 1 || first; first = false {
		var x, y []Fp
		if first {
			x, y = pooled, pooled
		}
		half := len(notFlagged) / 2
		for j := range half {
			x = append(x, notFlagged[2*j]...)
			y = append(y, notFlagged[2*j+1]...)
		}
		prod, err := sh.Mul(ctx, x, y)
		if err != nil {
			return nil, err
		}
		if first {
			square, prod = prod[:m], prod[m:]
		}
		next := make([][]Fp, 0, half+1)
		for j := range half {
			next = append(next, prod[j*m:(j+1)*m])
		}
		if len(notFlagged)%2 == 1 {
			next = append(next, notFlagged[len(notFlagged)-1])
		}
		notFlagged = next
	}
	v := SubVec(square, ScaleVec(NewFp(threshold), pooled))
	small, err := sh.LessThanZero(ctx, v)
	if err != nil {
		return nil, err
	}
	pass, err := sh.Mul(ctx, not(small), notFlagged[0])
	if err != nil {
		return nil, err
	}
	open, err := sh.Open(ctx, pass)
	if err != nil {
		return nil, err
	}
	out := make([]bool, m)
	for k, b := range open {
		if b > 1 {
			sh.s.Abort(ErrNotABit)
			return nil, fmt.Errorf("threshold: cell %d: %w", k, ErrNotABit)
		}
		out[k] = b == 1
		if out[k] {
			sh.s.RecordOpened("passes")
		} else {
			sh.s.RecordOpened("suppressed")
		}
	}
	return out, nil
}
