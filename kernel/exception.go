package kernel

import (
	"context"
	"errors"
	"strings"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// errorContent is how a failed cell shows: the content of an error
// message, and the error fields of its execute_reply.
type errorContent struct {
	Ename     string   `json:"ename"`
	Evalue    string   `json:"evalue"`
	Traceback []string `json:"traceback"`
}

// errorOf describes what Execute returned: a typed DSL error or a
// language's exception by its name, an interrupted cell by the name its
// language gives it (interrupted). The traceback is short: the error's
// lines, with the line of the cell where the message names one, never a
// Go stack.
func errorOf(err error, interrupted string) errorContent {
	var e errorContent
	var se *script.Error
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		e.Ename, e.Evalue = interrupted, "interrupted"
		if msg := err.Error(); msg != context.Canceled.Error() && msg != context.DeadlineExceeded.Error() {
			e.Evalue += ": " + msg // e.g. the Python session had to restart
		}
	case errors.As(err, &se):
		e.Ename, e.Evalue = se.Kind, se.Msg
	default:
		e.Ename, e.Evalue = "Error", err.Error()
	}
	first := e.Ename
	if e.Evalue != "" {
		first += ": " + e.Evalue
	}
	e.Traceback = strings.Split(strings.TrimRight(first, "\n"), "\n")
	return e
}
