package mpc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// runParties opens session id at every party whose hub is on the network
// and runs f at each concurrently, returning each party's result and error.
func runParties[T any](t testing.TB, net *LocalNetwork, id string, parties []string, timeout time.Duration,
	f func(s *Session, i int) (T, error)) ([]T, []error) {
	t.Helper()
	out := make([]T, len(parties))
	errs := make([]error, len(parties))
	var wg sync.WaitGroup
	for i, p := range parties {
		h := net.Hub(p)
		if h == nil {
			continue
		}
		s, err := h.Open(Config{ID: id, Parties: parties, Timeout: timeout}, net)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Close()
			out[i], errs[i] = f(s, i)
		}()
	}
	wg.Wait()
	return out, errs
}

// newID returns a fresh session id for a test.
func newID() string { return fmt.Sprintf("test-%d", rand.Uint64()) }

func partyNames(m int) []string {
	names := make([]string, m)
	for i := range names {
		names[i] = fmt.Sprintf("p%d", i)
	}
	return names
}

func TestSecureSumIntegersExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for m := 2; m <= 7; m++ {
		for _, length := range []int{1, 10, 100000} {
			t.Run(fmt.Sprintf("parties=%d/len=%d", m, length), func(t *testing.T) {
				parties := partyNames(m)
				net := NewLocalNetwork(parties...)
				inputs := make([][]uint64, m)
				want := make([]uint64, length)
				for i := range inputs {
					inputs[i] = make([]uint64, length)
					for j := range inputs[i] {
						v := rng.Int64N(2_000_001) - 1_000_000 // negative numbers too
						inputs[i][j] = uint64(v)
						want[j] += uint64(v)
					}
				}
				reveal := []string{parties[0]}
				got, errs := runParties(t, net, newID(), parties, 5*time.Second, func(s *Session, i int) ([]uint64, error) {
					return SecureSum(context.Background(), s, inputs[i], reveal)
				})
				for i, err := range errs {
					if err != nil {
						t.Fatalf("party %d: %v", i, err)
					}
				}
				for j := range want {
					if got[0][j] != want[j] {
						t.Fatalf("element %d: got %d, want %d", j, int64(got[0][j]), int64(want[j]))
					}
				}
				for i := 1; i < m; i++ {
					if got[i] != nil {
						t.Fatalf("party %d outside reveal got a result", i)
					}
				}
				for _, p := range parties {
					if n := net.Hub(p).Sessions(); n != 0 {
						t.Fatalf("%s still holds %d sessions", p, n)
					}
				}
			})
		}
	}
}

func TestSecureSumRealsWithinPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for m := 2; m <= 7; m++ {
		parties := partyNames(m)
		net := NewLocalNetwork(parties...)
		const length = 1000
		inputs := make([][]float64, m)
		exact := make([]*big.Float, length) // the exact sum, free of float64 rounding
		for j := range exact {
			exact[j] = new(big.Float).SetPrec(2000)
		}
		for i := range inputs {
			inputs[i] = make([]float64, length)
			for j := range inputs[i] {
				v := (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(12)))
				inputs[i][j] = v
				exact[j].Add(exact[j], big.NewFloat(v))
			}
		}
		want := make([]float64, length)
		for j := range want {
			want[j], _ = exact[j].Float64()
		}
		got, errs := runParties(t, net, newID(), parties, 5*time.Second, func(s *Session, i int) ([]float64, error) {
			enc, err := EncodeReals(inputs[i])
			if err != nil {
				return nil, err
			}
			sum, err := SecureSumWide(context.Background(), s, enc, WordsPerReal, parties) // everyone learns it
			if err != nil {
				return nil, err
			}
			return DecodeReals(sum)
		})
		for i := range parties {
			if errs[i] != nil {
				t.Fatalf("parties=%d: party %d: %v", m, i, errs[i])
			}
			for j := range want {
				// m roundings of 2^-33 each, plus float64 rounding of the answer.
				tol := float64(m)*math.Ldexp(1, -FracBits-1) + 4*math.Abs(want[j])*0x1p-52
				if d := math.Abs(got[i][j] - want[j]); d > tol {
					t.Fatalf("parties=%d party %d element %d: got %.17g want %.17g (diff %g > %g)", m, i, j, got[i][j], want[j], d, tol)
				}
			}
		}
	}
}

func TestEncodeRealsRejects(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), MaxAbs, -MaxAbs, 1e300} {
		if _, err := EncodeReals([]float64{0, v}); err == nil || !strings.Contains(err.Error(), "value 1") {
			t.Errorf("EncodeReals(%v): error %v, want one naming value 1", v, err)
		}
	}
	for _, v := range []float64{0, -0.0, 1, -1, 0.1, -1.25, MaxAbs / 2, -MaxAbs / 2, 1e-12} {
		w, err := EncodeReals([]float64{v})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := DecodeReals(w)
		if math.Abs(got[0]-v) > math.Ldexp(1, -FracBits-1) {
			t.Errorf("round trip %v -> %v", v, got[0])
		}
	}
}

func TestSplitSharesLookRandom(t *testing.T) {
	// The same secret split twice gives different shares: masks are fresh.
	net := NewLocalNetwork("a", "b")
	s1, _ := net.Hub("a").Open(Config{ID: "s1", Parties: []string{"a", "b"}}, net)
	s2, _ := net.Hub("a").Open(Config{ID: "s2", Parties: []string{"a", "b"}}, net)
	x := []uint64{42}
	a, _ := Split(s1, x, 2)
	b, _ := Split(s2, x, 2)
	if a[0][0] == b[0][0] || a[0][0]+a[1][0] != 42 || b[0][0]+b[1][0] != 42 {
		t.Fatalf("shares %v and %v: want fresh masks summing to 42", a, b)
	}
}

func TestDuplicateAndReplayRejected(t *testing.T) {
	net := NewLocalNetwork("a", "b")
	hb := net.Hub("b")
	m := &Message{Session: "s", Step: "x", From: "a", To: "b", Body: []byte{1}}
	if err := hb.Deliver(m); err != nil {
		t.Fatal(err)
	}
	if err := hb.Deliver(m); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("duplicate: got %v", err)
	}
	s, err := hb.Open(Config{ID: "s", Parties: []string{"a", "b"}}, net)
	if err != nil {
		t.Fatal(err)
	}
	if body, err := s.Recv(context.Background(), "a", "x"); err != nil || body[0] != 1 {
		t.Fatalf("recv: %v %v", body, err)
	}
	s.Close()
	m2 := *m
	m2.Step = "y"
	if err := hb.Deliver(&m2); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("replay after close: got %v", err)
	}
	if _, err := hb.Open(Config{ID: "s", Parties: []string{"a", "b"}}, net); err == nil {
		t.Fatal("reopening a closed session id succeeded")
	}
	wrong := &Message{Session: "t", Step: "x", From: "a", To: "c"}
	if err := hb.Deliver(wrong); !errors.Is(err, ErrRejected) {
		t.Fatalf("message for another party: got %v", err)
	}
}

func TestDeadlineNamesSilentParty(t *testing.T) {
	parties := []string{"a", "b", "c"}
	net := NewLocalNetwork(parties...)
	// c never opens the session: a and b must give up at the deadline
	// (the short timeout is the input under test), naming c.
	_, errs := runParties(t, net, newID(), parties[:2], 300*time.Millisecond, func(s *Session, i int) ([]uint64, error) {
		s.Parties = parties
		return SecureSum(context.Background(), s, []uint64{1}, parties)
	})
	for i, err := range errs {
		var pe *PeerError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "c") {
			t.Fatalf("party %d: got %v, want an error naming c", i, err)
		}
		if !pastDeadline(err) {
			t.Fatalf("party %d: got %v, want the deadline's error", i, err)
		}
	}
}

// TestDeadPartyAbortsEveryone: the parties stop at once when one of them
// is unreachable, with an error naming it, not at the deadline.
func TestDeadPartyAbortsEveryone(t *testing.T) {
	parties := []string{"a", "b", "c"}
	net := NewLocalNetwork(parties...)
	net.Disconnect("c")
	_, errs := runParties(t, net, newID(), parties, 10*time.Second, func(s *Session, i int) ([]uint64, error) {
		return SecureSum(context.Background(), s, []uint64{1}, parties)
	})
	for i, err := range errs[:2] {
		if err == nil || !strings.Contains(err.Error(), "c") {
			t.Fatalf("party %d: got %v, want an error naming c", i, err)
		}
		if pastDeadline(err) {
			t.Fatalf("party %d waited for the dead party until the deadline instead of aborting: %v", i, err)
		}
	}
}

func TestDisagreementDetected(t *testing.T) {
	parties := []string{"a", "b"}
	net := NewLocalNetwork(parties...)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range parties {
		s, err := net.Hub(p).Open(Config{ID: "d", Parties: parties, Digest: [16]byte{byte(i)}, Timeout: 5 * time.Second}, net)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.Close()
			_, errs[i] = SecureSum(context.Background(), s, []uint64{1}, parties)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "disagrees") {
			t.Fatalf("party %d: got %v", i, err)
		}
	}
}

func TestMessageRoundTrip(t *testing.T) {
	m := Message{Session: "s", Step: "sum.1/share", From: "a", To: "b", Digest: [16]byte{9}, Body: []byte("xyz")}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Message
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got.Session != m.Session || got.Step != m.Step || got.From != m.From || got.To != m.To || got.Digest != m.Digest || string(got.Body) != "xyz" {
		t.Fatalf("round trip: %+v", got)
	}
	for n := 0; n < len(b); n++ {
		if err := got.UnmarshalBinary(b[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
}

func FuzzMessageDecode(f *testing.F) {
	m := Message{Session: "s", Step: "sum.1/share", From: "a", To: "b", Body: []byte{1, 2, 3}}
	b, _ := m.MarshalBinary()
	f.Add(b)
	f.Add([]byte("FSC"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Message
		if err := m.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		var m2 Message
		if err := m2.UnmarshalBinary(again); err != nil || m2.Session != m.Session || string(m2.Body) != string(m.Body) {
			t.Fatalf("re-decode differs: %v", err)
		}
	})
}

func TestNonPartyCannotDisturbASession(t *testing.T) {
	parties := []string{"a", "b"}
	net := NewLocalNetwork("a", "b", "mallory")
	hb := net.Hub("b")
	// Early, before b opens the session: dropped when it opens.
	if err := hb.Deliver(&Message{Session: "s", Step: StepAbort, From: "mallory", To: "b", Body: []byte("stop")}); err != nil {
		t.Fatal(err)
	}
	_, errs := runParties(t, net, "s", parties, 5*time.Second, func(s *Session, _ int) ([]uint64, error) {
		if s.Self == "b" {
			// Late, while the session is open: refused.
			err := hb.Deliver(&Message{Session: "s", Step: StepAbort, From: "mallory", To: "b"})
			if err == nil || !strings.Contains(err.Error(), "not a party") {
				return nil, fmt.Errorf("non-party abort: %v", err)
			}
		}
		return SecureSum(context.Background(), s, []uint64{1}, parties)
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i, err)
		}
	}
}

// BenchmarkSecureSum measures the protocol alone: three parties in one
// process, no network.
func BenchmarkSecureSum(b *testing.B) {
	for _, length := range []int{1, 1000, 100000} {
		b.Run(fmt.Sprintf("parties=3/len=%d", length), func(b *testing.B) {
			parties := []string{"a", "b", "c"}
			net := NewLocalNetwork(parties...)
			x := make([]uint64, length)
			b.SetBytes(int64(8 * length))
			for i := 0; i < b.N; i++ {
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
						if _, err := SecureSum(context.Background(), s, x, parties[:1]); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
			}
		})
	}
}

// TestSubViewsRunSideBySide: two sums at once over one session, one on a
// view, keep their steps apart.
func TestSubViewsRunSideBySide(t *testing.T) {
	parties := []string{"a", "b", "c"}
	net := NewLocalNetwork(parties...)
	got, errs := runParties(t, net, "side", parties, 5*time.Second, func(s *Session, _ int) ([]uint64, error) {
		var wg sync.WaitGroup
		var side []uint64
		var sideErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			side, sideErr = SecureSum(context.Background(), s.Sub("side"), []uint64{10}, parties)
		}()
		main, err := SecureSum(context.Background(), s, []uint64{1}, parties)
		wg.Wait()
		if err != nil {
			return nil, err
		}
		if sideErr != nil {
			return nil, sideErr
		}
		return []uint64{main[0], side[0]}, nil
	})
	for i := range parties {
		if errs[i] != nil || got[i][0] != 3 || got[i][1] != 30 {
			t.Fatalf("party %d: %v %v, want 3 and 30", i, got[i], errs[i])
		}
	}
}
