package mpc

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
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

	hub     *Hub
	box     *mailbox
	tr      Transport
	digest  [16]byte
	network string // the network key of a call's session (Meet), else ""

	parent *Session // for a view made by Sub: the session it shares
	prefix string   // for a view: what its step labels start with
	opened *openLog // what this party opened, shared by every view

	mu    sync.Mutex
	rng   *rand.ChaCha8
	steps map[string]int
	done  bool
	waits map[string]waiting // party -> the Recv calls blocked on it
}

// waiting counts the Recv calls blocked on one party, and since when the
// oldest of them waits.
type waiting struct {
	calls int
	since time.Time
}

// Config describes a session to open.
type Config struct {
	ID      string   // unique among all sessions these parties ever run
	Parties []string // every party, in the same order at every party
	Digest  [16]byte // hash of what the parties agreed to compute
	Timeout time.Duration
	// Network is the key of the call this session runs, when its id came
	// from Meet. A party waited for is then probed now and then; one whose
	// node is gone, or that no longer runs the call, fails the wait at once.
	Network string
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
		hub: h, box: box, tr: tr, digest: cfg.Digest, network: cfg.Network,
		rng: rand.NewChaCha8(seed), steps: map[string]int{}, opened: &openLog{},
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
		hub: s.hub, box: s.box, tr: s.tr, digest: s.digest, network: s.network,
		parent: root, prefix: s.prefix + prefix + "/", steps: map[string]int{}, opened: s.opened,
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
// naming the receiver; when ctx ends first, the error is ctx's, which
// blames no party.
func (s *Session) Send(ctx context.Context, to, step string, body []byte) error {
	sctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	m := &Message{Session: s.ID, Step: step, From: s.Self, To: to, Digest: s.digest, Body: body}
	if err := s.tr.Send(sctx, m); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("sending to %s at step %s: %w", to, step, context.Cause(ctx))
		}
		if errors.Is(err, ErrRejected) && strings.Contains(err.Error(), "session "+s.ID+" already ended at ") {
			// The receiver ended the session and is telling every party
			// why: that reason (a refusal, say), not the rejection that
			// quotes it, is what this party fails with.
			if reason := s.awaitAbort(ctx); reason != nil {
				return reason
			}
		}
		return &PeerError{Party: to, Step: step, Err: err}
	}
	return nil
}

// awaitAbort waits up to AbortNotice for the session to be ended by
// another party's abort notice and returns its reason, or nil.
func (s *Session) awaitAbort(ctx context.Context) error {
	timer := time.NewTimer(AbortNotice)
	defer timer.Stop()
	for {
		s.hub.mu.Lock()
		failed, wait := s.box.failed, s.box.notify
		s.hub.mu.Unlock()
		if failed != nil {
			return failed
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil
		case <-timer.C:
			return nil
		}
	}
}

// probeEvery is how often a call's session asks a party it waits for
// whether that party still runs the call.
const probeEvery = time.Second

// probe asks party whether it still runs this session: nil when it does or
// cannot tell in time (a slow party is left to the deadline); a PeerError
// when its node cannot be reached or it answers that the call is not
// running there.
func (s *Session) probe(ctx context.Context, party string) error {
	ctx, cancel := context.WithTimeout(ctx, probeEvery)
	defer cancel()
	err := s.tr.Send(ctx, &Message{Session: s.ID, Step: StepProbe, From: s.Self, To: party, Digest: s.digest, Body: []byte(s.network)})
	switch {
	case err == nil, ctx.Err() != nil:
		return nil
	case errors.Is(err, ErrRejected) && !strings.Contains(err.Error(), errGone.Error()):
		return nil // an answer from an older node: it is up
	case errors.Is(err, ErrRejected):
		return &PeerError{Party: party, Err: fmt.Errorf("stopped: %w", err)}
	}
	return &PeerError{Party: party, Err: fmt.Errorf("vanished: %w", err)}
}

// Recv waits for the message that party from sends at step. It returns early
// with an error when the context ends, the session is aborted by any party,
// or no message arrives within the session's timeout (a PeerError naming
// from).
func (s *Session) Recv(ctx context.Context, from, step string) ([]byte, error) {
	timer := time.NewTimer(s.Timeout)
	defer timer.Stop()
	var probes <-chan time.Time
	if s.network != "" {
		t := time.NewTicker(probeEvery)
		defer t.Stop()
		probes = t.C
	}
	k := mailKey{step, from}
	for first := true; ; first = false {
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
		if first {
			s.root().blocked(from, 1)
			defer s.root().blocked(from, -1)
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %s at step %s: %w", from, step, context.Cause(ctx))
		case <-timer.C:
			return nil, &PeerError{Party: from, Step: step, Err: fmt.Errorf("did not answer within %v", s.Timeout)}
		case <-probes:
			if err := s.probe(ctx, from); err != nil {
				s.hub.mu.Lock()
				s.box.fail(err)
				s.hub.mu.Unlock()
			}
		}
	}
}

// root is the session a view made by Sub shares.
func (s *Session) root() *Session {
	if s.parent != nil {
		return s.parent
	}
	return s
}

// blocked counts a Recv call that starts (delta 1) or stops (delta -1)
// waiting for party.
func (s *Session) blocked(party string, delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waits == nil {
		s.waits = map[string]waiting{}
	}
	w := s.waits[party]
	if w.calls == 0 {
		w.since = time.Now()
	}
	w.calls += delta
	if w.calls <= 0 {
		delete(s.waits, party)
		return
	}
	s.waits[party] = w
}

// Waiting returns the parties this party has waited on for at least d,
// its Recv calls blocked for want of their messages, in session order. It
// tells who holds a computation up; it says nothing of any message.
func (s *Session) Waiting(d time.Duration) []string {
	r := s.root()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.Parties {
		if w, ok := r.waits[p]; ok && time.Since(w.since) >= d {
			out = append(out, p)
		}
	}
	return out
}

// Abort ends the session at this party at once and tells every other
// party why, in the background and within AbortNotice, so that nobody
// waits for the full timeout and the caller waits for nobody.
func (s *Session) Abort(reason error) {
	s.hub.mu.Lock()
	s.box.fail(reason)
	s.hub.mu.Unlock()
	go s.tellAbort(reason)
}

// AbortNotice bounds how long a party tries to tell the others that it
// ended a session.
const AbortNotice = 2 * time.Second

func (s *Session) tellAbort(reason error) {
	ctx, cancel := context.WithTimeout(context.Background(), AbortNotice)
	defer cancel()
	kind := byte(abortFailed)
	if errors.Is(reason, ErrRefused) {
		kind = abortRefused
	}
	text := reason.Error()
	var relayed *abortError
	if kind == abortRefused && errors.As(reason, &relayed) && relayed.refused {
		// Another party's refusal, passed on in its own words: the chain
		// around it names that party, and a refusal names nobody.
		text = relayed.reason
	}
	body := append([]byte{kind}, text...)
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
