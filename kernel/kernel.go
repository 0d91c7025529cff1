package kernel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// Kernel is a Jupyter kernel: its sockets, its session and the state of
// the protocol (execution count, history). It runs the cells of one
// script.Runtime, one at a time, in the order they arrive on shell;
// control requests (kernel_info, interrupt, shutdown) are answered at once
// on their own goroutine, also while a cell runs.
type Kernel struct {
	conn    Connection
	socks   *sockets
	signer  signer
	replays replayGuard
	session string
	log     *slog.Logger
	version string

	rt   script.Runtime
	info kernelInfo
	ctx  context.Context // the context cells run under, set by Serve

	cell atomic.Pointer[cellPublisher] // output of the running cell, nil between cells

	queue *requestQueue // shell requests waiting for the running cell

	mu           sync.Mutex
	cancel       context.CancelFunc // cancels the running cell
	cellReceived time.Time          // when the running cell's request was received
	stop         chan struct{}      // closed by a shutdown request
	stopped      bool

	// State of the shell goroutine.
	count      int       // execution count of the last counted cell
	abortUntil time.Time // execute_requests received until then are aborted
	history    history
}

// Option configures a Kernel.
type Option func(*Kernel)

// WithVersion sets the implementation version kernel_info reports.
func WithVersion(v string) Option { return func(k *Kernel) { k.version = v } }

// WithLogger sets where the kernel logs (by default, text on stderr).
func WithLogger(l *slog.Logger) Option { return func(k *Kernel) { k.log = l } }

// New checks conn and binds the kernel's sockets to it. A tcp port of 0
// binds a free port; Connection reports the ports bound. Serve the kernel,
// or Close it.
func New(conn Connection, opts ...Option) (*Kernel, error) {
	k := &Kernel{signer: signer{key: []byte(conn.Key)}, session: newUUID(), version: "0", stop: make(chan struct{})}
	for _, o := range opts {
		o(k)
	}
	if k.log == nil {
		k.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := conn.check(false); err != nil {
		return nil, fmt.Errorf("connection: %w", err)
	}
	socks, err := bind(&conn, k.log, k.shedNotice)
	if err != nil {
		return nil, err
	}
	k.conn, k.socks = conn, socks
	return k, nil
}

// Connection is the connection the kernel is bound to, with the ports it
// bound.
func (k *Kernel) Connection() Connection { return k.conn }

// Output is where the Runtime's Env sends what cells show: to the running
// cell, as stream, display_data, clear_output and progress displays. What
// arrives between cells is dropped.
func (k *Kernel) Output() script.Output {
	return script.Output{
		Stdout: func(text string) {
			if c := k.cell.Load(); c != nil {
				c.stream("stdout", text)
			}
		},
		Stderr: func(text string) {
			if c := k.cell.Load(); c != nil {
				c.stream("stderr", text)
			}
		},
		Display: func(mime map[string]string, id string, update bool) {
			if c := k.cell.Load(); c != nil {
				c.display(mime, id, update)
			}
		},
		Clear: func(wait bool) {
			if c := k.cell.Load(); c != nil {
				c.clear(wait)
			}
		},
		Progress: func(text string, done bool) {
			if c := k.cell.Load(); c != nil {
				c.showProgress(text, done)
			}
		},
		ProgressAfter: progressAfter,
	}
}

// progressAfter is how long a statistic runs before the notebook shows
// its progress.
const progressAfter = 500 * time.Millisecond

// stopGrace is how long a stopping kernel waits for its running cell.
const stopGrace = 2 * time.Second

// lingerIOPub is how long a stopping kernel waits, at most, for its last
// iopub messages to leave.
const lingerIOPub = time.Second

// Serve runs cells of rt until a shutdown_request arrives or ctx is done,
// then closes the kernel's sockets (rt stays open: close it after). A
// running cell is interrupted when the kernel stops. A Kernel serves once.
func (k *Kernel) Serve(ctx context.Context, rt script.Runtime) error {
	if k.rt != nil {
		return errors.New("kernel: Serve called twice")
	}
	k.rt = rt
	k.info = newKernelInfo(rt.Language(), k.version)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k.ctx = ctx
	k.log.Info("kernel started", "language", k.info.LanguageInfo.Name, "transport", k.conn.Transport, "ip", k.conn.IP,
		"shell_port", k.conn.ShellPort, "session", k.session)
	k.publish(nil, "status", statusContent{"starting"})

	queue := newRequestQueue()
	k.queue = queue
	var readers, shell sync.WaitGroup
	readers.Go(func() {
		k.receive(k.socks.shell, "shell", func(r *request) {
			if r.Header.MsgType == "interrupt_request" {
				k.handleAside(r) // at once: queued, it would wait for the cell it stops
				return
			}
			queue.push(r)
		})
	})
	readers.Go(func() { k.receive(k.socks.control, "control", k.handleAside) })
	readers.Go(func() {
		k.receive(k.socks.stdin, "stdin", func(r *request) {
			k.log.Info("ignored a message on stdin", "msg_type", r.Header.MsgType)
		})
	})
	readers.Go(func() { echo(k.socks.hb) })
	shellDone := make(chan struct{})
	shell.Go(func() {
		defer close(shellDone)
		for {
			r, ok := queue.pop(ctx)
			if !ok {
				return
			}
			k.handle(r)
		}
	})

	select {
	case <-ctx.Done():
	case <-k.stop:
	}
	cancel()
	select {
	case <-shellDone:
	case <-time.After(stopGrace):
		// A cell inside a long builtin call does not see the cancel:
		// the kernel stops without it.
		k.log.Warn("the running cell did not stop; stopping without it", "after", stopGrace)
	}
	k.Close()
	readers.Wait()
	k.log.Info("kernel stopped")
	return nil
}

// Interrupt stops the running cell, if any, as an interrupt_request does.
// Wire SIGINT to it.
func (k *Kernel) Interrupt() { k.interruptReceived(time.Now()) }

// interruptReceived stops the running cell if its request was received
// by the time at: an interrupt that comes as its cell ends does not stop
// the next one.
func (k *Kernel) interruptReceived(at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancel != nil && !k.cellReceived.After(at) {
		k.cancel()
	}
}

// Close closes the kernel's sockets, after up to lingerIOPub for what
// iopub still has to send. Serve calls it when it returns.
func (k *Kernel) Close() error {
	return k.socks.close(lingerIOPub)
}

// shutdown makes Serve return.
func (k *Kernel) shutdown() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.stopped {
		k.stopped = true
		close(k.stop)
	}
}

// echo answers heartbeats: every message comes back as it is.
func echo(hb socket) {
	for {
		frames, err := hb.Recv()
		if errors.Is(err, errClosed) {
			return
		}
		if err == nil {
			hb.Send(frames)
		}
	}
}
