package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Limits of iopub.
const (
	// iopubQueueBytes is how many bytes of output wait for one subscriber.
	// Past it, output (stream, displays, clear_output) is shed for that
	// subscriber, and a notice takes its place; status, execute_input,
	// execute_result and error messages are always queued.
	iopubQueueBytes = 16 << 20
	// handshakeTimeout bounds the ZMTP greeting of a new connection.
	handshakeTimeout = 10 * time.Second
)

// publisher is the kernel's iopub socket: a ZeroMQ PUB that every
// subscriber gets every message from (Jupyter subscribes to all topics),
// in the order published. Each subscriber has its own queue, bounded by
// bytes, and a writer with a write deadline: a frontend that stops
// reading loses output (with a notice in the cell), then its connection,
// never the kernel's memory or the other frontends' messages.
type publisher struct {
	l      net.Listener
	log    *slog.Logger
	notice func(parent json.RawMessage, shed int) [][]byte // a stream message saying shed outputs were not sent

	mu     sync.Mutex
	subs   map[*subscriber]bool
	closed bool
}

// outgoing is one message waiting for a subscriber.
type outgoing struct {
	frames [][]byte
	size   int
}

// subscriber is one connection to iopub.
type subscriber struct {
	raw net.Conn
	z   *zmq4.Conn

	mu         sync.Mutex
	wake       chan struct{} // holds a token while queue is not empty
	queue      []outgoing
	bytes      int
	shed       int             // outputs dropped since the last notice
	shedParent json.RawMessage // the parent header of the first of them
	gone       bool
}

// listenPub binds a publisher to a "tcp" or "ipc" endpoint address.
func listenPub(network, addr string, log *slog.Logger, notice func(json.RawMessage, int) [][]byte) (*publisher, error) {
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	p := &publisher{l: l, log: log, notice: notice, subs: map[*subscriber]bool{}}
	go p.accept()
	return p, nil
}

// port is the tcp port the publisher listens on (0 for ipc).
func (p *publisher) port() int {
	if a, ok := p.l.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

func (p *publisher) accept() {
	for {
		raw, err := p.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			p.log.Warn("iopub accept failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go p.open(raw)
	}
}

// open greets a new connection and starts its writer and reader.
func (p *publisher) open(raw net.Conn) {
	raw.SetDeadline(time.Now().Add(handshakeTimeout))
	z, err := zmq4.Open(raw, nullSecurity{}, zmq4.Pub, nil, true, nil)
	if err != nil {
		p.log.Warn("iopub: a subscriber failed its handshake", "err", err)
		raw.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	s := &subscriber{raw: raw, z: z, wake: make(chan struct{}, 1)}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		raw.Close()
		return
	}
	p.subs[s] = true
	p.mu.Unlock()
	go p.write(s)
	// Subscriptions are not needed (every subscriber gets everything):
	// reading only tells when the peer goes.
	go func() {
		io.Copy(io.Discard, raw)
		p.drop(s)
	}()
}

// drop closes a subscriber's connection and forgets it.
func (p *publisher) drop(s *subscriber) {
	p.mu.Lock()
	delete(p.subs, s)
	p.mu.Unlock()
	s.mu.Lock()
	s.gone = true
	s.queue = nil
	s.mu.Unlock()
	s.raw.Close()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// write sends s its queue, each message within writeDeadline.
func (p *publisher) write(s *subscriber) {
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.gone {
			s.mu.Unlock()
			<-s.wake
			s.mu.Lock()
		}
		if s.gone {
			s.mu.Unlock()
			return
		}
		m := s.queue[0]
		s.queue[0] = outgoing{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		s.raw.SetWriteDeadline(time.Now().Add(writeDeadline))
		err := s.z.SendMsg(zmq4.NewMsgFrom(m.frames...))
		s.mu.Lock()
		s.bytes -= m.size
		s.mu.Unlock()
		if err != nil {
			p.log.Warn("iopub: a subscriber did not read; its connection is closed", "err", err)
			p.drop(s)
			return
		}
	}
}

// publish queues messages for every subscriber, together: no other
// message comes between them. Output that does not fit a subscriber's
// queue is shed for it; the others are always queued.
func (p *publisher) publish(parent json.RawMessage, shedable bool, msgs ...[][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	for s := range p.subs {
		for _, frames := range msgs {
			s.push(p, parent, shedable, frames)
		}
	}
}

// push queues one message for s.
func (s *subscriber) push(p *publisher, parent json.RawMessage, shedable bool, frames [][]byte) {
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return
	}
	if shedable && s.bytes+size > iopubQueueBytes {
		if s.shed == 0 {
			s.shedParent = parent
		}
		s.shed++
		return
	}
	if s.shed > 0 {
		// The notice goes where the output was lost.
		if n := p.notice(s.shedParent, s.shed); n != nil {
			s.enqueue(n)
		}
		s.shed, s.shedParent = 0, nil
	}
	s.enqueue(frames)
}

func (s *subscriber) enqueue(frames [][]byte) {
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	s.queue = append(s.queue, outgoing{frames, size})
	s.bytes += size
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// close stops accepting, gives the subscribers up to grace to receive
// what is queued, and closes their connections.
func (p *publisher) close(grace time.Duration) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	subs := make([]*subscriber, 0, len(p.subs))
	for s := range p.subs {
		subs = append(subs, s)
	}
	p.mu.Unlock()
	err := p.l.Close()
	deadline := time.Now().Add(grace)
	for _, s := range subs {
		for time.Now().Before(deadline) {
			s.mu.Lock()
			empty := len(s.queue) == 0 && s.bytes == 0 || s.gone
			s.mu.Unlock()
			if empty {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		p.drop(s)
	}
	return err
}

// nullSecurity is ZMTP's NULL mechanism (zmq4 does not export its own):
// the peers exchange READY commands with their metadata.
type nullSecurity struct{}

// Type is NULL.
func (nullSecurity) Type() zmq4.SecurityType { return zmq4.NullSecurity }

// Handshake exchanges READY commands.
func (nullSecurity) Handshake(conn *zmq4.Conn, server bool) error {
	raw, err := conn.Meta.MarshalZMTP()
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if err := conn.SendCmd(zmq4.CmdReady, raw); err != nil {
		return fmt.Errorf("send READY: %w", err)
	}
	cmd, err := conn.RecvCmd()
	if err != nil {
		return fmt.Errorf("receive READY: %w", err)
	}
	if cmd.Name != zmq4.CmdReady {
		return fmt.Errorf("peer sent %s, want READY", cmd.Name)
	}
	return conn.Peer.Meta.UnmarshalZMTP(cmd.Body)
}

// Encrypt copies data: NULL does not encrypt.
func (nullSecurity) Encrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }

// Decrypt copies data: NULL does not encrypt.
func (nullSecurity) Decrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }
