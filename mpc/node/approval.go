package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// A member whose policy has auto_join = false takes part in another
// member's dataset query only once its owner approved that query. The
// query waits at the member in a bounded list; the leader asks again and
// again (each ask waits up to approvalPoll for the decision), and the
// owner decides with `fsc-node approve ID` or `fsc-node deny ID`. An
// approval covers one query: its session and its digest (leader, parties,
// microprotocol, dataset, columns, filter and parameters); it is used up
// when the member accepts. A query nobody decides is refused when the
// policy's approval_timeout has passed; one whose leader stopped asking
// (its analyst gave up, or it vanished) is dropped.

// Caps on the queries waiting for approval: in all, and from any one
// leader, so that one member cannot crowd out the others.
const (
	maxPending          = 64
	maxPendingPerLeader = 16
)

// Timing of the wait: an ask waits at most maxApprovalPoll for a decision;
// a waiting query no leader asked about for pendingLease is dropped; the
// outcome of an ended query is kept for decidedTTL (at most maxDecided),
// so that a late ask learns it rather than starting a new wait.
const (
	approvalPoll    = 10 * time.Second
	maxApprovalPoll = 30 * time.Second
	pendingLease    = 30 * time.Second
	decidedTTL      = time.Hour
	maxDecided      = 4096
)

// approvalWaitHeader carries how long a leader's ask may wait at the
// member for the owner's decision (a Go duration); without it the member
// answers at once.
const approvalWaitHeader = "Fsc-Approval-Wait"

// decision is where a waiting query stands.
type decision int

const (
	undecided decision = iota
	approved
	denied
	expired
	withdrawn
	used // approved, and the member accepted the query
)

func (d decision) String() string {
	return [...]string{"waiting", "approved", "denied", "expired", "withdrawn", "accepted"}[d]
}

// PendingQuery is a federation query waiting at this node for its owner's
// approval, as `fsc-node pending` lists it. Everything in it is what the
// leader's query says: who asked, and what.
type PendingQuery struct {
	ID            string         `json:"id"`
	Leader        string         `json:"leader"`    // the member that leads the query
	Requester     string         `json:"requester"` // its analyst, as the leader names them
	Microprotocol string         `json:"microprotocol"`
	Table         string         `json:"table"`
	Columns       []string       `json:"columns,omitempty"`
	Where         string         `json:"where,omitempty"`
	Parameters    map[string]any `json:"parameters,omitempty"`
	Received      time.Time      `json:"received"`
	Expires       time.Time      `json:"expires"`
	// Decision is set in the answer to approve and deny.
	Decision string `json:"decision,omitempty"`
}

// pendingQuery is one waiting query and its decision.
type pendingQuery struct {
	PendingQuery
	session string
	digest  [16]byte
	state   decision
	decided chan struct{} // closed when state leaves undecided
	asks    int           // asks of the leader waiting right now
	seen    time.Time     // when an ask last came or went
	at      time.Time     // when the owner decided
}

// approvals holds the queries that wait for this node's owner.
type approvals struct {
	mu        sync.Mutex
	byID      map[string]*pendingQuery
	bySession map[string]*pendingQuery
	ended     map[string]endedQuery // session -> how its wait ended
	timeout   time.Duration
	// dropped is told of a query that ended without an ask to answer (it
	// expired, or its leader stopped asking), for the audit log.
	dropped func(p *pendingQuery)
}

// endedQuery is the outcome of a query that no longer waits.
type endedQuery struct {
	state  decision
	leader string
	until  time.Time
}

func newApprovals(timeout time.Duration, dropped func(*pendingQuery)) *approvals {
	return &approvals{byID: map[string]*pendingQuery{}, bySession: map[string]*pendingQuery{}, ended: map[string]endedQuery{}, timeout: timeout, dropped: dropped}
}

// await registers q on its first ask, or finds it, and waits up to wait
// for the owner's decision. It returns the query and where it stands:
// undecided (ask again), approved (used up now: the caller accepts),
// denied, expired or withdrawn (ctx ended: the leader stopped asking).
func (a *approvals) await(ctx context.Context, q *query, wait time.Duration) (*pendingQuery, decision, error) {
	now := time.Now()
	digest := q.digest()
	a.mu.Lock()
	a.sweepLocked(now)
	p := a.bySession[q.Session]
	switch {
	case p != nil && (p.Leader != q.Leader || p.digest != digest):
		a.mu.Unlock()
		return nil, undecided, errorf(http.StatusConflict, "query %s waits for approval with other content; an approval covers one query exactly", q.Session)
	case p == nil:
		if e, ok := a.ended[q.Session]; ok && e.leader == q.Leader {
			a.mu.Unlock()
			if e.state == used {
				return nil, undecided, errorf(http.StatusConflict, "query %s was approved and accepted already; an approval covers one query", q.Session)
			}
			return &pendingQuery{PendingQuery: PendingQuery{Leader: q.Leader}}, e.state, nil
		}
		var err error
		if p, err = a.addLocked(q, digest, now); err != nil {
			a.mu.Unlock()
			return nil, undecided, err
		}
	}
	p.asks++
	p.seen = now
	a.mu.Unlock()

	timer := time.NewTimer(max(min(wait, maxApprovalPoll, time.Until(p.Expires)), 0))
	defer timer.Stop()
	select {
	case <-p.decided:
	case <-timer.C:
	case <-ctx.Done():
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	now = time.Now()
	p.asks--
	p.seen = now
	if a.bySession[q.Session] != p {
		if p.state == withdrawn { // by its leader, while this ask waited
			return p, withdrawn, nil
		}
		return nil, undecided, errorf(http.StatusConflict, "query %s no longer waits for approval", q.Session)
	}
	if p.state == undecided && !now.Before(p.Expires) {
		a.decideLocked(p, expired)
	}
	switch {
	case ctx.Err() != nil && p.state != denied && p.state != expired:
		a.endLocked(p, withdrawn, now)
		return p, withdrawn, nil
	case p.state == undecided:
		return p, undecided, nil
	case p.state == approved:
		a.endLocked(p, used, now)
		return p, approved, nil
	}
	a.endLocked(p, p.state, now)
	return p, p.state, nil
}

// withdraw ends the wait of the query its leader gave up (the analyst
// cancelled, or another member refused). It returns the query when it
// waited, and whether no ask of the leader is there to tell of it (the
// caller then writes its audit line).
func (a *approvals) withdraw(session, leader string) (*pendingQuery, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.bySession[session]
	if p == nil {
		// Withdrawn before its ask came (they travel apart): the ask,
		// when it comes, finds the query ended.
		a.rememberLocked(session, endedQuery{state: withdrawn, leader: leader, until: time.Now().Add(decidedTTL)})
		return nil, false
	}
	if p.Leader != leader {
		return nil, false
	}
	a.endLocked(p, withdrawn, time.Now())
	return p, p.asks == 0
}

// addLocked registers a new waiting query, within the caps.
func (a *approvals) addLocked(q *query, digest [16]byte, now time.Time) (*pendingQuery, error) {
	if len(a.byID) >= maxPending {
		return nil, errorf(http.StatusServiceUnavailable, "%d queries already wait for approval at this member; ask again later", len(a.byID))
	}
	fromLeader := 0
	for _, p := range a.byID {
		if p.Leader == q.Leader {
			fromLeader++
		}
	}
	if fromLeader >= maxPendingPerLeader {
		return nil, errorf(http.StatusServiceUnavailable, "%d queries of %s already wait for approval at this member; ask again later", fromLeader, q.Leader)
	}
	id := newPendingID()
	for a.byID[id] != nil {
		id = newPendingID()
	}
	cols := slices.Clone(q.Dataset.Columns)
	if q.Dataset.Column != "" {
		cols = append([]string{q.Dataset.Column}, cols...)
	}
	p := &pendingQuery{
		PendingQuery: PendingQuery{ID: id, Leader: q.Leader, Requester: q.Requester, Microprotocol: q.Microprotocol,
			Table: q.Dataset.Table, Columns: cols, Where: strings.TrimSpace(q.Dataset.Where), Parameters: q.Parameters,
			Received: now.UTC(), Expires: now.Add(a.timeout).UTC()},
		session: q.Session, digest: digest, decided: make(chan struct{}), seen: now,
	}
	a.byID[id] = p
	a.bySession[q.Session] = p
	return p, nil
}

// newPendingID is a short id an owner can type: eight hex digits.
func newPendingID() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// decide records the owner's decision on the query with this id.
func (a *approvals) decide(id string, approve bool) (PendingQuery, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sweepLocked(time.Now())
	p := a.byID[id]
	if p == nil {
		return PendingQuery{}, errorf(http.StatusNotFound, "no query %s waits for approval here (fsc-node pending lists those that do)", bounded(id))
	}
	if p.state != undecided {
		return PendingQuery{}, errorf(http.StatusConflict, "query %s is %s already", id, p.state)
	}
	d := denied
	if approve {
		d = approved
	}
	a.decideLocked(p, d)
	out := p.PendingQuery
	out.Decision = d.String()
	return out, nil
}

func (a *approvals) decideLocked(p *pendingQuery, d decision) {
	p.state, p.at = d, time.Now()
	close(p.decided)
}

// endLocked removes a query from the list and remembers how it ended.
func (a *approvals) endLocked(p *pendingQuery, d decision, now time.Time) {
	if p.state == undecided {
		a.decideLocked(p, d)
	}
	p.state = d
	delete(a.byID, p.ID)
	delete(a.bySession, p.session)
	a.rememberLocked(p.session, endedQuery{state: d, leader: p.Leader, until: now.Add(decidedTTL)})
}

// rememberLocked keeps how a query's wait ended, for asks that come late.
func (a *approvals) rememberLocked(session string, e endedQuery) {
	for k := range a.ended { // full: forget any; a late ask then waits anew
		if len(a.ended) < maxDecided {
			break
		}
		delete(a.ended, k)
	}
	a.ended[session] = e
}

// list returns the queries waiting for a decision, oldest first.
func (a *approvals) list() []PendingQuery {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sweepLocked(time.Now())
	out := []PendingQuery{}
	for _, p := range a.byID {
		if p.state == undecided {
			out = append(out, p.PendingQuery)
		}
	}
	slices.SortFunc(out, func(x, y PendingQuery) int { return x.Received.Compare(y.Received) })
	return out
}

// sweepLocked ends the queries no ask waits on that expired or that their
// leader stopped asking about, and forgets old outcomes.
func (a *approvals) sweepLocked(now time.Time) {
	for _, p := range a.byID {
		if p.asks > 0 {
			continue
		}
		switch {
		case p.state == undecided && !now.Before(p.Expires):
			a.endLocked(p, expired, now)
		case now.Sub(p.seen) > pendingLease:
			a.endLocked(p, withdrawn, now)
		default:
			continue
		}
		if a.dropped != nil {
			a.dropped(p)
		}
	}
	for k, e := range a.ended {
		if now.After(e.until) {
			delete(a.ended, k)
		}
	}
}

// pollWait reads how long a leader's ask may wait for a decision.
func pollWait(r *http.Request) time.Duration {
	d, err := time.ParseDuration(r.Header.Get(approvalWaitHeader))
	if err != nil || d < 0 {
		return 0
	}
	return min(d, maxApprovalPoll)
}
