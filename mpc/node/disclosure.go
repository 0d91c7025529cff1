package node

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// The release rules a node applies to its own rows in every dataset-backed
// computation, beyond the release memory (release_memory.go). Refusals say
// the rule and what to do, never which member refused: the node's audit
// log holds the detail.

// identifierColumns finds the columns of t that identify a person: the
// declared ones, and columns whose distinct values exceed the policy's
// level density (most values distinct). restricted says, for every such
// column, whether it may not even be filtered on (declared identifiers and
// categorical columns); a dense numeric column such as bmi may be filtered
// with comparisons but never tabulated.
func identifierColumns(t *stats.Table, declared []string, density float64) (map[string]bool, error) {
	out := map[string]bool{}
	for _, name := range declared {
		if _, err := t.Column(name); err != nil {
			return nil, fmt.Errorf("identifiers: %w", err)
		}
		out[name] = true
	}
	for _, c := range t.Columns {
		if out[c.Name] {
			continue
		}
		distinct, present := 0, 0
		if c.Kind == stats.Categorical {
			seen := make([]bool, c.Levels.Len())
			for _, v := range c.Cat {
				if v >= 0 {
					present++
					if !seen[v] {
						seen[v] = true
						distinct++
					}
				}
			}
		} else {
			seen := map[float64]bool{}
			for _, v := range c.Num {
				if !math.IsNaN(v) {
					present++
					seen[v] = true
				}
			}
			distinct = len(seen)
		}
		if present >= 2 && float64(distinct) > density*float64(present) {
			out[c.Name] = c.Kind == stats.Categorical
		}
	}
	return out, nil
}

// checkIdentifiers refuses a query that filters on an identifier or
// tabulates an identifier-like column.
func (n *Node) checkIdentifiers(q *query, filterCols []string) error {
	ids := n.idents[q.Dataset.Table]
	for _, c := range filterCols {
		if ids[c] {
			return errorf(http.StatusForbidden, "refused: identifier rule: %q identifies patients (declared, or most of its values are distinct) and cannot be used in a where filter; filter on other columns", c)
		}
	}
	if g, ok := microprotocols[q.Microprotocol].(grouper); ok {
		cols, shows := g.groupedBy(q.Microprotocol, &q.Dataset)
		for _, c := range cols {
			if isListed(ids, c) {
				return errorf(http.StatusForbidden, "refused: identifier rule: %q has mostly distinct values (level density above %g) or is declared an identifier, so %s would list patients; group it into fewer categories first", c, n.cfg.Policy.LevelDensity, shows)
			}
		}
	}
	return nil
}

// linkedAggregates is the number of released values that are functions of
// the same rows (its family's linker): a cohort's n must be at least
// rows_per_parameter times it.
func linkedAggregates(mp string, ds *DatasetRef, p *params) int {
	if l, ok := microprotocols[mp].(linker); ok {
		return l.linked(mp, ds, p)
	}
	return 0
}

// checkRules applies the per-statistic rules to this node's cohort of
// rows rows.
func (n *Node) checkRules(q *query, p *params, rows uint64) error {
	pol := n.cfg.Policy
	extremes := q.Microprotocol == "MinimumMaximum" || p.extremes
	if extremes && !pol.Extremes {
		return errorf(http.StatusForbidden, "refused: extremes rule: a minimum or maximum of node-held data is one patient's value, and a member node's policy does not release them (policy.extremes); ask for quantiles instead")
	}
	if k := linkedAggregates(q.Microprotocol, &q.Dataset, p); k > 0 && rows > 0 {
		need := uint64(math.Ceil(pol.RowsPerParameter * float64(k)))
		if rows < need {
			return errorf(http.StatusForbidden, "refused: linked aggregates rule: %s releases %d values computed from the same rows, which needs at least %d rows at every member node holding any (policy.rows_per_parameter=%g); widen the filter or use fewer columns", q.Microprotocol, k, need, pol.RowsPerParameter)
		}
	}
	return nil
}

// jointFlags tells every party which positions any party flagged, and
// nothing else: each party adds, for each position it flags, a uniformly
// random 64-bit word (0 where it does not), and the total, opened to
// every party, is 0 exactly where no party flagged (but with probability
// 2^-64 per flagged position). Neither the number of parties that
// flagged nor which did is revealed.
func jointFlags(ctx context.Context, s *mpc.Session, flags []bool) ([]bool, error) {
	v := make([]uint64, len(flags))
	buf := make([]byte, 8*len(flags))
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	for j, f := range flags {
		if f {
			v[j] = binary.LittleEndian.Uint64(buf[8*j:]) | 1 // never 0 on its own
		}
	}
	tot, err := mpc.SecureSum(ctx, s, v, s.Parties)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(tot))
	for j, t := range tot {
		out[j] = t != 0
		if out[j] {
			s.RecordOpened("suppressed")
		} else {
			s.RecordOpened("passes")
		}
	}
	return out, nil
}

// totalMargin is the margin of a histogram or frequency table: the rows
// of every cell kept.
func totalMargin(cells []releaseSet) func(keep []bool) []releaseSet {
	return func(keep []bool) []releaseSet {
		bms := make([]*roaring.Bitmap, len(cells))
		for j, c := range cells {
			bms[j] = c.rows
		}
		return []releaseSet{{what: "total", rows: union(bms, keep), whole: true}}
	}
}

func isListed(ids map[string]bool, c string) bool {
	_, ok := ids[c]
	return ok
}
