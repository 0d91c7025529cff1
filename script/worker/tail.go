package worker

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// fatalPrefixes begin the lines in which the Go runtime says why a process
// dies.
var fatalPrefixes = [][]byte{[]byte("fatal error:"), []byte("panic:"), []byte("runtime: out of memory")}

// maxLine is how much of a line of a worker's stderr is looked at.
const maxLine = 512

// tail passes a worker's stderr on to the host's and remembers the first
// line that says why the worker died.
type tail struct {
	to    io.Writer
	mu    sync.Mutex
	line  []byte // the start of the line being written
	found string
}

// newTail passes on to to, or to the host's stderr when to is nil.
func newTail(to io.Writer) *tail {
	if to == nil {
		to = os.Stderr
	}
	return &tail{to: to}
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	for rest := b; len(rest) > 0 && t.found == ""; {
		i := bytes.IndexByte(rest, '\n')
		chunk := rest
		if i >= 0 {
			chunk, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if room := maxLine - len(t.line); room > 0 {
			t.line = append(t.line, chunk[:min(room, len(chunk))]...)
		}
		if i >= 0 {
			t.check()
		}
	}
	t.mu.Unlock()
	t.to.Write(b)
	return len(b), nil
}

// check looks at the line just ended.
func (t *tail) check() {
	l := bytes.TrimSpace(t.line)
	for _, p := range fatalPrefixes {
		if bytes.HasPrefix(l, p) {
			t.found = string(l)
		}
	}
	t.line = t.line[:0]
}

// fatal is the first line in which the Go runtime reported a fatal error
// or a panic, or "".
func (t *tail) fatal() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.found
}
