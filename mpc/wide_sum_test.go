package mpc

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCombinerSumWideExact adds random wide integers at 3 to 7 parties
// (and the extremes at MaxParties) and compares the totals with math/big.
func TestCombinerSumWideExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type testCase struct {
		parties, bits, length int
		extreme               bool
	}
	var cases []testCase
	for m := 3; m <= 7; m++ {
		for _, bits := range []int{1, 57, 64, 121, 840, 2140} {
			cases = append(cases, testCase{m, bits, 1 + rng.IntN(40), false})
		}
	}
	cases = append(cases, testCase{MaxParties, 57, 3, true}, testCase{MaxParties, 2140, 2, true})
	for n, tc := range cases {
		t.Run(fmt.Sprintf("parties=%d/bits=%d/len=%d", tc.parties, tc.bits, tc.length), func(t *testing.T) {
			parties := partyNames(tc.parties)
			net := NewLocalNetwork(parties...)
			max := new(big.Int).Lsh(big.NewInt(1), uint(tc.bits))
			max.Sub(max, big.NewInt(1))
			inputs := make([][]*big.Int, tc.parties)
			want := make([]*big.Int, tc.length)
			for j := range want {
				want[j] = new(big.Int)
			}
			for i := range inputs {
				inputs[i] = make([]*big.Int, tc.length)
				for j := range inputs[i] {
					v := wideTestInt(rng, tc.bits)
					if tc.extreme { // every party at the same edge: the largest totals
						v = new(big.Int).Set(max)
						if j%2 == 1 {
							v.Neg(v)
						}
					}
					inputs[i][j] = v
					want[j].Add(want[j], v)
				}
			}
			deciders := parties[:1]
			if n%2 == 1 {
				deciders = parties
			}
			got, errs := runParties(t, net, newID(), parties, 10*time.Second, func(s *Session, i int) ([]*big.Int, error) {
				c := &Combiner{Session: s, Deciders: deciders}
				return c.SumWide(context.Background(), inputs[i], tc.bits)
			})
			for i := range parties {
				if errs[i] != nil {
					t.Fatalf("party %d: %v", i, errs[i])
				}
				if i >= len(deciders) {
					if got[i] != nil {
						t.Fatalf("party %d does not decide but got %v", i, got[i])
					}
					continue
				}
				if len(got[i]) != len(want) {
					t.Fatalf("party %d: %d totals, want %d", i, len(got[i]), len(want))
				}
				for j := range want {
					if got[i][j].Cmp(want[j]) != 0 {
						t.Fatalf("party %d total %d: got %v, want %v", i, j, got[i][j], want[j])
					}
				}
			}
		})
	}
}

// TestCombinerSumWideRejects: an integer beyond the width fails at its
// party before anything is sent, naming the party and the integer.
func TestCombinerSumWideRejects(t *testing.T) {
	parties := partyNames(3)
	var sent int
	net := NewLocalNetwork(parties...)
	net.Tap = func(*Message) { sent++ }
	s, err := net.Hub("p1").Open(Config{ID: newID(), Parties: parties}, net)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &Combiner{Session: s, Deciders: parties}
	v := []*big.Int{big.NewInt(1), new(big.Int).Lsh(big.NewInt(-1), 100)}
	_, err = c.SumWide(context.Background(), v, 100)
	if err == nil || !strings.Contains(err.Error(), "p1") || !strings.Contains(err.Error(), "integer 1") {
		t.Fatalf("got %v, want an error naming p1 and integer 1", err)
	}
	if sent != 0 {
		t.Fatalf("%d messages sent for a sum that cannot be shared", sent)
	}
}

// benchParties runs f at three parties in one process (no network), in a
// fresh session each time.
func benchParties(b *testing.B, f func(s *Session) error) {
	parties := []string{"a", "b", "c"}
	net := NewLocalNetwork(parties...)
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("bench-%d", i)
		var wg sync.WaitGroup
		for _, p := range parties {
			s, err := net.Hub(p).Open(Config{ID: id, Parties: parties}, net)
			if err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer s.Close()
				if err := f(s); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
}

// BenchmarkSecureSumWide measures the carrying sum alone at three parties:
// len elements of limbs words each, revealed to one party.
func BenchmarkSecureSumWide(b *testing.B) {
	for _, c := range []struct{ limbs, length int }{{1, 1000}, {2, 1000}, {14, 1000}, {34, 11}, {34, 1000}} {
		b.Run(fmt.Sprintf("parties=3/limbs=%d/len=%d", c.limbs, c.length), func(b *testing.B) {
			x := make([]uint64, c.limbs*c.length)
			b.SetBytes(int64(8 * len(x)))
			benchParties(b, func(s *Session) error {
				_, err := SecureSumWide(context.Background(), s, x, c.limbs, s.Parties[:1])
				return err
			})
		})
	}
}

// BenchmarkCombinerSumWide measures what a statistic asks of the engine,
// encoding and decoding included: the 11 integers of 2140 bits of
// Moments, the 6 of Bivariate, and the 5,253 integers of 840 bits of a
// regression on 100 regressors (n, Σz and the upper triangle of Σzzᵀ for
// the 101 variables), at three parties.
func BenchmarkCombinerSumWide(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		name         string
		length, bits int
	}{{"moments", 11, 2140}, {"bivariate", 6, 2140}, {"ols-k100", 1 + 101 + 101*102/2, 840}} {
		b.Run(fmt.Sprintf("parties=3/%s/len=%d/bits=%d", c.name, c.length, c.bits), func(b *testing.B) {
			v := make([]*big.Int, c.length)
			for j := range v {
				v[j] = wideTestInt(rng, c.bits)
			}
			benchParties(b, func(s *Session) error {
				cb := &Combiner{Session: s, Deciders: s.Parties[:1]}
				_, err := cb.SumWide(context.Background(), v, c.bits)
				return err
			})
		})
	}
}
