package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// Worker is a script.Runtime whose interpreter runs in a child process,
// the worker, which Serve runs. A cell that ignores an interrupt (it is
// inside one long builtin call) costs the worker process, not a core of
// the kernel's: the worker is stopped and the next request starts a fresh
// one. So does a worker that dies (a fatal error of the Go runtime). Either
// way the session's variables are lost, and the cell's output says so.
type Worker struct {
	out     script.Output
	command func() *exec.Cmd
	lang    script.LanguageInfo

	mu     sync.Mutex
	p      *proc // the running worker, nil before the next request starts one
	closed bool
	diedAs string // why a worker died between cells, for the next cell to say
}

var _ script.Runtime = (*Worker)(nil)

// Timing of the worker. startTimeout bounds a worker's start up to its
// hello; stopGrace is how long an interrupted cell has to answer before
// its worker is stopped (the worker's own runtime abandons a cell after a
// second); askTimeout bounds completion, inspection and is_complete.
const (
	startTimeout = 30 * time.Second
	stopGrace    = 3 * time.Second
	askTimeout   = 5 * time.Second
)

// Start starts a worker process made by command (its stdin, stdout and
// stderr are set here) and waits for it to say which language it speaks.
// Output of cells goes to out.
func Start(out script.Output, command func() *exec.Cmd) (*Worker, error) {
	w := &Worker{out: out, command: command}
	p, err := w.spawn()
	if err != nil {
		return nil, err
	}
	w.p, w.lang = p, p.lang
	return w, nil
}

// current returns the running worker, starting one when there is none.
func (w *Worker) current() (*proc, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, &script.Error{Kind: "RuntimeError", Msg: "the session is closed"}
	}
	if w.p != nil {
		select {
		case <-w.p.dead: // on its own, between cells
			w.diedAs = w.p.why()
		default:
			return w.p, nil
		}
	}
	p, err := w.spawn()
	if err != nil {
		return nil, err
	}
	w.p = p
	return p, nil
}

// retire stops p and forgets it, so that the next request starts a fresh
// worker.
func (w *Worker) retire(p *proc) {
	w.mu.Lock()
	if w.p == p {
		w.p = nil
	}
	w.mu.Unlock()
	p.kill()
}

// Execute runs a cell in the worker. Cancelling ctx interrupts it; a cell
// still running stopGrace later has its worker stopped.
func (w *Worker) Execute(ctx context.Context, code string) (map[string]string, error) {
	p, err := w.current()
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	ended := w.diedAs
	w.diedAs = ""
	w.mu.Unlock()
	if ended != "" {
		w.print("[the session's process had ended (%s); this cell runs in a fresh session, without the variables of the last]\n", ended)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id, reply := p.call(request{Op: "execute", Code: code})
	select {
	case ev := <-reply:
		return w.executed(p, ev)
	case <-p.dead:
		return w.ended(p, reply, nil)
	case <-ctx.Done():
	}
	p.send(request{Op: "interrupt", ID: id})
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case ev := <-reply:
		return w.executed(p, ev)
	case <-p.dead:
		return w.ended(p, reply, ctx.Err())
	case <-timer.C:
		w.retire(p)
		w.print("[the cell did not stop within %v of the interrupt; its session was stopped, and the next cell starts a fresh one without its variables]\n", stopGrace)
		return nil, ctx.Err()
	}
}

// executed is the result of an execute reply. A worker that had to abandon
// its interpreter is stopped, so the abandoned cell stops too.
func (w *Worker) executed(p *proc, ev event) (map[string]string, error) {
	if ev.Error != nil && ev.Error.Abandoned {
		w.retire(p)
	}
	return ev.MIME, ev.Error.decode()
}

// ended is the result of a cell whose worker has exited: its reply when
// the worker sent one before (the reader hands replies on before it marks
// the worker dead), else the error of a lost session.
func (w *Worker) ended(p *proc, reply <-chan event, interrupt error) (map[string]string, error) {
	select {
	case ev := <-reply:
		return w.executed(p, ev)
	default:
		return nil, w.lost(p, interrupt)
	}
}

// lost is the error of a cell whose worker died under it. When the cell
// was being interrupted anyway, it reads as an interrupt.
func (w *Worker) lost(p *proc, interrupt error) error {
	w.retire(p)
	msg := fmt.Sprintf("the session's process ended unexpectedly (%s); the next cell starts a fresh session, without the variables of this one", p.why())
	if interrupt != nil {
		return fmt.Errorf("%w: %s", interrupt, msg)
	}
	return &script.Error{Kind: "RuntimeError", Msg: msg}
}

func (w *Worker) print(format string, args ...any) {
	if w.out.Stdout != nil {
		w.out.Stdout(fmt.Sprintf(format, args...))
	}
}

// ask sends q and waits up to askTimeout for the reply; ok is false when
// none came.
func (w *Worker) ask(q request) (ev event, ok bool) {
	p, err := w.current()
	if err != nil {
		return event{}, false
	}
	_, reply := p.call(q)
	timer := time.NewTimer(askTimeout)
	defer timer.Stop()
	select {
	case ev := <-reply:
		return ev, true
	case <-p.dead:
	case <-timer.C:
	}
	return event{}, false
}

// Complete asks the worker for completions.
func (w *Worker) Complete(code string, cursor int) ([]string, int, int) {
	ev, ok := w.ask(request{Op: "complete", Code: code, Cursor: cursor})
	if !ok {
		return nil, cursor, cursor
	}
	return ev.Matches, ev.Start, ev.End
}

// Inspect asks the worker for the documentation at cursor.
func (w *Worker) Inspect(code string, cursor int) (string, bool) {
	ev, _ := w.ask(request{Op: "inspect", Code: code, Cursor: cursor})
	return ev.Doc, ev.Found
}

// IsComplete asks the worker whether code is complete; "unknown" when it
// cannot tell.
func (w *Worker) IsComplete(code string) (string, string) {
	ev, ok := w.ask(request{Op: "is_complete", Code: code})
	if !ok {
		return "unknown", ""
	}
	return ev.Status, ev.Indent
}

// Language is the worker's language, as its first hello said.
func (w *Worker) Language() script.LanguageInfo { return w.lang }

// Close stops the worker.
func (w *Worker) Close() {
	w.mu.Lock()
	p := w.p
	w.p, w.closed = nil, true
	w.mu.Unlock()
	if p != nil {
		p.kill()
		<-p.dead
	}
}

// proc is one worker process and the requests waiting for its replies.
type proc struct {
	cmd    *exec.Cmd
	lang   script.LanguageInfo
	stderr *tail

	wmu sync.Mutex // one request at a time on stdin
	in  io.WriteCloser
	enc *json.Encoder

	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan event

	dead    chan struct{} // closed once the worker has exited
	exitErr error         // how it exited, set before dead closes
}

// spawn starts a worker and waits for its hello.
func (w *Worker) spawn() (*proc, error) {
	cmd := w.command()
	p := &proc{cmd: cmd, pending: map[uint64]chan event{}, dead: make(chan struct{}), stderr: newTail(cmd.Stderr)}
	cmd.Stderr = p.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start the session's process %s: %w", cmd.Path, err)
	}
	p.in, p.enc = in, json.NewEncoder(in)
	hello := make(chan script.LanguageInfo, 1)
	go p.read(json.NewDecoder(outPipe), hello, w.out)
	p.send(request{Op: "start", ProgressAfter: w.out.ProgressAfter})
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case p.lang = <-hello:
		return p, nil
	case <-p.dead:
		return nil, fmt.Errorf("the session's process did not start (%s)", p.why())
	case <-timer.C:
		p.kill()
		return nil, fmt.Errorf("the session's process did not start within %v", startTimeout)
	}
}

// read hands the worker's events on: its hello, output of cells to out,
// replies to whoever waits. When the worker's output ends, read reaps it.
func (p *proc) read(dec *json.Decoder, hello chan<- script.LanguageInfo, out script.Output) {
	defer func() {
		p.in.Close()
		p.exitErr = p.cmd.Wait()
		close(p.dead)
	}()
	for {
		var ev event
		if err := dec.Decode(&ev); err != nil {
			p.kill() // a worker that speaks nonsense is not trusted further
			return
		}
		switch ev.Op {
		case "hello":
			if ev.Language != nil {
				hello <- *ev.Language
			}
		case "reply":
			p.mu.Lock()
			ch := p.pending[ev.ID]
			delete(p.pending, ev.ID)
			p.mu.Unlock()
			if ch != nil {
				ch <- ev
			}
		default:
			show(out, ev)
		}
	}
}

// show passes an output event to out.
func show(out script.Output, ev event) {
	switch {
	case ev.Op == "stdout" && out.Stdout != nil:
		out.Stdout(ev.Text)
	case ev.Op == "stderr" && out.Stderr != nil:
		out.Stderr(ev.Text)
	case ev.Op == "display" && out.Display != nil:
		out.Display(ev.MIME, ev.DisplayID, ev.Update)
	case ev.Op == "clear" && out.Clear != nil:
		out.Clear(ev.Flag)
	case ev.Op == "progress" && out.Progress != nil:
		out.Progress(ev.Text, ev.Flag)
	}
}

// call sends q under a fresh id and returns the id and where its reply
// will arrive.
func (p *proc) call(q request) (uint64, <-chan event) {
	ch := make(chan event, 1)
	p.mu.Lock()
	p.next++
	q.ID = p.next
	p.pending[q.ID] = ch
	p.mu.Unlock()
	p.send(q)
	return q.ID, ch
}

// send writes q to the worker. A worker that cannot be written to is
// killed; its waiters learn of it from dead.
func (p *proc) send(q request) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if err := p.enc.Encode(q); err != nil {
		p.kill()
	}
}

// kill stops the worker process.
func (p *proc) kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
}

// why says how the worker ended: the fatal error it printed, else its exit
// status. Call it after dead is closed.
func (p *proc) why() string {
	if line := p.stderr.fatal(); line != "" {
		return line
	}
	if p.exitErr != nil {
		return p.exitErr.Error()
	}
	return "it exited"
}
