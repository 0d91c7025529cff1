package mpc

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// shamirSizes are the numbers of parties the honest-majority tests run.
var shamirSizes = []int{3, 4, 5, 7}

// runShamir runs f at every one of n parties over a fresh session of net
// (a new network when net is nil) and returns each party's result and error.
// The session's deadline is generous: it only ends a test that has
// already failed, on a machine however loaded.
func runShamir[T any](t testing.TB, n int, net *LocalNetwork, f func(sh *Shamir, i int) (T, error)) ([]T, []error) {
	t.Helper()
	parties := partyNames(n)
	if net == nil {
		net = NewLocalNetwork(parties...)
	}
	return runParties(t, net, newID(), parties, time.Minute, func(s *Session, i int) (T, error) {
		sh, err := NewShamir(s)
		if err != nil {
			return *new(T), err
		}
		return f(sh, i)
	})
}

// mustAll fails the test on any party's error.
func mustAll(t testing.TB, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party p%d: %v", i, err)
		}
	}
}

func TestShamirThreshold(t *testing.T) {
	for n, want := range map[int]int{3: 1, 4: 1, 5: 2, 6: 2, 7: 3} {
		net := NewLocalNetwork(partyNames(n)...)
		s, err := net.Hub("p0").Open(Config{ID: "x", Parties: partyNames(n)}, net)
		if err != nil {
			t.Fatal(err)
		}
		sh, err := NewShamir(s)
		if err != nil || sh.Threshold() != want || 2*sh.Threshold() >= n {
			t.Fatalf("n=%d: threshold %d (%v), want %d", n, sh.Threshold(), err, want)
		}
	}
	net := NewLocalNetwork("a", "b")
	s, _ := net.Hub("a").Open(Config{ID: "x", Parties: []string{"a", "b"}}, net)
	if _, err := NewShamir(s); err == nil {
		t.Fatal("two parties accepted for honest-majority sharing")
	}
}

// TestShamirLocalSharing: t shares say nothing (every value of the secret
// fits them), t+1 determine it, and parity rows accept exactly the
// degree-t vectors.
func TestShamirLocalSharing(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{1})
	for _, n := range shamirSizes {
		deg := (n - 1) / 2
		secrets := []Fp{0, 1, 42, FieldPrime - 1}
		shares := make([][]Fp, n)
		for i := range shares {
			shares[i] = make([]Fp, len(secrets))
		}
		if err := dealShares(rng, secrets, deg, n, shares); err != nil {
			t.Fatal(err)
		}
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		rows := parityRows(all, deg)
		for k, want := range secrets {
			col := make([]Fp, n)
			for i := range col {
				col[i] = shares[i][k]
			}
			if !consistent(rows, col) {
				t.Fatalf("n=%d: honest shares fail the parity check", n)
			}
			// Any t+1 shares reconstruct.
			for start := 0; start+deg < n; start++ {
				idx := all[start : start+deg+1]
				var v Fp
				for j, c := range lagrangeAtZero(idx) {
					v = v.Add(c.Mul(col[idx[j]]))
				}
				if v != want {
					t.Fatalf("n=%d: shares %v reconstruct %d, want %d", n, idx, v, want)
				}
			}
			col[n-1] = col[n-1].Add(1)
			if consistent(rows, col) {
				t.Fatalf("n=%d: a changed share passes the parity check", n)
			}
		}
	}
}

func TestShamirInputOpen(t *testing.T) {
	for _, n := range shamirSizes {
		t.Run(fmt.Sprintf("parties=%d", n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 5))
			inputs := make([][]Fp, n)
			for i := range inputs {
				inputs[i] = PublicVec([]int64{int64(i), -int64(i), rng.Int64N(1 << 40), 1<<40 - 1})
			}
			type result struct{ own, sum, toLast []Fp }
			got, errs := runShamir(t, n, nil, func(sh *Shamir, i int) (result, error) {
				var r result
				var in []Fp
				if i == 0 {
					in = slices.Clone(inputs[0])
				}
				mine, err := sh.Input(context.Background(), "p0", in, 4)
				if err != nil {
					return r, err
				}
				if r.own, err = sh.Open(context.Background(), mine); err != nil {
					return r, err
				}
				all, err := sh.InputAll(context.Background(), inputs[i])
				if err != nil {
					return r, err
				}
				total := all[0]
				for _, v := range all[1:] {
					total = AddVec(total, v)
				}
				if r.sum, err = sh.Open(context.Background(), ScaleVec(3, AddPublic(total, 7))); err != nil {
					return r, err
				}
				r.toLast, err = sh.OpenTo(context.Background(), SubVec(all[1], all[0]), fmt.Sprintf("p%d", n-1))
				return r, err
			})
			mustAll(t, errs)
			for i, r := range got {
				if !slices.Equal(r.own, inputs[0]) {
					t.Fatalf("p%d opened %v, want %v", i, r.own, inputs[0])
				}
				for k := range r.sum {
					var want Fp
					for _, in := range inputs {
						want = want.Add(in[k])
					}
					if r.sum[k] != want.Add(7).Mul(3) {
						t.Fatalf("p%d: sum element %d is %d, want %d", i, k, r.sum[k], want.Add(7).Mul(3))
					}
				}
				if i < n-1 && r.toLast != nil {
					t.Fatalf("p%d got a value opened to p%d only", i, n-1)
				}
				if i == n-1 && !slices.Equal(r.toLast, SubVec(inputs[1], inputs[0])) {
					t.Fatalf("p%d: opened to it %v, want %v", i, r.toLast, SubVec(inputs[1], inputs[0]))
				}
			}
		})
	}
}

func TestShamirMulMatchesPlaintext(t *testing.T) {
	for _, n := range shamirSizes {
		t.Run(fmt.Sprintf("parties=%d", n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 6))
			const m = 300
			x, y, z := make([]Fp, m), make([]Fp, m), make([]Fp, m)
			for k := range m {
				x[k], y[k], z[k] = Fp(rng.Uint64N(FieldPrime)), NewFp(rng.Int64N(1<<41)-1<<40), Fp(rng.Uint64N(FieldPrime))
			}
			x[0], y[0], x[1], y[1] = 0, 5, FieldPrime-1, FieldPrime-1
			got, errs := runShamir(t, n, nil, func(sh *Shamir, i int) ([]Fp, error) {
				var in []Fp
				if i == 0 {
					in = slices.Concat(x, y, z)
				}
				sx, err := sh.Input(context.Background(), "p0", in, 3*m)
				if err != nil {
					return nil, err
				}
				xy, err := sh.Mul(context.Background(), sx[:m], sx[m:2*m])
				if err != nil {
					return nil, err
				}
				xyz, err := sh.Mul(context.Background(), xy, sx[2*m:]) // depth two
				if err != nil {
					return nil, err
				}
				return sh.Open(context.Background(), slices.Concat(xy, xyz))
			})
			mustAll(t, errs)
			for i, v := range got {
				for k := range m {
					if v[k] != x[k].Mul(y[k]) || v[m+k] != x[k].Mul(y[k]).Mul(z[k]) {
						t.Fatalf("p%d element %d: %d, %d; want %d, %d", i, k, v[k], v[m+k], x[k].Mul(y[k]), x[k].Mul(y[k]).Mul(z[k]))
					}
				}
			}
		})
	}
}

func TestShamirRandomBitsAreBits(t *testing.T) {
	for _, n := range shamirSizes {
		t.Run(fmt.Sprintf("parties=%d", n), func(t *testing.T) {
			const m = 2000
			got, errs := runShamir(t, n, nil, func(sh *Shamir, i int) ([]Fp, error) {
				b, err := sh.RandomBits(context.Background(), m)
				if err != nil {
					return nil, err
				}
				r, err := sh.Random(context.Background(), 4)
				if err != nil {
					return nil, err
				}
				return sh.Open(context.Background(), append(b, r...))
			})
			mustAll(t, errs)
			ones := 0
			for k := range m {
				switch got[0][k] {
				case 0:
				case 1:
					ones++
				default:
					t.Fatalf("random bit %d opened as %d", k, got[0][k])
				}
			}
			// Binomial(2000, 1/2): sd ≈ 22; ±200 is nine sd.
			if ones < m/2-200 || ones > m/2+200 {
				t.Fatalf("%d ones among %d random bits", ones, m)
			}
			r := got[0][m:]
			if r[0] == r[1] && r[1] == r[2] && r[2] == r[3] {
				t.Fatalf("four random field elements are all %d", r[0])
			}
			for i := range got {
				if !slices.Equal(got[i], got[0]) {
					t.Fatalf("p%d opened other values than p0", i)
				}
			}
		})
	}
}

// tamper returns a Tap that adds 1 to the first share the cheater sends at
// step to each party in victims (every other party when victims is nil).
func tamper(cheater, step string, victims []string) func(m *Message) {
	return func(m *Message) {
		if m.From != cheater || m.Step != step || (victims != nil && !slices.Contains(victims, m.To)) {
			return
		}
		head := 0
		if strings.HasPrefix(m.Step, "shamir-open") {
			head = sha256.Size // the hash of the products opened so far
		}
		v, err := decodeFp(m.Body[head:], (len(m.Body)-head)/8)
		if err != nil || len(v) == 0 {
			return
		}
		v[0] = v[0].Add(1)
		m.Body = append(slices.Clone(m.Body[:head]), encodeFp(v)...)
	}
}

// checkCheaterNamed asserts that every honest party failed with an error
// naming the cheater, and that a party that detected the false share
// itself has ErrInconsistent, as a PeerError naming the cheater alone when
// there are at least 4 parties.
func checkCheaterNamed(t *testing.T, n int, cheater string, errs []error) {
	t.Helper()
	detected := 0
	for i, err := range errs {
		p := fmt.Sprintf("p%d", i)
		if p == cheater {
			continue
		}
		if err == nil || !strings.Contains(err.Error(), cheater) {
			t.Fatalf("%s: got %v, want an error naming %s", p, err, cheater)
		}
		if !errors.Is(err, ErrInconsistent) {
			continue // told by a party that detected it
		}
		detected++
		var pe *PeerError
		if n >= 4 && (!errors.As(err, &pe) || pe.Party != cheater) {
			t.Fatalf("%s: %v, want a PeerError naming %s alone", p, err, cheater)
		}
	}
	if detected == 0 {
		t.Fatal("no party detected the false share itself")
	}
}

func TestShamirCheaterDetectedAndNamed(t *testing.T) {
	for _, n := range shamirSizes {
		for _, mode := range []string{"false-opening", "equivocation"} {
			t.Run(fmt.Sprintf("parties=%d/%s", n, mode), func(t *testing.T) {
				parties := partyNames(n)
				cheater := parties[n-1]
				var victims []string // false opening: a wrong share to everyone
				if mode == "equivocation" {
					victims = []string{"p0"} // a different share to p0 than to the rest
				}
				net := NewLocalNetwork(parties...)
				net.Tap = tamper(cheater, "shamir-open.1", victims)
				_, errs := runShamir(t, n, net, func(sh *Shamir, i int) ([]Fp, error) {
					var in []Fp
					if i == 1 {
						in = PublicVec([]int64{5, 6, 7})
					}
					x, err := sh.Input(context.Background(), "p1", in, 3)
					if err != nil {
						return nil, err
					}
					if _, err := sh.Open(context.Background(), x); err != nil {
						return nil, err
					}
					// A party whose check passed learns of the abort here.
					return sh.Open(context.Background(), x)
				})
				checkCheaterNamed(t, n, cheater, errs)
			})
		}
	}
}

// TestShamirMalformedShareNamed: an element that is not reduced modulo p
// is a malformed message from its sender.
func TestShamirMalformedShareNamed(t *testing.T) {
	parties := partyNames(3)
	net := NewLocalNetwork(parties...)
	net.Tap = func(m *Message) {
		if m.From == "p2" && m.Step == "shamir-open.1" {
			b := slices.Clone(m.Body)
			b[len(b)-1] = 0xff // the top byte of the last element
			m.Body = b
		}
	}
	_, errs := runShamir(t, 3, net, func(sh *Shamir, i int) ([]Fp, error) {
		return sh.Open(context.Background(), []Fp{1})
	})
	for i, err := range errs[:2] {
		var pe *PeerError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "p2") {
			t.Fatalf("p%d: got %v, want a PeerError naming p2", i, err)
		}
	}
}

// TestShamirProductEquivocationNotBlamedOnVictim: a member that sends p0
// a different share of a product in degree reduction than the others
// makes p0's share of the product false. The hash of the opened products catches it at the next
// opening, and p0, whose share is off through no fault of its own, is not
// blamed for a false share.
func TestShamirProductEquivocationNotBlamedOnVictim(t *testing.T) {
	for _, n := range shamirSizes {
		t.Run(fmt.Sprintf("parties=%d", n), func(t *testing.T) {
			parties := partyNames(n)
			cheater := parties[n-1]
			net := NewLocalNetwork(parties...)
			net.Tap = tamper(cheater, "shamir-mul-dn.1", []string{"p0"})
			_, errs := runShamir(t, n, net, func(sh *Shamir, i int) ([]Fp, error) {
				x, err := sh.InputAll(context.Background(), []Fp{Fp(i + 2)})
				if err != nil {
					return nil, err
				}
				xy, err := sh.Mul(context.Background(), x[0], x[1])
				if err != nil {
					return nil, err
				}
				return sh.Open(context.Background(), xy)
			})
			for i, err := range errs[:n-1] {
				if !errors.Is(err, ErrEquivocation) && !strings.Contains(fmt.Sprint(err), ErrEquivocation.Error()) {
					t.Fatalf("p%d: got %v, want %v", i, err, ErrEquivocation)
				}
				if errors.Is(err, ErrInconsistent) || strings.Contains(err.Error(), ErrInconsistent.Error()) {
					t.Fatalf("p%d: %v blames a member for a false share", i, err)
				}
			}
		})
	}
}

// TestShamirAdditiveAttackDetected: a member that adds an error to its
// share of a product in degree reduction, the same to every member and in
// its own view (so the shares stay on one polynomial and the hashes
// agree), is caught by the check of the products.
func TestShamirAdditiveAttackDetected(t *testing.T) {
	for _, n := range shamirSizes {
		t.Run(fmt.Sprintf("parties=%d", n), func(t *testing.T) {
			_, errs := runShamir(t, n, nil, func(sh *Shamir, i int) ([]Fp, error) {
				if i == 1 {
					sh.cheat = func(step string, d []Fp) { d[0] = d[0].Add(1) }
				}
				x, err := sh.InputAll(context.Background(), []Fp{Fp(i + 2), 3})
				if err != nil {
					return nil, err
				}
				xy, err := sh.Mul(context.Background(), x[0], x[1])
				if err != nil {
					return nil, err
				}
				return sh.Open(context.Background(), xy)
			})
			for i, err := range errs {
				if !errors.Is(err, ErrTampered) && !strings.Contains(fmt.Sprint(err), ErrTampered.Error()) {
					t.Fatalf("p%d: got %v, want %v", i, err, ErrTampered)
				}
			}
		})
	}
}

func TestPRSSSubsets(t *testing.T) {
	for _, c := range []struct{ n, t, want int }{{3, 1, 3}, {4, 1, 4}, {5, 2, 10}, {7, 3, 35}, {8, 3, 56}} {
		sets := subsets(c.n, c.t)
		if len(sets) != c.want || binomial(c.n, c.t, prssMaxSubsets) != c.want {
			t.Fatalf("C(%d,%d): %d sets, binomial %d, want %d", c.n, c.t, len(sets), binomial(c.n, c.t, prssMaxSubsets), c.want)
		}
		seen := map[string]bool{}
		for _, a := range sets {
			if len(a) != c.t || !slices.IsSorted(a) || seen[fmt.Sprint(a)] {
				t.Fatalf("C(%d,%d): bad or repeated set %v", c.n, c.t, a)
			}
			seen[fmt.Sprint(a)] = true
		}
	}
	if binomial(9, 4, prssMaxSubsets) <= prssMaxSubsets {
		t.Fatal("9 parties would use 126 keys")
	}
}

// TestPRSSSharesAreConsistent: pseudo-random values and zero sharings lie
// on polynomials of degree t and 2t, and the zero sharings open to 0.
func TestPRSSSharesAreConsistent(t *testing.T) {
	for _, n := range shamirSizes {
		const m = 20
		got, errs := runShamir(t, n, nil, func(sh *Shamir, i int) ([][]Fp, error) {
			if err := sh.setupPRSS(context.Background()); err != nil {
				return nil, err
			}
			return [][]Fp{sh.prss.random(m), sh.prss.zero(m)}, nil
		})
		mustAll(t, errs)
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		deg := (n - 1) / 2
		for k := range m {
			r, z := make([]Fp, n), make([]Fp, n)
			for i := range n {
				r[i], z[i] = got[i][0][k], got[i][1][k]
			}
			if !consistent(parityRows(all, deg), r) {
				t.Fatalf("n=%d: random value %d is not of degree %d", n, k, deg)
			}
			if !consistent(parityRows(all, 2*deg), z) || Dot(lagrangeAtZero(all), z) != 0 {
				t.Fatalf("n=%d: zero sharing %d is not a degree-%d sharing of 0", n, k, 2*deg)
			}
			if k > 0 && r[0] == got[0][0][k-1] {
				t.Fatalf("n=%d: repeated pseudo-random share", n)
			}
		}
	}
}
