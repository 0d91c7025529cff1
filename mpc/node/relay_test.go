package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// A refusal relayed from member to member reaches the analyst, and the
// other members, in the refusing member's words only: no wrapping on the
// way names a hospital.
func TestRelayedRefusalNamesNoMember(t *testing.T) {
	words := fmt.Errorf("refused: order-statistic rule: the median would come from among the 5 smallest values: %w", mpc.ErrRefused)
	for _, err := range []error{
		&mpc.PeerError{Party: "hospital-b", Err: words},
		&mpc.PeerError{Party: "hospital-c", Err: &mpc.PeerError{Party: "hospital-b", Err: words}},
		fmt.Errorf("rank search: %w", &mpc.PeerError{Party: "hospital-c", Step: "s", Err: &mpc.PeerError{Party: "hospital-b", Err: words}}),
	} {
		api := asAPIError(err)
		var ae *apiError
		if !errors.As(api, &ae) || ae.Code != 403 || strings.Contains(ae.Msg, "hospital") || !strings.HasPrefix(ae.Msg, "refused") {
			t.Errorf("%v: the analyst gets %v", err, api)
		}
		n := &Node{self: "hospital-a"}
		if r := n.publicReason(err); strings.Contains(r.Error(), "hospital") || !errors.Is(r, mpc.ErrRefused) {
			t.Errorf("%v: the other members are told %v", err, r)
		}
	}
}
