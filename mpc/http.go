package mpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// PeerMessagePath is where a node's peer API accepts protocol messages.
const PeerMessagePath = "/peer/v1/msg"

// HTTPTransport sends protocol messages to the receiver's peer API: over
// a peer stream to that party (see PeerStreamPath), set up at the first
// message and kept while in use, or, to a peer API without streams, each
// as one HTTP POST. Either way Send returns once the receiver took the
// message or refused it.
type HTTPTransport struct {
	// Endpoint returns the base URL of a party's peer API.
	Endpoint func(party string) (string, error)
	// Client returns the HTTP client to reach a party with (its mutual TLS
	// configuration, for federation members).
	Client func(party string) *http.Client
	// PostOnly sends every message as a POST, without streams.
	PostOnly bool

	mu      sync.Mutex
	streams map[string]*peerStream
	posts   map[string]time.Time // parties without streams, until when
	closed  bool
}

// Send delivers m to its receiver and returns the receiver's refusal, if
// any.
func (t *HTTPTransport) Send(ctx context.Context, m *Message) error {
	body, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	if !t.PostOnly {
		if err := t.sendStream(ctx, m.To, body); !errors.Is(err, errNoStreams) {
			return err
		}
	}
	return t.post(ctx, m.To, body)
}

// post sends one encoded message as an HTTP POST.
func (t *HTTPTransport) post(ctx context.Context, to string, body []byte) error {
	base, err := t.Endpoint(to)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+PeerMessagePath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := t.Client(to).Do(req)
	if err != nil {
		return PlainNetError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return nil
	}
	defer io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drained, the connection is reused
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return &refusal{status: resp.StatusCode, text: strings.TrimSpace(string(msg))}
}

// refusal is a receiver's answer that it did not take a message. An answer
// in the 4xx range is the receiver's decision (ErrRejected); anything else
// is a failure of the receiver.
type refusal struct {
	status int
	text   string
}

func (e *refusal) Error() string {
	return fmt.Sprintf("refused the message (%d): %s", e.status, e.text)
}

func (e *refusal) Is(target error) bool {
	return target == ErrRejected && e.status >= 400 && e.status < 500
}

// MessageHandler returns the handler of PeerMessagePath for hub. A body
// is read only once its declared length (or, undeclared, the largest
// frame) fits in the bytes hub reads at once, which streams share.
// authenticate names the party that sent a request; a message whose sender
// is not that party is refused. An authenticate that returns "" accepts any
// sender (the unauthenticated loopback development mode).
func MessageHandler(hub *Hub, authenticate func(r *http.Request) (string, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "peer messages are POSTed", http.StatusMethodNotAllowed)
			return
		}
		who, err := authenticate(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		n := int64(maxFrame) // a body of unknown length may be the largest
		if r.ContentLength >= 0 && r.ContentLength < n {
			n = r.ContentLength
		}
		ctx, cancel := context.WithTimeout(r.Context(), streamBytesWait)
		err = hub.reading.Acquire(ctx, n)
		cancel()
		if err != nil {
			w.Header().Set("Connection", "close")
			http.Error(w, "the node is reading too many messages at once", http.StatusServiceUnavailable)
			return
		}
		defer hub.reading.Release(n)
		data, err := ReadBody(w, r, n)
		if err != nil {
			http.Error(w, "read message: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		if status, text := accept(hub, who, data); status != http.StatusNoContent {
			http.Error(w, text, status)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// accept decodes an encoded message from the authenticated peer who ("" for
// any) and delivers it to hub. It answers as the message POST does: 204
// when taken, else the refusal's status and text.
func accept(hub *Hub, who string, data []byte) (int, string) {
	var m Message
	if err := m.UnmarshalBinary(data); err != nil {
		return http.StatusBadRequest, err.Error()
	}
	if who != "" && m.From != who {
		return http.StatusForbidden, fmt.Sprintf("sender %q does not match the authenticated peer %q", m.From, who)
	}
	if err := hub.Deliver(&m); err != nil {
		return http.StatusConflict, err.Error()
	}
	return http.StatusNoContent, ""
}

// PeerHTTPClient returns an HTTP client for peer messages: kept-alive
// connections and a bound on every request.
func PeerHTTPClient(tr *http.Transport) *http.Client {
	if tr == nil {
		tr = &http.Transport{}
	}
	if tr.DialContext == nil {
		tr.DialContext = dialNotSelf
	}
	tr.MaxIdleConnsPerHost = 64
	tr.IdleConnTimeout = 90 * time.Second
	tr.ForceAttemptHTTP2 = false
	return &http.Client{Transport: tr, Timeout: DefaultTimeout + 5*time.Second}
}

// dialNotSelf dials as net.Dialer does, but refuses a connection to
// itself: redialling a port on this host whose node is down, TCP may pick
// that very port as the source and connect the socket to itself, which
// then holds the port the node needs to restart.
func dialNotSelf(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 15 * time.Second}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if c.LocalAddr().String() == c.RemoteAddr().String() {
		c.Close()
		return nil, fmt.Errorf("dial %s: nothing listens there (the connection reached itself)", addr)
	}
	return c, nil
}

// BodyDeadline bounds the reading of one request body, so that a client
// that trickles its body is cut off instead of holding a connection.
const BodyDeadline = 20 * time.Second

// ReadBody reads a request body of at most limit bytes within BodyDeadline
// (a larger body is an *http.MaxBytesError). After a failed read the
// connection is closed, not drained.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(BodyDeadline))
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		w.Header().Set("Connection", "close")
		return nil, err
	}
	_ = rc.SetReadDeadline(time.Time{})
	return data, nil
}
