package stats

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// A result-only rank search: the order statistics of the parties' values,
// found with the pooled counts kept secret-shared.
//
// Every value is mapped to its 64-bit key (OrderKey), and the key of each
// wanted rank is found SelectBits bits a round, most significant first:
// every party counts its own values in the buckets under each prefix being
// probed and hands the counts to the engine (Selection.Pool), which keeps
// their pooled sums shared, compares the cumulative sums with each
// target's rank inside the sharing and opens only the index of the bucket
// that holds it (Selection.Select). After SelectRounds rounds the key, and so the
// value, is known. Every party derives the next prefixes from the opened
// indices itself: nobody decides for the others.
//
// The rounds are as many whatever the data (SelectRounds), and what is
// opened is each wanted order statistic's key, SelectBits bits at a time,
// and nothing else.
// The ranks come from the pooled count n, which stays shared for the
// minimum (rank 1), the maximum (rank n) and the median (its two middle
// ranks, from n's parity); rules on n are checked inside the sharing, only
// their outcome opened. Other ranks (quantiles at other probabilities, an
// explicit rank function) need n in the clear: n is then opened to every
// party first, and every party computes the ranks, and applies the rules,
// itself.

// Selector is a Combiner whose parties can keep pooled counts
// secret-shared and compare them inside the sharing (an honest majority of
// three or more parties). With a Selector, the order statistics run the
// result-only rank search; with any other Combiner, the search whose
// deciding parties see the pooled bucket counts (see OrderStatistics).
type Selector interface {
	Combiner
	// Selection starts one search with the given number of buckets under
	// each prefix.
	Selection(ctx context.Context, buckets int) (Selection, error)
}

// Selection is one party's side of one result-only rank search; every
// party calls its methods in the same order with the same public
// arguments.
type Selection interface {
	// Pool shares this party's counts (a block of buckets counts for each
	// probed prefix); the pooled counts stay shared. The first Pool's
	// total is the pooled count n.
	Pool(ctx context.Context, counts []int64) error
	// OpenCount opens n to every party.
	OpenCount(ctx context.Context) (int64, error)
	// Target sets the ranks searched as forms of the shared n and checks
	// rules N·n + Const ≥ 0 inside the sharing, opening only whether each
	// holds (to every party); it also readies the comparisons of rounds
	// Selects. When a check fails, the ranks are not set.
	Target(ctx context.Context, ranks, checks []RankForm, rounds int) ([]bool, error)
	// Select opens, for each target, the index of the bucket of its
	// pooled block that holds its rank: to every party, or on the last
	// round to the deciding parties only (the others get nil). ahead, when
	// not nil, holds this party's counts for the next round, pooled beside
	// the comparisons: a block for each bucket under each probed prefix,
	// so that the next round's block of a target is its prefix's position
	// times the buckets, plus its opened index.
	Select(ctx context.Context, group []int, last bool, ahead []int64) ([]int, error)
}

// RankForm is a rank as an affine function of the pooled count n and its
// parity: (N·n + Parity·(n mod 2) + Const) / 2.
type RankForm struct{ N, Parity, Const int64 }

// SelectBits is how many bits of the wanted keys a round of the
// result-only search finds: each round compares SelectBuckets − 1
// cumulative counts with each target's rank, and SelectRounds rounds find
// the 64-bit key. Fewer bits a round mean fewer comparisons (which cost
// computation) and more rounds (which cost latency); two balance them on
// a local network.
const (
	SelectBits    = 2
	SelectBuckets = 1 << SelectBits
	SelectRounds  = 64 / SelectBits
)

// Forms of the ranks type-7 quantiles at 0, ½ and 1 use.
var (
	formFirst     = RankForm{0, 0, 2}  // 1
	formLast      = RankForm{2, 0, 0}  // n
	formMiddleLo  = RankForm{1, 1, 0}  // ⌈n/2⌉
	formMiddleHi  = RankForm{1, -1, 2} // ⌊n/2⌋ + 1
	formSomeValue = RankForm{1, 0, -1} // check: n ≥ 1
)

// rankCheck is a rule on n checked inside the sharing, and the error when
// it fails.
type rankCheck struct {
	form RankForm
	err  func() error
}

// selectPlan says where a search's ranks come from: forms of the shared n
// with checks, or (public set) a function of the opened n.
type selectPlan struct {
	forms  []RankForm
	checks []rankCheck
	public func(n int64) ([]int64, error)
}

// selectGroup is a probed prefix and this party's values under it: the
// sorted x[lo:hi], or keys.
type selectGroup struct {
	prefix uint64
	lo, hi int
	keys   []uint64
}

// selectLocal is one party's values, as the search counts them.
type selectLocal struct {
	x      []float64
	sorted bool
}

// count returns this party's counts in the buckets of the next bits
// under g, whose prefix has bits bits.
func (l *selectLocal) count(g *selectGroup, bits int) []int64 {
	out := make([]int64, SelectBuckets)
	shift := uint(64 - bits - SelectBits)
	if !l.sorted {
		for _, k := range g.keys {
			out[(k>>shift)&(SelectBuckets-1)]++
		}
		return out
	}
	start := g.lo
	for b := range SelectBuckets {
		end := g.hi
		if b < SelectBuckets-1 {
			bound := (g.prefix<<SelectBits | uint64(b+1)) << shift
			end = start + sort.Search(g.hi-start, func(i int) bool { return OrderKey(l.x[start+i]) >= bound })
		}
		out[b] = int64(end - start)
		start = end
	}
	return out
}

// children returns the groups under each bucket of g, whose prefix has
// bits bits: one pass over g's keys, or binary searches in sorted x.
func (l *selectLocal) children(g *selectGroup, bits int) []*selectGroup {
	out := make([]*selectGroup, SelectBuckets)
	shift := uint(64 - bits - SelectBits)
	for b := range out {
		out[b] = &selectGroup{prefix: g.prefix<<SelectBits | uint64(b)}
	}
	if !l.sorted {
		for _, k := range g.keys {
			c := out[(k>>shift)&(SelectBuckets-1)]
			c.keys = append(c.keys, k)
		}
		return out
	}
	start := g.lo
	for b, c := range out {
		end := g.hi
		if b < SelectBuckets-1 {
			bound := (c.prefix + 1) << shift
			end = start + sort.Search(g.hi-start, func(i int) bool { return OrderKey(l.x[start+i]) >= bound })
		}
		c.lo, c.hi = start, end
		start = end
	}
	return out
}

// selectSearch runs the result-only rank search with this party's values
// x: the keys of the wanted ranks at the deciding parties (nil elsewhere)
// and, when the plan opened it, n.
func selectSearch(ctx context.Context, sl Selector, x []float64, plan selectPlan, what string) ([]uint64, int64, error) {
	l := &selectLocal{x: x, sorted: slices.IsSorted(x) && (len(x) == 0 || x[0] == x[0])}
	root := &selectGroup{hi: len(x)}
	if !l.sorted {
		root.keys = make([]uint64, len(x))
		for i, v := range x {
			if v != v {
				return nil, 0, fmt.Errorf("%s: value %d is NaN: only numbers can be ranked (drop missing values first)", what, i)
			}
			root.keys[i] = OrderKey(v)
		}
	}
	sel, err := sl.Selection(ctx, SelectBuckets)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", what, err)
	}
	if err := sel.Pool(ctx, l.count(root, 0)); err != nil {
		return nil, 0, fmt.Errorf("%s: round 1: %w", what, err)
	}
	forms, checks, n := plan.forms, plan.checks, int64(0)
	if plan.public != nil {
		if n, err = sel.OpenCount(ctx); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", what, err)
		}
		if n == 0 {
			return nil, 0, fmt.Errorf("%s: %w", what, rankErrNoValues)
		}
		ranks, err := plan.public(n)
		if err != nil {
			var de *DisclosureError
			if errors.As(err, &de) {
				return nil, 0, err
			}
			return nil, 0, fmt.Errorf("%s: %w", what, err)
		}
		if len(ranks) == 0 || len(ranks) > rankMaxTargets {
			return nil, 0, fmt.Errorf("%s: %d ranks asked for, want 1 to %d", what, len(ranks), rankMaxTargets)
		}
		forms = make([]RankForm, len(ranks))
		for i, k := range ranks {
			if k < 1 || k > n {
				return nil, 0, fmt.Errorf("%s: rank %d is outside [1, %d]", what, k, n)
			}
			forms[i] = RankForm{0, 0, 2 * k}
		}
	}
	// Each distinct rank is searched once.
	var targets []RankForm
	want := make([]int, len(forms))
	for i, f := range forms {
		j := slices.Index(targets, f)
		if j < 0 {
			j = len(targets)
			targets = append(targets, f)
		}
		want[i] = j
	}
	forms2 := make([]RankForm, len(checks))
	for i, c := range checks {
		forms2[i] = c.form
	}
	ok, err := sel.Target(ctx, targets, forms2, SelectRounds)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", what, err)
	}
	for i, good := range ok {
		if !good {
			return nil, 0, checks[i].err()
		}
	}
	// groups are this round's distinct probed prefixes; target i's is
	// groups[at[i]], and its pooled block is block[i]. The counts of the
	// next round (every bucket under every bucket of every group) are
	// pooled beside each round's comparisons.
	groups := []*selectGroup{root}
	at := make([]int, len(targets))
	block := make([]int, len(targets))
	for r := 1; r <= SelectRounds; r++ {
		last := r == SelectRounds
		bits := SelectBits * (r - 1) // of the groups' prefixes
		var kids [][]*selectGroup
		var ahead []int64
		if !last {
			kids = make([][]*selectGroup, len(groups))
			ahead = make([]int64, 0, len(groups)*SelectBuckets*SelectBuckets)
			for gi, g := range groups {
				kids[gi] = l.children(g, bits)
				for _, c := range kids[gi] {
					ahead = append(ahead, l.count(c, bits+SelectBits)...)
				}
			}
		}
		idx, err := sel.Select(ctx, block, last, ahead)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: round %d: %w", what, r, err)
		}
		if idx == nil {
			if !last {
				return nil, 0, fmt.Errorf("%s: round %d: no bucket opened", what, r)
			}
			return nil, n, nil // not a deciding party
		}
		if len(idx) != len(targets) {
			return nil, 0, fmt.Errorf("%s: round %d: %d buckets opened for %d targets", what, r, len(idx), len(targets))
		}
		if last {
			keys := make([]uint64, len(forms))
			for i, j := range want {
				keys[i] = groups[at[j]].prefix<<SelectBits | uint64(idx[j])
			}
			return keys, n, nil
		}
		var next []*selectGroup
		nextAt := make([]int, len(targets))
		byBlock := map[int]int{}
		for i, b := range idx {
			block[i] = at[i]*SelectBuckets + b
			j, seen := byBlock[block[i]]
			if !seen {
				j = len(next)
				byBlock[block[i]] = j
				next = append(next, kids[at[i]][b])
			}
			nextAt[i] = j
		}
		groups, at = next, nextAt
	}
	return nil, 0, fmt.Errorf("%s: the search did not end", what)
}

// selectQuantiles is rankQuantiles over a Selector. Probabilities 0, ½
// and 1 are searched at ranks formed from the shared n (the median's
// rule checked inside the sharing); any other probability needs the
// type-7 index 1 + (n−1)p, so n is opened first.
func selectQuantiles(ctx context.Context, sl Selector, x []float64, probs []float64, margin int, what string) ([]float64, error) {
	shared := true
	for _, p := range probs {
		shared = shared && (p == 0 || p == 0.5 || p == 1)
	}
	refuse := func(p float64) error {
		return &DisclosureError{fmt.Sprintf("order-statistic rule: the %s at %v would come from among the %d smallest or %d largest values, each a patient's own value; ask for probabilities nearer the middle or widen the cohort", what, p, margin, margin)}
	}
	var plan selectPlan
	if shared {
		plan.checks = []rankCheck{{formSomeValue, func() error { return fmt.Errorf("%s: %w", what, rankErrNoValues) }}}
		for _, p := range probs {
			switch p {
			case 0:
				if margin > 0 {
					return nil, refuse(p)
				}
				plan.forms = append(plan.forms, formFirst, formFirst)
			case 1:
				if margin > 0 {
					return nil, refuse(p)
				}
				plan.forms = append(plan.forms, formLast, formLast)
			default:
				plan.forms = append(plan.forms, formMiddleLo, formMiddleHi)
			}
		}
		if margin > 0 && slices.Contains(probs, 0.5) {
			// ⌈n/2⌉ − 1 ≥ m and n − ⌊n/2⌋ − 1 ≥ m both hold exactly when
			// n ≥ 2m + 1.
			p := 0.5
			plan.checks = append(plan.checks, rankCheck{RankForm{1, 0, -(2*int64(margin) + 1)}, func() error { return refuse(p) }})
		}
	} else {
		plan.public = func(n int64) ([]int64, error) {
			ranks := make([]int64, 0, 2*len(probs))
			for _, p := range probs {
				_, lo, hi := rankType7Index(n, p)
				if lo-1 < int64(margin) || n-hi < int64(margin) {
					return nil, refuse(p)
				}
				ranks = append(ranks, lo, hi)
			}
			return ranks, nil
		}
	}
	keys, n, err := selectSearch(ctx, sl, x, plan, what)
	if err != nil || keys == nil {
		return nil, err
	}
	out := make([]float64, len(probs))
	for i, p := range probs {
		lo, hi := OrderValue(keys[2*i]), OrderValue(keys[2*i+1])
		if shared {
			// The median's index is n/2 + ½ for even n (h = ½) and a whole
			// number for odd n, where both ranks are the same.
			out[i] = rankType7(1.5, 1, lo, hi)
			continue
		}
		index, l, _ := rankType7Index(n, p)
		out[i] = rankType7(index, l, lo, hi)
	}
	return out, nil
}

// selectOrderStatistics is OrderStatistics over a Selector: n is opened
// and the ranks come from it at every party.
func selectOrderStatistics(ctx context.Context, sl Selector, x []float64, ranks func(n int64) ([]int64, error), what string) ([]float64, int64, error) {
	keys, n, err := selectSearch(ctx, sl, x, selectPlan{public: ranks}, what)
	if err != nil || keys == nil {
		return nil, 0, err // the others get nil and 0, as in the search in the clear
	}
	out := make([]float64, len(keys))
	for i, k := range keys {
		out[i] = OrderValue(k)
	}
	return out, n, nil
}
