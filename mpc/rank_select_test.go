package mpc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRankSelectFindsBuckets: parties hold values in [0, 64), searched
// two rounds of 8 buckets (3 bits each); the opened indices are the bits
// of the pooled values at the ranks asked for (the two middle ranks, from
// the shared n's parity, and ranks 1 and n), the rules on n come out as
// in plaintext, and nothing else is opened.
func TestRankSelectFindsBuckets(t *testing.T) {
	for _, n := range []int{3, 4, 5} {
		for trial := range 3 {
			t.Run(fmt.Sprintf("parties=%d/%d", n, trial), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), uint64(trial)))
				vals := make([][]int, n)
				var pool []int
				for i := range vals {
					k := rng.IntN(12) + trial
					if i == 0 {
						k = max(k, 1) // the others may hold nothing
					}
					for range k {
						v := rng.IntN(64)
						if trial == 2 {
							v = 17 // all equal
						}
						vals[i] = append(vals[i], v)
						pool = append(pool, v)
					}
				}
				slices.Sort(pool)
				total := int64(len(pool))
				forms := []RankForm{{1, 1, 0}, {1, -1, 2}, {0, 0, 2}, {2, 0, 0}}
				checks := []RankForm{{1, 0, -1}, {1, 0, -(2*3 + 1)}}
				type result struct {
					ok   []bool
					keys []int
				}
				got, errs := runShamir(t, n, nil, func(sh *Shamir, i int) (result, error) {
					ctx := context.Background()
					rs, err := NewRankSelect(sh, 8)
					if err != nil {
						return result{}, err
					}
					count := func(prefix, shift int, under bool) []int64 {
						c := make([]int64, 8)
						for _, v := range vals[i] {
							if !under || v>>(shift+3) == prefix {
								c[(v>>shift)&7]++
							}
						}
						return c
					}
					if err := rs.Pool(ctx, count(0, 3, false)); err != nil {
						return result{}, err
					}
					ok, err := rs.Target(ctx, forms, checks, 2)
					if err != nil || slices.Contains(ok, false) {
						return result{ok: ok}, err
					}
					// Round 2's counts under every bucket, pooled beside
					// round 1's comparisons.
					var ahead []int64
					for b := range 8 {
						ahead = append(ahead, count(b, 0, true)...)
					}
					hi, err := rs.Select(ctx, []int{0, 0, 0, 0}, "", ahead)
					if err != nil {
						return result{}, err
					}
					lo, err := rs.Select(ctx, hi, "", nil)
					if err != nil {
						return result{}, err
					}
					keys := make([]int, len(forms))
					for j := range keys {
						keys[j] = hi[j]<<3 | lo[j]
					}
					return result{ok: ok, keys: keys}, nil
				})
				mustAll(t, errs)
				margin := total >= 7
				for i, r := range got {
					if !r.ok[0] || r.ok[1] != margin {
						t.Fatalf("party %d: checks %v with n = %d", i, r.ok, total)
					}
					if !margin {
						continue
					}
					want := []int{pool[(total+1)/2-1], pool[total/2], pool[0], pool[total-1]}
					if !slices.Equal(r.keys, want) {
						t.Errorf("party %d: values %v, want %v (pool %v)", i, r.keys, want, pool)
					}
				}
			})
		}
	}
}
