package mpc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// comparePairs returns pairs (a, b) to compare: random 40-bit counts,
// random signed 40-bit values, equal pairs, neighbours, 0 and the
// boundaries 2^k − 1 and −2^k up to the largest supported operands.
func comparePairs(rng *rand.Rand, random int) (a, b []int64) {
	add := func(x, y int64) { a, b = append(a, x), append(b, y) }
	for _, k := range []int{1, 40, 48, CompareBits} {
		top := int64(1)<<k - 1
		add(top, top)
		add(top, top-1)
		add(top-1, top)
		add(top, 0)
		add(0, top)
		add(-top-1, top)
		add(top, -top-1)
		add(-top-1, -top-1)
	}
	add(0, 0)
	add(0, 1)
	add(1, 0)
	add(-1, 0)
	add(0, -1)
	for range random {
		x := rng.Int64N(1 << 40)
		switch rng.IntN(4) {
		case 0:
			add(x, rng.Int64N(1<<40))
		case 1:
			add(x-1<<39, rng.Int64N(1<<40)-1<<39) // negative values too
		case 2:
			add(x, x) // equal
		default:
			add(x, x+rng.Int64N(3)-1) // neighbours
		}
	}
	return a, b
}

func TestCompareMatchesPlaintext(t *testing.T) {
	for _, n := range shamirSizes {
		t.Run(fmt.Sprintf("parties=%d", n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			a, b := comparePairs(rng, 300)
			m := len(a)
			const minCell = 5
			got, errs := runShamir(t, n, nil, func(sh *Shamir, i int) ([]Fp, error) {
				ctx := context.Background()
				var ina, inb []Fp
				switch i {
				case 0:
					ina = PublicVec(a)
				case 1:
					inb = PublicVec(b)
				}
				sa, err := sh.Input(ctx, "p0", ina, m)
				if err != nil {
					return nil, err
				}
				sb, err := sh.Input(ctx, "p1", inb, m)
				if err != nil {
					return nil, err
				}
				lt, err := sh.LessThan(ctx, sa, sb)
				if err != nil {
					return nil, err
				}
				ge, err := sh.GreaterEqual(ctx, sa, sb)
				if err != nil {
					return nil, err
				}
				pass, err := sh.GreaterEqualPublic(ctx, sa, minCell)
				if err != nil {
					return nil, err
				}
				return sh.Open(ctx, slices.Concat(lt, ge, pass))
			})
			mustAll(t, errs)
			for i, v := range got {
				for k := range m {
					lt, ge, pass := v[k], v[m+k], v[2*m+k]
					if want := bit(a[k] < b[k]); lt != want || ge != 1-want {
						t.Fatalf("p%d: %d < %d gave %d, ≥ gave %d; want %d", i, a[k], b[k], lt, ge, want)
					}
					if want := bit(a[k] >= minCell); pass != want {
						t.Fatalf("p%d: %d ≥ %d gave %d, want %d", i, a[k], minCell, pass, want)
					}
				}
			}
		})
	}
}

func bit(b bool) Fp {
	if b {
		return 1
	}
	return 0
}

// TestLessThanZeroFullRange: the sign of every value of magnitude below
// 2^60, the whole range LessThanZero reads.
func TestLessThanZeroFullRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	vals := []int64{0, 1, -1, 2, -2, 1<<60 - 1, -(1<<60 - 1), 1 << 59, -(1 << 59), 1<<40 - 1, -(1 << 40)}
	for range 200 {
		vals = append(vals, rng.Int64N(1<<61-1)-(1<<60-1))
	}
	got, errs := runShamir(t, 3, nil, func(sh *Shamir, i int) ([]Fp, error) {
		var in []Fp
		if i == 2 {
			in = PublicVec(vals)
		}
		x, err := sh.Input(context.Background(), "p2", in, len(vals))
		if err != nil {
			return nil, err
		}
		ltz, err := sh.LessThanZero(context.Background(), x)
		if err != nil {
			return nil, err
		}
		return sh.Open(context.Background(), ltz)
	})
	mustAll(t, errs)
	for k, v := range vals {
		if got[0][k] != bit(v < 0) {
			t.Fatalf("[%d < 0] gave %d", v, got[0][k])
		}
	}
	if _, err := (&Shamir{}).GreaterEqualPublic(context.Background(), nil, 1<<CompareBits); err == nil {
		t.Fatal("a threshold of 2^59 accepted")
	}
}

// TestCompareRoundsConstant: a batch of 1 and a batch of 500 comparisons
// take the same number of message rounds, CompareRounds.
func TestCompareRoundsConstant(t *testing.T) {
	for _, batch := range []int{1, 500} {
		parties := partyNames(3)
		net := NewLocalNetwork(parties...)
		var mu sync.Mutex
		steps := map[string]bool{}
		net.Tap = func(m *Message) {
			if !strings.HasPrefix(m.Step, "shamir-input") && m.Step != StepAbort {
				mu.Lock()
				steps[m.Step] = true
				mu.Unlock()
			}
		}
		_, errs := runShamir(t, 3, net, func(sh *Shamir, i int) ([]Fp, error) {
			x, err := sh.InputAll(context.Background(), make([]Fp, batch))
			if err != nil {
				return nil, err
			}
			return sh.LessThan(context.Background(), x[0], x[1])
		})
		mustAll(t, errs)
		if len(steps) != CompareRounds {
			t.Fatalf("batch %d: %d rounds %v, want %d", batch, len(steps), steps, CompareRounds)
		}
	}
}

// TestCompareCheaterDetected: a false share of the masked value inside a
// comparison is caught as well.
func TestCompareCheaterDetected(t *testing.T) {
	for _, n := range shamirSizes {
		t.Run(fmt.Sprintf("parties=%d", n), func(t *testing.T) {
			parties := partyNames(n)
			cheater := parties[1]
			net := NewLocalNetwork(parties...)
			// shamir-open.1 opens the squares of the random bits; .2 the masked value.
			net.Tap = tamper(cheater, "shamir-open.2", nil)
			_, errs := runShamir(t, n, net, func(sh *Shamir, i int) ([]Fp, error) {
				bits, err := sh.LessThanZero(context.Background(), PublicVec([]int64{-3, 3}))
				if err != nil {
					return nil, err
				}
				return sh.Open(context.Background(), bits)
			})
			checkCheaterNamed(t, n, cheater, errs)
		})
	}
}

// BenchmarkCompare measures LessThan on a batch of 40-bit values, every
// party in one process (no network), from shared inputs to shared bits.
func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{3, 5} {
		for _, batch := range []int{1, 256, 4096} {
			b.Run(fmt.Sprintf("parties=%d/batch=%d", n, batch), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				x := make([]Fp, batch)
				for k := range x {
					x[k] = Fp(rng.Int64N(1 << 40))
				}
				parties := partyNames(n)
				net := NewLocalNetwork(parties...)
				for range b.N {
					_, errs := runShamir(b, n, net, func(sh *Shamir, i int) ([]Fp, error) {
						// Every party holds the same shares: the constant
						// polynomial, as for public inputs; the protocol's
						// cost does not depend on the values.
						return sh.LessThan(context.Background(), x, AddPublic(x, 1))
					})
					mustAll(b, errs)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/compare")
			})
		}
	}
}

// TestPreparedCompareOnlineRounds: randomness prepared for three rounds of
// comparisons at once serves them in CompareOnlineRounds rounds each,
// with the right answers.
func TestPreparedCompareOnlineRounds(t *testing.T) {
	parties := partyNames(4)
	net := NewLocalNetwork(parties...)
	var mu sync.Mutex
	prep := true
	steps := map[string]bool{}
	prepSteps := map[string]bool{}
	net.Tap = func(m *Message) {
		if strings.HasPrefix(m.Step, "shamir-input") || m.Step == StepAbort {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if prep {
			prepSteps[m.Step] = true
		} else {
			steps[m.Step] = true
		}
	}
	var wg sync.WaitGroup
	wg.Add(len(parties))
	const batch = 50
	ranks := []int64{0, 1 << 39, 1<<40 - 1}
	got, errs := runShamir(t, 4, net, func(sh *Shamir, i int) ([]Fp, error) {
		ctx := context.Background()
		in := make([]Fp, batch)
		for k := range in {
			in[k] = NewFp(int64(k) << 34)
		}
		x, err := sh.InputAll(ctx, in)
		if err != nil {
			wg.Done()
			return nil, err
		}
		err = sh.PrepareCompare(ctx, len(ranks)*batch)
		wg.Done()
		if err != nil {
			return nil, err
		}
		wg.Wait() // every party has finished preparing
		mu.Lock()
		prep = false
		mu.Unlock()
		var out []Fp
		for _, r := range ranks {
			ge, err := sh.GreaterEqualPublic(ctx, x[1], r)
			if err != nil {
				return nil, err
			}
			out = append(out, ge...)
		}
		return sh.Open(ctx, out)
	})
	mustAll(t, errs)
	if len(prepSteps) != PrepareRounds {
		t.Fatalf("preparation took %d rounds %v, want %d", len(prepSteps), prepSteps, PrepareRounds)
	}
	// Three comparisons and the final opening.
	if want := len(ranks)*CompareOnlineRounds + 1; len(steps) != want {
		t.Fatalf("prepared comparisons took %d rounds %v, want %d", len(steps), steps, want)
	}
	for j, r := range ranks {
		for k := range batch {
			if want := bit(int64(k)<<34 >= r); got[0][j*batch+k] != want {
				t.Fatalf("%d ≥ %d gave %d", int64(k)<<34, r, got[0][j*batch+k])
			}
		}
	}
}

// TestCompareInBatches: a vector longer than a batch runs in batches, each
// with fresh randomness, and every value gets its own answer.
func TestCompareInBatches(t *testing.T) {
	defer func(b int) { compareBatch = b }(compareBatch)
	compareBatch = 7
	vals := make([]int64, 30)
	for k := range vals {
		vals[k] = int64(k%5) - 2
	}
	got, errs := runShamir(t, 3, nil, func(sh *Shamir, i int) ([]Fp, error) {
		ltz, err := sh.LessThanZero(context.Background(), PublicVec(vals))
		if err != nil {
			return nil, err
		}
		return sh.Open(context.Background(), ltz)
	})
	mustAll(t, errs)
	for k, v := range vals {
		if got[0][k] != bit(v < 0) {
			t.Fatalf("value %d (%d): [< 0] gave %d", k, v, got[0][k])
		}
	}
}

// BenchmarkPrepareCompare measures the input-independent part of
// BenchmarkCompare alone (random bits and verified triples); the rest of a
// comparison's time is its online part.
func BenchmarkPrepareCompare(b *testing.B) {
	for _, n := range []int{3, 5} {
		for _, batch := range []int{256, 4096} {
			b.Run(fmt.Sprintf("parties=%d/batch=%d", n, batch), func(b *testing.B) {
				net := NewLocalNetwork(partyNames(n)...)
				for range b.N {
					_, errs := runShamir(b, n, net, func(sh *Shamir, i int) (struct{}, error) {
						return struct{}{}, sh.PrepareCompare(context.Background(), batch)
					})
					mustAll(b, errs)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/compare")
			})
		}
	}
}

// TestCompareWithDealtRandomness: sessions of more than 8 parties deal
// their randomness instead of using pseudo-random secret sharing; the
// comparisons come out the same.
func TestCompareWithDealtRandomness(t *testing.T) {
	for _, n := range []int{3, 5} {
		vals := []int64{-(1 << 40), -1, 0, 1, 1<<40 - 1, 7, -7}
		got, errs := runShamir(t, n, nil, func(sh *Shamir, i int) ([]Fp, error) {
			sh.usePRSS = false
			ltz, err := sh.LessThanZero(context.Background(), PublicVec(vals))
			if err != nil {
				return nil, err
			}
			return sh.Open(context.Background(), ltz)
		})
		mustAll(t, errs)
		for k, v := range vals {
			if got[0][k] != bit(v < 0) {
				t.Fatalf("n=%d: [%d < 0] gave %d", n, v, got[0][k])
			}
		}
	}
}

// BenchmarkCompareOnline measures comparisons whose randomness was
// prepared beforehand (PrepareCompare, not timed): the part that depends
// on the inputs, as a rank search would run it step by step.
func BenchmarkCompareOnline(b *testing.B) {
	for _, n := range []int{3, 5} {
		for _, batch := range []int{1, 256, 4096} {
			b.Run(fmt.Sprintf("parties=%d/batch=%d", n, batch), func(b *testing.B) {
				x := make([]Fp, batch)
				for k := range x {
					x[k] = Fp(k) << 20
				}
				parties := partyNames(n)
				net := NewLocalNetwork(parties...)
				for it := range b.N {
					b.StopTimer()
					var prepared, done sync.WaitGroup
					start := make(chan struct{})
					prepared.Add(n)
					done.Add(n)
					for _, p := range parties {
						s, err := net.Hub(p).Open(Config{ID: fmt.Sprintf("online-%d", it), Parties: parties}, net)
						if err != nil {
							b.Fatal(err)
						}
						go func() {
							defer done.Done()
							defer s.Close()
							sh, err := NewShamir(s)
							if err == nil {
								err = sh.PrepareCompare(context.Background(), batch)
							}
							prepared.Done()
							<-start
							if err == nil {
								_, err = sh.LessThan(context.Background(), x, AddPublic(x, 1))
							}
							if err != nil {
								b.Error(err)
							}
						}()
					}
					prepared.Wait()
					b.StartTimer()
					close(start)
					done.Wait()
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/compare")
			})
		}
	}
}
