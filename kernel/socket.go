package kernel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/go-zeromq/zmq4"
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
	shell, control, stdin socket // ROUTER
	iopub                 socket // PUB
	hb                    socket // REP
}

// bind creates the kernel's sockets and binds them to the addresses of c.
// A tcp port of 0 binds a free port, and c is updated with the port bound.
// iopubHWM is how many messages iopub queues for a subscriber.
const iopubHWM = 10000

func bind(c *Connection, log *slog.Logger) (*sockets, error) {
	s := &sockets{}
	for _, b := range []struct {
		name string
		port *int
		kind func(context.Context, ...zmq4.Option) zmq4.Socket
		dst  *socket
	}{
		{"shell", &c.ShellPort, zmq4.NewRouter, &s.shell},
		{"iopub", &c.IOPubPort, zmq4.NewPub, &s.iopub},
		{"stdin", &c.StdinPort, zmq4.NewRouter, &s.stdin},
		{"control", &c.ControlPort, zmq4.NewRouter, &s.control},
		{"heartbeat", &c.HBPort, zmq4.NewRep, &s.hb},
	} {
		z, port, err := listen(b.kind, c.endpoint(*b.port), log)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("%s socket: %w", b.name, err)
		}
		if *b.port == 0 {
			*b.port = port
		}
		if b.name == "iopub" {
			// Bounded, as libzmq's PUB: a subscriber that cannot keep up
			// loses messages instead of growing the kernel's memory.
			if err := z.z.SetOption(zmq4.OptionHWM, iopubHWM); err != nil {
				s.close()
				return nil, fmt.Errorf("iopub socket: %w", err)
			}
		}
		*b.dst = z
	}
	return s, nil
}

// close closes every socket bound and returns the first error.
func (s *sockets) close() error {
	var first error
	for _, x := range []socket{s.shell, s.control, s.stdin, s.iopub, s.hb} {
		if x == nil {
			continue
		}
		if err := x.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// zsocket adapts a zmq4 socket to socket. What it works around in zmq4
// v0.17.0, as read from its source:
//
//   - A ROUTER's Recv takes messages from a channel its connections' reader
//     goroutines fill, and its Send writes to the peer's connection under
//     the writer's own mutex: one goroutine may Recv while others Send.
//     The channel holds 10 messages; a reader blocks when it is full, so
//     every ROUTER (stdin included) is drained.
//   - A PUB's Send only queues the message for a writer goroutine and never
//     blocks, also with no subscriber (the message is dropped). Close
//     discards what is still queued (hence the kernel's lingerIOPub), and
//     leaves the queue's mutex locked: a Send after Close would hang
//     forever, so zsocket refuses it.
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
