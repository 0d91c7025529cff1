package mpc

import (
	"errors"
	"fmt"
)

// PeerError reports a party that failed: it could not be reached, it sent
// nothing before the deadline, it sent something malformed, or it ended the
// session. Party names the party at fault.
type PeerError struct {
	Party string
	Step  string
	Err   error
}

func (e *PeerError) Error() string {
	if e.Step != "" {
		return fmt.Sprintf("%s (step %s): %v", e.Party, e.Step, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Party, e.Err)
}

func (e *PeerError) Unwrap() error { return e.Err }

// ErrAborted marks a session that a party ended on purpose; the PeerError
// that wraps it names that party and its reason.
var ErrAborted = errors.New("session aborted")

// ErrRefused marks a party's refusal by its policy. A refusal that ends a
// session travels in the abort message, so every party can tell a refusal
// from a failure.
var ErrRefused = errors.New("refused by policy")

// abortError is what a party's abort message turns into at the others.
type abortError struct {
	reason  string
	refused bool
}

func (e *abortError) Error() string {
	if e.refused {
		return e.reason
	}
	return "ended the session: " + e.reason
}

func (e *abortError) Unwrap() []error {
	if e.refused {
		return []error{ErrAborted, ErrRefused}
	}
	return []error{ErrAborted}
}

// ErrRejected marks a message a Hub refused: a duplicate, a replay, one for
// another party, or one beyond the hub's limits.
var ErrRejected = errors.New("message rejected")

func rejected(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}
