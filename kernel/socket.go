package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
)

// socket is a ZeroMQ socket as the kernel uses it: whole multipart
// messages in and out. It is safe to Send from several goroutines while
// one goroutine Recvs. After Close, Recv and Send fail with errClosed.
type socket interface {
	Recv() ([][]byte, error)
	Send(frames [][]byte) error
	Close() error
}

// errClosed is what a closed socket returns.
var errClosed = errors.New("socket closed")

// sockets are the five sockets of a kernel.
type sockets struct {
	shell, control, stdin socket     // ROUTER
	iopub                 *publisher // PUB
	hb                    socket     // REP
}

// writeDeadline bounds every write of the kernel to a peer: a reply on
// shell, control or stdin, a heartbeat, a message on iopub. A peer that
// does not read for that long loses its connection (ZeroMQ peers
// reconnect), and the kernel goes on.
const writeDeadline = 10 * time.Second

// bind creates the kernel's sockets and binds them to the addresses of c.
// A tcp port of 0 binds a free port, and c is updated with the port bound.
// notice builds the message iopub sends where it shed output.
func bind(c *Connection, log *slog.Logger, notice func(json.RawMessage, int) [][]byte) (*sockets, error) {
	s := &sockets{}
	for _, b := range []struct {
		name string
		port *int
		kind func(context.Context, ...zmq4.Option) zmq4.Socket
		dst  *socket
	}{
		{"shell", &c.ShellPort, zmq4.NewRouter, &s.shell},
		{"iopub", &c.IOPubPort, nil, nil},
		{"stdin", &c.StdinPort, zmq4.NewRouter, &s.stdin},
		{"control", &c.ControlPort, zmq4.NewRouter, &s.control},
		{"heartbeat", &c.HBPort, zmq4.NewRep, &s.hb},
	} {
		endpoint := c.endpoint(*b.port)
		if b.kind == nil {
			network, addr, _ := strings.Cut(endpoint, "://")
			if network == "ipc" {
				network = "unix"
			}
			p, err := listenPub(network, addr, log, notice)
			if err != nil {
				s.close(0)
				return nil, fmt.Errorf("%s socket: bind %s: %w", b.name, endpoint, err)
			}
			if *b.port == 0 {
				*b.port = p.port()
			}
			s.iopub = p
			continue
		}
		z, port, err := listen(b.kind, deadlineScheme+endpoint, log)
		if err != nil {
			s.close(0)
			return nil, fmt.Errorf("%s socket: %w", b.name, err)
		}
		if *b.port == 0 {
			*b.port = port
		}
		*b.dst = z
	}
	return s, nil
}

// close closes every socket bound and returns the first error. iopub
// gives its subscribers up to grace to receive what is queued.
func (s *sockets) close(grace time.Duration) error {
	var first error
	if s.iopub != nil {
		first = s.iopub.close(grace)
	}
	for _, x := range []socket{s.shell, s.control, s.stdin, s.hb} {
		if x == nil {
			continue
		}
		if err := x.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// deadlineScheme prefixes the transports of zmq4 ("tcp", "ipc") to name
// the same transports with writeDeadline on every write.
const deadlineScheme = "deadline+"

func init() {
	for _, t := range []struct{ name, network string }{{"tcp", "tcp"}, {"ipc", "unix"}} {
		if err := zmq4.RegisterTransport(deadlineScheme+t.name, deadlineTransport{transport.New(t.network)}); err != nil {
			panic(err)
		}
	}
}

// deadlineTransport is a zmq4 transport whose connections write with
// writeDeadline.
type deadlineTransport struct{ transport.Transport }

// Listen listens as the wrapped transport does.
func (t deadlineTransport) Listen(ctx context.Context, addr string) (net.Listener, error) {
	l, err := t.Transport.Listen(ctx, addr)
	if err != nil {
		return nil, err
	}
	return deadlineListener{l}, nil
}

type deadlineListener struct{ net.Listener }

// Accept accepts a connection that writes with writeDeadline.
func (l deadlineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return deadlineConn{c}, nil
}

// deadlineConn writes with writeDeadline. A write that times out closes
// the connection: a message cut in the middle would garble the stream.
type deadlineConn struct{ net.Conn }

func (c deadlineConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(writeDeadline))
	n, err := c.Conn.Write(p)
	if err != nil {
		c.Conn.Close()
	}
	return n, err
}

// zsocket adapts a zmq4 socket to socket. What it works around in zmq4
// v0.17.0, as read from its source:
//
//   - A ROUTER's Recv takes messages from a channel its connections' reader
//     goroutines fill, and its Send writes to the peer's connection under
//     the writer's own mutex: one goroutine may Recv while others Send.
//     The channel holds 10 messages; a reader blocks when it is full, so
//     every ROUTER (stdin included) is drained.
//   - Its PUB queues by message count, not bytes, and drops what passes
//     the count, status messages included: iopub is the kernel's own
//     publisher instead (iopub.go).
//   - ZMTP command frames (a PING from a peer with ZMTP heartbeats on)
//     reach a ROUTER's Recv as messages: they are skipped.
//   - A REP's Recv fails on a message without the empty delimiter frame a
//     REQ peer sends; the heartbeat loop goes on with the next one.
//
// Sends are serialized here anyway, which also keeps iopub messages in the
// order the kernel sends them.
type zsocket struct {
	z zmq4.Socket

	mu     sync.Mutex // serializes Send and Close
	closed bool
}

// Recv returns the frames of the next message. On a ROUTER the first
// frame is the sender's identity.
func (s *zsocket) Recv() ([][]byte, error) {
	for {
		m, err := s.z.Recv()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil, errClosed
			}
			return nil, err
		}
		if m.Type == zmq4.CmdMsg {
			continue
		}
		return m.Frames, nil
	}
}

// Send sends one message. On a ROUTER the first frame names the peer.
func (s *zsocket) Send(frames [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	return s.z.Send(zmq4.NewMsgFrom(frames...))
}

// Close closes the socket; it may be called more than once.
func (s *zsocket) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.z.Close()
}

// listen binds a new zmq4 socket to endpoint and returns it with the tcp
// port it is bound to.
func listen(newSocket func(context.Context, ...zmq4.Option) zmq4.Socket, endpoint string, log *slog.Logger) (*zsocket, int, error) {
	z := newSocket(context.Background(), zmq4.WithLogger(slog.NewLogLogger(log.Handler(), slog.LevelWarn)))
	if err := z.Listen(endpoint); err != nil {
		z.Close()
		return nil, 0, fmt.Errorf("bind %s: %w", endpoint, err)
	}
	port := 0
	if a, ok := z.Addr().(*net.TCPAddr); ok {
		port = a.Port
	}
	return &zsocket{z: z}, port, nil
}
