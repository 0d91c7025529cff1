package mpc

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RankSelect is one party's side of a result-only rank search over
// Shamir shares: the parties look for the pooled values of given ranks
// bucket by bucket, and only the index of the bucket that holds each
// wanted rank is opened.
//
// Each round, every party counts its own values in the buckets under the
// prefixes being probed and shares those counts (Pool); the pooled counts
// exist only as shares. The cumulative counts are compared with each
// target's rank inside the sharing (Select): the number of buckets whose
// cumulative count is below the rank is the index of the bucket holding
// it, and that index alone is opened, checked at every receiver. The
// target's rank within the chosen bucket (its rank less the pooled count
// before the bucket) stays shared. Every party derives the next round's
// prefixes from the opened indices itself, so no party decides for the
// others.
//
// The ranks may depend on the pooled count n, which stays shared too
// (Target), and rules on n (a search needs values; an order statistic
// needs enough values on each side) are checked inside the sharing, only
// their outcome being opened. OpenCount opens n where it is released
// anyway.
//
// Threat model: that of Shamir. Private against any coalition of fewer
// than n/2 members; a member that sends a false or different share at any
// opening is detected and the session aborts naming it (or, with three
// members, naming two of whom one sent it). A member can still give false
// counts of its own values, as it can give false values.
type RankSelect struct {
	sh       *Shamir
	ahead    *Shamir       // shares the next round's counts beside the comparisons
	prepare  *Shamir       // makes later rounds' randomness beside the comparisons
	prepared *compareAhead // that randomness, batch by batch
	buckets  int
	pooled   []Fp // this round's pooled counts, shared: groups × buckets
	n        Fp   // the pooled count, shared: the total of the first Pool
	pools    int
	ranks    []Fp // each target's rank within its bucket, shared
}

// MaxRankCount bounds a party's count in one bucket (and so its number of
// values): the pooled cumulative counts must stay far inside the range of
// the comparisons.
const MaxRankCount = 1 << 40

// NewRankSelect starts a search with buckets buckets under each prefix
// (2 to 256).
func NewRankSelect(sh *Shamir, buckets int) (*RankSelect, error) {
	if buckets < 2 || buckets > 256 {
		return nil, fmt.Errorf("rank search: %d buckets a prefix, want 2 to 256", buckets)
	}
	ahead, err := NewShamir(sh.s.Sub(sh.s.Step("rank-ahead")))
	if err != nil {
		return nil, err
	}
	prepare, err := NewShamir(sh.s.Sub(sh.s.Step("rank-prepare")))
	if err != nil {
		return nil, err
	}
	return &RankSelect{sh: sh, ahead: ahead, prepare: prepare, buckets: buckets}, nil
}

// Pool shares this party's counts, one block of buckets counts for each
// probed prefix (every party passes as many blocks, in the same order),
// and keeps their sums over the parties, shared, for the next Select. The
// first Pool's total over all blocks is the pooled count n. One round.
func (r *RankSelect) Pool(ctx context.Context, counts []int64) error {
	sum, err := r.pool(ctx, r.sh, counts)
	if err != nil {
		return err
	}
	if r.pools == 0 {
		for _, v := range sum {
			r.n = r.n.Add(v)
		}
	}
	r.pools++
	r.pooled = sum
	return nil
}

// pool shares counts over sh and returns this party's shares of their
// sums over the parties.
func (r *RankSelect) pool(ctx context.Context, sh *Shamir, counts []int64) ([]Fp, error) {
	if len(counts) == 0 || len(counts)%r.buckets != 0 {
		return nil, fmt.Errorf("rank search: %d counts are not blocks of %d buckets", len(counts), r.buckets)
	}
	mine := make([]Fp, len(counts))
	for i, c := range counts {
		if c < 0 || c >= MaxRankCount {
			return nil, fmt.Errorf("rank search: count %d outside [0, 2^40)", c)
		}
		mine[i] = Fp(c)
	}
	all, err := sh.InputAll(ctx, mine)
	if err != nil {
		return nil, err
	}
	sum := make([]Fp, len(counts))
	for _, v := range all {
		sum = AddVec(sum, v)
	}
	return sum, nil
}

// OpenCount opens the pooled count n to every party. One round.
func (r *RankSelect) OpenCount(ctx context.Context) (int64, error) {
	if r.pools == 0 {
		return 0, fmt.Errorf("rank search: the count is opened after the first Pool")
	}
	v, err := r.sh.Open(ctx, []Fp{r.n})
	if err != nil {
		return 0, err
	}
	n := v[0].Int()
	r.sh.s.RecordOpened(n)
	if n < 0 || n >= MaxRankCount*MaxParties {
		return 0, fmt.Errorf("rank search: the pooled count %d is not a count", n)
	}
	return n, nil
}

// RankForm is an affine function of the pooled count n and its parity:
// (N·n + Parity·(n mod 2) + Const) / 2. Ranks of the type-7 quantiles at
// 0, ½ and 1 have this form: 1 is (0, 0, 2), n is (2, 0, 0), and the
// median's two middle ranks are (1, 1, 0) and (1, −1, 2). A form must give
// an integer for every n, which the caller sees to.
type RankForm struct{ N, Parity, Const int64 }

// Target fixes the ranks searched, as forms of the shared n, and checks
// rules on n inside the sharing: check i holds when N·n + Const ≥ 0 (its
// Parity must be 0). Only the checks' outcomes are opened, to every
// party; when one fails the ranks are not set and the caller stops. Target
// also makes the randomness of the comparisons of the first of rounds
// Selects, and starts making that of the others, round by round, beside
// the comparisons (see compareAhead), so that a Select's rounds are its
// comparisons' alone. At most CompareRounds + 1 rounds, and PrepareRounds
// for each CompareBatch comparisons of the first round.
func (r *RankSelect) Target(ctx context.Context, ranks, checks []RankForm, rounds int) ([]bool, error) {
	if r.pools == 0 {
		return nil, fmt.Errorf("rank search: targets are set after the first Pool")
	}
	parity := false
	for _, f := range ranks {
		parity = parity || f.Parity != 0
	}
	var v []Fp
	if parity {
		// lsb(n) = lsb(2·(n/2 mod p)): what LessThanZero computes of n/2.
		v = append(v, r.n.Mul(Fp(2).Inv()))
	}
	for _, c := range checks {
		if c.Parity != 0 {
			return nil, fmt.Errorf("rank search: a check may not use the parity of n")
		}
		// N·n + Const ≥ 0 is [N·n + Const < 0] = 0.
		v = append(v, r.n.Mul(NewFp(c.N)).Add(NewFp(c.Const)))
	}
	// Rounds 2, 3–4, 5–8, …: each batch is made while the rounds before
	// it run, in few batches (a batch costs PrepareRounds rounds of its
	// own whatever its size).
	perRound := len(ranks) * (r.buckets - 1)
	var batches []int
	for from, size := 2, 1; from <= rounds; from, size = from+size, 2*size {
		batches = append(batches, splitBatches(min(size, rounds-from+1)*perRound)...)
	}
	if len(batches) > 0 {
		r.prepared = startCompareAhead(ctx, r.prepare, batches)
	}
	for _, m := range splitBatches(len(v) + min(rounds, 1)*perRound) {
		if err := r.sh.PrepareCompare(ctx, m); err != nil {
			return nil, err
		}
	}
	var lsb Fp
	ok := make([]bool, len(checks))
	if len(v) > 0 {
		bits, err := r.sh.LessThanZero(ctx, v)
		if err != nil {
			return nil, err
		}
		if parity {
			lsb, bits = bits[0], bits[1:]
		}
		if len(bits) > 0 {
			open, err := r.sh.Open(ctx, bits)
			if err != nil {
				return nil, err
			}
			for i, b := range open {
				if b > 1 {
					return nil, fmt.Errorf("rank search: check %d opened as %d, not a bit", i, b)
				}
				ok[i] = b == 0
				r.sh.s.RecordOpened(boolAsInt(ok[i]))
			}
		}
	}
	for _, good := range ok {
		if !good {
			// Every party stops here; the randomness made ahead is
			// finished first, so that no party leaves another waiting.
			if r.prepared != nil {
				r.prepared.wait()
			}
			return ok, nil
		}
	}
	half := Fp(2).Inv()
	r.ranks = make([]Fp, len(ranks))
	for i, f := range ranks {
		r.ranks[i] = r.n.Mul(NewFp(f.N)).Add(lsb.Mul(NewFp(f.Parity))).Add(NewFp(f.Const)).Mul(half)
	}
	return ok, nil
}

// splitBatches splits m comparisons into batches of at most compareBatch.
func splitBatches(m int) []int {
	var out []int
	for ; m > 0; m -= compareBatch {
		out = append(out, min(m, compareBatch))
	}
	return out
}

// boolAsInt is 1 for true, 0 for false: how the audit lists a check.
func boolAsInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Select finds, for every target i, the bucket of the pooled block
// group[i] that holds its rank, and opens its index (0 to buckets − 1): to
// every party when to is "", else to party to alone, which gets the
// indices while every other party gets nil (and can search no further).
// The targets' ranks become their ranks within the chosen buckets, still
// shared. CompareOnlineRounds + 1 rounds, for up to CompareBatch
// comparisons (targets × (buckets − 1)).
//
// ahead, when not nil, is this party's counts for the next round, blocks
// of buckets counts that do not depend on this round's indices (the
// caller counts under every bucket of every prefix it probes, and names
// the blocks in the next Select). They are shared and pooled in the
// rounds of the comparisons, and become the pooled counts the next Select
// reads.
func (r *RankSelect) Select(ctx context.Context, group []int, to string, ahead []int64) ([]int, error) {
	if ahead == nil {
		return r.selectBuckets(ctx, group, to)
	}
	var (
		wg     sync.WaitGroup
		next   []Fp
		aheadE error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		next, aheadE = r.pool(ctx, r.ahead, ahead)
		if aheadE != nil {
			r.sh.s.Abort(aheadE) // ends the comparisons too
		}
	}()
	idx, err := r.selectBuckets(ctx, group, to)
	if err != nil {
		r.sh.s.Abort(err) // ends the sharing ahead too
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if aheadE != nil {
		return nil, aheadE
	}
	r.pooled = next
	return idx, nil
}

// selectBuckets is Select without counts ahead.
func (r *RankSelect) selectBuckets(ctx context.Context, group []int, to string) ([]int, error) {
	if r.ranks == nil || len(group) != len(r.ranks) {
		return nil, fmt.Errorf("rank search: %d groups for %d targets", len(group), len(r.ranks))
	}
	if r.pooled == nil {
		return nil, fmt.Errorf("rank search: select without pooled counts")
	}
	blocks := len(r.pooled) / r.buckets
	b := r.buckets
	// cum[i][j] = pooled count of target i's block up to bucket j.
	cum := make([][]Fp, len(group))
	diff := make([]Fp, 0, len(group)*(b-1))
	for i, g := range group {
		if g < 0 || g >= blocks {
			return nil, fmt.Errorf("rank search: target %d names block %d of %d", i, g, blocks)
		}
		block := r.pooled[g*b : (g+1)*b]
		cum[i] = make([]Fp, b)
		var acc Fp
		for j, c := range block {
			acc = acc.Add(c)
			cum[i][j] = acc
		}
		for j := range b - 1 {
			// [cum_j < rank] = [cum_j − rank < 0]
			diff = append(diff, cum[i][j].Sub(r.ranks[i]))
		}
	}
	for r.prepared != nil && len(r.sh.maskBits)/fieldBits < len(diff) {
		if err := r.prepared.take(ctx, r.sh); err != nil {
			if !errors.Is(err, errAheadEnded) {
				return nil, err
			}
			r.prepared = nil // more rounds than announced: made on demand
		}
	}
	lt, err := r.sh.LessThanZero(ctx, diff)
	if err != nil {
		return nil, err
	}
	idx := make([]Fp, len(group))
	for i := range group {
		for j := range b - 1 {
			idx[i] = idx[i].Add(lt[i*(b-1)+j])
		}
	}
	var open []Fp
	if to == "" {
		open, err = r.sh.Open(ctx, idx)
	} else {
		open, err = r.sh.OpenTo(ctx, idx, to)
	}
	r.pooled = nil
	if err != nil {
		return nil, err
	}
	if open == nil {
		r.ranks = nil
		return nil, nil
	}
	out := make([]int, len(open))
	for i, v := range open {
		if uint64(v) >= uint64(b) {
			return nil, fmt.Errorf("rank search: bucket index %d opened for target %d, with %d buckets", v, i, b)
		}
		out[i] = int(v)
		r.sh.s.RecordOpened(out[i])
		if out[i] > 0 {
			r.ranks[i] = r.ranks[i].Sub(cum[i][out[i]-1])
		}
	}
	return out, nil
}
