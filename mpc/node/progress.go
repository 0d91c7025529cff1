package node

import (
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// A client may name its compute call with a header (ComputationHeader)
// and, while the call runs, ask GET /computations/{id} how it stands: which
// members the node waits on, and which of them wait for their owner's
// approval. Only the analyst who started the call gets an answer; the
// FSC calls themselves are unchanged. The status names members and
// phases, never a value: a member waited on is one that has not answered
// yet, which its own analysts could see from its log. For a call on a
// client-supplied network, a party waited on while the call is "asking"
// is one whose own client has not made the call yet: a party the analyst
// named, and whom the call's failure at its deadline names anyway.

// ComputationHeader names a compute call so that its client can follow it.
const ComputationHeader = "Fsc-Computation"

// waitShown is how long a member must have been waited on before the
// status names it: shorter waits are the ordinary pace of a computation.
const waitShown = 500 * time.Millisecond

// maxFollowed bounds the computations followed at once.
const maxFollowed = 4096

// Status is how a followed computation stands, as GET /computations/{id}
// answers.
type Status struct {
	ID string `json:"id"`
	// Phase is "asking" (the members are asked to take part; on a
	// client-supplied network, the call waits for the other parties to
	// make it) or "computing".
	Phase string `json:"phase"`
	// Approval lists the members whose owner has yet to approve the query.
	Approval []string `json:"approval"`
	// WaitingFor lists the members (or network parties) the node has
	// waited on for a while.
	WaitingFor []string `json:"waiting_for"`
}

// progress is the state of one followed computation.
type progress struct {
	id, owner string

	mu       sync.Mutex
	phase    string
	asked    map[string]time.Time // member -> since when it was asked, unanswered
	approval map[string]bool      // members waiting for their owner
	sess     *mpc.Session
}

// Every method of progress does nothing on nil: an unfollowed computation.

func (p *progress) asking(member string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.asked[member]; !ok {
		p.asked[member] = time.Now()
	}
}

// waitsForApproval records that member's owner has (or no longer has) to
// approve the query.
func (p *progress) waitsForApproval(member string, waits bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if waits {
		p.approval[member] = true
	} else {
		delete(p.approval, member)
	}
}

func (p *progress) answered(member string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.asked, member)
	delete(p.approval, member)
}

// awaiting records which parties a network call still waits for to make
// it: each is waited on since it was first missing, and the others have
// answered.
func (p *progress) awaiting(missing []string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.phase != "asking" {
		return
	}
	for m := range p.asked {
		if !slices.Contains(missing, m) {
			delete(p.asked, m)
		}
	}
	for _, m := range missing {
		if _, ok := p.asked[m]; !ok {
			p.asked[m] = time.Now()
		}
	}
}

// computing records that every member takes part and the protocol runs in
// sess.
func (p *progress) computing(sess *mpc.Session) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.sess = "computing", sess
	clear(p.asked)
	clear(p.approval)
}

func (p *progress) status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{ID: p.id, Phase: p.phase, Approval: slices.Sorted(maps.Keys(p.approval)), WaitingFor: []string{}}
	for m, since := range p.asked {
		if !p.approval[m] && time.Since(since) >= waitShown {
			s.WaitingFor = append(s.WaitingFor, m)
		}
	}
	slices.Sort(s.WaitingFor)
	if p.sess != nil {
		s.WaitingFor = append(s.WaitingFor, p.sess.Waiting(waitShown)...)
	}
	return s
}

// progressBoard holds the computations followed right now.
type progressBoard struct {
	mu sync.Mutex
	m  map[string]*progress
}

// follow starts following the computation id of owner; no id means not
// followed. An id is 16 to 64 letters, digits, dashes or underscores (a
// client makes it at random); one in use is refused.
func (b *progressBoard) follow(id, owner string) (*progress, error) {
	if id == "" {
		return nil, nil
	}
	if !validComputationID(id) {
		return nil, errorf(http.StatusBadRequest, "%s: expected 16 to 64 letters, digits, dashes or underscores", ComputationHeader)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*progress{}
	}
	if _, taken := b.m[id]; taken {
		return nil, errorf(http.StatusConflict, "%s: computation %s runs already; name each call afresh", ComputationHeader, id)
	}
	if len(b.m) >= maxFollowed {
		return nil, nil // followed no more: the computation runs all the same
	}
	p := &progress{id: id, owner: owner, phase: "asking", asked: map[string]time.Time{}, approval: map[string]bool{}}
	b.m[id] = p
	return p, nil
}

func (b *progressBoard) end(p *progress) {
	if p == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, p.id)
}

func (b *progressBoard) get(id, owner string) *progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.m[id]; p != nil && p.owner == owner {
		return p
	}
	return nil
}

func validComputationID(id string) bool {
	if len(id) < 16 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// handleStatus answers GET /computations/{id}: how the requester's own
// running computation stands. Another analyst's computation, like one
// that ended, is unknown.
func (n *Node) handleStatus(w http.ResponseWriter, r *http.Request) {
	if _, err := decodeBody(w, r); err != nil {
		writeError(w, err)
		return
	}
	id := mux.Vars(r)["id"]
	p := n.progress.get(id, requesterOf(r))
	if p == nil {
		writeError(w, errorf(http.StatusNotFound, "no running computation %s of yours", bounded(id)))
		return
	}
	writeJSON(w, http.StatusOK, p.status())
}
