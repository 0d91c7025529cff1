package mpc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// PeerMessagePath is where a node's peer API accepts protocol messages.
const PeerMessagePath = "/peer/v1/msg"

// HTTPTransport sends each protocol message as one HTTP POST to the
// receiver's peer API.
type HTTPTransport struct {
	// Endpoint returns the base URL of a party's peer API.
	Endpoint func(party string) (string, error)
	// Client returns the HTTP client to reach a party with (its mutual TLS
	// configuration, for federation members).
	Client func(party string) *http.Client
}

// Send posts m to its receiver and returns the receiver's refusal, if any.
func (t *HTTPTransport) Send(ctx context.Context, m *Message) error {
	base, err := t.Endpoint(m.To)
	if err != nil {
		return err
	}
	body, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+PeerMessagePath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := t.Client(m.To).Do(req)
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

// MessageHandler returns the handler of PeerMessagePath for hub.
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
		data, err := ReadBody(w, r, MaxBody+4096)
		if err != nil {
			http.Error(w, "read message: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		var m Message
		if err := m.UnmarshalBinary(data); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if who != "" && m.From != who {
			http.Error(w, fmt.Sprintf("sender %q does not match the authenticated peer %q", m.From, who), http.StatusForbidden)
			return
		}
		if err := hub.Deliver(&m); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
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
