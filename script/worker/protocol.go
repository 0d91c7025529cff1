package worker

import (
	"context"
	"errors"
	"time"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// The host and its worker exchange one JSON object per line: the host
// writes requests on the worker's stdin, the worker writes events and
// replies on its stdout. Output events of a cell come before its reply.

// request is what the host asks of the worker.
type request struct {
	ID     uint64 `json:"id"`
	Op     string `json:"op"` // start (first), execute, interrupt, complete, inspect, is_complete
	Code   string `json:"code,omitempty"`
	Cursor int    `json:"cursor,omitempty"`
	// ProgressAfter is the Output's ProgressAfter, sent with start.
	ProgressAfter time.Duration `json:"progress_after,omitempty"`
}

// event is what the worker sends: a reply to request ID (Op "reply"), the
// language it speaks (Op "hello", first), or output of the running cell.
type event struct {
	Op string `json:"op"`
	ID uint64 `json:"id,omitempty"`

	// hello
	Language *script.LanguageInfo `json:"language,omitempty"`

	// stdout, stderr, progress
	Text string `json:"text,omitempty"`
	// display
	MIME   map[string]string `json:"mime,omitempty"`
	Update bool              `json:"update,omitempty"`
	// display (its id), clear (wait), progress (done)
	DisplayID string `json:"display_id,omitempty"`
	Flag      bool   `json:"flag,omitempty"`

	// reply to execute
	Error *wireError `json:"error,omitempty"`
	// reply to complete
	Matches    []string `json:"matches,omitempty"`
	Start, End int      `json:",omitempty"`
	// reply to inspect (Found) and is_complete (Status, Indent)
	Doc    string `json:"doc,omitempty"`
	Found  bool   `json:"found,omitempty"`
	Status string `json:"status,omitempty"`
	Indent string `json:"indent,omitempty"`
}

// wireError is an error of a cell as it crosses the pipe.
type wireError struct {
	Kind string `json:"kind,omitempty"` // a script.Error's kind
	Msg  string `json:"msg"`
	// Interrupted marks a cancelled cell; Abandoned one whose interpreter
	// was left running inside a builtin call.
	Interrupted bool `json:"interrupted,omitempty"`
	Abandoned   bool `json:"abandoned,omitempty"`
}

// encodeError is err as it crosses the pipe.
func encodeError(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Msg: err.Error()}
	var se *script.Error
	var ab *script.Abandoned
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		w.Interrupted = true
		w.Abandoned = errors.As(err, &ab)
	case errors.As(err, &se):
		w.Kind, w.Msg = se.Kind, se.Msg
	}
	return w
}

// decode is the error the worker sent, as the Runtime interface returns
// it: an interrupt is context.Canceled to errors.Is, with the worker's text.
func (w *wireError) decode() error {
	switch {
	case w == nil:
		return nil
	case w.Interrupted:
		return interrupted(w.Msg)
	case w.Kind != "":
		return &script.Error{Kind: w.Kind, Msg: w.Msg}
	}
	return errors.New(w.Msg)
}

// interrupted is a cancelled cell's error, as its worker worded it.
type interrupted string

func (e interrupted) Error() string { return string(e) }

// Is makes an interrupt context.Canceled to errors.Is.
func (e interrupted) Is(target error) bool { return target == context.Canceled }
