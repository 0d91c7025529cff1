package node

import (
	"context"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

func init() {
	register("SetIntersection", sets{items: true})
	register("SetIntersectionSize", sets{})
}

// sets is the family of private set intersection: SetIntersection (the
// items every party holds) and SetIntersectionSize (only how many). Each
// party's set is the intersection of the sets its client gives, as the
// FSC reference reads them. It runs on client-supplied data only.
//
// What it reveals, to every party: the intersection (or its size), every
// party's set size and the equality pattern of the parties' encrypted
// items, so each party's pairwise intersection with every other party
// too (see mpc.SetIntersection and mpc.SetIntersectionSize).
type sets struct {
	ownDataOnly
	items bool // SetIntersection, not SetIntersectionSize
}

// items is a party's set.
type items []string

func (items) cohort() int { return 0 }

func (sets) own(data any, limit int) (input, error) {
	s, err := ownSets(data, limit)
	return items(s), err
}

func (f sets) run(ctx context.Context, e *env, in input, p *params) (map[string]any, error) {
	if !f.items {
		size, err := mpc.SetIntersectionSize(ctx, e.s, in.(items))
		if err != nil {
			return nil, err
		}
		e.s.RecordOpened(size)
		return intersectionShape(nil, size, false), nil
	}
	common, err := mpc.SetIntersection(ctx, e.s, in.(items))
	if err != nil {
		return nil, err
	}
	for _, item := range common {
		e.s.RecordOpened(item)
	}
	return intersectionShape(common, len(common), true), nil
}
