package mpc

import (
	"context"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// thresholdCase draws n parties' counts and flags for cells, with cells
// at every boundary of the rule: pooled 0, 1, threshold − 1, threshold,
// a small count at one party inside a large pooled count, counts beyond
// the clamp, and random ones.
func thresholdCase(rng *rand.Rand, n, random int, threshold int64) (counts [][]int64, flags [][]bool) {
	counts, flags = make([][]int64, n), make([][]bool, n)
	add := func(c []int64, f []bool) {
		for i := range n {
			counts[i] = append(counts[i], c[i])
			flags[i] = append(flags[i], f[i])
		}
	}
	split := func(total int64) []int64 { // total over the parties
		c := make([]int64, n)
		for total > 0 {
			k := rng.IntN(n)
			d := 1 + rng.Int64N(total)
			c[k] += d
			total -= d
		}
		return c
	}
	none := make([]bool, n)
	for _, total := range []int64{0, 1, threshold - 1, threshold, threshold + 1, 50, 1 << 24, 1<<40 - 1} {
		add(split(total), none)
	}
	one := make([]int64, n) // 2 rows at party 0, 48 at party 1
	one[0], one[1] = 2, 48
	add(one, none)
	big := make([]int64, n) // every party at the largest count
	for i := range big {
		big[i] = 1<<40 - 1
	}
	add(big, none)
	for k := range n { // a flag at each party alone, on a cell that passes
		f := make([]bool, n)
		f[k] = true
		add(split(50), f)
	}
	for range random {
		var total int64
		switch rng.IntN(3) {
		case 0:
			total = rng.Int64N(threshold) // small or empty
		case 1:
			total = max(threshold-2, 0) + rng.Int64N(5) // around the threshold
		default:
			total = rng.Int64N(1 << 30)
		}
		f := make([]bool, n)
		for i := range f {
			f[i] = rng.IntN(6) == 0
		}
		add(split(total), f)
	}
	return counts, flags
}

// wantPass is the rule in plaintext.
func wantPass(counts [][]int64, flags [][]bool, k int, threshold int64) bool {
	var pooled int64
	for i := range counts {
		if flags[i][k] {
			return false
		}
		pooled += counts[i][k]
	}
	return pooled == 0 || pooled >= threshold
}

func TestPassThresholdMatchesPlaintext(t *testing.T) {
	for _, n := range shamirSizes {
		t.Run(fmt.Sprintf("parties=%d", n), func(t *testing.T) {
			for _, threshold := range []int64{1, 5, 11, rootsMax, rootsMax + 1, 1000} { // products up to 64, comparisons above
				rng := rand.New(rand.NewPCG(uint64(n), uint64(threshold)))
				counts, flags := thresholdCase(rng, n, 60, threshold)
				got, errs := runShamir(t, n, nil, func(sh *Shamir, i int) ([]bool, error) {
					return sh.PassThreshold(context.Background(), counts[i], flags[i], threshold)
				})
				mustAll(t, errs)
				for k := range counts[0] {
					want := wantPass(counts, flags, k, threshold)
					for i := range n {
						if got[i][k] != want {
							col := make([]int64, n)
							for j := range n {
								col[j] = counts[j][k]
							}
							t.Fatalf("threshold %d, cell %d (counts %v): party %d got pass=%v, want %v", threshold, k, col, i, got[i][k], want)
						}
					}
				}
			}
		})
	}
}

// TestPassThresholdOpensOnlyVerdicts: every party's record of what it
// opened is the cells' verdicts, in order, and nothing else: no count.
func TestPassThresholdOpensOnlyVerdicts(t *testing.T) {
	counts := [][]int64{{2, 0, 1, 7}, {48, 0, 1, 0}, {0, 0, 1, 0}}
	flags := [][]bool{{false, false, false, false}, {false, false, false, true}, {false, false, false, false}}
	parties := partyNames(3)
	net := NewLocalNetwork(parties...)
	opened, errs := runParties(t, net, newID(), parties, time.Minute, func(s *Session, i int) ([]any, error) {
		sh, err := NewShamir(s)
		if err != nil {
			return nil, err
		}
		if _, err := sh.PassThreshold(context.Background(), counts[i], flags[i], 5); err != nil {
			return nil, err
		}
		return s.Opened(), nil
	})
	mustAll(t, errs)
	want := []any{"passes", "passes", "suppressed", "suppressed"}
	for i, o := range opened {
		if !slices.Equal(o, want) {
			t.Errorf("party %d opened %v, want %v", i, o, want)
		}
	}
}

// TestPassThresholdRoundsConstant: a table of 1 cell and one of 600 take
// the same number of message steps. With the product of the factors: one
// to share the counts (in the first round of the triples'), those of the
// triples, ⌈log2(threshold + n)⌉ of products and one opening (10 steps in
// 9 rounds with 3 parties and a threshold of 5). With comparisons: one to
// share, those of a batch of comparisons, ⌈log2 n⌉ of products before it
// (the flags), one product and one opening after it.
func TestPassThresholdRoundsConstant(t *testing.T) {
	for _, c := range []struct {
		n         int
		threshold int64
		want      int
	}{
		{3, 5, 10},
		{5, 5, 1 + TripleRounds + bits.Len(uint(5+5-1)) + 1},
		{3, 100, 1 + CompareRounds + bits.Len(uint(3-1)) + 2},
		{5, 100, 1 + CompareRounds + bits.Len(uint(5-1)) + 2},
	} {
		n, threshold, want := c.n, c.threshold, c.want
		for _, cells := range []int{1, 600} {
			parties := partyNames(n)
			net := NewLocalNetwork(parties...)
			var mu sync.Mutex
			steps := map[string]bool{}
			net.Tap = func(m *Message) {
				if m.Step != StepAbort {
					mu.Lock()
					steps[m.Step] = true
					mu.Unlock()
				}
			}
			_, errs := runShamir(t, n, net, func(sh *Shamir, i int) ([]bool, error) {
				c := make([]int64, cells)
				for k := range c {
					c[k] = int64(k % 7)
				}
				return sh.PassThreshold(context.Background(), c, make([]bool, cells), threshold)
			})
			mustAll(t, errs)
			if len(steps) != want {
				t.Errorf("parties %d, threshold %d, %d cells: %d steps, want %d", n, threshold, cells, len(steps), want)
			}
		}
	}
}

// TestPassThresholdInBatches: more cells than one batch of comparisons
// holds come out right (a threshold above 64 compares).
func TestPassThresholdInBatches(t *testing.T) {
	defer func(b int) { compareBatch = b }(compareBatch)
	compareBatch = 7
	rng := rand.New(rand.NewPCG(3, 3))
	counts, flags := thresholdCase(rng, 3, 20, 100)
	got, errs := runShamir(t, 3, nil, func(sh *Shamir, i int) ([]bool, error) {
		return sh.PassThreshold(context.Background(), counts[i], flags[i], 100)
	})
	mustAll(t, errs)
	for k := range counts[0] {
		if want := wantPass(counts, flags, k, 100); got[0][k] != want {
			t.Fatalf("cell %d: pass=%v, want %v", k, got[0][k], want)
		}
	}
}

func TestPassThresholdRejectsBadInput(t *testing.T) {
	sh := &Shamir{}
	ctx := context.Background()
	for name, f := range map[string]func() error{
		"flags":     func() error { _, err := sh.PassThreshold(ctx, []int64{1}, nil, 5); return err },
		"threshold": func() error { _, err := sh.PassThreshold(ctx, []int64{1}, []bool{false}, 0); return err },
		"too high":  func() error { _, err := sh.PassThreshold(ctx, []int64{1}, []bool{false}, MaxThreshold+1); return err },
		"negative":  func() error { _, err := sh.PassThreshold(ctx, []int64{-1}, []bool{false}, 5); return err },
		"prepare":   func() error { return sh.PrepareThreshold(ctx, 1, 0) },
		"too large": func() error { _, err := sh.PassThreshold(ctx, []int64{MaxCellCount}, []bool{false}, 5); return err },
	} {
		if err := f(); err == nil || !strings.Contains(err.Error(), "threshold") {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// TestPassThresholdCheaterDetected: a false share of the verdicts'
// opening is caught and named, as at every checked opening.
func TestPassThresholdCheaterDetected(t *testing.T) {
	for _, n := range []int{4, 5} {
		parties := partyNames(n)
		cheater := parties[2]
		net := NewLocalNetwork(parties...)
		// The products open through shamir-open too; the verdicts' is the
		// last opening, found in a first run.
		var mu sync.Mutex
		last := 0
		net.Tap = func(m *Message) {
			if k, ok := strings.CutPrefix(m.Step, "shamir-open."); ok {
				mu.Lock()
				if v, err := strconv.Atoi(k); err == nil {
					last = max(last, v)
				}
				mu.Unlock()
			}
		}
		_, errs := runShamir(t, n, net, func(sh *Shamir, i int) ([]bool, error) {
			return sh.PassThreshold(context.Background(), []int64{1, 2}, []bool{false, false}, 5)
		})
		mustAll(t, errs)
		net2 := NewLocalNetwork(parties...)
		net2.Tap = tamper(cheater, "shamir-open."+strconv.Itoa(last), nil)
		_, errs = runShamir(t, n, net2, func(sh *Shamir, i int) ([]bool, error) {
			return sh.PassThreshold(context.Background(), []int64{1, 2}, []bool{false, false}, 5)
		})
		checkCheaterNamed(t, n, cheater, errs)
	}
}

// BenchmarkPassThreshold measures the check of a table of cells, every
// party in one process (no network): a histogram of 100 bins, and a
// crosstab of 10 × 10, and a table of 1,000 cells.
func BenchmarkPassThreshold(b *testing.B) {
	for _, n := range []int{3, 5} {
		for _, cells := range []int{100, 1000} {
			b.Run(fmt.Sprintf("parties=%d/cells=%d", n, cells), func(b *testing.B) {
				net := NewLocalNetwork(partyNames(n)...)
				counts := make([]int64, cells)
				for k := range counts {
					counts[k] = int64(k % 9)
				}
				for range b.N {
					_, errs := runShamir(b, n, net, func(sh *Shamir, i int) ([]bool, error) {
						return sh.PassThreshold(context.Background(), counts, make([]bool, cells), 5)
					})
					mustAll(b, errs)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*cells), "µs/cell")
			})
		}
	}
}

// TestPrepareThresholdLeavesFewRounds: with its randomness made ahead
// (PrepareThreshold), a check takes one step to share the counts,
// ⌈log2(threshold + n)⌉ of products and one opening, and comes out right.
func TestPrepareThresholdLeavesFewRounds(t *testing.T) {
	const n, threshold = 3, 5
	rng := rand.New(rand.NewPCG(5, 5))
	counts, flags := thresholdCase(rng, n, 10, threshold)
	parties := partyNames(n)
	net := NewLocalNetwork(parties...)
	var (
		mu       sync.Mutex
		after    bool
		steps    = map[string]bool{}
		prepared sync.WaitGroup
		counting sync.WaitGroup
	)
	net.Tap = func(m *Message) {
		mu.Lock()
		defer mu.Unlock()
		if after && m.Step != StepAbort {
			steps[m.Step] = true
		}
	}
	prepared.Add(n)
	counting.Add(n)
	got, errs := runShamir(t, n, net, func(sh *Shamir, i int) ([]bool, error) {
		err := sh.PrepareThreshold(context.Background(), len(counts[i]), threshold)
		prepared.Done()
		prepared.Wait() // every party's messages of the preparation have arrived
		mu.Lock()
		after = true
		mu.Unlock()
		counting.Done()
		counting.Wait()
		if err != nil {
			return nil, err
		}
		return sh.PassThreshold(context.Background(), counts[i], flags[i], threshold)
	})
	mustAll(t, errs)
	for k := range counts[0] {
		if want := wantPass(counts, flags, k, threshold); got[0][k] != want {
			t.Fatalf("cell %d: pass=%v, want %v", k, got[0][k], want)
		}
	}
	if want := 1 + bits.Len(uint(threshold+n-1)) + 1; len(steps) != want {
		t.Errorf("%d steps after the preparation %v, want %d", len(steps), steps, want)
	}
}
