package mpc

import (
	"sync"
	"time"
)

// Hub holds the mailboxes of one party: a mailbox for every open session,
// and for sessions whose first messages arrive before this party has opened
// them. It rejects duplicates (a second message for the same session, step
// and sender), replays (a message for a session already closed), messages for
// another party, and floods beyond its limits.
type Hub struct {
	self string

	mu        sync.Mutex
	boxes     map[string]*mailbox
	closed    map[string]ended // session id -> how it ended
	pending   int              // bytes held for sessions not yet opened
	lastSweep time.Time
}

// Hub limits; a session that is never opened is dropped after pendingTTL.
const (
	maxPendingBytes    = 256 << 20
	maxPendingSessions = 4096
	pendingTTL         = 2 * time.Minute
	closedTTL          = time.Hour
)

// ended remembers a closed session: until when, and why it failed if it did.
type ended struct {
	until  time.Time
	reason string
}

type mailKey struct{ step, from string }

type mailbox struct {
	created time.Time
	opened  bool
	digest  [16]byte
	msgs    map[mailKey][]byte
	digests map[mailKey][16]byte
	seen    map[mailKey]bool
	failed  error         // set once; every later Recv returns it
	notify  chan struct{} // closed and replaced on every change
}

// NewHub returns the hub of the party called self.
func NewHub(self string) *Hub {
	return &Hub{self: self, boxes: map[string]*mailbox{}, closed: map[string]ended{}}
}

// Self returns the party this hub receives for.
func (h *Hub) Self() string { return h.self }

func newMailbox() *mailbox {
	return &mailbox{
		created: time.Now(),
		msgs:    map[mailKey][]byte{},
		digests: map[mailKey][16]byte{},
		seen:    map[mailKey]bool{},
		notify:  make(chan struct{}),
	}
}

func (b *mailbox) wake() {
	close(b.notify)
	b.notify = make(chan struct{})
}

func (b *mailbox) fail(err error) {
	if b.failed == nil {
		b.failed = err
		b.wake()
	}
}

// Deliver files m in its session's mailbox. The error, when not nil, wraps
// ErrRejected and says why.
func (h *Hub) Deliver(m *Message) error {
	if m.To != h.self {
		return rejected("message for %q delivered to %q", m.To, h.self)
	}
	if m.Session == "" || m.Step == "" || m.From == "" {
		return rejected("message without session, step or sender")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweepLocked()
	if e, ok := h.closed[m.Session]; ok {
		if e.reason != "" {
			return rejected("session %s already ended at %s: %s", m.Session, h.self, e.reason)
		}
		return rejected("session %s is closed: replayed or late message from %s, step %s", m.Session, m.From, m.Step)
	}
	b := h.boxes[m.Session]
	if b == nil {
		if len(h.boxes) >= maxPendingSessions {
			return rejected("too many sessions open at %s", h.self)
		}
		b = newMailbox()
		h.boxes[m.Session] = b
	}
	k := mailKey{m.Step, m.From}
	if b.seen[k] {
		return rejected("duplicate message from %s for session %s, step %s", m.From, m.Session, m.Step)
	}
	b.seen[k] = true
	if m.Step == StepAbort {
		b.fail(&PeerError{Party: m.From, Err: &abortError{reason: string(m.Body)}})
		return nil
	}
	if b.opened && m.Digest != b.digest {
		err := &PeerError{Party: m.From, Step: m.Step, Err: errDisagree}
		b.fail(err)
		return rejected("%v", err)
	}
	if !b.opened {
		if h.pending+len(m.Body) > maxPendingBytes {
			return rejected("too much data waiting for sessions not yet open at %s", h.self)
		}
		h.pending += len(m.Body)
	}
	b.msgs[k] = m.Body
	b.digests[k] = m.Digest
	b.wake()
	return nil
}

// open marks a session open at this party, checking messages that arrived
// early against the agreed digest.
func (h *Hub) open(id string, digest [16]byte) (*mailbox, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.closed[id]; ok {
		return nil, rejected("session %s was already used", id)
	}
	b := h.boxes[id]
	if b == nil {
		b = newMailbox()
		h.boxes[id] = b
	} else if b.opened {
		return nil, rejected("session %s is already open", id)
	}
	b.opened = true
	b.digest = digest
	for k, body := range b.msgs {
		h.pending -= len(body)
		if b.digests[k] != digest {
			b.fail(&PeerError{Party: k.from, Step: k.step, Err: errDisagree})
		}
	}
	return b, nil
}

// close forgets a session's mailbox and remembers its id, so late and
// replayed messages for it are rejected.
func (h *Hub) close(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := ended{until: time.Now().Add(closedTTL)}
	if b := h.boxes[id]; b != nil {
		if !b.opened {
			for _, body := range b.msgs {
				h.pending -= len(body)
			}
		}
		if b.failed != nil {
			e.reason = b.failed.Error()
		}
	}
	delete(h.boxes, id)
	h.closed[id] = e
}

// sweepLocked drops mailboxes nobody opened in time and forgets old closed ids.
func (h *Hub) sweepLocked() {
	now := time.Now()
	if now.Sub(h.lastSweep) < time.Second {
		return
	}
	h.lastSweep = now
	for id, b := range h.boxes {
		if !b.opened && now.Sub(b.created) > pendingTTL {
			for _, body := range b.msgs {
				h.pending -= len(body)
			}
			delete(h.boxes, id)
		}
	}
	for id, e := range h.closed {
		if now.After(e.until) {
			delete(h.closed, id)
		}
	}
}

// Sessions returns the number of sessions this hub holds open or pending;
// tests use it to check that nothing is left behind.
func (h *Hub) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.boxes)
}
