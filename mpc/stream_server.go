package mpc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// Bounds of the receiving side of peer streams.
// streamIdle is how long a stream may stay silent before the receiver
// closes it; senders close theirs sooner (senderIdle). Tests shorten it.
var streamIdle = 5 * time.Minute

const (
	// maxStreamsPerPeer bounds the streams one authenticated peer holds
	// open at once; maxStreamsAnonymous those of all unauthenticated
	// (development) peers together.
	maxStreamsPerPeer   = 8
	maxStreamsAnonymous = 64
	// goodbyeDrain bounds how long a closing stream reads on after its
	// goodbye.
	goodbyeDrain = 2 * time.Second
)

// Bounds of the messages all streams and POSTs of a node read at once:
// their bytes together (streamBytes, at least one whole frame; the hub
// holds them), and how long a message waits for its share
// (streamBytesWait). Tests shorten them.
var (
	streamBytes     int64 = 4 * maxFrame
	streamBytesWait       = BodyDeadline
)

// StreamHandler returns the handler of PeerStreamPath for hub: it
// authenticates the request as MessageHandler does, switches the
// connection to a peer stream, and then delivers every message frame to
// hub and acknowledges it, until the sender closes the stream, ctx ends
// (the node shuts down) or the sender breaks the framing. Each frame is
// bounded in size and in the time its bytes may take (BodyDeadline); a
// silent stream is closed after streamIdle.
func StreamHandler(ctx context.Context, hub *Hub, authenticate func(r *http.Request) (string, error)) http.Handler {
	var (
		mu   sync.Mutex
		open = map[string]int{}
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "peer streams are opened with POST", http.StatusMethodNotAllowed)
			return
		}
		if !strings.EqualFold(r.Header.Get("Upgrade"), StreamProtocol) {
			http.Error(w, "a peer stream needs Upgrade: "+StreamProtocol, http.StatusUpgradeRequired)
			return
		}
		who, err := authenticate(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		limit := maxStreamsPerPeer
		if who == "" {
			limit = maxStreamsAnonymous
		}
		mu.Lock()
		if open[who] >= limit {
			mu.Unlock()
			http.Error(w, fmt.Sprintf("%d peer streams already open from this peer", limit), http.StatusTooManyRequests)
			return
		}
		open[who]++
		mu.Unlock()
		defer func() {
			mu.Lock()
			if open[who]--; open[who] == 0 {
				delete(open, who)
			}
			mu.Unlock()
		}()
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, "peer stream: "+err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		// Not the request's context: the server ends that at the first
		// failed read of the hijacked connection, an idle stream's too.
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		_ = conn.SetDeadline(time.Time{})
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + StreamProtocol + "\r\nConnection: Upgrade\r\n\r\n")
		if rw.Flush() != nil {
			return
		}
		serveStream(conn, rw.Reader, hub, who, hub.reading)
	})
}

// serveStream reads message frames from r (conn's reader) and answers
// each on conn, until the stream ends or breaks. Each frame's bytes are
// taken from budget, shared by all streams, while it is read and
// delivered.
func serveStream(conn net.Conn, r *bufio.Reader, hub *Hub, who string, budget *semaphore.Weighted) {
	var ack []byte
	for {
		_ = conn.SetReadDeadline(time.Now().Add(streamIdle))
		n, err := readFrameHeader(r, maxFrame)
		var fe *frameError
		switch {
		case errors.As(err, &fe):
			if writeAck(conn, appendAck(ack[:0], http.StatusRequestEntityTooLarge, fe.Error())) {
				goodbye(conn, r, "the stream broke its framing")
			}
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			goodbye(conn, r, "idle")
			return
		case err != nil:
			return // closed or broken: nothing more can be read
		}
		ctx, cancel := context.WithTimeout(context.Background(), streamBytesWait)
		err = budget.Acquire(ctx, int64(n))
		cancel()
		if err != nil {
			goodbye(conn, r, "the node is reading too many messages at once")
			return
		}
		_ = conn.SetReadDeadline(time.Now().Add(BodyDeadline))
		data, err := readFrameBody(r, n)
		if err != nil {
			budget.Release(int64(n))
			return
		}
		status, text := accept(hub, who, data)
		budget.Release(int64(n))
		ack = appendAck(ack[:0], status, text)
		if !writeAck(conn, ack) {
			return
		}
		if status == http.StatusForbidden {
			goodbye(conn, r, "a sender that speaks for another party is not heard further")
			return
		}
	}
}

// readFrameBody reads a frame's n bytes, its memory growing with what
// arrives: a header that announces a large frame and a sender that then
// trickles it cost no more than the bytes sent.
func readFrameBody(r io.Reader, n int) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(min(n, 1<<20))
	if _, err := io.CopyN(&b, r, int64(n)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeAck writes an acknowledgement within BodyDeadline and reports
// whether it went out.
func writeAck(conn net.Conn, b []byte) bool {
	_ = conn.SetWriteDeadline(time.Now().Add(BodyDeadline))
	_, err := conn.Write(b)
	return err == nil
}

// goodbye tells the sender that no more frames are read, and lets what
// it sent meanwhile drain for a moment, so that the goodbye is read
// before the connection closes (closing a socket with unread data resets
// it, and the reset could overtake the goodbye).
func goodbye(conn net.Conn, r *bufio.Reader, why string) {
	if !writeAck(conn, appendAck(nil, statusGoodbye, why)) {
		return
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = conn.SetReadDeadline(time.Now().Add(goodbyeDrain))
	_, _ = io.Copy(io.Discard, io.LimitReader(r, maxFrame))
}
