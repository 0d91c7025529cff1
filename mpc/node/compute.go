package node

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// compute runs one checked request and returns the FSC answer
// {"inputs": parties, "result": {...}}.
func (n *Node) compute(ctx context.Context, req *Request) (map[string]any, error) {
	if req.Dataset == nil {
		return n.joinNetwork(ctx, req) // checks the policy, and tells the other parties of a refusal
	}
	if !n.allows(req.Microprotocol) {
		return nil, errorf(http.StatusForbidden, "%s refused: policy microprotocols: %s is not allowed at this node", n.self, req.Microprotocol)
	}
	return n.lead(ctx, req)
}

// digest binds a session's messages to what its parties agreed to compute.
func digest(parts ...any) [16]byte {
	b, _ := json.Marshal(parts)
	h := sha256.Sum256(b)
	return [16]byte(h[:16])
}

// asAPIError turns an error into the answer the client gets: a refusal by
// any party's policy is a 403 with that party's words; a failed or vanished
// party a 502 naming it; a cancelled call a 400; anything a statistic
// rejects (no values, collinear regressors, ...) a 400.
func asAPIError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var pe *mpc.PeerError
	var de *stats.DisclosureError
	switch {
	case errors.As(err, &de):
		return errorf(http.StatusForbidden, "%s", de.Error())
	case errors.Is(err, mpc.ErrRefused) && errors.As(err, &pe):
		return errorf(http.StatusForbidden, "%s", innermost(pe).Err.Error())
	case errors.Is(err, context.Canceled):
		return errorf(http.StatusBadRequest, "cancelled: %v", err)
	case errors.As(err, &pe):
		return errorf(http.StatusBadGateway, "computation failed: %v", err)
	}
	return errorf(http.StatusBadRequest, "%v", err)
}

func outcomeOf(err error) string {
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Code == http.StatusForbidden:
		return "refused"
	case errors.Is(err, context.Canceled), errors.As(err, &ae) && strings.HasPrefix(ae.Msg, "cancelled"):
		return "cancelled"
	}
	return "failed"
}

func reply(parties int, result map[string]any) map[string]any {
	return map[string]any{"inputs": parties, "result": result}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprint(err)
}

// ruleDetail is what the audit log keeps of a refusal beyond its text.
func ruleDetail(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Detail
	}
	return ""
}

// publicReason is what the other parties are told when this party stops a
// computation. A refusal (it names the node and the rule) and another
// party's failure pass as they are; anything else may describe this party's
// own input, so it passes without detail.
func (n *Node) publicReason(err error) error {
	var pe *mpc.PeerError
	var ae *apiError
	var de *stats.DisclosureError
	switch {
	case errors.Is(err, mpc.ErrRefused) && errors.As(err, &pe):
		// Another party's refusal, relayed in its own words: the chain
		// around it would name that party.
		return innermost(pe).Err
	case errors.Is(err, mpc.ErrRefused), errors.As(err, &pe):
		return err
	case errors.As(err, &de):
		// A rule every party applies alike, on what every party learned:
		// its words name no party and no party's data.
		return fmt.Errorf("%s: %w", de.Error(), mpc.ErrRefused)
	case errors.As(err, &ae) && ae.Code == http.StatusBadGateway:
		return err // names a peer that failed
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("the computation was cancelled at %s", n.self)
	}
	return fmt.Errorf("the input given to %s was rejected", n.self)
}

// innermost is the PeerError deepest in pe's chain: a refusal relayed from
// party to party is wrapped once at each, and only the words of the party
// that refused, without any party's name, are passed on.
func innermost(pe *mpc.PeerError) *mpc.PeerError {
	for {
		var inner *mpc.PeerError
		if !errors.As(pe.Err, &inner) {
			return pe
		}
		pe = inner
	}
}
