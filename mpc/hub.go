package mpc

import (
	"golang.org/x/sync/semaphore"

	"strings"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/expiry"
)

// Hub holds the mailboxes of one party: a mailbox for every open session,
// and for sessions whose first messages arrive before this party has opened
// them. It rejects duplicates (a second message for the same session, step
// and sender), replays (a message for a session already closed), messages for
// another party, and floods beyond its limits.
type Hub struct {
	self string

	mu     sync.Mutex
	boxes  map[string]*mailbox
	closed map[string]ended      // session id -> how it ended
	meets  map[string]*meetState // network key -> the calls said on it
	held   int                   // bytes of message bodies not yet read
	sweeps expiry.Clock
	// reading bounds the bytes of the messages all peers send at once,
	// over streams and POSTs together, while they are read and delivered.
	reading *semaphore.Weighted
}

// Hub limits; a session that is never opened is dropped after pendingTTL.
const (
	maxHeldBytes       = 256 << 20
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
	parties map[string]bool // set when opened
	msgs    map[mailKey][]byte
	digests map[mailKey][16]byte
	seen    map[mailKey]bool
	failed  error         // set once; every later Recv returns it
	notify  chan struct{} // closed and replaced on every change
}

// NewHub returns the hub of the party called self.
func NewHub(self string) *Hub {
	return &Hub{self: self, boxes: map[string]*mailbox{}, closed: map[string]ended{}, meets: map[string]*meetState{},
		reading: semaphore.NewWeighted(streamBytes)}
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
	if strings.HasPrefix(m.Session, meetPrefix) {
		return h.deliverWord(m)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweepLocked()
	if m.Step == StepProbe {
		return h.probeLocked(m)
	}
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
	if b.opened && !b.parties[m.From] {
		return rejected("%s is not a party of session %s", m.From, m.Session)
	}
	k := mailKey{m.Step, m.From}
	if b.seen[k] {
		return rejected("duplicate message from %s for session %s, step %s", m.From, m.Session, m.Step)
	}
	if b.opened && m.Step == StepAbort {
		b.seen[k] = true
		b.fail(abortFrom(m))
		return nil
	}
	if b.opened && m.Digest != b.digest {
		b.seen[k] = true
		err := &PeerError{Party: m.From, Step: m.Step, Err: errDisagree}
		b.fail(err)
		return rejected("%v", err)
	}
	if h.held+len(m.Body) > maxHeldBytes {
		return rejected("too much unread data at %s", h.self)
	}
	b.seen[k] = true
	h.held += len(m.Body)
	b.msgs[k] = m.Body
	b.digests[k] = m.Digest
	b.wake()
	return nil
}

// The first byte of an abort message's body says why the session ended.
const (
	abortFailed  = 'F'
	abortRefused = 'R'
)

// abortFrom turns an abort message into the error every waiting Recv gets.
// The reason is cut to a sane length and stripped of control characters.
func abortFrom(m *Message) error {
	body := m.Body
	refused := len(body) > 0 && body[0] == abortRefused
	if len(body) > 0 && (body[0] == abortRefused || body[0] == abortFailed) {
		body = body[1:]
	}
	reason := []rune(string(body))
	if len(reason) > 500 {
		reason = append(reason[:500], '…')
	}
	for i, r := range reason {
		if r < 0x20 || r == 0x7f {
			reason[i] = ' '
		}
	}
	return &PeerError{Party: m.From, Err: &abortError{reason: string(reason), refused: refused}}
}

// take removes and returns the message from a party at a step, if it came.
func (h *Hub) take(b *mailbox, k mailKey) ([]byte, bool) {
	body, ok := b.msgs[k]
	if ok {
		delete(b.msgs, k)
		h.held -= len(body)
	}
	return body, ok
}

// dropLocked forgets a mailbox's unread messages.
func (h *Hub) dropLocked(b *mailbox) {
	for k := range b.msgs {
		h.take(b, k)
	}
}

// open marks a session open at this party. Messages that arrived early
// from anyone but the session's parties are dropped; the rest are checked
// against the agreed digest, and an early abort ends the session at once.
func (h *Hub) open(id string, digest [16]byte, parties []string) (*mailbox, error) {
	if strings.HasPrefix(id, meetPrefix) {
		return nil, rejected("session id %s starts with the reserved %q", id, meetPrefix)
	}
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
	b.parties = map[string]bool{}
	for _, p := range parties {
		b.parties[p] = true
	}
	for k, body := range b.msgs {
		switch {
		case !b.parties[k.from]:
			h.take(b, k)
		case k.step == StepAbort:
			h.take(b, k)
			b.fail(abortFrom(&Message{From: k.from, Body: body}))
		case b.digests[k] != digest:
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
		h.dropLocked(b)
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
	if !h.sweeps.Due(now) {
		return
	}
	for id, b := range h.boxes {
		if !b.opened && now.Sub(b.created) > pendingTTL {
			h.dropLocked(b)
			delete(h.boxes, id)
		}
	}
	expiry.Drop(h.closed, now, func(e ended) time.Time { return e.until })
	for key, st := range h.meets {
		if st.mine == nil && now.Sub(st.seen) > maxWordTTL {
			delete(h.meets, key)
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
