package script

import (
	"errors"
	"net/http"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// Error is an error an analyst can act on. Kind is one of the DSL's typed
// error names: InputError (bad column, filter or data), DisclosureError (a
// node's policy refused: the message names the node and the rule) or
// PeerError (a node failed or timed out: the message names it) or
// UnreachableError (the analyst's own node does not answer at all).
type Error struct {
	Kind string
	Msg  string
}

func (e *Error) Error() string { return e.Kind + ": " + e.Msg }

// The DSL's error kinds.
const (
	InputError       = "InputError"
	DisclosureError  = "DisclosureError"
	PeerError        = "PeerError"
	UnreachableError = "UnreachableError"
)

// errorKinds lists the DSL's error kinds, as both languages name them.
var errorKinds = []string{InputError, DisclosureError, PeerError, UnreachableError}

// typed turns a client error into the DSL's typed error.
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
		return &Error{Kind: UnreachableError, Msg: ue.Error()}
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
