package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
	"github.com/fsc-kernel/fsc-kernel/script/python"
	"github.com/go-zeromq/zmq4"
)

// testTimeout bounds every wait of the tests.
const testTimeout = 10 * time.Second

// testKernel is a kernel serving a real runtime on loopback, with a client.
type testKernel struct {
	k      *Kernel
	c      *testClient
	served chan error // Serve's result
	logs   *syncBuffer
}

// startKernel serves a kernel of lang ("python" or "lua") on free
// loopback ports, signing with key, and connects a client to it. The
// runtime's node is a URL where nothing listens: plain cells need none.
func startKernel(t testing.TB, lang, key string) *testKernel {
	t.Helper()
	return startKernelOn(t, lang, Connection{Transport: "tcp", IP: "127.0.0.1", Key: key})
}

// newRuntime starts the runtime of a language, as fsc-kernel does.
func newRuntime(lang string, env *script.Env) (script.Runtime, error) {
	if lang == "lua" {
		return lua.Start(env)
	}
	return python.Start(env)
}

func startKernelOn(t testing.TB, lang string, conn Connection) *testKernel {
	t.Helper()
	logs := &syncBuffer{}
	k, err := New(conn, WithLogger(slog.New(slog.NewTextHandler(logs, nil))), WithVersion("test"))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := newRuntime(lang, script.NewEnv("http://127.0.0.1:1", "", k.Output()))
	if err != nil {
		k.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tk := &testKernel{k: k, served: make(chan error, 1), logs: logs}
	go func() { tk.served <- k.Serve(ctx, rt) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-tk.served:
		case <-time.After(testTimeout):
			t.Error("Serve did not return after its context ended")
		}
		rt.Close()
	})
	tk.c = dial(t, k.Connection())
	return tk
}

// testClient is a Jupyter client: DEALERs on shell and control, a SUB on
// iopub, every message received kept in a mailbox per channel.
type testClient struct {
	t       testing.TB
	signer  signer
	session string
	socks   map[string]zmq4.Socket
	boxes   map[string]*mailbox
	done    chan struct{}
}

// dial connects a client and waits until its iopub subscription is live:
// it sends kernel_info_request until a status for one of them arrives.
func dial(t testing.TB, conn Connection) *testClient {
	t.Helper()
	c := &testClient{t: t, signer: signer{key: []byte(conn.Key)}, session: newUUID(),
		socks: map[string]zmq4.Socket{}, boxes: map[string]*mailbox{}, done: make(chan struct{})}
	ctx := context.Background()
	for name, s := range map[string]struct {
		z    zmq4.Socket
		port int
	}{
		"shell":   {zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("client-shell-"+c.session))), conn.ShellPort},
		"control": {zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("client-control-"+c.session))), conn.ControlPort},
		"iopub":   {zmq4.NewSub(ctx), conn.IOPubPort},
	} {
		if err := s.z.Dial(conn.endpoint(s.port)); err != nil {
			t.Fatal(err)
		}
		c.socks[name], c.boxes[name] = s.z, newMailbox()
	}
	if err := c.socks["iopub"].SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	for name, z := range c.socks {
		go c.read(z, c.boxes[name])
	}
	t.Cleanup(c.close)
	deadline := time.Now().Add(testTimeout)
	for {
		id := c.send("shell", "kernel_info_request", struct{}{})
		if c.boxes["iopub"].wait(250*time.Millisecond, func(ms []*message) bool { return len(withParent(ms, id)) > 0 }) {
			c.reply("shell", id)
			return c
		}
		if time.Now().After(deadline) {
			t.Fatal("iopub: no status message after kernel_info_request: subscription never became live")
		}
	}
}

func (c *testClient) close() {
	select {
	case <-c.done:
		return
	default:
	}
	close(c.done)
	for _, z := range c.socks {
		z.Close()
	}
}

// read puts every message of z into box.
func (c *testClient) read(z zmq4.Socket, box *mailbox) {
	for {
		m, err := z.Recv()
		select {
		case <-c.done:
			return
		default:
		}
		if err != nil {
			time.Sleep(time.Millisecond)
			continue
		}
		msg, err := decode(m.Frames, c.signer)
		if err != nil {
			c.t.Errorf("client: a message from the kernel does not decode: %v", err)
			continue
		}
		box.put(msg)
	}
}

// send sends a request on shell or control and returns its msg_id.
func (c *testClient) send(channel, msgType string, content any) string {
	c.t.Helper()
	body, err := json.Marshal(content)
	if err != nil {
		c.t.Fatal(err)
	}
	h := newHeader(c.session, msgType)
	h.Username = "test"
	frames, err := encode(&message{Header: h, Content: body}, c.signer)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendFrames(channel, frames)
	return h.MsgID
}

func (c *testClient) sendFrames(channel string, frames [][]byte) {
	c.t.Helper()
	if err := c.socks[channel].Send(zmq4.NewMsgFrom(frames...)); err != nil {
		c.t.Fatal(err)
	}
}

// reply waits for the reply to request id on channel.
func (c *testClient) reply(channel, id string) *message {
	c.t.Helper()
	var got *message
	ok := c.boxes[channel].wait(testTimeout, func(ms []*message) bool {
		if r := withParent(ms, id); len(r) > 0 {
			got = r[0]
			return true
		}
		return false
	})
	if !ok {
		c.t.Fatalf("%s: no reply to %s within %v", channel, id, testTimeout)
	}
	return got
}

// iopub waits for the status idle of request id and returns every iopub
// message of that request, in order.
func (c *testClient) iopub(id string) []*message {
	c.t.Helper()
	var got []*message
	ok := c.boxes["iopub"].wait(testTimeout, func(ms []*message) bool {
		got = withParent(ms, id)
		return len(got) > 0 && isStatus(got[len(got)-1], "idle")
	})
	if !ok {
		c.t.Fatalf("iopub: no status idle for %s within %v (got %s)", id, testTimeout, types(got))
	}
	return got
}

// execute runs code with the given extra fields of execute_request and
// returns its reply and its iopub messages.
func (c *testClient) execute(code string, extra map[string]any) (*message, []*message) {
	c.t.Helper()
	content := map[string]any{"code": code, "silent": false, "store_history": true, "user_expressions": map[string]any{},
		"allow_stdin": false, "stop_on_error": true}
	for k, v := range extra {
		content[k] = v
	}
	id := c.send("shell", "execute_request", content)
	return c.reply("shell", id), c.iopub(id)
}

// forget empties the mailboxes.
func (c *testClient) forget() {
	for _, b := range c.boxes {
		b.mu.Lock()
		b.msgs = nil
		b.mu.Unlock()
	}
}

// mailbox keeps the messages a socket received, in order.
type mailbox struct {
	mu      sync.Mutex
	msgs    []*message
	changed chan struct{}
}

func newMailbox() *mailbox { return &mailbox{changed: make(chan struct{})} }

func (b *mailbox) put(m *message) {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// snapshot returns the messages so far.
func (b *mailbox) snapshot() []*message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*message(nil), b.msgs...)
}

// wait waits up to timeout until done holds for the messages so far.
func (b *mailbox) wait(timeout time.Duration, done func([]*message) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		ok := done(b.msgs)
		changed := b.changed
		b.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// withParent returns the messages whose parent is request id.
func withParent(ms []*message, id string) []*message {
	var out []*message
	for _, m := range ms {
		if parentOf(m).MsgID == id {
			out = append(out, m)
		}
	}
	return out
}

func parentOf(m *message) msgHeader {
	var h msgHeader
	json.Unmarshal(m.Parent, &h)
	return h
}

func isStatus(m *message, state string) bool {
	return m.Header.MsgType == "status" && contentOf(m)["execution_state"] == state
}

// contentOf decodes the content of m.
func contentOf(m *message) map[string]any {
	var v map[string]any
	if err := json.Unmarshal(m.Content, &v); err != nil {
		panic(err)
	}
	return v
}

// types lists the msg_types of ms, for failure messages.
func types(ms []*message) string {
	var s []string
	for _, m := range ms {
		t := m.Header.MsgType
		if t == "status" {
			t += ":" + contentOf(m)["execution_state"].(string)
		}
		s = append(s, t)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// ofType returns the messages of type msgType.
func ofType(ms []*message, msgType string) []*message {
	var out []*message
	for _, m := range ms {
		if m.Header.MsgType == msgType {
			out = append(out, m)
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the kernel's logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
