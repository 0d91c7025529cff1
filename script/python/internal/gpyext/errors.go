package gpyext

import (
	"fmt"
	"strings"

	"github.com/go-python/gpython/py"
)

// Exception types gpython lacks.
var (
	// RecursionError is CPython's RecursionError.
	RecursionError = NewExceptionType(py.RuntimeError, "RecursionError", "Recursion limit exceeded.")
	// jsonDecodeError is json.JSONDecodeError.
	jsonDecodeError = NewExceptionType(py.ValueError, "JSONDecodeError", "The text is not valid JSON.")
)

// NewExceptionType makes an exception class derived from base, which
// except clauses catch and type(e).__name__ names.
func NewExceptionType(base *py.Type, name, doc string) *py.Type {
	t := base.NewType(name, doc, nil, nil)
	// A subtype of a ready type inherits its READY flag and would never
	// get its MRO: clear it so that Ready readies it.
	t.Flags &^= py.TPFLAGS_READY
	t.Dict["__name__"] = py.String(name)
	if err := t.Ready(); err != nil {
		panic(fmt.Sprintf("gpyext: exception type %s: %v", name, err))
	}
	return t
}

// Interrupt is the exception a cancelled cell stops with.
func Interrupt() error {
	return py.ExceptionNewf(py.KeyboardInterrupt, "the cell was cancelled")
}

// Error is a Python exception as a host reports it.
type Error struct {
	// Kind is the exception's class name ("ValueError").
	Kind string
	// Msg is str(exception), as CPython shows it.
	Msg string
	// Where is the innermost line of a cell the traceback passes,
	// "line 3" or "line 3 in f"; "" when none.
	Where string
	// Exception is the exception itself, nil for an error that was not one.
	Exception *py.Exception
}

func (e *Error) Error() string { return e.Kind + ": " + e.Msg }

// Describe turns what gpython returned into an Error (an *Error as it is).
func Describe(err error) *Error {
	var exc *py.Exception
	var tb *py.Traceback
	switch e := err.(type) {
	case *Error:
		return e
	case py.ExceptionInfo:
		exc, _ = e.Value.(*py.Exception)
		tb = e.Traceback
		if exc == nil && e.Type != nil {
			return &Error{Kind: e.Type.Name, Msg: ReprString(e.Value)}
		}
	case *py.ExceptionInfo:
		return Describe(*e)
	case *py.Exception:
		exc = e
	}
	if exc == nil {
		return &Error{Kind: "SystemError", Msg: err.Error()}
	}
	return &Error{Kind: exc.Base.Name, Msg: ExceptionMessage(exc), Where: where(tb), Exception: exc}
}

// ExceptionMessage is str(exc), as CPython: the one argument, the tuple
// of several, the repr of a KeyError's key.
func ExceptionMessage(exc *py.Exception) string {
	args, _ := exc.Args.(py.Tuple)
	switch len(args) {
	case 0:
		return ""
	case 1:
		if s, ok := args[0].(py.String); ok && !exc.Base.IsSubtype(py.KeyError) {
			return string(s)
		}
		return ReprString(args[0])
	}
	return ReprString(args)
}

// where names the innermost line of a cell in a traceback.
func where(tb *py.Traceback) string {
	w := ""
	for ; tb != nil; tb = tb.Next {
		if tb.Frame == nil || tb.Frame.Code == nil || !strings.HasPrefix(tb.Frame.Code.Filename, "<cell") {
			continue
		}
		w = fmt.Sprintf("line %d", tb.Lineno)
		if name := tb.Frame.Code.Name; name != "<module>" && name != "" {
			w += " in " + name
		}
	}
	return w
}
