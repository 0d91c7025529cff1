package mpc

import (
	"errors"
	"strings"
)

// pastDeadline reports whether err is a session's deadline passing: a
// Recv that waited the session's whole Timeout for a party (see
// Session.Recv). Tests of failures that must come at once (a dead party,
// a refusal, an input over a limit) check that their error is not this
// one, instead of timing the failure against the wall clock; the timeout
// they give the session is the bound, and the kind of error shows whether
// it was reached. TestDeadlineNamesSilentParty keeps this helper honest:
// there the deadline must pass, and pastDeadline must say so.
func pastDeadline(err error) bool {
	var pe *PeerError
	return errors.As(err, &pe) && pe.Err != nil && strings.Contains(pe.Err.Error(), "did not answer within")
}
