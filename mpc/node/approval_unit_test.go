package node

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

func testQuery(session, leader, where string) *query {
	return &query{Session: session, Leader: leader, Parties: []string{"a", "b", "c"}, Microprotocol: "Count",
		Dataset: DatasetRef{Table: "patients", Where: where}, Requester: "alice"}
}

// TestApprovalsDecide: a first ask registers the query and answers at
// once; an ask holds until the owner decides; an approval is used once;
// a denial is kept for a late ask.
func TestApprovalsDecide(t *testing.T) {
	a := newApprovals(time.Minute, nil)
	q := testQuery("s1", "a", "age > 40")
	p, d, err := a.await(context.Background(), q, 0)
	if err != nil || d != undecided {
		t.Fatalf("first ask: %v %v", d, err)
	}
	if list := a.list(); len(list) != 1 || list[0].ID != p.ID || list[0].Where != "age > 40" || list[0].Requester != "alice" {
		t.Fatalf("list: %+v", list)
	}
	go func() {
		// Most often the ask below waits when the decision comes; should
		// it start after, it finds the query decided: the outcome is the
		// same, and does not depend on this sleep.
		time.Sleep(20 * time.Millisecond)
		if _, err := a.decide(p.ID, true); err != nil {
			t.Error(err)
		}
	}()
	// An ask that missed the decision would hold until its client gives
	// up (20 s, before the ask's own wait of 30 s ends), and answer that
	// the query was withdrawn.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, d, err := a.await(ctx, q, 30*time.Second); err != nil || d != approved {
		t.Fatalf("ask during the approval: %v %v", d, err)
	}
	if _, _, err := a.await(context.Background(), q, 0); err == nil {
		t.Error("an approval was used twice")
	}
	if len(a.list()) != 0 {
		t.Errorf("list after approval: %v", a.list())
	}

	q2 := testQuery("s2", "a", "")
	p2, _, _ := a.await(context.Background(), q2, 0)
	if _, err := a.decide(p2.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := a.decide(p2.ID, true); err == nil {
		t.Error("a denied query could be approved after")
	}
	if _, d, err := a.await(context.Background(), q2, 0); err != nil || d != denied {
		t.Errorf("ask after the denial: %v %v", d, err)
	}
	if _, d, err := a.await(context.Background(), q2, 0); err != nil || d != denied {
		t.Errorf("late ask after the denial: %v %v, want denied again, not a new wait", d, err)
	}
	if _, err := a.decide("nothing", true); err == nil {
		t.Error("an unknown id was approved")
	}
}

// TestApprovalsBindTheQuery: the same session with other content is
// refused; an approval covers the exact query.
func TestApprovalsBindTheQuery(t *testing.T) {
	a := newApprovals(time.Minute, nil)
	if _, _, err := a.await(context.Background(), testQuery("s", "a", "age > 40"), 0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []*query{testQuery("s", "a", "age > 41"), testQuery("s", "c", "age > 40")} {
		_, _, err := a.await(context.Background(), q, 0)
		if ae, ok := err.(*apiError); !ok || ae.Code != http.StatusConflict {
			t.Errorf("ask with other content (%s, %q): %v, want 409", q.Leader, q.Dataset.Where, err)
		}
	}
}

// TestApprovalsExpireAndWithdraw: an undecided query expires at the
// timeout; one whose ask ends (the leader gave up) is withdrawn; one that
// no ask comes for is dropped, and the drop is reported.
func TestApprovalsExpireAndWithdraw(t *testing.T) {
	var mu sync.Mutex
	var dropped []decision
	a := newApprovals(50*time.Millisecond, func(p *pendingQuery) {
		mu.Lock()
		dropped = append(dropped, p.state)
		mu.Unlock()
	})
	if _, d, err := a.await(context.Background(), testQuery("e", "a", ""), time.Second); err != nil || d != expired {
		t.Errorf("ask past the timeout: %v %v, want expired", d, err)
	}
	a.timeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, d, err := a.await(ctx, testQuery("w", "a", ""), time.Second); err != nil || d != withdrawn {
		t.Errorf("ask whose leader gave up: %v %v, want withdrawn", d, err)
	}
	a.await(context.Background(), testQuery("x", "a", ""), 0)
	if p, audit := a.withdraw("x", "b"); p != nil || audit {
		t.Error("another member withdrew a's query")
	}
	if p, audit := a.withdraw("x", "a"); p == nil || !audit {
		t.Errorf("withdraw: %v %v", p, audit)
	}
	a.timeout = 10 * time.Millisecond
	a.await(context.Background(), testQuery("y", "a", ""), 0)
	time.Sleep(20 * time.Millisecond) // the input under test: the 10 ms approval timeout must pass
	if len(a.list()) != 0 {
		t.Errorf("an expired query is listed: %v", a.list())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dropped) != 1 || dropped[0] != expired {
		t.Errorf("dropped: %v, want one expired", dropped)
	}
}

// TestApprovalsCapped: no more than maxPendingPerLeader from one leader,
// and maxPending in all.
func TestApprovalsCapped(t *testing.T) {
	a := newApprovals(time.Minute, nil)
	for i := range maxPendingPerLeader {
		if _, _, err := a.await(context.Background(), testQuery(fmt.Sprint("a", i), "a", ""), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := a.await(context.Background(), testQuery("a-more", "a", ""), 0); err == nil {
		t.Error("one leader went past its cap")
	}
	for i := 0; len(a.byID) < maxPending; i++ {
		if _, _, err := a.await(context.Background(), testQuery(fmt.Sprint("o", i), fmt.Sprint("leader", i/maxPendingPerLeader), ""), 0); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := a.await(context.Background(), testQuery("full", "z", ""), 0)
	if ae, ok := err.(*apiError); !ok || ae.Code != http.StatusServiceUnavailable {
		t.Errorf("ask beyond the cap: %v, want 503", err)
	}
}

// A withdrawal can overtake its query's first ask: the ask then finds the
// query ended and never reaches the owner's list. Only the leader's own
// withdrawal counts.
func TestWithdrawBeforeTheAsk(t *testing.T) {
	a := newApprovals(time.Minute, nil)
	a.withdraw("s1", "a")
	if _, d, err := a.await(context.Background(), testQuery("s1", "a", ""), 0); err != nil || d != withdrawn {
		t.Fatalf("ask after its withdrawal: %v %v", d, err)
	}
	if list := a.list(); len(list) != 0 {
		t.Fatalf("a withdrawn query waits: %+v", list)
	}
	a.withdraw("s2", "b") // not s2's leader
	if _, d, err := a.await(context.Background(), testQuery("s2", "a", ""), 0); err != nil || d != undecided {
		t.Fatalf("another member's withdrawal ended the query: %v %v", d, err)
	}
}
