package mpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"
)

// streamPeers serves a hub for each party on loopback, with both the
// message POST and the stream endpoint, and returns a transport to them
// that counts the requests of each kind.
type streamPeers struct {
	hubs  map[string]*Hub
	urls  map[string]string
	srv   map[string]*httptest.Server
	tr    *HTTPTransport
	mu    sync.Mutex
	posts int
	opens int
}

func newStreamPeers(t *testing.T, auth func(*http.Request) (string, error), parties ...string) *streamPeers {
	t.Helper()
	sp := &streamPeers{hubs: map[string]*Hub{}, urls: map[string]string{}, srv: map[string]*httptest.Server{}}
	for _, p := range parties {
		h := NewHub(p)
		mux := http.NewServeMux()
		post, stream := MessageHandler(h, auth), StreamHandler(context.Background(), h, auth)
		mux.HandleFunc(PeerMessagePath, func(w http.ResponseWriter, r *http.Request) {
			sp.mu.Lock()
			sp.posts++
			sp.mu.Unlock()
			post.ServeHTTP(w, r)
		})
		mux.HandleFunc(PeerStreamPath, func(w http.ResponseWriter, r *http.Request) {
			sp.mu.Lock()
			sp.opens++
			sp.mu.Unlock()
			stream.ServeHTTP(w, r)
		})
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		sp.hubs[p], sp.urls[p], sp.srv[p] = h, srv.URL, srv
	}
	client := PeerHTTPClient(nil)
	sp.tr = &HTTPTransport{
		Endpoint: func(p string) (string, error) {
			if u, ok := sp.urls[p]; ok {
				return u, nil
			}
			return "", fmt.Errorf("%s is not a party", p)
		},
		Client: func(string) *http.Client { return client },
	}
	t.Cleanup(sp.tr.Close)
	return sp
}

func (sp *streamPeers) counts() (posts, opens int) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.posts, sp.opens
}

func anyPeer(*http.Request) (string, error) { return "", nil }

// A protocol run over streams gives the answer of one over the local
// network, sets up one stream per sender and receiver, and posts nothing.
func TestStreamCarriesAProtocol(t *testing.T) {
	parties := partyNames(3)
	sp := newStreamPeers(t, anyPeer, parties...)
	// Each party gets a transport of its own, as each node has.
	transports := map[string]*HTTPTransport{}
	for _, p := range parties {
		tr := &HTTPTransport{Endpoint: sp.tr.Endpoint, Client: sp.tr.Client}
		t.Cleanup(tr.Close)
		transports[p] = tr
	}
	for run := range 3 {
		id := newID()
		var wg sync.WaitGroup
		sums := make([][]uint64, len(parties))
		errs := make([]error, len(parties))
		for i, p := range parties {
			s, err := sp.hubs[p].Open(Config{ID: id, Parties: parties, Timeout: 10 * time.Second}, transports[p])
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				defer s.Close()
				sums[i], errs[i] = SecureSum(context.Background(), s, []uint64{uint64(i + 1), uint64(10 * (i + 1))}, parties)
			})
		}
		wg.Wait()
		for i := range parties {
			if errs[i] != nil {
				t.Fatalf("run %d, %s: %v", run, parties[i], errs[i])
			}
			if sums[i][0] != 6 || sums[i][1] != 60 {
				t.Fatalf("run %d, %s: sums %v, want [6 60]", run, parties[i], sums[i])
			}
		}
	}
	posts, opens := sp.counts()
	if posts != 0 {
		t.Errorf("%d messages were posted; every one should have gone over a stream", posts)
	}
	if want := len(parties) * (len(parties) - 1); opens != want {
		t.Errorf("%d streams were opened over three runs, want %d (one per sender and receiver)", opens, want)
	}
}

// A refusal comes back over the stream as it does from a POST: its status
// and text, as ErrRejected; the stream stays usable.
func TestStreamRefusalComesBack(t *testing.T) {
	sp := newStreamPeers(t, anyPeer, "a", "b")
	m := &Message{Session: "s1", Step: "x", From: "a", To: "b", Body: []byte{1}}
	if err := sp.tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	err := sp.tr.Send(context.Background(), m)
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "duplicate message from a") {
		t.Fatalf("a repeated message: %v, want the hub's refusal of a duplicate", err)
	}
	m2 := &Message{Session: "s1", Step: "y", From: "a", To: "b", Body: []byte{2}}
	if err := sp.tr.Send(context.Background(), m2); err != nil {
		t.Fatalf("after a refusal the stream should carry on: %v", err)
	}
	if _, opens := sp.counts(); opens != 1 {
		t.Errorf("%d streams opened, want 1", opens)
	}
}

// A peer API without streams (an older node) gets its messages posted.
func TestStreamFallsBackToPost(t *testing.T) {
	h := NewHub("b")
	mux := http.NewServeMux()
	mux.Handle(PeerMessagePath, MessageHandler(h, anyPeer))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := PeerHTTPClient(nil)
	tr := &HTTPTransport{Endpoint: func(string) (string, error) { return srv.URL, nil }, Client: func(string) *http.Client { return client }}
	defer tr.Close()
	for i := range 3 {
		m := &Message{Session: "s", Step: fmt.Sprint("x", i), From: "a", To: "b", Body: []byte{1}}
		if err := tr.Send(context.Background(), m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	tr.mu.Lock()
	_, posting := tr.posts["b"]
	tr.mu.Unlock()
	if !posting {
		t.Error("the transport did not note that b takes no streams")
	}
}

// A sender authenticated as one party that speaks for another is refused,
// and its stream is closed.
func TestStreamImpersonationRefused(t *testing.T) {
	sp := newStreamPeers(t, func(*http.Request) (string, error) { return "a", nil }, "b")
	ok := &Message{Session: "s", Step: "x", From: "a", To: "b", Body: []byte{1}}
	if err := sp.tr.Send(context.Background(), ok); err != nil {
		t.Fatal(err)
	}
	forged := &Message{Session: "s", Step: "y", From: "c", To: "b", Body: []byte{1}}
	err := sp.tr.Send(context.Background(), forged)
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), `sender "c" does not match the authenticated peer "a"`) {
		t.Fatalf("forged sender: %v", err)
	}
	// The next message needs a new stream: the old one was closed.
	ok2 := &Message{Session: "s", Step: "z", From: "a", To: "b", Body: []byte{1}}
	if err := sp.tr.Send(context.Background(), ok2); err != nil {
		t.Fatal(err)
	}
	if _, opens := sp.counts(); opens != 2 {
		t.Errorf("%d streams opened, want 2 (the forger's stream closed)", opens)
	}
}

// rawStream opens a stream by hand and returns its connection and reader.
func rawStream(t *testing.T, url string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nConnection: Upgrade\r\nUpgrade: %s\r\nContent-Length: 0\r\n\r\n", PeerStreamPath, StreamProtocol)
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("stream request answered %s", resp.Status)
	}
	return conn, r
}

// A frame that announces more than a message may hold is refused before
// anything is allocated for it, and the stream is closed; a malformed
// message in a well-formed frame is refused alone.
func TestStreamHostileFrames(t *testing.T) {
	sp := newStreamPeers(t, anyPeer, "b")
	conn, r := rawStream(t, sp.urls["b"])
	conn.Write(appendFrame(nil, []byte("not a message")))
	status, text, err := readAck(r)
	if err != nil || status != http.StatusBadRequest || !strings.Contains(text, "bad magic") {
		t.Fatalf("malformed message: %d %q %v", status, text, err)
	}
	var huge [4]byte
	binary.BigEndian.PutUint32(huge[:], 1<<31)
	conn.Write(huge[:])
	status, text, err = readAck(r)
	if err != nil || status != http.StatusRequestEntityTooLarge || !strings.Contains(text, "exceeds") {
		t.Fatalf("oversize frame: %d %q %v", status, text, err)
	}
	status, text, err = readAck(r)
	if err != nil || status != statusGoodbye {
		t.Fatalf("after an oversize frame: %d %q %v, want a goodbye", status, text, err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("after an oversize frame the stream should be closed, read: %v", err)
	}
}

// A receiver that takes no messages (its process stopped, say) fails the
// sends waiting on it, and the next send sets up a new stream.
func TestStreamPeerGoneFailsAndRedials(t *testing.T) {
	sp := newStreamPeers(t, anyPeer, "b")
	m := &Message{Session: "s", Step: "x", From: "a", To: "b", Body: []byte{1}}
	if err := sp.tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	sp.srv["b"].CloseClientConnections() // hijacked connections are the server's no more
	sp.tr.mu.Lock()
	s := sp.tr.streams["b"]
	sp.tr.mu.Unlock()
	s.rwc.Close() // the connection breaks under the sender
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		s.mu.Lock()
		dead := s.dead != nil
		s.mu.Unlock()
		if dead {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream did not notice its connection closed in 30 s")
		}
	}
	m2 := &Message{Session: "s", Step: "y", From: "a", To: "b", Body: []byte{1}}
	if err := sp.tr.Send(context.Background(), m2); err != nil {
		t.Fatalf("a send after the stream broke should set up a new one: %v", err)
	}
	if _, opens := sp.counts(); opens != 2 {
		t.Errorf("%d streams opened, want 2", opens)
	}
}

// One peer holds at most maxStreamsPerPeer streams at once.
func TestStreamsPerPeerBounded(t *testing.T) {
	sp := newStreamPeers(t, func(*http.Request) (string, error) { return "a", nil }, "b")
	for range maxStreamsPerPeer {
		rawStream(t, sp.urls["b"])
	}
	resp, err := http.Post(sp.urls["b"]+PeerStreamPath, "application/octet-stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("a POST without Upgrade: %s, want 426", resp.Status)
	}
	req, _ := http.NewRequest(http.MethodPost, sp.urls["b"]+PeerStreamPath, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", StreamProtocol)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("stream %d of one peer: %s, want 429", maxStreamsPerPeer+1, resp.Status)
	}
}

// FuzzStreamFrames feeds the receiving side arbitrary bytes: it answers
// with well-formed acknowledgements only, never allocates past the frame
// bound, and never panics.
func FuzzStreamFrames(f *testing.F) {
	good, _ := (&Message{Session: "s", Step: "x", From: "a", To: "b", Body: []byte{1, 2}}).MarshalBinary()
	f.Add(appendFrame(nil, good))
	f.Add(appendFrame(appendFrame(nil, good), good))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add(appendFrame(nil, []byte("FSC\x01\x00")))
	f.Fuzz(func(t *testing.T, in []byte) {
		conn := &recordConn{}
		serveStream(conn, bufio.NewReader(bytes.NewReader(in)), NewHub("b"), "", semaphore.NewWeighted(streamBytes))
		r := bufio.NewReader(bytes.NewReader(conn.out.Bytes()))
		for {
			status, _, err := readAck(r)
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("the receiver wrote a malformed acknowledgement: %v", err)
			}
			if status == statusGoodbye {
				if _, _, err := readAck(r); err != io.EOF {
					t.Fatalf("a frame after the goodbye: %v", err)
				}
				return
			}
			if status != http.StatusNoContent && (status < 400 || status > 499) {
				t.Fatalf("acknowledgement status %d", status)
			}
		}
	})
}

// recordConn is a connection that keeps what is written to it.
type recordConn struct {
	net.Conn
	out bytes.Buffer
}

func (c *recordConn) Write(b []byte) (int, error)      { return c.out.Write(b) }
func (c *recordConn) SetReadDeadline(time.Time) error  { return nil }
func (c *recordConn) SetWriteDeadline(time.Time) error { return nil }

// readAck rejects acknowledgements out of shape.
func TestReadAckRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"status 1", appendAck(nil, 1, "")},
		{"status 700", appendAck(nil, 700, "")},
		{"long text", append([]byte{0, 204, 0xff, 0xff}, bytes.Repeat([]byte{'x'}, 70000)...)},
	} {
		if _, _, err := readAck(bufio.NewReader(bytes.NewReader(c.in))); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// A receiver whose connection breaks after it read a frame, before its
// answer, fails that send with a network error (the message may have
// arrived, so it is not sent again), not a refusal.
func TestStreamBrokenBeforeTheAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	frames := make(chan int, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(conn)
			if _, err := http.ReadRequest(r); err != nil {
				conn.Close()
				continue
			}
			fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\nConnection: Upgrade\r\n\r\n", StreamProtocol)
			n, err := readFrameHeader(r, maxFrame)
			if err == nil {
				_, err = io.ReadFull(r, make([]byte, n))
			}
			if err == nil {
				frames <- n
			}
			conn.Close()
		}
	}()
	client := PeerHTTPClient(nil)
	tr := &HTTPTransport{Endpoint: func(string) (string, error) { return "http://" + ln.Addr().String(), nil }, Client: func(string) *http.Client { return client }}
	defer tr.Close()
	err = tr.Send(context.Background(), &Message{Session: "s", Step: "x", From: "a", To: "b", Body: []byte{1}})
	if err == nil || errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "closed the connection") {
		t.Fatalf("send over a stream that broke before its answer: %v", err)
	}
	if got := len(frames); got != 1 {
		t.Fatalf("the receiver read %d frames, want 1 (no resend)", got)
	}
}

// A receiver that closes an idle stream while the sender writes to it
// loses no message: the sender sees the goodbye, knows its frame was not
// read, and sends it again over a new stream.
func TestStreamIdleCloseLosesNothing(t *testing.T) {
	defer func(d time.Duration) { streamIdle = d }(streamIdle)
	streamIdle = 20 * time.Millisecond
	sp := newStreamPeers(t, anyPeer, "b")
	for i := range 60 {
		// Around the idle bound, on both sides of it: the pause is the
		// input under test. A loaded machine only lengthens it, so that
		// the receiver closes more streams, which the check below wants.
		time.Sleep(time.Duration(15+i%11) * time.Millisecond)
		m := &Message{Session: "s", Step: fmt.Sprint("x", i), From: "a", To: "b", Body: []byte{1}}
		if err := sp.tr.Send(context.Background(), m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, opens := sp.counts(); opens < 2 {
		t.Errorf("%d streams opened: the receiver never closed one, so the test tested nothing", opens)
	}
}

// A frame's memory grows with the bytes that arrive, not with the length
// its header announces.
func TestStreamFrameMemoryFollowsTheBytes(t *testing.T) {
	var frame [4]byte
	binary.BigEndian.PutUint32(frame[:], maxFrame)
	r := io.MultiReader(bytes.NewReader(frame[:]), bytes.NewReader(make([]byte, 100)))
	n, err := readFrameHeader(r, maxFrame)
	if err != nil || n != maxFrame {
		t.Fatalf("header: %d %v", n, err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := readFrameBody(r, n); err == nil {
		t.Fatal("a frame cut short was read whole")
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("reading 100 bytes of a frame announced at %d bytes allocated %d bytes", maxFrame, grew)
	}
}

// The frames all streams of a node read at once are bounded together: a
// frame that cannot have its share in time ends its stream with a
// goodbye, and once the bytes are free again frames are taken.
func TestStreamBytesBoundedTogether(t *testing.T) {
	defer func(b int64, w time.Duration) { streamBytes, streamBytesWait = b, w }(streamBytes, streamBytesWait)
	streamBytes, streamBytesWait = 1000, 200*time.Millisecond
	sp := newStreamPeers(t, anyPeer, "b")
	frame := func(step string, size int) []byte {
		m, err := (&Message{Session: "s", Step: step, From: "a", To: "b", Body: make([]byte, size)}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return appendFrame(nil, m)
	}
	// A sender that announces 900 bytes and stalls holds them.
	slow, slowR := rawStream(t, sp.urls["b"])
	big := frame("big", 900-60)
	slow.Write(big[:10])
	// Until the receiver has read that header, small frames pass; then
	// one cannot have its share and gets a goodbye.
	other, otherR := rawStream(t, sp.urls["b"])
	for i := 0; ; i++ {
		other.Write(frame(fmt.Sprint("small", i), 200))
		status, text, err := readAck(otherR)
		if err != nil {
			t.Fatal(err)
		}
		if status == statusGoodbye {
			if !strings.Contains(text, "too many messages") {
				t.Fatalf("goodbye %q", text)
			}
			break
		}
		if status != http.StatusNoContent || i == 1000 {
			t.Fatalf("frame %d beside the stalled one: %d %q", i, status, text)
		}
		time.Sleep(10 * time.Millisecond) // a poll's pace
	}
	slow.Write(big[10:])
	if status, text, err := readAck(slowR); err != nil || status != http.StatusNoContent {
		t.Fatalf("the stalled frame, finished: %d %q %v", status, text, err)
	}
	third, thirdR := rawStream(t, sp.urls["b"])
	third.Write(frame("after", 200))
	if status, text, err := readAck(thirdR); err != nil || status != http.StatusNoContent {
		t.Fatalf("a frame once the bytes are free: %d %q %v", status, text, err)
	}
}

// POSTed messages share the bytes a node reads at once with the streams:
// senders that announce bodies and stall cannot make the node hold more
// than that bound (a member opening many connections once could), a POST
// that cannot have its share in time is answered 503 and a frame beside
// them gets a goodbye; once the bytes are free, both are taken again.
func TestPostBytesBoundedWithStreams(t *testing.T) {
	defer func(b int64, w time.Duration) { streamBytes, streamBytesWait = b, w }(streamBytes, streamBytesWait)
	streamBytes, streamBytesWait = 1000, 200*time.Millisecond
	sp := newStreamPeers(t, anyPeer, "b")
	message := func(step string, size int) []byte {
		m, err := (&Message{Session: "s", Step: step, From: "a", To: "b", Body: make([]byte, size)}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	rawPost := func(body []byte, send int) (net.Conn, *bufio.Reader) { // send < 0: all of it
		conn, err := net.Dial("tcp", strings.TrimPrefix(sp.urls["b"], "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", PeerMessagePath, len(body))
		if send < 0 {
			send = len(body)
		}
		conn.Write(body[:send])
		return conn, bufio.NewReader(conn)
	}
	status := func(r *bufio.Reader) int {
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// Two stalled POSTs announce 2 × 450 bytes: 900 of the 1000 are held
	// once the node has read both headers.
	var stalled []net.Conn
	var stalledR []*bufio.Reader
	var bodies [][]byte
	for i := range 2 {
		b := message(fmt.Sprint("stalled", i), 450-60)
		c, r := rawPost(b, 10)
		stalled, stalledR, bodies = append(stalled, c), append(stalledR, r), append(bodies, b)
	}
	var got int
	for i := 0; i < 1000; i++ {
		c, r := rawPost(message(fmt.Sprint("small", i), 200), -1)
		got = status(r)
		c.Close()
		if got != http.StatusNoContent {
			break
		}
		time.Sleep(10 * time.Millisecond) // a poll's pace, until both headers are read
	}
	if got != http.StatusServiceUnavailable {
		t.Fatalf("a POST beside stalled ones: %d, want 503", got)
	}
	conn, r := rawStream(t, sp.urls["b"])
	conn.Write(appendFrame(nil, message("framed", 200)))
	if st, text, err := readAck(r); err != nil || st != statusGoodbye || !strings.Contains(text, "too many messages") {
		t.Fatalf("a frame beside stalled POSTs: %d %q %v, want a goodbye", st, text, err)
	}
	for i, c := range stalled {
		c.Write(bodies[i][10:])
		if st := status(stalledR[i]); st != http.StatusNoContent {
			t.Fatalf("stalled POST %d, finished: %d", i, st)
		}
	}
	c, pr := rawPost(message("after", 200), -1)
	defer c.Close()
	if st := status(pr); st != http.StatusNoContent {
		t.Fatalf("a POST once the bytes are free: %d", st)
	}
}
