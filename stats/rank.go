package stats

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Order statistics by a k-th ranked element search over the value domain.
//
// Every value is mapped to a 64-bit key (OrderKey) that sorts as the value
// does. The pooled k-th smallest value is found one key byte a round, most
// significant byte first: every party counts its own values in each of the
// 256 buckets under each prefix being probed, the counts are added securely,
// and the deciding party walks the pooled cumulative counts to the bucket
// holding the k-th value, which extends the prefix by one byte. After eight
// rounds the key, and so the value, is known exactly. When the chosen
// bucket holds exactly one pooled value, the next round carries that value's
// remaining key bits instead (summed: every party but its holder adds 0), so
// the search for that target ends a round later.

// OrderKey returns v's key in an order-preserving bijection between the
// float64 values other than NaN (with −0 taken as +0) and a subset of the
// uint64 values: for any a and b that are not NaN, a < b exactly when
// OrderKey(a) < OrderKey(b), and OrderValue(OrderKey(a)) == a. −0 has the
// key of +0, so OrderValue gives +0 back. NaN has no place in the order:
// callers exclude it (its key is meaningless).
func OrderKey(v float64) uint64 {
	if v == 0 {
		return 1 << 63
	}
	b := math.Float64bits(v)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// OrderValue returns the value whose key is k: the inverse of OrderKey.
func OrderValue(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

const (
	rankRounds     = 8   // key bytes, one a round
	rankBuckets    = 256 // buckets under a prefix: one byte
	rankChunkBits  = 28  // prefixes and key remainders travel in 28-bit pieces
	rankChunkMask  = 1<<rankChunkBits - 1
	rankMaxTargets = 1 << 10 // distinct ranks in one search

	// Status of a decision, its first element.
	rankStatusDone     = 0
	rankStatusGo       = 1
	rankStatusNoValues = -1
	rankStatusBadRanks = -2
)

// rankErrNoValues is the error of a search over no values at all.
var rankErrNoValues = errors.New("no values")

// rankGroup is a prefix whose buckets are counted this round, with this
// party's keys under it.
type rankGroup struct {
	prefix uint64   // the keys' leading bits (8 per finished round)
	all    bool     // the empty prefix: every value of x
	keys   []uint64 // this party's keys under prefix (unless all)
	counts [rankBuckets]int64
	lo, hi int // when x is sorted: the values under prefix are x[lo:hi]
}

// rankSingle is a prefix under which exactly one pooled value lies; this
// party sends that value's remaining key bits, or 0 when it is not the
// holder.
type rankSingle struct {
	prefix uint64
	rem    uint64
}

// rankTarget is the deciding party's state for one wanted rank.
type rankTarget struct {
	rank   int64 // 1-based rank among the pooled values under prefix
	prefix uint64
	kind   int8 // rankCounting, rankSingleton or rankResolved
	index  int  // its group or single this round
	key    uint64
}

const (
	rankCounting int8 = iota
	rankSingleton
	rankResolved
)

// OrderStatistics returns the pooled order statistics of the parties'
// values: values[i] is the ranks(n)[i]-th smallest of all n values of all
// parties (ranks are 1-based), bit for bit one of the data values (−0 comes
// back as +0). Every party runs it with its own x (NaN is an error: drop
// missing values first; ±Inf are ordered values). The deciding parties get
// the values and the pooled count n; the others get nil and 0. ranks is
// called at deciding parties only, once n is known; its error, or a rank
// outside [1, n], stops every party.
//
// Rounds: one Sum per key byte (at most 8) and, after each but the last, one
// Decide that says which prefixes to probe next (or that the search is
// over): at most 15 Sum and Decide calls together, however many ranks are
// searched, and fewer when every target's bucket narrows to a single value
// early. The first Sum carries the bucket counts of the leading byte, whose
// total is n, so no separate count round is needed.
//
// What is revealed, and to whom:
//   - The deciding parties learn the pooled count n and, for every probed
//     prefix, the pooled number of values in each of its 256 buckets. The
//     first round's buckets are the sign and the 7 leading exponent bits, so
//     this is a coarse pooled histogram on a log scale; later rounds refine
//     it only inside the buckets that hold a wanted rank. Where a bucket
//     holds a single pooled value, they learn that value (it is a wanted
//     order statistic).
//   - Every party learns the probed prefixes, that is the leading bytes of
//     each wanted order statistic (up to 7 of its 8 key bytes: all but the
//     last round's, or all before the round that carried the value itself),
//     and so, nearly, the answer; from the shape of the decisions it also
//     learns which probed prefixes hold a single pooled value and after
//     how many rounds the search ended. In the open way, where every party
//     decides, every party learns all that the deciders learn.
//   - No party's own count, minimum, maximum or bucket counts are revealed:
//     parties contribute only to sums, and nobody learns which party holds
//     a value that is found.
//
// With a Selector (three or more parties, honest majority), the search is
// the result-only one instead (see Selector): n is opened to every party,
// every party computes the ranks from it, and nothing else is opened but
// the wanted order statistics' keys, four bits a round.
func OrderStatistics(ctx context.Context, c Combiner, x []float64, ranks func(n int64) ([]int64, error)) (values []float64, n int64, err error) {
	if sl, ok := c.(Selector); ok {
		return selectOrderStatistics(ctx, sl, x, ranks, "order statistics")
	}
	return rankSearch(ctx, c, x, ranks, "order statistics")
}

// rankSearch is OrderStatistics with what naming the statistic in errors.
func rankSearch(ctx context.Context, c Combiner, x []float64, ranks func(n int64) ([]int64, error), what string) ([]float64, int64, error) {
	root := &rankGroup{all: true, hi: len(x)}
	// Sorted values (a node keeps its whole columns sorted) are counted by
	// binary search: a few thousand comparisons a round instead of a pass.
	sorted := slices.IsSorted(x) && (len(x) == 0 || x[0] == x[0])
	if sorted {
		rankCountSorted(x, root, 0)
	} else {
		for i, v := range x {
			if v != v {
				return nil, 0, fmt.Errorf("%s: value %d is NaN: only numbers can be ranked (drop missing values first)", what, i)
			}
			root.counts[OrderKey(v)>>56]++
		}
	}
	groups := []*rankGroup{root}
	var singles []*rankSingle
	var dec *rankDecider
	if c.Decider() {
		dec = &rankDecider{what: what, ranks: ranks}
	}
	for r := 1; r <= rankRounds; r++ {
		vec := make([]float64, 0, rankBuckets*len(groups)+2*len(singles))
		for _, g := range groups {
			for _, k := range g.counts {
				vec = append(vec, float64(k))
			}
		}
		for _, s := range singles {
			vec = append(vec, float64(s.rem>>rankChunkBits), float64(s.rem&rankChunkMask))
		}
		tot, err := c.Sum(ctx, vec)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: round %d: %w", what, r, err)
		}
		var decision []float64
		var decErr error
		if dec != nil {
			decision, decErr = dec.step(tot, r, len(groups), len(singles))
			if decErr != nil {
				if errors.Is(decErr, rankErrNoValues) {
					decision = []float64{rankStatusNoValues}
				} else {
					decision = []float64{rankStatusBadRanks}
				}
			}
		}
		if r == rankRounds {
			if decErr != nil {
				return nil, 0, decErr
			}
			break
		}
		d, err := c.Decide(ctx, decision)
		if decErr != nil {
			// The others have been told to stop; this error says why.
			return nil, 0, decErr
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: round %d decision: %w", what, r, err)
		}
		if len(d) == 0 {
			return nil, 0, fmt.Errorf("%s: round %d: empty decision from the deciding party", what, r)
		}
		switch d[0] {
		case rankStatusDone:
			return dec.result()
		case rankStatusNoValues:
			return nil, 0, fmt.Errorf("%s: %w", what, rankErrNoValues)
		case rankStatusBadRanks:
			return nil, 0, fmt.Errorf("%s: the deciding party stopped the search (invalid ranks)", what)
		case rankStatusGo:
		default:
			return nil, 0, fmt.Errorf("%s: round %d: unknown decision status %v", what, r, d[0])
		}
		countP, singleP, err := rankParseDecision(d, r)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: round %d: malformed decision: %w", what, r, err)
		}
		route := rankRoute
		if sorted {
			route = rankRouteSorted
		}
		if groups, singles, err = route(x, groups, countP, singleP, r); err != nil {
			return nil, 0, fmt.Errorf("%s: round %d: malformed decision: %w", what, r, err)
		}
	}
	return dec.result()
}

// rankParseDecision reads the prefixes of a go decision taken after round
// r: [status, A, B, A count prefixes, B single prefixes], each prefix as a
// (high, low) pair of 28-bit pieces.
func rankParseDecision(d []float64, r int) (countP, singleP []uint64, err error) {
	if len(d) < 3 {
		return nil, nil, fmt.Errorf("%d elements", len(d))
	}
	a, b := d[1], d[2]
	if a != math.Trunc(a) || b != math.Trunc(b) || a < 0 || b < 0 || a+b < 1 || a+b > rankMaxTargets {
		return nil, nil, fmt.Errorf("bad prefix counts %v and %v", a, b)
	}
	na, nb := int(a), int(b)
	if len(d) != 3+2*(na+nb) {
		return nil, nil, fmt.Errorf("%d elements for %d prefixes", len(d), na+nb)
	}
	ps := make([]uint64, na+nb)
	for i := range ps {
		hi, lo := d[3+2*i], d[4+2*i]
		if hi != math.Trunc(hi) || lo != math.Trunc(lo) || hi < 0 || lo < 0 || hi > rankChunkMask || lo > rankChunkMask {
			return nil, nil, fmt.Errorf("bad prefix pieces %v, %v", hi, lo)
		}
		p := uint64(hi)<<rankChunkBits | uint64(lo)
		if p>>(8*r) != 0 {
			return nil, nil, fmt.Errorf("prefix %#x longer than %d bits", p, 8*r)
		}
		ps[i] = p
	}
	return ps[:na], ps[na:], nil
}

// rankRoute builds the next round's groups and singles from this round's
// groups, after round r (prefixes now have 8r bits). Each value is looked at
// once, in the group of its parent prefix, and the next byte's buckets are
// counted as it is moved.
func rankRoute(x []float64, groups []*rankGroup, countP, singleP []uint64, r int) ([]*rankGroup, []*rankSingle, error) {
	shift := uint(64 - 8*r)
	parent := make(map[uint64]int, len(groups))
	for i, g := range groups {
		parent[g.prefix] = i
	}
	tables := make([]*[rankBuckets]int32, len(groups))
	place := func(p uint64, code int32) (int, error) {
		gi, ok := parent[p>>8]
		if !ok {
			return 0, fmt.Errorf("prefix %#x extends no probed prefix", p)
		}
		t := tables[gi]
		if t == nil {
			t = new([rankBuckets]int32)
			tables[gi] = t
		}
		if t[p&0xff] != 0 {
			return 0, fmt.Errorf("prefix %#x named twice", p)
		}
		t[p&0xff] = code
		return gi, nil
	}
	next := make([]*rankGroup, len(countP))
	for j, p := range countP {
		gi, err := place(p, int32(j+1))
		if err != nil {
			return nil, nil, err
		}
		next[j] = &rankGroup{prefix: p, keys: make([]uint64, 0, groups[gi].counts[p&0xff])}
	}
	singles := make([]*rankSingle, len(singleP))
	for j, p := range singleP {
		if _, err := place(p, int32(-j-1)); err != nil {
			return nil, nil, err
		}
		singles[j] = &rankSingle{prefix: p}
	}
	mask := uint64(1)<<shift - 1
	move := func(t *[rankBuckets]int32, k uint64) {
		switch c := t[(k>>shift)&0xff]; {
		case c > 0:
			g := next[c-1]
			g.keys = append(g.keys, k)
			g.counts[(k>>(shift-8))&0xff]++
		case c < 0:
			singles[-c-1].rem = k & mask
		}
	}
	for gi, g := range groups {
		t := tables[gi]
		if t == nil {
			continue
		}
		if g.all {
			for _, v := range x {
				move(t, OrderKey(v))
			}
		} else {
			for _, k := range g.keys {
				move(t, k)
			}
		}
	}
	return next, singles, nil
}

// rankSearchSorted finds the first index in x[lo:hi] (sorted) whose key is
// at least key.
func rankSearchSorted(x []float64, lo, hi int, key uint64) int {
	return lo + sort.Search(hi-lo, func(i int) bool { return OrderKey(x[lo+i]) >= key })
}

// rankCountSorted counts, for a group over sorted x[g.lo:g.hi] whose prefix
// has 8r bits, the values in each bucket of the next byte.
func rankCountSorted(x []float64, g *rankGroup, r int) {
	shift := uint(56 - 8*r)
	start := g.lo
	for b := 0; b < rankBuckets; b++ {
		end := g.hi
		if b < rankBuckets-1 {
			end = rankSearchSorted(x, start, g.hi, (g.prefix<<8|uint64(b+1))<<shift)
		}
		g.counts[b] = int64(end - start)
		start = end
	}
}

// rankRouteSorted is rankRoute for sorted x: a prefix's values are a
// sub-range of its parent's, found by binary search.
func rankRouteSorted(x []float64, groups []*rankGroup, countP, singleP []uint64, r int) ([]*rankGroup, []*rankSingle, error) {
	parent := make(map[uint64]*rankGroup, len(groups))
	for _, g := range groups {
		parent[g.prefix] = g
	}
	shift := uint(64 - 8*r)
	span := func(p uint64) (int, int, error) {
		g, ok := parent[p>>8]
		if !ok {
			return 0, 0, fmt.Errorf("prefix %#x extends no probed prefix", p)
		}
		lo := rankSearchSorted(x, g.lo, g.hi, p<<shift)
		hi := g.hi
		if p&0xff != 0xff {
			hi = rankSearchSorted(x, lo, g.hi, (p+1)<<shift)
		}
		return lo, hi, nil
	}
	next := make([]*rankGroup, len(countP))
	for j, p := range countP {
		lo, hi, err := span(p)
		if err != nil {
			return nil, nil, err
		}
		next[j] = &rankGroup{prefix: p, lo: lo, hi: hi}
		rankCountSorted(x, next[j], r)
	}
	singles := make([]*rankSingle, len(singleP))
	for j, p := range singleP {
		lo, hi, err := span(p)
		if err != nil {
			return nil, nil, err
		}
		singles[j] = &rankSingle{prefix: p}
		switch hi - lo {
		case 0:
		case 1:
			singles[j].rem = OrderKey(x[lo]) & (uint64(1)<<shift - 1)
		default:
			return nil, nil, fmt.Errorf("prefix %#x said to hold one value holds %d here", p, hi-lo)
		}
	}
	return next, singles, nil
}

// rankDecider is the deciding party's side of the search.
type rankDecider struct {
	what    string
	ranks   func(n int64) ([]int64, error)
	n       int64
	want    []int // for each asked rank, its target
	targets []*rankTarget
}

// rankCount reads a pooled count.
func rankCount(v float64) (int64, bool) {
	c := math.Round(v)
	if c < 0 || math.Abs(c-v) > 1e-6 || c > 1<<53 {
		return 0, false
	}
	return int64(c), true
}

// start reads n from the first round's buckets and sets up the targets.
func (d *rankDecider) start(tot []float64) error {
	for _, v := range tot {
		c, ok := rankCount(v)
		if !ok {
			return fmt.Errorf("%s: pooled bucket count %v is not a count", d.what, v)
		}
		d.n += c
	}
	if d.n == 0 {
		return fmt.Errorf("%s: %w", d.what, rankErrNoValues)
	}
	asked, err := d.ranks(d.n)
	var de *DisclosureError
	if errors.As(err, &de) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", d.what, err)
	}
	if len(asked) == 0 {
		return fmt.Errorf("%s: no ranks asked for", d.what)
	}
	index := map[int64]int{}
	d.want = make([]int, len(asked))
	for i, k := range asked {
		if k < 1 || k > d.n {
			return fmt.Errorf("%s: rank %d is outside [1, %d]", d.what, k, d.n)
		}
		j, ok := index[k]
		if !ok {
			if len(d.targets) == rankMaxTargets {
				return fmt.Errorf("%s: more than %d distinct ranks asked for", d.what, rankMaxTargets)
			}
			j = len(d.targets)
			index[k] = j
			d.targets = append(d.targets, &rankTarget{rank: k, kind: rankCounting})
		}
		d.want[i] = j
	}
	return nil
}

// step reads round r's totals (nGroups blocks of bucket counts, then
// nSingles remainders) and returns the decision: where the search goes
// next, or that it is over.
func (d *rankDecider) step(tot []float64, r, nGroups, nSingles int) ([]float64, error) {
	if len(tot) != rankBuckets*nGroups+2*nSingles {
		return nil, fmt.Errorf("%s: round %d: %d totals, want %d", d.what, r, len(tot), rankBuckets*nGroups+2*nSingles)
	}
	if r == 1 {
		if err := d.start(tot); err != nil {
			return nil, err
		}
	}
	remBits := uint(64 - 8*(r-1)) // bits after a single's prefix
	for _, t := range d.targets {
		switch t.kind {
		case rankCounting:
			block := tot[rankBuckets*t.index : rankBuckets*(t.index+1)]
			var before int64
			found := false
			for b, v := range block {
				c, ok := rankCount(v)
				if !ok {
					return nil, fmt.Errorf("%s: round %d: pooled bucket count %v is not a count", d.what, r, v)
				}
				if t.rank <= before+c {
					t.rank -= before
					t.prefix = t.prefix<<8 | uint64(b)
					switch {
					case r == rankRounds:
						t.kind, t.key = rankResolved, t.prefix
					case c == 1:
						t.kind = rankSingleton
					}
					found = true
					break
				}
				before += c
			}
			if !found {
				return nil, fmt.Errorf("%s: round %d: rank beyond the pooled count %d under a prefix (parties disagree)", d.what, r, before)
			}
		case rankSingleton:
			hi, lo := tot[rankBuckets*nGroups+2*t.index], tot[rankBuckets*nGroups+2*t.index+1]
			h, ok1 := rankCount(hi)
			l, ok2 := rankCount(lo)
			rem := uint64(h)<<rankChunkBits | uint64(l)
			if !ok1 || !ok2 || h > rankChunkMask || l > rankChunkMask || rem>>remBits != 0 {
				return nil, fmt.Errorf("%s: round %d: value pieces %v, %v are not a key remainder (parties disagree)", d.what, r, hi, lo)
			}
			t.kind, t.key = rankResolved, t.prefix<<remBits|rem
		}
	}
	if r == rankRounds {
		return nil, nil
	}
	// The next round's prefixes, each once.
	var countP, singleP []uint64
	countIdx, singleIdx := map[uint64]int{}, map[uint64]int{}
	for _, t := range d.targets {
		switch t.kind {
		case rankCounting:
			j, ok := countIdx[t.prefix]
			if !ok {
				j = len(countP)
				countIdx[t.prefix] = j
				countP = append(countP, t.prefix)
			}
			t.index = j
		case rankSingleton:
			j, ok := singleIdx[t.prefix]
			if !ok {
				j = len(singleP)
				singleIdx[t.prefix] = j
				singleP = append(singleP, t.prefix)
			}
			t.index = j
		}
	}
	if len(countP)+len(singleP) == 0 {
		return []float64{rankStatusDone}, nil
	}
	out := make([]float64, 0, 3+2*(len(countP)+len(singleP)))
	out = append(out, rankStatusGo, float64(len(countP)), float64(len(singleP)))
	for _, p := range append(countP, singleP...) {
		out = append(out, float64(p>>rankChunkBits), float64(p&rankChunkMask))
	}
	return out, nil
}

// result returns the asked order statistics at the deciding party (nil, 0
// elsewhere).
func (d *rankDecider) result() ([]float64, int64, error) {
	if d == nil {
		return nil, 0, nil
	}
	out := make([]float64, len(d.want))
	for i, j := range d.want {
		t := d.targets[j]
		if t.kind != rankResolved {
			return nil, 0, fmt.Errorf("%s: rank %d unresolved after the search", d.what, t.rank)
		}
		out[i] = OrderValue(t.key)
	}
	return out, d.n, nil
}

// rankCheckProbs validates probabilities.
func rankCheckProbs(what string, probs []float64) error {
	if len(probs) == 0 {
		return fmt.Errorf("%s: no probabilities", what)
	}
	for i, p := range probs {
		if p != p || p < 0 || p > 1 {
			return fmt.Errorf("%s: probability %d (%v) is outside [0, 1]", what, i, p)
		}
	}
	return nil
}

// rankType7Index returns R's type-7 index 1 + (n−1)p and its floor and
// ceiling as 1-based ranks.
func rankType7Index(n int64, p float64) (index float64, lo, hi int64) {
	index = float64(float64(n-1)*p) + 1
	return index, int64(math.Floor(index)), int64(math.Ceil(index))
}

// rankType7 interpolates as R's quantile(type = 7) does, given the
// order statistics at the floor and ceiling of the index.
func rankType7(index float64, lo int64, xlo, xhi float64) float64 {
	q := xlo
	if index > float64(lo) && xhi != q {
		h := index - float64(lo)
		// Explicit conversions keep the compiler from fusing into an FMA,
		// so the result is R's, bit for bit.
		q = float64((1-h)*q) + float64(h*xhi)
	}
	return q
}

// QuantileSorted is the type-7 quantile of plain, sorted, non-empty
// values, computed as Quantiles computes it: the plaintext answer the
// secure one is checked against.
func QuantileSorted(sorted []float64, p float64) float64 {
	index, lo, hi := rankType7Index(int64(len(sorted)), p)
	return rankType7(index, lo, sorted[lo-1], sorted[hi-1])
}

// Quantiles returns the pooled sample quantiles of the parties' values at
// the probabilities probs, by R's default definition (type 7): with the n
// pooled values sorted, x[1] ≤ … ≤ x[n], index = 1 + (n−1)p, lo and hi its
// floor and ceiling, and h = index − lo, the quantile is x[lo] when h is 0
// or x[hi] == x[lo], else (1−h)·x[lo] + h·x[hi], computed in float64
// exactly as R does. Every party passes the same probabilities; the
// deciding parties get the quantiles, the others nil. All probabilities are
// searched together, in the rounds of one OrderStatistics call (two ranks
// each, one when the index is a whole number); what is revealed is what
// OrderStatistics reveals for those ranks. With a Selector (three or more
// parties), the result-only search runs instead: at probabilities 0, ½
// and 1 the ranks come from the shared n, which is never opened, and the
// order-statistic rule is checked inside the sharing; at any other
// probability n is opened first (see Selector). Errors: a probability
// outside [0, 1] or NaN, no probabilities, NaN values, no values at any
// party.
func Quantiles(ctx context.Context, c Combiner, x []float64, probs []float64) ([]float64, error) {
	return rankQuantiles(ctx, c, x, probs, 0, "quantiles")
}

// DisclosureError is an error that a disclosure rule raised: the
// statistic would release what the rule forbids. Its text is for the
// analyst: the rule and what to do.
type DisclosureError struct{ Rule string }

func (e *DisclosureError) Error() string { return "refused: " + e.Rule }

// QuantilesInside is Quantiles under the order-statistic rule: every
// order statistic a quantile interpolates between must have at least
// margin pooled values below it and margin above it, so that no quantile
// is (or is interpolated from) one of the margin smallest or largest
// values. The deciding parties check the rule once n is known and stop the
// search before anything more is revealed; the error is a *DisclosureError.
func QuantilesInside(ctx context.Context, c Combiner, x []float64, probs []float64, margin int) ([]float64, error) {
	return rankQuantiles(ctx, c, x, probs, margin, "quantiles")
}

// rankQuantiles is Quantiles with what naming the statistic in errors.
func rankQuantiles(ctx context.Context, c Combiner, x []float64, probs []float64, margin int, what string) ([]float64, error) {
	if err := rankCheckProbs(what, probs); err != nil {
		return nil, err
	}
	if sl, ok := c.(Selector); ok {
		return selectQuantiles(ctx, sl, x, probs, margin, what)
	}
	vals, n, err := rankSearch(ctx, c, x, func(n int64) ([]int64, error) {
		ranks := make([]int64, 0, 2*len(probs))
		for _, p := range probs {
			_, lo, hi := rankType7Index(n, p)
			if lo-1 < int64(margin) || n-hi < int64(margin) {
				return nil, &DisclosureError{fmt.Sprintf("order-statistic rule: the %s at %v would come from among the %d smallest or %d largest values, each a patient's own value; ask for probabilities nearer the middle or widen the cohort", what, p, margin, margin)}
			}
			ranks = append(ranks, lo, hi)
		}
		return ranks, nil
	}, what)
	if err != nil || vals == nil {
		return nil, err
	}
	out := make([]float64, len(probs))
	for i, p := range probs {
		index, lo, _ := rankType7Index(n, p)
		out[i] = rankType7(index, lo, vals[2*i], vals[2*i+1])
	}
	return out, nil
}

// Median returns the pooled median of the parties' values: Quantiles at
// 0.5, so an even count gives the mean of the two middle values (computed
// as R does). The deciding parties get it; the others get NaN. It reveals
// what OrderStatistics reveals for the one or two middle ranks; with a
// Selector, only the bits of the two middle values' keys (equal when n is
// odd), and not n.
func Median(ctx context.Context, c Combiner, x []float64) (float64, error) {
	q, err := rankQuantiles(ctx, c, x, []float64{0.5}, 0, "median")
	if err != nil {
		return math.NaN(), err
	}
	if q == nil {
		return math.NaN(), nil
	}
	return q[0], nil
}

// MinMax returns the pooled minimum and maximum of the parties' values and
// their pooled count n (the order statistics of ranks 1 and n), at the
// deciding parties; the others get NaN, NaN and 0. No party's own minimum,
// maximum or count is revealed, only the pooled ones (and what
// OrderStatistics reveals on the way). Errors: NaN values, no values.
//
// With a Selector, the result-only search: n is opened to every party (it
// is released with the extremes), then only the two keys.
func MinMax(ctx context.Context, c Combiner, x []float64) (lo, hi float64, n int64, err error) {
	extremes := func(n int64) ([]int64, error) { return []int64{1, n}, nil }
	var vals []float64
	if sl, ok := c.(Selector); ok {
		vals, n, err = selectOrderStatistics(ctx, sl, x, extremes, "minimum/maximum")
	} else {
		vals, n, err = rankSearch(ctx, c, x, extremes, "minimum/maximum")
	}
	if err != nil {
		return math.NaN(), math.NaN(), 0, err
	}
	if vals == nil {
		return math.NaN(), math.NaN(), 0, nil
	}
	return vals[0], vals[1], n, nil
}
