package mpc

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
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
