package mpc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestWaitingNamesThePartyHeldFor: a party blocked in Recv names the party
// it waits on, through the session and its views, and no longer once the
// message came.
func TestWaitingNamesThePartyHeldFor(t *testing.T) {
	net := NewLocalNetwork("a", "b", "c")
	parties := []string{"a", "b", "c"}
	var sess [3]*Session
	for i, p := range parties {
		s, err := net.Hub(p).Open(Config{ID: "wait", Parties: parties, Timeout: 5 * time.Second}, net)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sess[i] = s
	}
	got := make(chan error, 1)
	view := sess[0].Sub("v")
	go func() {
		_, err := view.Recv(context.Background(), "c", "v/x.1")
		got <- err
	}()
	// Wait until the Recv has blocked for 10 ms: a generous deadline,
	// polled, so that a loaded machine delays the test but does not fail it.
	deadline := time.Now().Add(30 * time.Second)
	for len(sess[0].Waiting(10*time.Millisecond)) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if w := sess[0].Waiting(10 * time.Millisecond); !slices.Equal(w, []string{"c"}) {
		t.Fatalf("a waits on %v, want [c]", w)
	}
	if w := sess[0].Waiting(time.Hour); len(w) != 0 {
		t.Errorf("a has waited an hour on %v", w)
	}
	if w := sess[1].Waiting(0); len(w) != 0 {
		t.Errorf("b waits on %v, want nobody", w)
	}
	if err := sess[2].Sub("v").Send(context.Background(), "a", "v/x.1", []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if w := sess[0].Waiting(0); len(w) != 0 {
		t.Errorf("after the message a still waits on %v", w)
	}
}

// A party that passes on another party's refusal (as every exchange does
// with the failure it met) passes on the refusing party's words only: a
// refusal names nobody, however many parties relay it.
func TestRelayedRefusalKeepsNoName(t *testing.T) {
	parties := []string{"hospital-a", "hospital-b", "hospital-c"}
	net := NewLocalNetwork(parties...)
	var mu sync.Mutex
	var relayed []string
	net.Tap = func(m *Message) {
		if m.Step == StepAbort && m.From == "hospital-a" {
			mu.Lock()
			relayed = append(relayed, string(m.Body[1:]))
			mu.Unlock()
		}
	}
	sess := map[string]*Session{}
	for _, p := range parties {
		s, err := net.Hub(p).Open(Config{ID: "relay", Parties: parties, Timeout: 10 * time.Second}, net)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sess[p] = s
	}
	sess["hospital-b"].Abort(fmt.Errorf("refused: the rule: %w", ErrRefused))
	_, err := sess["hospital-a"].Recv(context.Background(), "hospital-b", "x")
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("hospital-a got %v, want b's refusal", err)
	}
	sess["hospital-a"].Abort(err) // passes the failure on, as exchangeTo does
	_, err = sess["hospital-c"].Recv(context.Background(), "hospital-a", "y")
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("hospital-c got %v, want the refusal", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(relayed)
		mu.Unlock()
		if n == 2 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(relayed) != 2 {
		t.Fatalf("hospital-a sent %d abort notices, want 2", len(relayed))
	}
	for _, r := range relayed {
		if r != "refused: the rule: refused by policy" {
			t.Errorf("hospital-a passed on %q; want the refusing party's words only", r)
		}
	}
}
