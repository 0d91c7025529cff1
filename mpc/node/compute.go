package node

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// compute runs one checked request and returns the FSC answer
// {"inputs": parties, "result": {...}}.
func (n *Node) compute(ctx context.Context, req *Request) (map[string]any, error) {
	if !n.allows(req.Microprotocol) {
		return nil, errorf(http.StatusForbidden, "%s refused: policy microprotocols: %s is not allowed at this node", n.self, req.Microprotocol)
	}
	if req.Dataset != nil {
		return n.lead(ctx, req)
	}
	return n.joinNetwork(ctx, req)
}

// digest binds a session's messages to what its parties agreed to compute.
func digest(parts ...any) [16]byte {
	b, _ := json.Marshal(parts)
	h := sha256.Sum256(b)
	return [16]byte(h[:16])
}

// secureTotal runs the secure sum of an encoded aggregate over sess and
// decodes the total (nil at a party that is not told the total).
func secureTotal(ctx context.Context, sess *mpc.Session, enc []uint64, reveal []string) ([]float64, error) {
	total, err := mpc.SecureSum(ctx, sess, enc, reveal)
	if err != nil || total == nil {
		return nil, err
	}
	return mpc.DecodeReals(total)
}

// asAPIError turns an engine error into the answer the client gets: a
// failed or vanished party is a 502 naming it; a cancelled call a 499-like
// 400.
func asAPIError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return errorf(http.StatusBadRequest, "cancelled: %v", err)
	}
	var pe *mpc.PeerError
	if errors.As(err, &pe) {
		return errorf(http.StatusBadGateway, "computation failed: %v", err)
	}
	return errorf(http.StatusInternalServerError, "%v", err)
}

func outcomeOf(err error) string {
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusForbidden {
		return "refused"
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

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
