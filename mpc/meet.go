package mpc

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// A call is one computation that parties start independently, each at its
// own node, on a shared network key (the FSC network uuid). Meet is how they
// agree on the call's identity without counting calls: each party announces
// its call to every other party with a fresh random nonce and the digest of
// the call's public content (microprotocol, parameters, parties); when a
// party holds a matching announcement from every other party, the call's
// session id is the key plus a hash of all the parties' nonces, the same at
// every party. A failed call leaves nothing behind that a later call could
// trip over, and two identical calls in a row still get distinct ids.
//
// The words a party says about its call on a key:
//   - hello:  "I am making this call" (nonce, content digest, what it is);
//   - refuse: "I cannot take part in the call I was asked to make" (reason);
//   - bye:    "my call with this nonce is over" (it failed or timed out);
//     said after finding that the parties make different calls, it ends
//     the calls waiting at the others at once.
//
// A receiver keeps only the latest word of each party per key (ordered by
// the sender's clock), drops it once it has been used or when the sender's
// deadline has passed, and never lets an older word replace a newer one.

// meetPrefix starts the session label of a call announcement; no session
// opened by Open may start with it.
const meetPrefix = "meet:"

// Words said about a call.
const (
	wordHello  = 'H'
	wordRefuse = 'R' // the reason is not a policy refusal
	wordPolicy = 'P' // the reason is a refusal by the party's policy
	wordBye    = 'B'
	wordMixed  = 'M' // a bye after finding that the parties make different calls
)

// StepProbe is the step label of a probe: a message that asks a party
// whether it still runs a session. It is answered, never stored.
const StepProbe = "probe"

// Errors of a call that did not meet.
var (
	// ErrBusy marks a call made on a network key while this party already
	// runs another call on it.
	ErrBusy = errors.New("another call on this network is running")
	// ErrMismatch marks parties that make different calls on one key at
	// the same time (another microprotocol, other parameters, other parties).
	ErrMismatch = errors.New("the parties make different calls")
	// ErrCallRefused marks a call another party could not take part in:
	// its client's input or arguments were rejected there.
	ErrCallRefused = errors.New("call refused by a party")
	// ErrNotJoined marks parties that did not make the call in time.
	ErrNotJoined = errors.New("parties did not join the call")
)

// Call describes a call this party is making.
type Call struct {
	Key     string        // the network key the parties share (FSC network uuid)
	Parties []string      // every party, in the same order at every party
	Content [16]byte      // digest of the call's public content
	About   string        // what the call is, for errors (the microprotocol)
	Timeout time.Duration // how long to wait for the other parties
	// Awaiting, when set, is told while the call waits which other
	// parties have not made it yet (in the call's order), each time that
	// changes, so that a caller can show whom it waits for.
	Awaiting func(parties []string)
}

// Meeting is a call whose parties have agreed on its identity. The
// network key stays taken at this party until End.
type Meeting struct {
	ID  string // the session id every party derived
	hub *Hub
	key string
	own *ownCall
}

// End frees the network key at this party for its next call.
func (m *Meeting) End() { m.hub.endCall(m.key, m.own) }

type ownCall struct {
	nonce   [16]byte
	started time.Time
}

// word is the latest thing a party said about its call on a key.
type word struct {
	kind    byte
	nonce   [16]byte
	stamp   int64 // the sender's clock, ns: a newer word replaces an older one
	content [16]byte
	text    string // About for a hello, the reason for a refusal
	arrived time.Time
	expires time.Time
	used    bool // consumed by a call here, or withdrawn: kept to order later words
}

func (w *word) live(now time.Time) bool {
	return w != nil && !w.used && w.kind != wordBye && w.kind != wordMixed && now.Before(w.expires)
}

type meetState struct {
	words  map[string]*word // party -> its latest word
	mine   *ownCall         // this party's call on the key, while it runs
	notify chan struct{}
	seen   time.Time
}

func (st *meetState) wake() {
	close(st.notify)
	st.notify = make(chan struct{})
}

// Limits on what a hub keeps about calls.
const (
	maxMeetKeys  = 4096
	maxWordText  = 500
	maxWordTTL   = 10 * time.Minute
	sendAttempt  = 2 * time.Second // one try to hand an announcement over
	retryBackoff = 200 * time.Millisecond
)

func (h *Hub) meetLocked(key string) *meetState {
	st := h.meets[key]
	if st == nil {
		st = &meetState{words: map[string]*word{}, notify: make(chan struct{})}
		h.meets[key] = st
	}
	st.seen = time.Now()
	return st
}

func (h *Hub) endCall(key string, own *ownCall) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.meets[key]; st != nil && st.mine == own {
		st.mine = nil
		st.wake()
	}
}

// Meet announces c to every other party and waits, at most c.Timeout,
// until every other party has announced the same call. It fails at once
// when a party refuses the call or makes a different one, when this party
// already runs a call on c.Key, or when ctx ends; and at the deadline
// naming the parties that did not join. A failed Meet withdraws the
// announcement, so it cannot match a later call.
func (h *Hub) Meet(ctx context.Context, tr Transport, c Call) (*Meeting, error) {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if !slices.Contains(c.Parties, h.self) {
		return nil, fmt.Errorf("party %s is not among the call's parties", h.self)
	}
	own := &ownCall{started: time.Now()}
	if _, err := crand.Read(own.nonce[:]); err != nil {
		return nil, fmt.Errorf("call nonce: %w", err)
	}
	h.mu.Lock()
	h.sweepLocked()
	if len(h.meets) >= maxMeetKeys && h.meets[c.Key] == nil {
		h.mu.Unlock()
		return nil, fmt.Errorf("too many networks in use at %s", h.self)
	}
	st := h.meetLocked(c.Key)
	if st.mine != nil {
		since := time.Since(st.mine.started).Round(time.Second)
		h.mu.Unlock()
		return nil, fmt.Errorf("%w at %s (started %v ago): one network uuid serves one study at a time; wait for that call or use another uuid", ErrBusy, h.self, since)
	}
	st.mine = own
	h.mu.Unlock()

	others := make([]string, 0, len(c.Parties)-1)
	for _, p := range c.Parties {
		if p != h.self {
			others = append(others, p)
		}
	}
	deadline := time.Now().Add(c.Timeout)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	// Announce to every other party, retrying one that cannot be reached
	// yet (its node may start late) until the deadline.
	hello := encodeWord(wordHello, own.nonce, c.Timeout, c.About)
	var smu sync.Mutex
	sendErr := map[string]error{}
	delivered := map[string]bool{}
	var wg sync.WaitGroup
	giveUp := make(chan struct{}) // stop retrying, but finish the try under way
	for _, p := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				actx, acancel := context.WithTimeout(wctx, sendAttempt)
				err := tr.Send(actx, &Message{Session: meetPrefix + c.Key, Step: "call", From: h.self, To: p, Digest: c.Content, Body: hello})
				acancel()
				smu.Lock()
				sendErr[p] = err
				delivered[p] = err == nil
				smu.Unlock()
				if err == nil || errors.Is(err, ErrRejected) {
					h.mu.Lock()
					st.wake()
					h.mu.Unlock()
					return
				}
				select {
				case <-wctx.Done():
					return
				case <-giveUp:
					return
				case <-time.After(retryBackoff):
				}
			}
		}()
	}
	fail := func(err error) (*Meeting, error) {
		if errors.Is(err, ErrMismatch) {
			// The announcements under way are handed over first, so that
			// every party sees the other call and fails at once too.
			close(giveUp)
		} else {
			cancel()
		}
		wg.Wait()
		cancel()
		h.endCall(c.Key, own)
		kind := byte(wordBye)
		if errors.Is(err, ErrMismatch) {
			kind = wordMixed
		}
		h.say(tr, c.Key, c.Parties, c.Content, encodeWord(kind, own.nonce, c.Timeout, err.Error()))
		return nil, err
	}

	var told []string // what Awaiting was told last
	for first := true; ; first = false {
		h.mu.Lock()
		now := time.Now()
		ready := true
		var failure error
		var missing []string // parties that have not made the call
		for _, p := range others {
			w := st.words[p]
			if w != nil && w.kind == wordMixed && !w.used && w.arrived.After(own.started) {
				w.used = true
				failure = &PeerError{Party: p, Err: fmt.Errorf("%w: %s found it: %s", ErrMismatch, p, w.text)}
				break
			}
			if !w.live(now) {
				ready = false
				missing = append(missing, p)
				continue
			}
			switch {
			case w.kind == wordRefuse || w.kind == wordPolicy:
				w.used = true
				failure = &PeerError{Party: p, Err: &callRefusal{reason: w.text, policy: w.kind == wordPolicy}}
			case w.content != c.Content:
				failure = &PeerError{Party: p, Err: mismatch(w.text, c.About)}
			}
			if failure != nil {
				break
			}
		}
		smu.Lock()
		for _, p := range others {
			if !delivered[p] {
				ready = false
			}
			if err := sendErr[p]; failure == nil && errors.Is(err, ErrRejected) {
				failure = &PeerError{Party: p, Err: fmt.Errorf("refused the call's announcement: %w", err)}
			}
		}
		smu.Unlock()
		if failure == nil && ready {
			nonces := make([][16]byte, len(c.Parties))
			for i, p := range c.Parties {
				if p == h.self {
					nonces[i] = own.nonce
					continue
				}
				st.words[p].used = true
				nonces[i] = st.words[p].nonce
			}
			h.mu.Unlock()
			cancel()
			wg.Wait()
			return &Meeting{ID: callID(c.Key, nonces), hub: h, key: c.Key, own: own}, nil
		}
		wait := st.notify
		h.mu.Unlock()
		if failure != nil {
			return fail(failure)
		}
		if c.Awaiting != nil && (first || !slices.Equal(missing, told)) {
			c.Awaiting(missing)
			told = missing
		}
		select {
		case <-wait:
		case <-wctx.Done():
			if ctx.Err() != nil {
				return fail(fmt.Errorf("waiting for the other parties of the call: %w", context.Cause(ctx)))
			}
			return fail(h.notJoined(c, others, st, sendErr, &smu))
		}
	}
}

// notJoined names every party that did not make the call, and why when
// this party knows: its node could not be reached, or it is up but no call
// came from it.
func (h *Hub) notJoined(c Call, others []string, st *meetState, sendErr map[string]error, smu *sync.Mutex) error {
	h.mu.Lock()
	now := time.Now()
	var missing, why []string
	for _, p := range others {
		if !st.words[p].live(now) {
			missing = append(missing, p)
		}
	}
	h.mu.Unlock()
	smu.Lock()
	defer smu.Unlock()
	for _, p := range others {
		if err := sendErr[p]; err != nil && !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	for _, p := range missing {
		if err := sendErr[p]; err != nil {
			why = append(why, fmt.Sprintf("%s could not be reached (%v)", p, err))
		} else {
			why = append(why, fmt.Sprintf("%s did not make the call (its node is up)", p))
		}
	}
	if len(missing) == 0 {
		return &PeerError{Party: h.self, Err: fmt.Errorf("%w within %v", ErrNotJoined, c.Timeout)}
	}
	return &PeerError{Party: strings.Join(missing, ", "), Err: fmt.Errorf("%w within %v: %s; every party's client must call compute with the same network at about the same time", ErrNotJoined, c.Timeout, strings.Join(why, "; "))}
}

func mismatch(theirs, ours string) error {
	if theirs != ours {
		return fmt.Errorf("%w: it calls %s on this network, this call is %s; every party must make the same calls in the same order", ErrMismatch, theirs, ours)
	}
	return fmt.Errorf("%w: it calls %s on this network with other parameters or another list of nodes; every party must make the same calls in the same order", ErrMismatch, theirs)
}

// callID derives a call's session id from its key and every party's nonce.
func callID(key string, nonces [][16]byte) string {
	h := sha256.New()
	for _, n := range nonces {
		h.Write(n[:])
	}
	return "net:" + key + ":" + hex.EncodeToString(h.Sum(nil)[:12])
}

// Refuse tells the other parties of a call on key that this party cannot
// take part in it, so that they stop waiting at once. reason must say
// nothing of this party's data; a reason wrapping ErrRefused is reported
// as a refusal by policy. Nothing is said while this party runs another
// call on key: that one goes on. Refuse returns once every party has been
// told, or could not be, within a short deadline.
func (h *Hub) Refuse(tr Transport, key string, parties []string, timeout time.Duration, reason error) {
	h.mu.Lock()
	busy := h.meets[key] != nil && h.meets[key].mine != nil
	h.mu.Unlock()
	if busy {
		return
	}
	var nonce [16]byte
	_, _ = crand.Read(nonce[:])
	kind := byte(wordRefuse)
	if errors.Is(reason, ErrRefused) {
		kind = wordPolicy
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	h.say(tr, key, parties, [16]byte{}, encodeWord(kind, nonce, timeout, reason.Error()))
}

// say sends body about key to every party but this one, once each, and
// waits at most sendAttempt.
func (h *Hub) say(tr Transport, key string, parties []string, content [16]byte, body []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), sendAttempt)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range parties {
		if p == h.self {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = tr.Send(ctx, &Message{Session: meetPrefix + key, Step: "call", From: h.self, To: p, Digest: content, Body: body})
		}()
	}
	wg.Wait()
}

// encodeWord writes a word: kind, nonce, the sender's clock (ns), how long
// the word holds (ms), then its text.
func encodeWord(kind byte, nonce [16]byte, ttl time.Duration, text string) []byte {
	if len(text) > maxWordText {
		text = text[:maxWordText]
	}
	b := make([]byte, 0, 1+16+8+4+len(text))
	b = append(b, kind)
	b = append(b, nonce[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(time.Now().UnixNano()))
	b = binary.BigEndian.AppendUint32(b, uint32(min(ttl, maxWordTTL)/time.Millisecond))
	return append(b, text...)
}

// deliverWord files what a party says about its call on a key.
func (h *Hub) deliverWord(m *Message) error {
	b := m.Body
	if len(b) < 1+16+8+4 || len(b) > 1+16+8+4+maxWordText {
		return rejected("malformed call announcement from %s", m.From)
	}
	w := &word{kind: b[0], content: m.Digest, arrived: time.Now()}
	switch w.kind {
	case wordHello, wordRefuse, wordPolicy, wordBye, wordMixed:
	default:
		return rejected("call announcement of unknown kind from %s", m.From)
	}
	copy(w.nonce[:], b[1:17])
	w.stamp = int64(binary.BigEndian.Uint64(b[17:25]))
	ttl := time.Duration(binary.BigEndian.Uint32(b[25:29])) * time.Millisecond
	w.expires = w.arrived.Add(min(ttl, maxWordTTL))
	w.text = cleanText(string(b[29:]))
	key := strings.TrimPrefix(m.Session, meetPrefix)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweepLocked()
	if h.meets[key] == nil && len(h.meets) >= maxMeetKeys {
		return rejected("too many networks in use at %s", h.self)
	}
	st := h.meetLocked(key)
	cur := st.words[m.From]
	if cur != nil && w.stamp <= cur.stamp {
		return nil // older than what this party said since: ignored
	}
	if w.kind == wordBye && cur != nil && cur.nonce != w.nonce && cur.live(w.arrived) {
		return nil // withdraws a call this party no longer announces
	}
	st.words[m.From] = w
	st.wake()
	return nil
}

// cleanText strips control characters from a peer's text.
func cleanText(s string) string {
	r := []rune(s)
	for i, c := range r {
		if c < 0x20 || c == 0x7f {
			r[i] = ' '
		}
	}
	return string(r)
}

// probe answers whether session m.Session still runs here: open, or its
// first messages waiting, or its call still meeting on the key in the
// probe's body. The error says why not.
func (h *Hub) probeLocked(m *Message) error {
	if e, ok := h.closed[m.Session]; ok {
		if e.reason != "" {
			return rejected("%v: the call ended at %s: %s", errGone, h.self, e.reason)
		}
		return rejected("%v: the call is over at %s", errGone, h.self)
	}
	if h.boxes[m.Session] != nil {
		return nil
	}
	if st := h.meets[string(m.Body)]; len(m.Body) > 0 && st != nil && st.mine != nil {
		return nil
	}
	return rejected("%v: %s runs no such call (did it restart?)", errGone, h.self)
}

// callRefusal is another party's word that it cannot take part in a call.
type callRefusal struct {
	reason string
	policy bool
}

func (e *callRefusal) Error() string { return e.reason }

func (e *callRefusal) Unwrap() []error {
	if e.policy {
		return []error{ErrCallRefused, ErrRefused}
	}
	return []error{ErrCallRefused}
}

// errGone marks a probe's answer that the session does not run there.
var errGone = errors.New("session not running")
