package node

import (
	"context"
	"errors"
	"math"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// microprotocol is one computation the node offers, by its FSC name. A
// party's input comes from its client's own data (own, the FSC way) or
// from its rows of a node-held dataset (table, within the query's filter:
// rows nil is every row); run then computes the answer with the other
// parties and returns it, in its FSC shape (shapes.go), at the parties
// that see it and nil at the others.
//
// Each family of statistics is one type in a file of its own, which
// implements this interface for each of its microprotocols: sums and
// counts (sums.go), moments (moments.go), order statistics
// (order_stats.go), tables of counts (count_tables.go), bivariate
// statistics and regression (linear.go), sets (sets.go), GLMs (glm.go)
// and survival analysis (survival.go). A family that takes only one of the two forms of data embeds
// nodeHeldOnly or ownDataOnly.
type microprotocol interface {
	own(data any, limit int) (input, error)
	table(t *stats.Table, rows []bool, ds *DatasetRef) (input, error)
	run(ctx context.Context, e *env, in input, p *params) (map[string]any, error)
}

// A family implements these when its microprotocols need them; the node
// asks through them, so that adding a statistic touches its family's
// file only.
type (
	// paramTaker is a family whose microprotocols take parameters:
	// paramKeys lists those mp takes (any other key is an error), and
	// parseParams checks them into p under the node's policy.
	paramTaker interface {
		paramKeys(mp string) []string
		parseParams(pol *Policy, mp string, raw map[string]any, p *params) error
	}
	// releaser is a family whose answer over node-held data releases
	// more than its cohort (cells, levels): planRelease adds those row
	// sets of cols within plan.cohort to plan.
	releaser interface {
		planRelease(mp string, ix *rowIndex, cols []*stats.Column, p *params, plan *releasePlan) error
	}
	// linker is a family that releases several values computed from the
	// same rows: linked is how many, for the linked aggregates rule.
	linker interface {
		linked(mp string, ds *DatasetRef, p *params) int
	}
	// grouper is a family whose answer shows values by the levels of
	// some columns: groupedBy names them, and what the answer shows by
	// them, for the identifier rule.
	grouper interface {
		groupedBy(mp string, ds *DatasetRef) (cols []string, shows string)
	}
	// selfReserving is a family that checks and reserves its released
	// row sets in the release memory itself, during its run (tables of
	// counts, survival grids), instead of the cohort being reserved
	// before the run.
	selfReserving interface {
		reservesItself()
	}
)

// input is one party's checked data for a microprotocol, of the type its
// family reads. cohort is the number of rows it covers, which the min_cell
// rule checks before the computation starts (0: nothing to check there;
// the computation checks what it releases itself).
type input interface {
	cohort() int
}

// microprotocols lists every microprotocol by its FSC name; each family's
// file registers its own.
var microprotocols = map[string]microprotocol{}

// register adds a microprotocol under its FSC name, from a family file's
// init.
func register(name string, m microprotocol) { microprotocols[name] = m }

// env is what a microprotocol runs with at one party.
type env struct {
	c    *mpc.Combiner
	rank stats.Combiner // what order statistics run on (rankCombinerFor)
	s    *mpc.Session
	open bool // every party gets the answer (the FSC way)
	// Over node-held data: what this node would release of its rows, and
	// the order-statistic rule's margin (the members' largest min_cell).
	plan   *releasePlan
	margin int
}

// Why a microprotocol cannot take a form of data.
var (
	errNodeHeldOnly = errors.New("runs on node-held data only: give dataset instead of data")
	errOwnDataOnly  = errors.New("works on each party's own data only: give data and network instead of dataset")
)

// nodeHeldOnly is embedded by a family that runs on datasets only.
type nodeHeldOnly struct{}

func (nodeHeldOnly) own(any, int) (input, error) { return nil, errNodeHeldOnly }
func (nodeHeldOnly) takesNoOwnData()             {}

// ownDataOnly is embedded by a family that runs on its parties' own data
// only.
type ownDataOnly struct{}

func (ownDataOnly) table(*stats.Table, []bool, *DatasetRef) (input, error) {
	return nil, errOwnDataOnly
}
func (ownDataOnly) takesNoDataset() {}

// takesOwnData reports whether mp runs on client-supplied data.
func takesOwnData(mp microprotocol) bool {
	_, no := mp.(interface{ takesNoOwnData() })
	return !no
}

// takesDataset reports whether mp runs on node-held datasets.
func takesDataset(mp microprotocol) bool {
	_, no := mp.(interface{ takesNoDataset() })
	return !no
}

// noCohort is the input of a node-held computation whose release plan
// holds what it needs (the cells of a table of counts).
type noCohort struct{}

func (noCohort) cohort() int { return 0 }

// encodeAggregate checks that an aggregate can be shared and encodes it;
// what names the input in the error (e.g. "data").
func encodeAggregate(what string, agg []float64) ([]uint64, error) {
	for i, v := range agg {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errorf(400, "%s: the values overflow (their aggregate %d is %v)", what, i, v)
		}
	}
	enc, err := mpc.EncodeReals(agg)
	if err != nil {
		return nil, errorf(400, "%s: %v", what, err)
	}
	return enc, nil
}
