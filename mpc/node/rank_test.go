package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// rankTestParties runs f at n parties over a local network, each with a
// rankCombiner (the first party deciding, or every party when open), and
// returns each party's result and error and what each opened.
func rankTestParties[T any](t *testing.T, net *mpc.LocalNetwork, n int, open bool, f func(c stats.Combiner, i int) (T, error)) ([]T, []error, [][]any) {
	t.Helper()
	parties := make([]string, n)
	for i := range parties {
		parties[i] = fmt.Sprintf("hospital-%c", 'a'+i)
	}
	if net == nil {
		net = mpc.NewLocalNetwork(parties...)
	}
	deciders := parties[:1]
	if open {
		deciders = parties
	}
	opened := make([][]any, n)
	out, errs := localRun(t, net, "rank", parties, func(s *mpc.Session, i int) (T, error) {
		c := rankCombinerFor(&mpc.Combiner{Session: s, Deciders: deciders})
		v, err := f(c, i)
		if err != nil {
			s.Abort(err)
		}
		opened[i] = s.Opened()
		return v, err
	})
	return out, errs, opened
}

// localRun opens session id of parties on net and runs f at every party
// at once; it returns each party's result and error.
func localRun[T any](t testing.TB, net *mpc.LocalNetwork, id string, parties []string, f func(s *mpc.Session, i int) (T, error)) ([]T, []error) {
	t.Helper()
	out := make([]T, len(parties))
	errs := make([]error, len(parties))
	var wg sync.WaitGroup
	for i, p := range parties {
		s, err := net.Hub(p).Open(mpc.Config{ID: id, Parties: parties, Timeout: time.Minute}, net)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer s.Close()
			out[i], errs[i] = f(s, i)
		})
	}
	wg.Wait()
	return out, errs
}

// rankTestData draws one kind of data for n parties: the last party holds
// a single row, so one-row sites are always among them.
func rankTestData(kind string, n int, rng *rand.Rand) [][]float64 {
	parts := make([][]float64, n)
	for i := range parts {
		k := 3 + rng.IntN(40)
		if i == n-1 {
			k = 1
		}
		for range k {
			var v float64
			switch kind {
			case "ties":
				v = float64(rng.IntN(4))
			case "negatives":
				v = -float64(rng.IntN(1000)) - 0.5
			case "decimals":
				v = float64(rng.IntN(100000)) / 1000
			case "equal":
				v = -3.75
			default:
				v = rng.NormFloat64() * 1e6
			}
			parts[i] = append(parts[i], v)
		}
	}
	return parts
}

// TestRankSearchInMPCMatchesPlaintext: over Shamir shares among 3 to 7
// parties, the median, quantiles (at 0, ½ and 1 from the shared n, at
// other probabilities from the opened n), minimum and maximum equal the
// plaintext answers on the pooled values, for ties, negative values,
// decimals, all-equal data and one-row sites, with even and odd n.
func TestRankSearchInMPCMatchesPlaintext(t *testing.T) {
	probs := []float64{0, 0.1, 0.5, 0.75, 1}
	kinds := []string{"ties", "negatives", "decimals", "equal", "spread"}
	for n := 3; n <= 7; n++ {
		// Every kind with three parties; one kind each with more (the
		// cost grows with the square of the parties).
		for k, kind := range kinds {
			if n > 3 && k != n%len(kinds) {
				continue
			}
			t.Run(fmt.Sprintf("parties=%d/%s", n, kind), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), uint64(len(kind))))
				parts := rankTestData(kind, n, rng)
				if kind == "ties" {
					parts[0] = append(parts[0], 1) // n of the other parity
				}
				var pool []float64
				for _, p := range parts {
					pool = append(pool, p...)
				}
				slices.Sort(pool)
				open := n%2 == 0
				type answer struct {
					median, lo, hi float64
					q, ends        []float64
				}
				out, errs, _ := rankTestParties(t, nil, n, open, func(c stats.Combiner, i int) (answer, error) {
					var a answer
					var err error
					ctx := context.Background()
					if a.median, err = stats.Median(ctx, c, parts[i]); err != nil {
						return a, err
					}
					if a.ends, err = stats.Quantiles(ctx, c, parts[i], []float64{0, 1, 0.5}); err != nil {
						return a, err
					}
					if a.q, err = stats.Quantiles(ctx, c, parts[i], probs); err != nil {
						return a, err
					}
					a.lo, a.hi, _, err = stats.MinMax(ctx, c, parts[i])
					return a, err
				})
				for i, err := range errs {
					if err != nil {
						t.Fatalf("party %d: %v", i, err)
					}
				}
				for i, a := range out {
					if !open && i > 0 {
						if !math.IsNaN(a.median) || a.q != nil {
							t.Fatalf("party %d does not decide but got %+v", i, a)
						}
						continue
					}
					if want := stats.QuantileSorted(pool, 0.5); a.median != want {
						t.Errorf("party %d: median %v, want %v (n=%d)", i, a.median, want, len(pool))
					}
					for j, p := range []float64{0, 1, 0.5} {
						if want := stats.QuantileSorted(pool, p); a.ends[j] != want {
							t.Errorf("party %d: quantile %v = %v, want %v", i, p, a.ends[j], want)
						}
					}
					for j, p := range probs {
						if want := stats.QuantileSorted(pool, p); a.q[j] != want {
							t.Errorf("party %d: quantile %v = %v, want %v", i, p, a.q[j], want)
						}
					}
					if a.lo != pool[0] || a.hi != pool[len(pool)-1] {
						t.Errorf("party %d: min %v max %v, want %v %v", i, a.lo, a.hi, pool[0], pool[len(pool)-1])
					}
				}
			})
		}
	}
}

// TestRankSearchInMPCOpensOnlyBuckets records every message of a median
// over Shamir shares among three parties (the leader alone receiving the
// result) and what each party opens. What each opens is the outcome of the
// rule on n and the two middle values' key bits, SelectBits a round (the
// leader alone gets the last round's); no count, n included. No message
// carries a count in the clear: not a site's count, not n, not a pooled
// bucket count of the first round.
func TestRankSearchInMPCOpensOnlyBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	parts := make([][]float64, 3)
	for i, k := range []int{57, 23, 41} {
		for range k {
			parts[i] = append(parts[i], float64(rng.IntN(9000))/100)
		}
	}
	var pool []float64
	for _, p := range parts {
		pool = append(pool, p...)
	}
	slices.Sort(pool)
	parties := []string{"hospital-a", "hospital-b", "hospital-c"}
	net := mpc.NewLocalNetwork(parties...)
	var mu sync.Mutex
	var bodies [][]byte
	net.Tap = func(m *mpc.Message) {
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, slices.Clone(m.Body))
	}
	lo, hi := stats.OrderKey(pool[len(pool)/2]), stats.OrderKey(pool[len(pool)/2])
	out, errs, opened := rankTestParties(t, net, 3, false, func(c stats.Combiner, i int) (float64, error) {
		return stats.Median(context.Background(), c, parts[i])
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i, err)
		}
	}
	if want := stats.QuantileSorted(pool, 0.5); out[0] != want {
		t.Fatalf("median %v, want %v", out[0], want)
	}
	for i := range parts {
		want := []any{1}
		for r := range stats.SelectRounds {
			if r == stats.SelectRounds-1 && i > 0 {
				break
			}
			shift := 64 - stats.SelectBits*(r+1)
			want = append(want, int(lo>>shift&(stats.SelectBuckets-1)), int(hi>>shift&(stats.SelectBuckets-1)))
		}
		if !slices.Equal(opened[i], want) {
			t.Errorf("party %d opened %v, want %v", i, opened[i], want)
		}
	}
	counts := map[string]uint64{"n": uint64(len(pool))}
	for i, p := range parts {
		counts[parties[i]+"'s count"] = uint64(len(p))
	}
	buckets := map[uint64]uint64{}
	for _, v := range pool {
		buckets[stats.OrderKey(v)>>(64-stats.SelectBits)]++
	}
	for b, c := range buckets {
		counts[fmt.Sprintf("pooled count of first-round bucket %d", b)] = c
	}
	if len(bodies) < 100 {
		t.Fatalf("only %d messages recorded", len(bodies))
	}
	for what, c := range counts {
		if c < 2 {
			continue // 0 and 1 are too common a word to look for
		}
		word := binary.LittleEndian.AppendUint64(nil, c)
		for _, b := range bodies {
			if bytes.Contains(b, word) {
				t.Errorf("a message carries %s (%d) in the clear", what, c)
				break
			}
		}
	}
}

// TestRankSearchCheaterNamed: a member that sends a different share of a
// bucket index to one member than to the others is caught at that
// opening; the search aborts at every party with an error naming it (with
// three parties, naming it as one of two), and no party gets a result.
func TestRankSearchCheaterNamed(t *testing.T) {
	for _, n := range []int{3, 4, 5} {
		for _, which := range []int{1, 5, stats.SelectRounds} {
			t.Run(fmt.Sprintf("parties=%d/opening=%d", n, which), func(t *testing.T) {
				parties := make([]string, n)
				for i := range parties {
					parties[i] = fmt.Sprintf("hospital-%c", 'a'+i)
				}
				cheater, victim := parties[n-1], parties[1]
				if which == stats.SelectRounds {
					// The last round opens to the leader alone.
					victim = parties[0]
				}
				net := mpc.NewLocalNetwork(parties...)
				var mu sync.Mutex
				seen := 0
				// A median opens two bucket indices a round: a body of
				// the products' hash and two field elements.
				net.Tap = func(m *mpc.Message) {
					if m.From != cheater || m.To != victim || !strings.HasPrefix(m.Step, "shamir-open") || len(m.Body) != sha256.Size+16 {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					seen++
					if seen == which {
						m.Body[sha256.Size] ^= 1
					}
				}
				rng := rand.New(rand.NewPCG(3, uint64(n)))
				parts := rankTestData("decimals", n, rng)
				out, errs, _ := rankTestParties(t, net, n, false, func(c stats.Combiner, i int) (float64, error) {
					return stats.Median(context.Background(), c, parts[i])
				})
				detected := false
				for i, err := range errs {
					p := parties[i]
					if p == cheater {
						continue
					}
					if err == nil {
						if which == stats.SelectRounds && p != victim {
							t.Fatalf("%s: no error and result %v", p, out[i])
						}
						if which != stats.SelectRounds {
							t.Fatalf("%s: no error and result %v", p, out[i])
						}
						continue
					}
					if !strings.Contains(err.Error(), cheater) {
						t.Errorf("%s: %v does not name %s", p, err, cheater)
					}
					if errors.Is(err, mpc.ErrInconsistent) {
						detected = true
					}
				}
				if !detected {
					t.Errorf("no party found the false share: %v", errs)
				}
				// The member that found it names the cheater alone when
				// the shares locate it (four or more parties).
				var pe *mpc.PeerError
				if v := slices.Index(parties, victim); n >= 4 && errors.Is(errs[v], mpc.ErrInconsistent) && (!errors.As(errs[v], &pe) || pe.Party != cheater) {
					t.Errorf("%s: %v, want a PeerError naming %s", victim, errs[v], cheater)
				}
				if errs[0] == nil {
					t.Fatalf("the leader got %v despite the false share", out[0])
				}
			})
		}
	}
}

// BenchmarkRankSearchMedian measures a median over Shamir shares, every
// party in this process on a local network (no HTTP): the cost of the
// result-only search against the number of parties, with 10,000 values
// each (sorted, as a node keeps its columns). The comparisons work on
// full field elements, so their cost does not depend on how many bits
// the counts have; the rows only change the local counting.
func BenchmarkRankSearchMedian(b *testing.B) {
	for _, n := range []int{3, 5, 7} {
		b.Run(fmt.Sprintf("parties=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			parts := make([][]float64, n)
			for i := range parts {
				for range 10000 {
					parts[i] = append(parts[i], float64(rng.IntN(100000)))
				}
				slices.Sort(parts[i])
			}
			parties := make([]string, n)
			for i := range parties {
				parties[i] = fmt.Sprintf("hospital-%c", 'a'+i)
			}
			net := mpc.NewLocalNetwork(parties...)
			for it := range b.N {
				_, errs := localRun(b, net, fmt.Sprint("bench-", it), parties, func(s *mpc.Session, i int) (float64, error) {
					c := rankCombinerFor(&mpc.Combiner{Session: s, Deciders: parties[:1]})
					return stats.Median(context.Background(), c, parts[i])
				})
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
