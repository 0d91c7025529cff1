package mpc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// meetAll runs Meet at every party of net at once and returns each
// party's meeting and error.
func meetAll(net *LocalNetwork, parties []string, about map[string]string) ([]*Meeting, []error) {
	ms := make([]*Meeting, len(parties))
	errs := make([]error, len(parties))
	var wg sync.WaitGroup
	for i, p := range parties {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := about[p]
			if a == "" {
				a = "SecureSum"
			}
			ms[i], errs[i] = net.Hub(p).Meet(context.Background(), net, Call{Key: "k", Parties: parties, Content: [16]byte{a[0], byte(len(a))}, About: a, Timeout: 2 * time.Second})
		}()
	}
	wg.Wait()
	return ms, errs
}

func TestMeetAgreesAndRepeatsGetNewIDs(t *testing.T) {
	parties := []string{"a", "b", "c"}
	net := NewLocalNetwork(parties...)
	seen := map[string]bool{}
	for round := range 3 {
		ms, errs := meetAll(net, parties, nil)
		for i := range parties {
			if errs[i] != nil {
				t.Fatalf("round %d party %d: %v", round, i, errs[i])
			}
			if ms[i].ID != ms[0].ID {
				t.Fatalf("round %d: party %d derived %s, party 0 %s", round, i, ms[i].ID, ms[0].ID)
			}
			ms[i].End()
		}
		if seen[ms[0].ID] {
			t.Fatalf("round %d reused the id %s", round, ms[0].ID)
		}
		seen[ms[0].ID] = true
	}
}

// TestMeetDifferentCallsFailAtOnce: parties that make different calls on
// one key fail with ErrMismatch, not at the deadline: a call that waited
// for the others until its Timeout would fail with ErrNotJoined instead.
func TestMeetDifferentCallsFailAtOnce(t *testing.T) {
	ms, errs := meetAll(NewLocalNetwork("a", "b"), []string{"a", "b"}, map[string]string{"b": "Median"})
	for i, err := range errs {
		if !errors.Is(err, ErrMismatch) || errors.Is(err, ErrNotJoined) || ms[i] != nil || !strings.Contains(err.Error(), "Median") {
			t.Errorf("different calls: party %d got %v, want ErrMismatch naming Median", i, err)
		}
	}
}

// TestMeetRefusalAndBusy: while a and c wait for b, a second call on the
// key at a is busy; b's refusal then stops both waiting calls with b's
// reason (not at their deadline, which would be ErrNotJoined), and the
// next call meets.
func TestMeetRefusalAndBusy(t *testing.T) {
	parties := []string{"a", "b", "c"}
	net := NewLocalNetwork(parties...)
	done := make(chan error, 2)
	waitsForB := make(chan string, 2)
	for _, p := range []string{"a", "c"} {
		go func() {
			once := sync.OnceFunc(func() { waitsForB <- p })
			awaiting := func(missing []string) {
				if slices.Equal(missing, []string{"b"}) {
					once()
				}
			}
			_, err := net.Hub(p).Meet(context.Background(), net, Call{Key: "k", Parties: parties, About: "SecureSum", Timeout: 20 * time.Second, Awaiting: awaiting})
			done <- err
		}()
	}
	// Both calls run, and each has heard the other: they wait for b only.
	for range 2 {
		select {
		case <-waitsForB:
		case err := <-done:
			t.Fatalf("a call ended before it waited for b alone: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("a and c were not told that they wait for b alone")
		}
	}
	// A second call on the key at a is refused at once.
	if _, err := net.Hub("a").Meet(context.Background(), net, Call{Key: "k", Parties: parties, About: "Median", Timeout: 5 * time.Second}); !errors.Is(err, ErrBusy) {
		t.Errorf("second call at a: %v, want ErrBusy", err)
	}
	net.Hub("b").Refuse(net, "k", parties, 5*time.Second, errors.New("refused the call: bad input"))
	for range 2 {
		err := <-done
		var pe *PeerError
		if !errors.Is(err, ErrCallRefused) || errors.Is(err, ErrNotJoined) || !errors.As(err, &pe) || pe.Party != "b" || !strings.Contains(err.Error(), "bad input") {
			t.Errorf("got %v, want b's refusal", err)
		}
	}
	// The next call succeeds.
	_, errs := meetAll(net, parties, nil)
	for i, err := range errs {
		if err != nil {
			t.Errorf("after the refusal: party %d: %v", i, err)
		}
	}
}

// TestVanishedPartyIsNoticed: a party waited for that vanishes is noticed
// by the probe, not at the session's deadline: the error says that b
// vanished, where the deadline's says that b did not answer in time.
func TestVanishedPartyIsNoticed(t *testing.T) {
	parties := []string{"a", "b"}
	net := NewLocalNetwork(parties...)
	ms, errs := meetAll(net, parties, nil)
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	s, err := net.Hub("a").Open(Config{ID: ms[0].ID, Parties: parties, Timeout: 30 * time.Second, Network: "k"}, net)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	net.Disconnect("b")
	_, err = s.Recv(context.Background(), "b", "x.1")
	var pe *PeerError
	if !errors.As(err, &pe) || pe.Party != "b" || pastDeadline(err) || !strings.Contains(err.Error(), "vanished") {
		t.Fatalf("got %v, want b named as vanished before the deadline", err)
	}
}

// TestMeetAwaiting: while a party's call waits, Awaiting is told which
// other parties have not made it yet, each time that changes.
func TestMeetAwaiting(t *testing.T) {
	parties := []string{"a", "b", "c"}
	net := NewLocalNetwork(parties...)
	told := make(chan string, 10)
	call := func(p string, awaiting func([]string)) <-chan error {
		done := make(chan error, 1)
		go func() {
			m, err := net.Hub(p).Meet(context.Background(), net, Call{Key: "k", Parties: parties, About: "SecureSum", Timeout: 20 * time.Second, Awaiting: awaiting})
			if err == nil {
				m.End()
			}
			done <- err
		}()
		return done
	}
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-told:
			if got != want {
				t.Fatalf("a was told it awaits %q, want %q", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("a was not told that it awaits %q", want)
		}
	}
	da := call("a", func(missing []string) { told <- strings.Join(missing, " ") })
	expect("b c")
	db := call("b", nil)
	expect("c")
	dc := call("c", nil)
	for _, d := range []<-chan error{da, db, dc} {
		if err := <-d; err != nil {
			t.Fatal(err)
		}
	}
	if len(told) != 0 {
		t.Errorf("a was told more after the call met: %q", <-told)
	}
}
