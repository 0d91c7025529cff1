package node

import (
	"context"
	"fmt"
	"strconv"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// rankCombiner is the Combiner of a computation among three or more
// parties: sums as mpc.Combiner makes them, and order statistics by the
// result-only rank search over Shamir shares (stats.Selector), which opens
// only the wanted values' bucket indices (and n where it is released).
// With two parties there is no honest majority, and the order statistics
// fall back to the search in which every party sees the pooled bucket
// counts (see the README's disclosure table).
type rankCombiner struct{ *mpc.Combiner }

// rankCombinerFor returns the combiner order statistics use over c's
// session.
func rankCombinerFor(c *mpc.Combiner) stats.Combiner {
	if len(c.Session.Parties) < 3 {
		return c
	}
	return rankCombiner{c}
}

// Selection starts a result-only rank search on a fresh Shamir handle over
// the session.
func (c rankCombiner) Selection(ctx context.Context, buckets int) (stats.Selection, error) {
	sh, err := mpc.NewShamir(c.Session)
	if err != nil {
		return nil, err
	}
	rs, err := mpc.NewRankSelect(sh, buckets)
	if err != nil {
		return nil, err
	}
	s := &rankSelection{rs: rs}
	if len(c.Deciders) != len(c.Session.Parties) {
		s.last = c.Deciders[0]
	}
	return s, nil
}

// rankSelection adapts mpc.RankSelect to stats.Selection.
type rankSelection struct {
	rs   *mpc.RankSelect
	last string // who the last round opens to; "" for every party
}

func (s *rankSelection) Pool(ctx context.Context, counts []int64) error {
	return s.rs.Pool(ctx, counts)
}

func (s *rankSelection) OpenCount(ctx context.Context) (int64, error) {
	return s.rs.OpenCount(ctx)
}

func (s *rankSelection) Target(ctx context.Context, ranks, checks []stats.RankForm, rounds int) ([]bool, error) {
	conv := func(f []stats.RankForm) []mpc.RankForm {
		out := make([]mpc.RankForm, len(f))
		for i, x := range f {
			out[i] = mpc.RankForm(x)
		}
		return out
	}
	return s.rs.Target(ctx, conv(ranks), conv(checks), rounds)
}

func (s *rankSelection) Select(ctx context.Context, group []int, last bool, ahead []int64) ([]int, error) {
	to := ""
	if last {
		to = s.last
	}
	return s.rs.Select(ctx, group, to, ahead)
}

// agreeMargin makes the min_cell that a rule checked inside MPC uses (the
// order-statistic rule's margin, the threshold of pooled counts) the same
// at every party of a dataset-backed computation: the leader, which
// learned every member's min_cell when it accepted, sends the largest to
// the members, and a member refuses a value below its own min_cell (a
// leader cannot loosen a member's rule). Over the parties' own data there
// is no rule, and nothing is sent.
func agreeMargin(ctx context.Context, e *env) (int, error) {
	if e.plan == nil {
		return e.margin, nil
	}
	step := e.s.Step("margin")
	leader := e.c.Deciders[0]
	if e.s.Self == leader {
		// A member that cannot take the margin (it ended the session: its
		// rule refused at once) makes the search fail at its first step;
		// the leader goes on to find the refusal itself.
		body := []byte(strconv.Itoa(e.margin))
		for _, p := range e.s.Others() {
			_ = e.s.Send(ctx, p, step, body)
		}
		return e.margin, nil
	}
	body, err := e.s.Recv(ctx, leader, step)
	if err != nil {
		return 0, err
	}
	m, err := strconv.Atoi(string(body))
	if err != nil || m < e.margin || m > 1<<20 {
		return 0, fmt.Errorf("%s refused: the leader %s set the min_cell of the rules checked inside MPC to %q, below this node's min_cell %d", e.s.Self, leader, body, e.margin)
	}
	return m, nil
}
