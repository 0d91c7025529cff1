package gpyext

import (
	"strings"
	"sync"
	"time"

	"github.com/go-python/gpython/py"
)

// streamType is the type of sys.stdout and sys.stderr.
var streamType = py.NewType("TextIO", "A text stream writing to the notebook's (or study's) output.")

func init() {
	streamType.Dict["write"] = py.MustNewMethod("write", func(self, arg py.Object) (py.Object, error) {
		s, ok := arg.(py.String)
		if !ok {
			return nil, py.ExceptionNewf(py.TypeError, "write() argument must be str, not %s", arg.Type().Name)
		}
		self.(*stream).sink.write(string(s))
		return py.Int(len([]rune(string(s)))), nil
	}, 0, "write(text) -> number of characters written")
	streamType.Dict["flush"] = py.MustNewMethod("flush", func(self py.Object) (py.Object, error) {
		self.(*stream).sink.flush()
		return py.None, nil
	}, 0, "flush() -> None: send what was written")
	streamType.Dict["isatty"] = py.MustNewMethod("isatty", func(self py.Object) (py.Object, error) {
		return py.False, nil
	}, 0, "isatty() -> False")
}

// stream is sys.stdout or sys.stderr: both write to the host's output.
type stream struct{ sink *sink }

// Type is TextIO.
func (s *stream) Type() *py.Type { return streamType }

// sink buffers a cell's printed text and sends it in batches: when 50 ms
// have passed since the first unsent write, before every call the host
// flushes for, and when the cell ends.
type sink struct {
	send  func(string) // nil drops the text
	other *sink        // the other stream: flushed first, to keep the order

	mu    sync.Mutex
	buf   strings.Builder
	timer *time.Timer
	dead  bool
}

const sinkDelay = 50 * time.Millisecond

func (s *sink) write(text string) {
	if text == "" {
		return
	}
	if s.other != nil {
		s.other.flush()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead {
		return
	}
	s.buf.WriteString(text)
	if s.buf.Len() >= 1<<16 {
		s.sendLocked()
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(sinkDelay, s.flush)
	}
}

func (s *sink) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendLocked()
}

func (s *sink) sendLocked() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.buf.Len() == 0 || s.dead {
		return
	}
	text := s.buf.String()
	s.buf.Reset()
	if s.send != nil {
		s.send(text)
	}
}

// kill sends what is buffered and drops whatever comes later (from a cell
// that was abandoned).
func (s *sink) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendLocked()
	s.dead = true
}
