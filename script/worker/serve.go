package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// Serve is the worker's side: it reads requests from in and writes events
// to out until in ends. The first request is start, with the host's
// progress delay; Serve then starts a runtime with start, whose Env talks
// to the node at nodeURL with token, and says hello with its language.
//
// Serve returns nil when in ends and ErrAbandoned after it replied to a
// cell whose interpreter had to be abandoned: the worker process should
// then exit, which stops that interpreter for good. Running cells are not
// waited for.
func Serve(start func(*script.Env) (script.Runtime, error), nodeURL, token string, in io.Reader, out io.Writer) error {
	dec := json.NewDecoder(bufio.NewReader(in))
	var first request
	if err := dec.Decode(&first); err != nil {
		return fmt.Errorf("worker: reading the start request: %w", err)
	}
	if first.Op != "start" {
		return fmt.Errorf("worker: the first request is %q, not start", first.Op)
	}
	s := &server{w: bufio.NewWriter(out), running: map[uint64]context.CancelFunc{}, abandoned: make(chan struct{})}
	s.enc = json.NewEncoder(s.w)
	s.enc.SetEscapeHTML(false) // displays are HTML: keep them as they are
	rt, err := start(script.NewEnv(nodeURL, token, s.output(first.ProgressAfter)))
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer rt.Close()
	lang := rt.Language()
	if err := s.send(event{Op: "hello", Language: &lang}); err != nil {
		return err
	}
	reqs := make(chan request)
	readErr := make(chan error, 1)
	go func() {
		for {
			var q request
			if err := dec.Decode(&q); err != nil {
				readErr <- err
				return
			}
			reqs <- q
		}
	}()
	for {
		select {
		case q := <-reqs:
			s.serve(rt, q)
		case err := <-readErr:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("worker: reading a request: %w", err)
		case <-s.abandoned:
			return ErrAbandoned
		}
	}
}

// ErrAbandoned is what Serve returns after a cell's interpreter was
// abandoned.
var ErrAbandoned = errors.New("worker: a cell's interpreter was abandoned inside a builtin call")

// server is the worker's state: the writer of its events and the cells
// that run.
type server struct {
	wmu sync.Mutex // one event at a time
	w   *bufio.Writer
	enc *json.Encoder

	mu        sync.Mutex
	running   map[uint64]context.CancelFunc
	abandoned chan struct{}
	once      sync.Once
}

// send writes one event.
func (s *server) send(ev event) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.enc.Encode(ev); err != nil {
		return err
	}
	return s.w.Flush()
}

// serve answers one request; execute, complete, inspect and is_complete
// run on goroutines of their own, so an interrupt is read while they run.
func (s *server) serve(rt script.Runtime, q request) {
	switch q.Op {
	case "execute":
		ctx, cancel := context.WithCancel(context.Background())
		s.mu.Lock()
		s.running[q.ID] = cancel
		s.mu.Unlock()
		go func() {
			mime, err := rt.Execute(ctx, q.Code)
			s.mu.Lock()
			delete(s.running, q.ID)
			s.mu.Unlock()
			cancel()
			w := encodeError(err)
			s.send(event{Op: "reply", ID: q.ID, MIME: mime, Error: w})
			if w != nil && w.Abandoned {
				s.once.Do(func() { close(s.abandoned) })
			}
		}()
	case "interrupt":
		s.mu.Lock()
		if cancel := s.running[q.ID]; cancel != nil {
			cancel()
		}
		s.mu.Unlock()
	case "complete":
		go func() {
			m, start, end := rt.Complete(q.Code, q.Cursor)
			s.send(event{Op: "reply", ID: q.ID, Matches: m, Start: start, End: end})
		}()
	case "inspect":
		go func() {
			doc, found := rt.Inspect(q.Code, q.Cursor)
			s.send(event{Op: "reply", ID: q.ID, Doc: doc, Found: found})
		}()
	case "is_complete":
		go func() {
			status, indent := rt.IsComplete(q.Code)
			s.send(event{Op: "reply", ID: q.ID, Status: status, Indent: indent})
		}()
	default:
		s.send(event{Op: "reply", ID: q.ID, Error: &wireError{Msg: fmt.Sprintf("worker: unknown request %q", q.Op)}})
	}
}

// output sends what cells show to the host as events.
func (s *server) output(progressAfter time.Duration) script.Output {
	return script.Output{
		Stdout: func(text string) { s.send(event{Op: "stdout", Text: text}) },
		Stderr: func(text string) { s.send(event{Op: "stderr", Text: text}) },
		Display: func(mime map[string]string, id string, update bool) {
			s.send(event{Op: "display", MIME: mime, DisplayID: id, Update: update})
		},
		Clear:         func(wait bool) { s.send(event{Op: "clear", Flag: wait}) },
		Progress:      func(text string, done bool) { s.send(event{Op: "progress", Text: text, Flag: done}) },
		ProgressAfter: progressAfter,
	}
}
