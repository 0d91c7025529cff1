package mpc

import (
	"bytes"
	"context"
	"crypto/ecdh"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// plainIntersection is the intersection computed in the clear.
func plainIntersection(sets [][]string) []string {
	return IntersectLists(sets)
}

// psiBoth runs SetIntersection and then SetIntersectionSize over sets and
// checks every party's answers against the plaintext intersection.
func psiBoth(t *testing.T, parties []string, sets [][]string) {
	t.Helper()
	want := plainIntersection(sets)
	net := NewLocalNetwork(parties...)
	id := fmt.Sprintf("psi-%d", rand.Uint64())
	got, errs := runParties(t, net, id, parties, 10*time.Second, func(s *Session, i int) ([]string, error) {
		return SetIntersection(context.Background(), s, sets[i])
	})
	for i := range parties {
		if errs[i] != nil {
			t.Fatalf("SetIntersection at %s: %v", parties[i], errs[i])
		}
		if got[i] == nil || !slices.Equal(got[i], want) {
			t.Fatalf("SetIntersection at %s: got %q, want %q", parties[i], got[i], want)
		}
	}
	sizes, errs := runParties(t, net, id+"-size", parties, 10*time.Second, func(s *Session, i int) (int, error) {
		return SetIntersectionSize(context.Background(), s, sets[i])
	})
	for i := range parties {
		if errs[i] != nil {
			t.Fatalf("SetIntersectionSize at %s: %v", parties[i], errs[i])
		}
		if sizes[i] != len(want) {
			t.Fatalf("SetIntersectionSize at %s: got %d, want %d", parties[i], sizes[i], len(want))
		}
	}
	for _, p := range parties {
		if n := net.Hub(p).Sessions(); n != 0 {
			t.Fatalf("%s still holds %d sessions", p, n)
		}
	}
}

func TestSetIntersectionRandomSets(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	item := func(k int) string { return fmt.Sprintf("item-%04d", k) }
	for m := 2; m <= 6; m++ {
		parties := psiPartyNames(m)
		scenarios := map[string]func() [][]string{
			"overlap": func() [][]string {
				sets := make([][]string, m)
				for i := range sets {
					for k := range 80 {
						// Items 0..9 are likely everywhere, the rest sparse.
						if (k < 10 && rng.IntN(10) < 9) || rng.IntN(3) == 0 {
							sets[i] = append(sets[i], item(k))
						}
					}
					rng.Shuffle(len(sets[i]), func(a, b int) { sets[i][a], sets[i][b] = sets[i][b], sets[i][a] })
				}
				return sets
			},
			"duplicates": func() [][]string {
				sets := make([][]string, m)
				for i := range sets {
					for range 60 {
						sets[i] = append(sets[i], item(rng.IntN(12)))
					}
				}
				return sets
			},
			"identical": func() [][]string {
				base := []string{"x", "", "y z", "ü", strings.Repeat("l", MaxPSIItemBytes)}
				sets := make([][]string, m)
				for i := range sets {
					sets[i] = slices.Clone(base)
					rng.Shuffle(len(sets[i]), func(a, b int) { sets[i][a], sets[i][b] = sets[i][b], sets[i][a] })
				}
				return sets
			},
			"one-empty": func() [][]string {
				sets := make([][]string, m)
				for i := range sets {
					sets[i] = []string{item(1), item(2), item(3)}
				}
				sets[rng.IntN(m)] = nil
				return sets
			},
			"all-empty": func() [][]string { return make([][]string, m) },
			"disjoint": func() [][]string {
				sets := make([][]string, m)
				for i := range sets {
					sets[i] = []string{item(100 + i), item(200 + i)}
				}
				return sets
			},
		}
		names := make([]string, 0, len(scenarios))
		for name := range scenarios {
			names = append(names, name)
		}
		slices.Sort(names) // a fixed order, so the seeded sets are the same every run
		for _, name := range names {
			sets := scenarios[name]()
			t.Run(fmt.Sprintf("parties=%d/%s", m, name), func(t *testing.T) {
				psiBoth(t, parties, sets)
			})
		}
	}
}

// TestSetIntersectionReferenceVectors checks the FSC reference's answers:
// a party's data is a list of sets, its own set their intersection.
func TestSetIntersectionReferenceVectors(t *testing.T) {
	data := [][][]string{
		{{"A", "B", "C", "D"}, {"C", "A", "E"}},
		{{"C", "F", "A"}},
		{{"A", "C", "Z"}},
	}
	type vector struct {
		Microprotocol string
		Data          [][][]string
		Answer        struct {
			Inputs int
			Result struct {
				Size         *int     `json:"size_intersection"`
				Intersection []string `json:"intersection"`
			}
		}
	}
	vectors := []vector{{Microprotocol: "SetIntersection", Data: data}, {Microprotocol: "SetIntersectionSize", Data: data}}
	two := 2
	for i := range vectors {
		vectors[i].Answer.Inputs = 3
		vectors[i].Answer.Result.Size = &two
	}
	vectors[0].Answer.Result.Intersection = []string{"A", "C"}
	// The reference's own recorded answers, where the shared test vectors
	// are at hand.
	if raw, err := os.ReadFile("../../shared/testvectors/simon_reference.json"); err == nil {
		var file struct{ Vectors []json.RawMessage }
		if err := json.Unmarshal(raw, &file); err != nil {
			t.Fatalf("simon_reference.json: %v", err)
		}
		for _, r := range file.Vectors {
			var v vector
			if json.Unmarshal(r, &v) == nil && strings.HasPrefix(v.Microprotocol, "SetIntersection") {
				vectors = append(vectors, v)
			}
		}
	}
	for k, v := range vectors {
		t.Run(fmt.Sprintf("%d/%s", k, v.Microprotocol), func(t *testing.T) {
			parties := psiPartyNames(len(v.Data))
			net := NewLocalNetwork(parties...)
			type answer struct {
				size         int
				intersection []string
			}
			got, errs := runParties(t, net, fmt.Sprintf("ref-%d", k), parties, 5*time.Second, func(s *Session, i int) (answer, error) {
				own := IntersectLists(v.Data[i])
				if v.Microprotocol == "SetIntersectionSize" {
					n, err := SetIntersectionSize(context.Background(), s, own)
					return answer{size: n}, err
				}
				x, err := SetIntersection(context.Background(), s, own)
				return answer{size: len(x), intersection: x}, err
			})
			for i := range parties {
				if errs[i] != nil {
					t.Fatalf("party %d: %v", i, errs[i])
				}
				if v.Answer.Result.Size == nil || got[i].size != *v.Answer.Result.Size {
					t.Fatalf("party %d: size %d, want %v", i, got[i].size, v.Answer.Result.Size)
				}
				if v.Microprotocol == "SetIntersection" && !slices.Equal(got[i].intersection, v.Answer.Result.Intersection) {
					t.Fatalf("party %d: intersection %q, want %q", i, got[i].intersection, v.Answer.Result.Intersection)
				}
			}
		})
	}
}

func TestPSIIntersectLists(t *testing.T) {
	for _, c := range []struct {
		in   [][]string
		want []string
	}{
		{nil, []string{}},
		{[][]string{{}}, []string{}},
		{[][]string{{"b", "a", "b"}}, []string{"a", "b"}},
		{[][]string{{"A", "B", "C", "D"}, {"C", "A", "E"}}, []string{"A", "C"}},
		{[][]string{{"A", "B"}, {"C"}}, []string{}},
		{[][]string{{"A", "B", "A"}, {"B", "A", "B"}, {"A"}}, []string{"A"}},
	} {
		if got := IntersectLists(c.in); got == nil || !slices.Equal(got, c.want) {
			t.Errorf("IntersectLists(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// tapped is every message a LocalNetwork carried.
type tapped struct {
	mu   sync.Mutex
	msgs []Message
}

func (tp *tapped) record(m *Message) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	c := *m
	c.Body = slices.Clone(m.Body)
	tp.msgs = append(tp.msgs, c)
}

// TestPSIMessagesHideItems records every message and checks that no item,
// no plain SHA-256 hash of an item and no hashed point of an item travels;
// it also counts the messages and checks which lists travel sorted.
func TestPSIMessagesHideItems(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for m := 2; m <= 5; m++ {
		for _, sizeOnly := range []bool{false, true} {
			t.Run(fmt.Sprintf("parties=%d/size=%v", m, sizeOnly), func(t *testing.T) {
				parties := psiPartyNames(m)
				sets := make([][]string, m)
				var all []string
				for i := range sets {
					for k := range 40 {
						if k < 5 || rng.IntN(2) == 0 {
							x := fmt.Sprintf("patient-%05d", k)
							sets[i] = append(sets[i], x)
							all = append(all, x)
						}
					}
				}
				slices.Sort(all)
				all = slices.Compact(all)
				net := NewLocalNetwork(parties...)
				var tp tapped
				net.Tap = tp.record
				id := fmt.Sprintf("tap-%d-%v", m, sizeOnly)
				_, errs := runParties(t, net, id, parties, 5*time.Second, func(s *Session, i int) (int, error) {
					if sizeOnly {
						return SetIntersectionSize(context.Background(), s, sets[i])
					}
					x, err := SetIntersection(context.Background(), s, sets[i])
					return len(x), err
				})
				for i, err := range errs {
					if err != nil {
						t.Fatalf("party %d: %v", i, err)
					}
				}
				if want := 2 * m * (m - 1); len(tp.msgs) != want {
					t.Fatalf("%d messages, want 2m(m-1) = %d", len(tp.msgs), want)
				}
				step := "psi.1"
				if sizeOnly {
					step = "psisize.1"
				}
				var c psiCurve
				for _, x := range all {
					h := sha256.Sum256([]byte(x))
					point, err := c.hash(id, step, x)
					if err != nil {
						t.Fatal(err)
					}
					for _, msg := range tp.msgs {
						for _, needle := range [][]byte{[]byte(x), h[:], h[:8], point[:], point[:8]} {
							if bytes.Contains(msg.Body, needle) {
								t.Fatalf("message %s→%s at %s carries %q or its hash", msg.From, msg.To, msg.Step, x)
							}
						}
					}
				}
				ring, final := 0, 0
				for _, msg := range tp.msgs {
					from := slices.Index(parties, msg.From)
					to := slices.Index(parties, msg.To)
					if _, err := psiDecode(msg.Body, false); err != nil {
						t.Fatalf("message %s→%s at %s: %v", msg.From, msg.To, msg.Step, err)
					}
					_, sortErr := psiDecode(msg.Body, true)
					switch {
					case strings.HasPrefix(msg.Step, step+"/ring"):
						ring++
						if to != (from+1)%m {
							t.Fatalf("ring message %s→%s: not to the successor", msg.From, msg.To)
						}
						if r := msg.Step[len(step+"/ring"):]; r == "1" || sizeOnly {
							// The owner's own list, sorted by its first ciphertexts;
							// in the size variant every forwarder sorts too.
							if sortErr != nil {
								t.Fatalf("ring message %s→%s at %s not sorted: %v", msg.From, msg.To, msg.Step, sortErr)
							}
						}
					case msg.Step == step+"/final":
						final++
						if to != (from+1)%m || sizeOnly {
							if sortErr != nil {
								t.Fatalf("final message %s→%s not sorted: %v", msg.From, msg.To, sortErr)
							}
						}
					default:
						t.Fatalf("unexpected step %s", msg.Step)
					}
				}
				if ring != m*(m-1) || final != m*(m-1) {
					t.Fatalf("%d ring and %d final messages, want %d each", ring, final, m*(m-1))
				}
			})
		}
	}
}

// TestPSIUnlinkableAcrossSessions runs the same sets twice: no value of
// the first session appears in the second.
func TestPSIUnlinkableAcrossSessions(t *testing.T) {
	parties := psiPartyNames(3)
	sets := [][]string{{"a", "b", "c"}, {"b", "c", "d"}, {"c", "b", "e"}}
	net := NewLocalNetwork(parties...)
	values := make([]map[psiPoint]bool, 2)
	for run := range values {
		var tp tapped
		net.Tap = tp.record
		got, errs := runParties(t, net, fmt.Sprintf("link-%d", run), parties, 5*time.Second, func(s *Session, i int) ([]string, error) {
			return SetIntersection(context.Background(), s, sets[i])
		})
		for i := range parties {
			if errs[i] != nil || !slices.Equal(got[i], []string{"b", "c"}) {
				t.Fatalf("run %d party %d: %q, %v", run, i, got[i], errs[i])
			}
		}
		values[run] = map[psiPoint]bool{}
		for _, msg := range tp.msgs {
			l, err := psiDecode(msg.Body, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range l {
				values[run][v] = true
			}
		}
	}
	for v := range values[1] {
		if values[0][v] {
			t.Fatalf("value %x appears in both sessions", v)
		}
	}
}

func TestPSIDeadPartyNamed(t *testing.T) {
	for _, m := range []int{2, 3, 5} {
		for dead := range m {
			parties := psiPartyNames(m)
			for i := range parties {
				parties[i] = "node-" + parties[i]
			}
			net := NewLocalNetwork(parties...)
			net.Disconnect(parties[dead])
			_, errs := runParties(t, net, "dead", parties, 10*time.Second, func(s *Session, i int) ([]string, error) {
				return SetIntersection(context.Background(), s, []string{"a", "b"})
			})
			for i, err := range errs {
				if i == dead {
					continue
				}
				if err == nil || !strings.Contains(err.Error(), parties[dead]) {
					t.Fatalf("parties=%d dead=%s: %s got %v, want an error naming the dead party", m, parties[dead], parties[i], err)
				}
				if pastDeadline(err) {
					t.Fatalf("parties=%d dead=%s: %s waited until the deadline instead of aborting: %v", m, parties[dead], parties[i], err)
				}
			}
		}
	}
}

func TestPSIInputLimits(t *testing.T) {
	parties := []string{"alice", "bob"}
	huge := make([]string, MaxPSIItems+1)
	for i := range huge {
		huge[i] = fmt.Sprint(i)
	}
	for _, c := range []struct {
		name  string
		items []string
		want  string
	}{
		{"long item", []string{"ok", strings.Repeat("x", MaxPSIItemBytes+1)}, "4096 bytes"},
		{"too many items", huge, "1000000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			net := NewLocalNetwork(parties...)
			// bob hears of the limit from alice (the checks below), not
			// at the deadline, whose error names no limit.
			_, errs := runParties(t, net, "limits", parties, 10*time.Second, func(s *Session, i int) ([]string, error) {
				if i == 0 {
					return SetIntersection(context.Background(), s, c.items)
				}
				return SetIntersection(context.Background(), s, []string{"ok"})
			})
			if errs[0] == nil || !strings.Contains(errs[0].Error(), c.want) {
				t.Fatalf("alice: got %v, want an error naming the limit %s", errs[0], c.want)
			}
			var pe *PeerError
			if !errors.As(errs[1], &pe) || pe.Party != "alice" || !strings.Contains(errs[1].Error(), c.want) {
				t.Fatalf("bob: got %v, want a PeerError naming alice and the limit", errs[1])
			}
			if strings.Contains(errs[1].Error(), "item 1") {
				t.Fatalf("bob learnt which item broke the limit: %v", errs[1])
			}
		})
	}
}

// TestPSIMalformedListAborts has a party send a malformed first list: its
// successor refuses it, and every honest party's error names the sender.
func TestPSIMalformedListAborts(t *testing.T) {
	var c psiCurve
	good := func(x string) psiPoint {
		p, err := c.hash("s", "t", x)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	var twist psiPoint
	for k := byte(2); ; k++ {
		twist = psiPoint{k}
		if err := c.check(&twist); err != nil && strings.Contains(err.Error(), "twist") {
			break
		}
	}
	nonCanonical := psiPoint{0xee}
	for i := 1; i < 31; i++ {
		nonCanonical[i] = 0xff
	}
	nonCanonical[31] = 0x7f
	a, b := good("a"), good("b")
	if psiCompare(a, b) > 0 {
		a, b = b, a
	}
	cases := []struct {
		name     string
		body     []byte
		sizeOnly bool
		want     string
	}{
		{"ragged", make([]byte, 33), false, "whole number"},
		{"top bit", psiEncode([]psiPoint{a, {0: 9, 31: 0x80}}), false, "top bit"},
		{"not reduced", psiEncode([]psiPoint{nonCanonical}), false, "not reduced"},
		{"low order", psiEncode([]psiPoint{a, psiLowOrder[2]}), false, "low-order"},
		{"zero", make([]byte, 32), false, "low-order"},
		{"twist", psiEncode([]psiPoint{twist}), false, "twist"},
		{"repeat", psiEncode([]psiPoint{a, b, a}), false, "equal"},
		{"unsorted", psiEncode([]psiPoint{b, a}), true, "increasing order"},
	}
	parties := []string{"alice", "bob", "mallory"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			net := NewLocalNetwork(parties...)
			step := "psi.1"
			if tc.sizeOnly {
				step = "psisize.1"
			}
			_, errs := runParties(t, net, "bad", parties, 5*time.Second, func(s *Session, i int) (int, error) {
				ctx := context.Background()
				if s.Self == "mallory" {
					// mallory's successor is alice.
					if err := s.Send(ctx, "alice", step+"/ring1", tc.body); err != nil {
						return 0, err
					}
					_, err := s.Recv(ctx, "alice", step+"/final") // until the abort
					return 0, err
				}
				if tc.sizeOnly {
					return SetIntersectionSize(ctx, s, []string{"a", "b"})
				}
				x, err := SetIntersection(ctx, s, []string{"a", "b"})
				return len(x), err
			})
			var pe *PeerError
			if !errors.As(errs[0], &pe) || pe.Party != "mallory" || !strings.Contains(errs[0].Error(), "malformed") ||
				!strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("alice: got %v, want a PeerError naming mallory, malformed, %q", errs[0], tc.want)
			}
			if errs[1] == nil || !strings.Contains(errs[1].Error(), "mallory") {
				t.Fatalf("bob: got %v, want an error naming mallory", errs[1])
			}
		})
	}
}

func TestPSIEncryptRejectsLowOrder(t *testing.T) {
	key, err := ecdh.X25519().GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var c psiCurve
	ok, err := c.hash("s", "t", "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range psiLowOrder {
		_, err := psiEncrypt(key, []psiPoint{ok, p})
		if !errors.Is(err, errPSILowOrder) || !strings.Contains(err.Error(), "value 1") || !strings.Contains(err.Error(), "all-zero") {
			t.Fatalf("%x: got %v, want a low-order error naming value 1", p, err)
		}
		if err := c.check(&p); !errors.Is(err, errPSILowOrder) && !strings.Contains(fmt.Sprint(err), "twist") {
			t.Fatalf("%x passed the check: %v", p, err)
		}
	}
}

func TestPSIHashAndCommutativity(t *testing.T) {
	var c psiCurve
	seen := map[psiPoint]string{}
	inputs := [][3]string{{"s", "t", "ab"}, {"s", "ta", "b"}, {"sa", "t", "b"}, {"s", "t", ""}, {"s2", "t", "ab"}, {"s", "t2", "ab"}}
	for k := range 200 {
		inputs = append(inputs, [3]string{"s", "t", fmt.Sprint(k)})
	}
	for _, in := range inputs {
		p, err := c.hash(in[0], in[1], in[2])
		if err != nil {
			t.Fatal(err)
		}
		if err := c.check(&p); err != nil {
			t.Fatalf("hash of %q: %v", in, err)
		}
		if prev, ok := seen[p]; ok {
			t.Fatalf("%q and %q hash alike", in, prev)
		}
		seen[p] = fmt.Sprint(in)
	}
	// Encryption commutes and stays on the curve.
	k1, _ := ecdh.X25519().GenerateKey(crand.Reader)
	k2, _ := ecdh.X25519().GenerateKey(crand.Reader)
	k3, _ := ecdh.X25519().GenerateKey(crand.Reader)
	var in []psiPoint
	for p := range seen {
		in = append(in, p)
	}
	chain := func(keys ...*ecdh.PrivateKey) []psiPoint {
		out := in
		for _, k := range keys {
			var err error
			if out, err = psiEncrypt(k, out); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	x, y := chain(k1, k2, k3), chain(k3, k1, k2)
	if !slices.Equal(x, y) {
		t.Fatal("X25519 encryption does not commute")
	}
	for i := range x {
		if err := c.check(&x[i]); err != nil {
			t.Fatalf("encrypted value %d: %v", i, err)
		}
	}
}

func TestPSILegendreMatchesBigJacobi(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	pm1 := new(big.Int).Sub(psiCurveP, big.NewInt(1))
	values := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(486662), pm1}
	for range 20000 {
		var b [32]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		values = append(values, new(big.Int).Mod(new(big.Int).SetBytes(b[:]), psiCurveP))
	}
	for _, x := range values {
		if got, want := psiLegendre(x.FillBytes(make([]byte, 32))), big.Jacobi(x, psiCurveP); got != want {
			t.Fatalf("psiLegendre(%v) = %d, want %d", x, got, want)
		}
	}
}

// BenchmarkSetIntersection measures the protocol alone: three parties of
// 10,000 items each, half of them common, in one process.
func BenchmarkSetIntersection(b *testing.B) {
	const n = 10_000
	parties := []string{"a", "b", "c"}
	sets := make([][]string, len(parties))
	for i := range sets {
		for k := range n {
			if k < n/2 {
				sets[i] = append(sets[i], fmt.Sprintf("common-%06d", k))
			} else {
				sets[i] = append(sets[i], fmt.Sprintf("party%d-%06d", i, k))
			}
		}
	}
	for _, sizeOnly := range []bool{false, true} {
		name := "SetIntersection/parties=3/items=10000"
		if sizeOnly {
			name = "SetIntersectionSize/parties=3/items=10000"
		}
		b.Run(name, func(b *testing.B) {
			net := NewLocalNetwork(parties...)
			for i := 0; b.Loop(); i++ {
				got, errs := runParties(b, net, fmt.Sprintf("bench-%d", i), parties, time.Minute, func(s *Session, j int) (int, error) {
					if sizeOnly {
						return SetIntersectionSize(context.Background(), s, sets[j])
					}
					x, err := SetIntersection(context.Background(), s, sets[j])
					return len(x), err
				})
				for j := range parties {
					if errs[j] != nil || got[j] != n/2 {
						b.Fatalf("party %d: %d, %v", j, got[j], errs[j])
					}
				}
			}
		})
	}
}

// psiPartyNames returns m party names p0, p1, ...
func psiPartyNames(m int) []string {
	names := make([]string, m)
	for i := range names {
		names[i] = fmt.Sprintf("p%d", i)
	}
	return names
}
