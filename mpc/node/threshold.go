package node

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// The min_cell rule on released counts (histogram bins, frequency and
// crosstab cells, a Count's cohort) is checked on the pooled count, inside
// MPC (mpc.PassThreshold): each member shares its own count, the pooled
// count stays shared, and only "passes" or "suppressed" is opened, to
// every member. A pooled count of 0 passes and is released as 0. The
// threshold is the members' largest min_cell (agreeMargin), so every
// member's rule holds. A member's own count may lie between 1 and
// min_cell − 1 inside a pooled count that passes: no member, and not the
// analyst, learns from a suppression that some member holds few rows.
//
// The release memory stays with each member, on its own rows: a cell
// whose rows here come within min_cell − 1 of a row set released or
// refused before (or leave out 1 to min_cell − 1 rows of the table) is
// flagged, and the flags enter the check as an OR inside MPC, so nobody
// learns which member flagged, how many did, or whether a cell was
// suppressed for its count or for a flag.
//
// Dataset queries need three or more members (minMembers), so this
// always runs with an honest majority. Threat model: that of Shamir
// sharing, private against any coalition of fewer than half of the
// members, and a member that reports its own counts truly (one that adds
// rows it does not hold can push a small cell over the threshold).
//
// A member's total, the rows of all its kept cells, is checked and
// remembered even when empty, as a Count's cohort is: otherwise a second
// table whose filter leaves one member no rows at all, and every other
// member the same rows, would show by difference the 1 to min_cell − 1
// rows that member held in a released cell of the first (and the same
// two tables asked in the other order). Once a member has released an
// empty total, its later cells of 1 to min_cell − 1 rows are flagged.
//
// Known limit: an empty cell, and an empty row or column margin, is
// neither checked nor remembered. A cell that holds 1 to min_cell − 1
// rows of one member in one release and none of them in a second, with
// every other member's rows the same and that member's other cells
// moving by min_cell rows or more (else its total is refused), shows
// those few rows by difference. Closing it needs the memory itself
// inside MPC.

// pooledMinCell says whether mp's released counts are checked against
// min_cell on the pooled count (its family is a pooledCounter).
func pooledMinCell(mp string) bool {
	f, ok := microprotocols[mp].(pooledCounter)
	return ok && f.checksPooled(mp)
}

// releaseCells decides jointly which cells of a table of counts are
// released: a cell passes when its pooled count is 0 or at least min_cell
// and no member's release memory flags it; a cell that does not is
// suppressed at every member. margins gives, from the cells kept, the
// other row sets the released table shows (its total, a crosstab's row
// and column sums); every member checks these and its rows of the kept
// cells against its memory, refusing the whole table if suppression
// cannot be made consistent, and reserves them.
func releaseCells(ctx context.Context, e *env, cells []releaseSet, margins func(keep []bool) []releaseSet) ([]bool, error) {
	sh, err := mpc.NewShamir(e.s.Sub("suppress"))
	if err != nil {
		return nil, err
	}
	// The threshold is agreed and the check's randomness made while this
	// node checks its cells against its memory.
	var minCell int
	ready := make(chan error, 1)
	go func() {
		var err error
		if minCell, err = agreeMargin(ctx, e); err == nil {
			err = sh.PrepareThreshold(ctx, len(cells), int64(minCell))
		}
		ready <- err
	}()
	t := e.plan.mem
	counts := make([]int64, len(cells))
	flags := make([]bool, len(cells))
	// probes are the cells this node remembers as refused sets once the
	// table is decided: those its memory flags for coming near a row set
	// seen before, and its few rows of a suppressed cell, as the rows of
	// a small cohort are, so that the line between suppressed and
	// released cannot be walked a row at a time here. They are remembered
	// after the table's own sets are checked: the sets of one table are
	// not compared with each other (tableMemory.check).
	var probes []*roaring.Bitmap
	defer func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		for _, p := range probes {
			t.remember(setOf(p))
		}
	}()
	t.mu.Lock()
	for j, c := range cells {
		v := setOf(c.rows)
		counts[j] = int64(v.card)
		if v.card == 0 || t.same(v, false) {
			continue
		}
		if why, _ := t.conflict(v, true); why != "" {
			flags[j] = true
			if rememberable(why) {
				probes = append(probes, c.rows)
			}
		}
	}
	t.mu.Unlock()
	if err := <-ready; err != nil {
		return nil, err
	}
	keep, err := sh.PassThreshold(ctx, counts, flags, int64(minCell))
	if err != nil {
		return nil, err
	}
	if len(keep) != len(cells) {
		return nil, fmt.Errorf("suppression: %d verdicts for %d cells", len(keep), len(cells))
	}
	for j, c := range cells {
		if !keep[j] && !flags[j] && counts[j] > 0 && counts[j] < int64(minCell) {
			probes = append(probes, c.rows)
		}
	}
	var sets []releaseSet
	for j, c := range cells {
		if keep[j] && !c.rows.IsEmpty() {
			c.pooled = true
			sets = append(sets, c)
		}
	}
	shown := len(sets) // the cells kept
	var total *rowSet
	for _, m := range margins(keep) {
		// An empty row or column margin is not checked (see the known
		// limit above); an empty total is, against the few rows this node
		// may have shown before.
		if !m.rows.IsEmpty() || m.whole {
			m.pooled = true // a sum of kept cells: its pooled count is 0 or min_cell or more
			sets = append(sets, m)
		}
		if m.whole {
			total = setOf(m.rows)
		}
	}
	// With three cells or more, the total less one cell or margin (the
	// sum of all the others) shows its rows too: a summary of each. The
	// total's hash is the sum of its cells' (rowSet), each hashed once.
	if total != nil && shown >= 3 {
		less := make([]*rowSet, len(sets))
		for i, c := range sets {
			less[i] = setOf(c.rows)
			if i < shown {
				total.hash += less[i].rowHash(t.key)
			}
		}
		total.hashed = true
		for i, c := range sets {
			if !c.whole {
				sets = append(sets, releaseSet{what: "total less " + c.what, set: total.minus(less[i]), pooled: true})
			}
		}
	}
	res, err := t.reserve(sets)
	if err != nil {
		r := err.(*refusal)
		r.analyst += " (suppressing the small cells would not hide them: merge bins or categories)"
		return nil, refused(r)
	}
	e.plan.res = res
	return keep, nil
}

// passCohort checks a cohort's pooled count against min_cell inside MPC
// before it is released (Count over node-held data): only whether it
// passes is opened, and a pooled count of 1 to min_cell − 1 is refused at
// every member alike, naming none. This node's rows of the cohort were
// checked against its release memory, and reserved, before the query was
// accepted (prepare).
func passCohort(ctx context.Context, e *env, rows int) error {
	minCell, err := agreeMargin(ctx, e)
	if err != nil {
		return err
	}
	sh, err := mpc.NewShamir(e.s.Sub("threshold"))
	if err != nil {
		return err
	}
	pass, err := sh.PassThreshold(ctx, []int64{int64(rows)}, []bool{false}, int64(minCell))
	if err != nil {
		return err
	}
	if !pass[0] {
		return &stats.DisclosureError{Rule: fmt.Sprintf("policy min_cell=%d: the cohort holds between 1 and %d rows of all members together; widen the filter", minCell, minCell-1)}
	}
	return nil
}
