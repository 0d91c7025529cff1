package mpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Bounds of the sending side of peer streams.
const (
	// streamDial bounds the setting up of a stream.
	streamDial = 10 * time.Second
	// senderIdle is how long a sender keeps a silent stream open.
	senderIdle = time.Minute
	// frameWrite bounds the writing of one frame: a receiver that stops
	// reading for longer has its stream closed.
	frameWrite = BodyDeadline
	// noStreamsFor is how long a sender posts its messages to a peer whose
	// peer API did not take a stream, before it asks again.
	noStreamsFor = time.Minute
)

// errNoStreams is a peer API that answered a stream request with anything
// but a switch of protocols (an older node, say): its messages are posted.
var errNoStreams = errors.New("the peer does not take peer streams")

// notSent is a stream that failed before this message was written whole,
// so the receiver cannot have taken it: it may be sent again.
type notSent struct{ err error }

func (e *notSent) Error() string { return e.err.Error() }
func (e *notSent) Unwrap() error { return e.err }

// peerStream is one sender's stream to a peer: frames are written whole,
// one at a time, and the acknowledgements, read by one goroutine, answer
// the frames in the order they were written.
type peerStream struct {
	t     *HTTPTransport
	party string
	ready chan struct{} // closed when the stream is set up or failed to be
	err   error         // why it could not be set up

	rwc    io.ReadWriteCloser
	cancel context.CancelFunc
	wmu    sync.Mutex // held while a frame is written
	buf    []byte

	mu      sync.Mutex
	pending []chan error // one per frame written and not yet acknowledged
	dead    error
	last    time.Time
}

// sendStream sends body to party over its stream, setting one up when
// none is open. It returns errNoStreams when the party's messages are to
// be posted instead.
func (t *HTTPTransport) sendStream(ctx context.Context, party string, body []byte) error {
	var err error
	for range 2 { // a stream found dead before the frame went out is replaced once
		var s *peerStream
		if s, err = t.stream(ctx, party); err != nil {
			return err
		}
		err = s.send(ctx, body)
		var ns *notSent
		if !errors.As(err, &ns) {
			return err
		}
	}
	return PlainNetError(errors.Unwrap(err))
}

// stream returns the open stream to party, setting one up if needed.
func (t *HTTPTransport) stream(ctx context.Context, party string) (*peerStream, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, errors.New("the node is shutting down")
	}
	if until, ok := t.posts[party]; ok {
		if time.Now().Before(until) {
			t.mu.Unlock()
			return nil, errNoStreams
		}
		delete(t.posts, party)
	}
	s := t.streams[party]
	if s == nil {
		if t.streams == nil {
			t.streams = map[string]*peerStream{}
		}
		s = &peerStream{t: t, party: party, ready: make(chan struct{})}
		t.streams[party] = s
		go s.dial()
	}
	t.mu.Unlock()
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if s.err != nil {
		return nil, s.err
	}
	return s, nil
}

// drop forgets s, if it is still party's stream.
func (t *HTTPTransport) drop(s *peerStream) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.streams[s.party] == s {
		delete(t.streams, s.party)
	}
}

// Close ends every stream; sends after Close fail.
func (t *HTTPTransport) Close() {
	t.mu.Lock()
	t.closed = true
	streams := make([]*peerStream, 0, len(t.streams))
	for _, s := range t.streams {
		streams = append(streams, s)
	}
	t.mu.Unlock()
	for _, s := range streams {
		<-s.ready
		if s.err == nil {
			s.fail(errors.New("the node is shutting down"))
		}
	}
}

// dial sets the stream up: an upgrade request on the peer API, with the
// party's client (its mutual TLS) but without the client's bound on a
// whole exchange, which a stream outlives.
func (s *peerStream) dial() {
	defer close(s.ready)
	fail := func(err error) {
		s.err = err
		s.t.drop(s)
		if errors.Is(err, errNoStreams) {
			s.t.mu.Lock()
			if s.t.posts == nil {
				s.t.posts = map[string]time.Time{}
			}
			s.t.posts[s.party] = time.Now().Add(noStreamsFor)
			s.t.mu.Unlock()
		}
	}
	base, err := s.t.Endpoint(s.party)
	if err != nil {
		fail(err)
		return
	}
	tr := s.t.Client(s.party).Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(streamDial, cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+PeerStreamPath, nil)
	if err != nil {
		cancel()
		fail(err)
		return
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", StreamProtocol)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if !timer.Stop() && err == nil {
		resp.Body.Close()
		err = fmt.Errorf("setting up a peer stream took over %v", streamDial)
	}
	if err != nil {
		cancel()
		fail(PlainNetError(err))
		return
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if resp.StatusCode != http.StatusSwitchingProtocols || !ok {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		fail(errNoStreams)
		return
	}
	s.rwc, s.cancel, s.last = rwc, cancel, time.Now()
	go s.readAcks(bufio.NewReader(rwc))
	time.AfterFunc(senderIdle, s.closeIfIdle)
}

// send writes body as one frame and waits for its acknowledgement: nil
// when the receiver took it, its refusal otherwise.
func (s *peerStream) send(ctx context.Context, body []byte) error {
	done := make(chan error, 1)
	s.wmu.Lock()
	s.mu.Lock()
	if s.dead != nil {
		s.mu.Unlock()
		s.wmu.Unlock()
		return &notSent{s.dead}
	}
	s.pending = append(s.pending, done)
	s.last = time.Now()
	s.mu.Unlock()
	s.buf = appendFrame(s.buf[:0], body)
	stuck := time.AfterFunc(frameWrite, func() {
		s.fail(fmt.Errorf("the peer took no message for %v", frameWrite))
	})
	_, err := s.rwc.Write(s.buf)
	stuck.Stop()
	if cap(s.buf) > 1<<20 {
		s.buf = nil // a large frame's buffer is not kept
	}
	s.wmu.Unlock()
	if err != nil {
		s.fail(err)
		return &notSent{err}
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// readAcks answers the frames written, in order, until the stream ends.
func (s *peerStream) readAcks(r *bufio.Reader) {
	for {
		status, text, err := readAck(r)
		if err != nil {
			s.fail(err)
			return
		}
		if status == statusGoodbye {
			// The receiver read nothing after the frames it answered.
			s.end(&notSent{fmt.Errorf("the peer closed the stream (%s)", text)})
			return
		}
		s.mu.Lock()
		if len(s.pending) == 0 {
			s.mu.Unlock()
			s.fail(&frameError{"acknowledgement of no message"})
			return
		}
		done := s.pending[0]
		s.pending = s.pending[1:]
		s.mu.Unlock()
		if status == http.StatusNoContent {
			done <- nil
		} else {
			done <- &refusal{status: status, text: strings.TrimSpace(text)}
		}
	}
}

// fail ends the stream: every frame still unanswered fails with err.
func (s *peerStream) fail(err error) { s.end(PlainNetError(err)) }

// end ends the stream: every frame still unanswered gets err.
func (s *peerStream) end(err error) {
	s.mu.Lock()
	if s.dead != nil {
		s.mu.Unlock()
		return
	}
	s.dead = err
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	s.t.drop(s) // before the senders hear, so that they send again on a new stream
	for _, done := range pending {
		done <- err
	}
	s.rwc.Close()
	s.cancel()
}

// closeIfIdle closes a stream silent for senderIdle, or checks again
// later.
func (s *peerStream) closeIfIdle() {
	s.mu.Lock()
	idle := len(s.pending) == 0 && time.Since(s.last) >= senderIdle
	wait := senderIdle - time.Since(s.last)
	dead := s.dead != nil
	s.mu.Unlock()
	switch {
	case dead:
	case idle:
		s.fail(errors.New("peer stream idle"))
	default:
		time.AfterFunc(max(wait, time.Second), s.closeIfIdle)
	}
}
