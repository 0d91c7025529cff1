package mpc

import (
	"context"
	"slices"
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
