package script

import (
	"errors"
	"net/http"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// Error is an error an analyst can act on. Kind is one of the DSL's typed
// error names: InputError (bad column, filter or data), DisclosureError (a
// node's policy refused: the message names the node and the rule) or
// PeerError (a node failed or timed out: the message names it).
type Error struct {
	Kind string
	Msg  string
}

func (e *Error) Error() string { return e.Kind + ": " + e.Msg }

// The DSL's error kinds.
const (
	InputError      = "InputError"
	DisclosureError = "DisclosureError"
	PeerError       = "PeerError"
)

// typed turns a client error into the DSL's typed error.
func typed(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		switch {
		case ce.Refused():
			return &Error{Kind: DisclosureError, Msg: ce.Message}
		case ce.PeerFailed() || ce.Status >= 500:
			return &Error{Kind: PeerError, Msg: ce.Message}
		case ce.Status >= 400 && ce.Status != http.StatusUnauthorized:
			return &Error{Kind: InputError, Msg: ce.Message}
		}
	}
	return &Error{Kind: PeerError, Msg: err.Error()}
}

func inputError(format string, args ...any) error {
	return &Error{Kind: InputError, Msg: sprintf(format, args...)}
}
