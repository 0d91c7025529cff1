package mpc

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// MaxThreshold bounds the threshold PassThreshold checks against (a
// min_cell).
const MaxThreshold = 1 << 20

// MaxCellCount bounds a party's count of one cell in PassThreshold: the
// pooled count of MaxParties such counts stays far below the field's
// prime, and within the range of the comparisons.
const MaxCellCount = 1 << 40

// rootsMax is the largest threshold that PassThreshold checks by the
// product of (P − v) over the small counts v; above it, it compares.
const rootsMax = 64

// ErrNotABit marks a verdict that opened as neither 0 nor 1: a party
// shared a flag that is not a bit.
var ErrNotABit = errors.New("a cell's verdict opened as neither 0 nor 1: a party shared a flag that is not a bit")

// PassThreshold checks, inside Shamir sharing, each cell of a table whose
// count every party holds a part of: a cell passes when its pooled count
// P = Σ counts over the parties is 0 or at least threshold, and no party
// flagged it. Every party passes its own counts (each below MaxCellCount)
// and flags, as many, in the same order, and the same threshold, and gets
// every cell's verdict; the verdicts are recorded as opened ("passes" or
// "suppressed").
//
// What is opened, to every party: the verdicts, and nothing else. The
// pooled counts, each party's counts and flags, and whether a suppressed
// cell was small or flagged (and by how many parties) stay shared.
//
// Protocol: the parties share their counts and their flags f_i as 0 or 1
// (one round, beside the first of the triples'). With G = Π_i (1 − f_i),
// which is 1 when nobody flagged and 0 when a party did, a cell passes
// exactly when
//
//	W = G · Π_{v=1}^{threshold−1} (P − v)
//
// is not 0 (P < p, so P − v is 0 only for P = v). The parties multiply
// all these factors and a fresh random r, nonzero but with probability
// 2^−61, by a tree of products, and open r·W: 0 for a suppressed cell,
// and uniform on the nonzero elements for one that passes, so it shows
// nothing more than the verdict. threshold + n − 1 products a cell, made
// ahead as verified triples, and ⌈log2(threshold + n)⌉ rounds of
// products, whatever the number of cells: 9 rounds in all with three
// parties and a threshold of 5. Above a threshold of 64 the factors
// would cost too much, and a cell passes when (1 − [0 < P <
// threshold])·G, opened, is 1: two comparisons a cell (LessThanZero),
// all cells in one batch. A flag can only suppress: one other than 0 or
// 1 acts as 0, or (with the comparisons) makes a verdict a non-bit, an
// error (ErrNotABit); it never makes a small cell pass.
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
		if c < 0 || c >= MaxCellCount {
			return nil, fmt.Errorf("threshold: count %d of cell %d outside [0, 2^40)", c, k)
		}
		mine[k] = Fp(c)
		if flags[k] {
			mine[m+k] = 1
		}
	}
	if threshold > rootsMax {
		all, err := sh.InputAll(ctx, mine)
		if err != nil {
			return nil, err
		}
		pooled, notFlagged := sh.poolCells(all, m)
		return sh.passByComparison(ctx, pooled, notFlagged, threshold)
	}
	// The counts are shared, over a handle of their own, in the rounds
	// that make the triples of the products (G's n − 1, the threshold − 1
	// of the factors, and r's) unless PrepareThreshold made them.
	input, err := NewShamir(sh.s.Sub(sh.s.Step("threshold-input")))
	if err != nil {
		return nil, err
	}
	var (
		wg     sync.WaitGroup
		all    [][]Fp
		errIn  error
		r      []Fp
		errRnd error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if all, errIn = input.InputAll(ctx, mine); errIn != nil {
			sh.s.Abort(errIn) // ends the triples' rounds too
		}
	}()
	if errRnd = sh.prepareTriples(ctx, (sh.n+int(threshold)-1)*m); errRnd == nil {
		r, errRnd = sh.Random(ctx, m)
	}
	if errRnd != nil {
		sh.s.Abort(errRnd) // ends the sharing too
	}
	wg.Wait()
	if err := errors.Join(errIn, errRnd); err != nil {
		return nil, err
	}
	pooled, factors := sh.poolCells(all, m)
	for v := int64(1); v < threshold; v++ {
		factors = append(factors, AddPublic(pooled, NewFp(-v)))
	}
	w, err := sh.product(ctx, append(factors, r))
	if err != nil {
		return nil, err
	}
	open, err := sh.Open(ctx, w)
	if err != nil {
		return nil, err
	}
	out := make([]bool, m)
	for k, v := range open {
		out[k] = v != 0
		sh.s.RecordOpened(verdict(out[k]))
	}
	return out, nil
}

// PrepareThreshold makes ahead the randomness that a PassThreshold of
// cells cells against threshold uses when it multiplies (threshold up to
// 64): its verified triples and random values, in TripleRounds rounds
// that the caller can run beside work of its own (a node checks its
// release memory meanwhile). PassThreshold then takes 1 + ⌈log2(threshold
// + n)⌉ + 1 rounds: 5 with three parties and a threshold of 5. Every
// party calls it with the same numbers, or none does.
func (sh *Shamir) PrepareThreshold(ctx context.Context, cells int, threshold int64) error {
	if threshold < 1 || threshold > MaxThreshold || cells < 0 {
		return fmt.Errorf("threshold: prepare %d cells against %d", cells, threshold)
	}
	if threshold > rootsMax || cells == 0 {
		return nil
	}
	if err := sh.prepareTriples(ctx, (sh.n+int(threshold)-1)*cells); err != nil {
		return err
	}
	return sh.prepare(ctx, len(sh.rand)+cells, 0)
}

// poolCells returns, from every party's shared counts and flags (m of
// each, by party), the pooled counts and, for each party, 1 − its flags.
func (sh *Shamir) poolCells(all [][]Fp, m int) (pooled []Fp, notFlagged [][]Fp) {
	pooled = make([]Fp, m)
	notFlagged = make([][]Fp, len(all))
	for i, v := range all {
		pooled = AddVec(pooled, v[:m])
		notFlagged[i] = not(v[m:])
	}
	return pooled, notFlagged
}

// product multiplies vectors element-wise by a balanced tree of Mul, one
// round a level; the pool must hold the len(vectors) − 1 products' triples.
func (sh *Shamir) product(ctx context.Context, vectors [][]Fp) ([]Fp, error) {
	for len(vectors) > 1 {
		m := len(vectors[0])
		half := len(vectors) / 2
		x, y := make([]Fp, 0, half*m), make([]Fp, 0, half*m)
		for j := range half {
			x = append(x, vectors[2*j]...)
			y = append(y, vectors[2*j+1]...)
		}
		prod, err := sh.Mul(ctx, x, y)
		if err != nil {
			return nil, err
		}
		next := make([][]Fp, 0, half+1)
		for j := range half {
			next = append(next, prod[j*m:(j+1)*m])
		}
		if len(vectors)%2 == 1 {
			next = append(next, vectors[len(vectors)-1])
		}
		vectors = next
	}
	return vectors[0], nil
}

// passByComparison is PassThreshold's check for a large threshold: the
// flags' product G by a tree of products, two comparisons a cell, all in
// one batch, for [0 < P < threshold] = [P − threshold < 0] − [P − 1 < 0]
// (P < 2^46, well within the comparisons' range), and (1 − that)·G opened.
func (sh *Shamir) passByComparison(ctx context.Context, pooled []Fp, notFlagged [][]Fp, threshold int64) ([]bool, error) {
	m := len(pooled)
	v := make([]Fp, 0, 2*m)
	v = append(v, AddPublic(pooled, NewFp(-threshold))...)
	v = append(v, AddPublic(pooled, NewFp(-1))...)
	// The randomness of the comparisons, in batches of at most
	// CompareBatch, the first with the triples of the other products: the
	// n − 1 of G and the verdicts.
	extra := len(notFlagged) * m
	for lo := 0; lo < len(v); lo += compareBatch {
		k := min(compareBatch, len(v)-lo)
		if err := sh.prepareCompare(ctx, k, extra); err != nil {
			return nil, err
		}
		extra = 0
	}
	g, err := sh.product(ctx, notFlagged)
	if err != nil {
		return nil, err
	}
	lt, err := sh.LessThanZero(ctx, v)
	if err != nil {
		return nil, err
	}
	notSmall := make([]Fp, m)
	for k := range notSmall {
		notSmall[k] = Fp(1).Sub(lt[k]).Add(lt[m+k])
	}
	pass, err := sh.Mul(ctx, notSmall, g)
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
		sh.s.RecordOpened(verdict(out[k]))
	}
	return out, nil
}

// verdict is how the audit lists a cell's verdict.
func verdict(pass bool) string {
	if pass {
		return "passes"
	}
	return "suppressed"
}
