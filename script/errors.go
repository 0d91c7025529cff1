package script

import (
	"errors"
	"net/http"
	"slices"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// Error is an error an analyst can act on. Kind is one of the DSL's typed
// error names: InputError (bad column, filter or data), DisclosureError (a
// node's policy refused: the message names the node and the rule),
// PeerError (a node failed or timed out: the message names it),
// UnreachableError (the analyst's own node does not answer at all) or
// AuthError (the analyst's own node does not accept the analyst's token).
// A binding's own errors (SyntaxError, KeyboardInterrupt...) carry the
// language's name as Kind.
type Error struct {
	Kind  string
	Msg   string
	cause error // what the node or the network said, for errors.Is/As
}

// Error is the kind and the message: "DisclosureError: ...".
func (e *Error) Error() string { return e.Kind + ": " + e.Msg }

// Unwrap returns the error this one was made from, if any: for an error
// of the node, the *client.Error or *client.UnreachableError.
func (e *Error) Unwrap() error { return e.cause }

// The DSL's error kinds.
const (
	InputError       = "InputError"
	DisclosureError  = "DisclosureError"
	PeerError        = "PeerError"
	UnreachableError = "UnreachableError"
	AuthError        = "AuthError"
)

// errorKinds lists the DSL's error kinds, as both languages name them.
var errorKinds = []string{InputError, DisclosureError, PeerError, UnreachableError, AuthError}

// ErrorKinds returns the DSL's error kinds, for a binding to name them
// (fsc.InputError, ...).
func ErrorKinds() []string { return slices.Clone(errorKinds) }

// typed turns a client error into the DSL's typed error, which wraps it.
func typed(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ue *client.UnreachableError
	if errors.As(err, &ue) {
		return &Error{Kind: UnreachableError, Msg: ue.Error(), cause: err}
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		switch {
		case ce.Refused():
			return &Error{Kind: DisclosureError, Msg: ce.Message, cause: err}
		case ce.PeerFailed() || ce.Status >= 500:
			return &Error{Kind: PeerError, Msg: ce.Message, cause: err}
		case ce.Status == http.StatusUnauthorized:
			return &Error{Kind: AuthError, Msg: "your node did not accept you: " + ce.Message + " (set FSC_TOKEN to the token its owner gave you)", cause: err}
		case ce.Status >= 400:
			return &Error{Kind: InputError, Msg: ce.Message, cause: err}
		}
	}
	return &Error{Kind: PeerError, Msg: err.Error(), cause: err}
}

// InputErrorf is an InputError with a formatted message: what a binding
// says of arguments it cannot convert.
func InputErrorf(format string, args ...any) error {
	return &Error{Kind: InputError, Msg: sprintf(format, args...)}
}

// withMessage is e with another message, wrapping what e wraps.
func (e *Error) withMessage(msg string) *Error {
	return &Error{Kind: e.Kind, Msg: msg, cause: e.cause}
}
