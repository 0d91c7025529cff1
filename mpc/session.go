package mpc

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DefaultTimeout is how long a party waits for any one message.
const DefaultTimeout = 30 * time.Second

var errDisagree = errors.New("disagrees on the computation (different parties, microprotocol or parameters)")

// Transport carries a message to its receiver. Send returns once the
// receiver's hub has accepted the message, or with the reason it did not.
type Transport interface {
	Send(ctx context.Context, m *Message) error
}

// Session is one party's view of one computation among a fixed list of
// parties. Every message it sends or receives is bound to the session id, a
// step label, the sender and the receiver; every wait ends at a deadline.
type Session struct {
	ID      string
	Parties []string
	Self    string
	Timeout time.Duration

	hub    *Hub
	box    *mailbox
	tr     Transport
	digest [16]byte

	parent *Session // for a view made by Sub: the session it shares
	prefix string   // for a view: what its step labels start with

	mu    sync.Mutex
	rng   *rand.ChaCha8
	steps map[string]int
	done  bool
}

// Config describes a session to open.
type Config struct {
	ID      string   // unique among all sessions these parties ever run
	Parties []string // every party, in the same order at every party
	Digest  [16]byte // hash of what the parties agreed to compute
	Timeout time.Duration
}

// Open opens a session at this hub's party. The party must be one of
// cfg.Parties; the session's randomness is seeded afresh from crypto/rand.
func (h *Hub) Open(cfg Config, tr Transport) (*Session, error) {
	if len(cfg.Parties) < 2 || len(cfg.Parties) > MaxParties {
		return nil, fmt.Errorf("a session needs 2 to %d parties, got %d", MaxParties, len(cfg.Parties))
	}
	if !slices.Contains(cfg.Parties, h.self) {
		return nil, fmt.Errorf("party %s is not among the session's parties %v", h.self, cfg.Parties)
	}
	seen := map[string]bool{}
	for _, p := range cfg.Parties {
		if seen[p] {
			return nil, fmt.Errorf("party %s appears twice in the session", p)
		}
		seen[p] = true
	}
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("seed session randomness: %w", err)
	}
	box, err := h.open(cfg.ID, cfg.Digest, cfg.Parties)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Session{
		ID: cfg.ID, Parties: slices.Clone(cfg.Parties), Self: h.self, Timeout: timeout,
		hub: h, box: box, tr: tr, digest: cfg.Digest,
		rng: rand.NewChaCha8(seed), steps: map[string]int{},
	}, nil
}

// Others returns every party but this one, in session order.
func (s *Session) Others() []string {
	out := make([]string, 0, len(s.Parties)-1)
	for _, p := range s.Parties {
		if p != s.Self {
			out = append(out, p)
		}
	}
	return out
}

// Step returns a fresh step label for a protocol called name: name.1,
// name.2, ... Every party calls Step in the same order, so labels agree.
func (s *Session) Step(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps[name]++
	return s.prefix + name + "." + strconv.Itoa(s.steps[name])
}

// Sub returns a view of the session whose step labels start with
// prefix, so that two protocols can run over one session at the same time
// without their steps mixing. A view shares the session's parties,
// mailbox, randomness and deadline; closing the session closes its views.
// Every party must make the same views.
func (s *Session) Sub(prefix string) *Session {
	root := s
	if s.parent != nil {
		root = s.parent
	}
	return &Session{
		ID: s.ID, Parties: s.Parties, Self: s.Self, Timeout: s.Timeout,
		hub: s.hub, box: s.box, tr: s.tr, digest: s.digest,
		parent: root, prefix: s.prefix + prefix + "/", steps: map[string]int{},
	}
}

// Read fills p from the session's CSPRNG (ChaCha8 seeded from crypto/rand).
func (s *Session) Read(p []byte) (int, error) {
	if s.parent != nil {
		return s.parent.Read(p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Read(p)
}

// Send sends body to party to at step. A failure to deliver is a PeerError
// naming the receiver.
func (s *Session) Send(ctx context.Context, to, step string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	m := &Message{Session: s.ID, Step: step, From: s.Self, To: to, Digest: s.digest, Body: body}
	if err := s.tr.Send(ctx, m); err != nil {
		return &PeerError{Party: to, Step: step, Err: err}
	}
	return nil
}

// Recv waits for the message that party from sends at step. It returns early
// with an error when the context ends, the session is aborted by any party,
// or no message arrives within the session's timeout (a PeerError naming
// from).
func (s *Session) Recv(ctx context.Context, from, step string) ([]byte, error) {
	timer := time.NewTimer(s.Timeout)
	defer timer.Stop()
	k := mailKey{step, from}
	for {
		s.hub.mu.Lock()
		if body, ok := s.hub.take(s.box, k); ok {
			s.hub.mu.Unlock()
			return body, nil
		}
		if s.box.failed != nil {
			err := s.box.failed
			s.hub.mu.Unlock()
			return nil, err
		}
		wait := s.box.notify
		s.hub.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s at step %s: %w", from, step, context.Cause(ctx))
		case <-timer.C:
			return nil, &PeerError{Party: from, Step: step, Err: fmt.Errorf("no message within %v", s.Timeout)}
		}
	}
}

// Abort ends the session at this party and tells every other party why,
// each within a short deadline, so that nobody waits for the full timeout.
func (s *Session) Abort(reason error) {
	s.hub.mu.Lock()
	s.box.fail(reason)
	s.hub.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	kind := byte(abortFailed)
	if errors.Is(reason, ErrRefused) {
		kind = abortRefused
	}
	body := append([]byte{kind}, reason.Error()...)
	var wg sync.WaitGroup
	for _, p := range s.Others() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := &Message{Session: s.ID, Step: StepAbort, From: s.Self, To: p, Digest: s.digest, Body: body}
			_ = s.tr.Send(ctx, m) // best effort: a party that is gone cannot be told
		}()
	}
	wg.Wait()
}

// Close frees the session's mailbox; later messages for it are rejected as
// replays. Close is safe to call more than once.
func (s *Session) Close() {
	if s.parent != nil {
		s.parent.Close()
		return
	}
	s.mu.Lock()
	done := s.done
	s.done = true
	s.mu.Unlock()
	if !done {
		s.hub.close(s.ID)
	}
}
