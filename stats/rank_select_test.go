package stats

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// plainSelector is a plainParty that runs the result-only rank search's
// steps in the clear: what the engine computes inside the sharing, here
// computed on plain pooled counts, so that the search's logic (counting,
// grouping, forms of n, checks) is tested without the engine. It records
// what the search opens to it.
type plainSelector struct {
	*plainParty
	opened *[]any
}

func (q plainSelector) Selection(ctx context.Context, buckets int) (Selection, error) {
	return &plainSelection{q: q, b: buckets}, nil
}

type plainSelection struct {
	q      plainSelector
	b      int
	pools  int
	pooled []int64
	n      int64
	ranks  []int64
}

func (s *plainSelection) Pool(ctx context.Context, counts []int64) error {
	v := make([]float64, len(counts))
	for i, c := range counts {
		v[i] = float64(c)
	}
	tot, err := s.q.exchange(v)
	if err != nil {
		return err
	}
	s.pooled = make([]int64, len(tot))
	for i, c := range tot {
		s.pooled[i] = int64(c)
		if s.pools == 0 {
			s.n += int64(c)
		}
	}
	s.pools++
	return nil
}

func (s *plainSelection) OpenCount(ctx context.Context) (int64, error) {
	*s.q.opened = append(*s.q.opened, s.n)
	return s.n, nil
}

func (s *plainSelection) Target(ctx context.Context, ranks, checks []RankForm, rounds int) ([]bool, error) {
	ok := make([]bool, len(checks))
	all := true
	for i, c := range checks {
		ok[i] = c.N*s.n+c.Const >= 0
		all = all && ok[i]
		*s.q.opened = append(*s.q.opened, ok[i])
	}
	if !all {
		return ok, nil
	}
	for _, f := range ranks {
		v := f.N*s.n + f.Parity*(s.n%2) + f.Const
		if v%2 != 0 {
			return nil, fmt.Errorf("form %v gives half a rank at n=%d", f, s.n)
		}
		s.ranks = append(s.ranks, v/2)
	}
	return ok, nil
}

func (s *plainSelection) Select(ctx context.Context, group []int, last bool, ahead []int64) ([]int, error) {
	if len(group) != len(s.ranks) {
		return nil, fmt.Errorf("%d groups for %d targets", len(group), len(s.ranks))
	}
	out := make([]int, len(group))
	for i, g := range group {
		block := s.pooled[g*s.b : (g+1)*s.b]
		var cum int64
		for j, c := range block[:s.b-1] {
			if cum+c >= s.ranks[i] {
				break
			}
			cum += c
			out[i] = j + 1
		}
		s.ranks[i] -= cum
	}
	if ahead != nil {
		if err := s.Pool(ctx, ahead); err != nil {
			return nil, err
		}
	}
	if last && !s.q.Decider() {
		return nil, nil
	}
	for _, b := range out {
		*s.q.opened = append(*s.q.opened, b)
	}
	return out, nil
}

// selectTestRun runs f at m parties with plain selectors; it returns each
// party's result, error and what it was opened.
func selectTestRun(t *testing.T, parts [][]float64, open bool, f func(c Combiner, x []float64) (map[string]any, error)) ([]map[string]any, []error, [][]any) {
	t.Helper()
	p := newPlainParties(len(parts), open)
	opened := make([][]any, len(parts))
	out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
		return f(plainSelector{c.(*plainParty), &opened[i]}, parts[i])
	})
	return out, errs, opened
}

// TestSelectMatchesPlaintext: the result-only search gives R's type-7
// quantiles, the median, the minimum and the maximum of the pooled values
// at the deciding parties, for every kind of data and 3 to 7 parties,
// sorted or not; the others get nothing.
func TestSelectMatchesPlaintext(t *testing.T) {
	for _, kind := range rankTestKinds {
		for m := 3; m <= 7; m++ {
			for _, open := range []bool{true, false} {
				for extra := range 2 {
					seed := uint64(m*10 + extra)
					t.Run(fmt.Sprintf("%s/m=%d/open=%v/extra=%d", kind, m, open, extra), func(t *testing.T) {
						rng := rand.New(rand.NewPCG(seed, uint64(len(kind))+7))
						parts := rankTestParts(kind, rng, m, extra)
						selectTestCompare(t, parts, open)
						for i := range parts {
							if i%2 == 0 {
								slices.Sort(parts[i])
							}
						}
						selectTestCompare(t, parts, open)
					})
				}
			}
		}
	}
}

// selectTestCompare checks Quantiles (shared and public ranks), Median
// and MinMax over plain selectors against the plaintext.
func selectTestCompare(t *testing.T, parts [][]float64, open bool) {
	t.Helper()
	pool := rankTestPool(parts)
	shared := []float64{0, 0.5, 1}
	out, errs, _ := selectTestRun(t, parts, open, func(c Combiner, x []float64) (map[string]any, error) {
		q, err := Quantiles(context.Background(), c, x, rankTestProbs)
		if err != nil {
			return nil, err
		}
		qs, err := Quantiles(context.Background(), c, x, shared)
		if err != nil {
			return nil, err
		}
		med, err := Median(context.Background(), c, x)
		if err != nil {
			return nil, err
		}
		lo, hi, n, err := MinMax(context.Background(), c, x)
		if err != nil {
			return nil, err
		}
		return map[string]any{"q": q, "qs": qs, "median": med, "min": lo, "max": hi, "n": n}, nil
	})
	for i := range out {
		if errs[i] != nil {
			t.Fatalf("party %d: %v", i, errs[i])
		}
		if !open && i > 0 {
			if out[i]["q"].([]float64) != nil || !math.IsNaN(out[i]["median"].(float64)) {
				t.Fatalf("party %d does not decide but got %v", i, out[i])
			}
			continue
		}
		rankTestCheck(t, i, out[i], pool)
		qs := out[i]["qs"].([]float64)
		for j, p := range shared {
			if want := rankTestType7(pool, p); !rankTestSame(qs[j], want) {
				t.Errorf("party %d: quantile %v at shared ranks = %v, want %v (n=%d)", i, p, qs[j], want, len(pool))
			}
		}
	}
}

// TestSelectMedianOpensOnlyItsBits: a median over plain selectors
// opens, at every party, the outcome of its two checks and then, round by
// round, the bits of the two middle order statistics' keys, and nothing
// else: no count, not even n. A party that does not decide sees all but
// the last nibbles.
func TestSelectMedianOpensOnlyItsBits(t *testing.T) {
	parts := [][]float64{{3.5, -1, 7}, {2, 2, 9.25}, {100, -40, 0.5, 6}}
	pool := rankTestPool(parts)
	n := len(pool) // 10: the middle ranks are 5 and 6
	lo, hi := OrderKey(pool[n/2-1]), OrderKey(pool[n/2])
	out, errs, opened := selectTestRun(t, parts, false, func(c Combiner, x []float64) (map[string]any, error) {
		m, err := QuantilesInside(context.Background(), c, x, []float64{0.5}, 2)
		return map[string]any{"m": m}, err
	})
	for i := range out {
		if errs[i] != nil {
			t.Fatalf("party %d: %v", i, errs[i])
		}
		want := []any{true, true}
		for r := range SelectRounds {
			if r == SelectRounds-1 && i > 0 {
				break
			}
			shift := 64 - SelectBits*(r+1)
			want = append(want, int(lo>>shift&(SelectBuckets-1)), int(hi>>shift&(SelectBuckets-1)))
		}
		if !slices.Equal(opened[i], want) {
			t.Errorf("party %d opened %v, want %v", i, opened[i], want)
		}
	}
	if got := out[0]["m"].([]float64)[0]; got != rankTestType7(pool, 0.5) {
		t.Errorf("median %v, want %v", got, rankTestType7(pool, 0.5))
	}
}

// TestSelectRulesInside: the order-statistic rule and the rule that a
// search needs values are checked on the shared n, and refuse as the
// search in the clear does.
func TestSelectRulesInside(t *testing.T) {
	cases := []struct {
		parts  [][]float64
		probs  []float64
		margin int
		want   string
	}{
		{[][]float64{{}, {}, {}}, []float64{0.5}, 0, "no values"},
		{[][]float64{{}, {}, {}}, []float64{0.25}, 0, "no values"},
		{[][]float64{{1, 2}, {3}, {4, 5}}, []float64{0.5}, 3, "order-statistic rule"},
		{[][]float64{{1, 2}, {3, 6}, {4, 5, 7}}, []float64{0.5}, 3, ""},
		{[][]float64{{1, 2}, {3, 6}, {4, 5}}, []float64{0.5}, 3, "order-statistic rule"},
		{[][]float64{{1, 2}, {3, 6}, {4, 5, 7}}, []float64{0}, 1, "order-statistic rule"},
		{[][]float64{{1, 2}, {3, 6}, {4, 5, 7}}, []float64{0.4}, 2, ""},
		{[][]float64{{1, 2}, {3, 6}, {4, 5, 7}}, []float64{0.1}, 2, "order-statistic rule"},
	}
	for _, c := range cases {
		out, errs, _ := selectTestRun(t, c.parts, false, func(cb Combiner, x []float64) (map[string]any, error) {
			q, err := QuantilesInside(context.Background(), cb, x, c.probs, c.margin)
			return map[string]any{"q": q}, err
		})
		for i, err := range errs {
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%v at %v, margin %d: party %d: %v", c.parts, c.probs, c.margin, i, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("%v at %v, margin %d: party %d: %v, want %q", c.parts, c.probs, c.margin, i, err, c.want)
			}
			var de *DisclosureError
			if strings.Contains(c.want, "rule") && !errors.As(err, &de) {
				t.Errorf("%v: party %d: %v is not a DisclosureError", c.parts, i, err)
			}
		}
		if c.want == "" {
			pool := rankTestPool(c.parts)
			if got := out[0]["q"].([]float64)[0]; got != rankTestType7(pool, c.probs[0]) {
				t.Errorf("%v at %v: %v, want %v", c.parts, c.probs, got, rankTestType7(pool, c.probs[0]))
			}
		}
	}
}
