package node

import (
	"context"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

func init() {
	register("GLM", glm{})
}

// The GLM microprotocol fits a generalized linear model (stats.GLM) over
// node-held rows: dataset.columns = [y, x1, ...], parameters.family =
// "binomial" | "poisson" | "gaussian" (default gaussian).
//
// What it reveals, and to whom:
//   - To the analyst (through the leader, its own node): the fit alone:
//     coefficients, standard errors, z (or t), p, Wald intervals, deviance,
//     null deviance, AIC, degrees of freedom (so the pooled n), the
//     number of iterations, each factor's levels, R's warnings and the
//     terms aliased. An aliased term tells that, in the pooled cohort, a
//     covariate is a linear combination of those before it (constant, or
//     computed from others; a factor level whose rows are exactly those of
//     other levels, such as "every patient with response CR is male"): a
//     fact of the pooled rows, as R's glm reports it, which the member
//     nodes read from the opened XᵀWX as well. It names no member, and
//     each level's rows were checked against min_cell at every member.
//   - To every member node, the leader included, per iteration: the pooled
//     Σw, Σw·x, Σw·z, XᵀWX and XᵀWz at the current coefficients, the pooled
//     deviance there and the pooled n; once, the pooled Σy, null deviance
//     and, for poisson, Σlog(y!); the union of the factors' levels; and the
//     pooled number of rows with fitted values numerically 0 or 1. These
//     are sums over every member's rows: no member's own aggregate is
//     opened (secure sums, honest majority of members). The member nodes
//     are not the analyst: the leader returns nothing of the iterations.
//   - The leader runs the loop and sends each iteration's coefficients to
//     the members, but every member computes them too from the opened
//     sums and stops the computation when the leader's differ, so neither
//     a leader nor its analyst can choose the coefficients the weights are
//     computed at (which could otherwise single out a few rows).
//
// Rules each member applies to its own rows: the cohort (complete cases of
// the columns within the filter) and every factor level in it hold 0 or
// at least min_cell rows; the linked aggregates rule with 2p + 3 released
// values (p coefficients, counting each covariate once); the release
// memory reserves the cohort and each factor level's rows, so that a
// release differing from an earlier one by a few rows, in the cohort or in
// a level, is refused.

// glm is the family of the GLM microprotocol, over node-held data only.
type glm struct{ nodeHeldOnly }

// glmInput is a GLM's columns, the numeric response first, then the
// covariates (numeric or categorical); n counts the complete rows selected
// (the release plan's cohort).
type glmInput struct {
	cols []*stats.Column
	sel  []bool
	n    int
}

func (in *glmInput) cohort() int { return in.n }

// usePlan takes the count of complete rows from the cohort the release
// plan computed (the rows selected less those missing a value in a
// column, each column's gaps kept by the table's index), rather than
// reading every column again.
func (in *glmInput) usePlan(plan *releasePlan) error {
	in.n = int(plan.cohort.GetCardinality())
	return nil
}

// table reads a GLM's columns: the numeric response, then the covariates,
// numeric or categorical.
func (glm) table(t *stats.Table, rows []bool, ds *DatasetRef) (input, error) {
	cols, err := tableColumns(t, ds, 1, "GLM")
	if err != nil {
		return nil, err
	}
	if cols[0].Kind != stats.Numeric {
		return nil, bad("column %q of table %s is categorical; GLM needs a numeric response (0/1 for binomial, counts for poisson)", cols[0].Name, t.Name)
	}
	if len(cols)-1 > maxRegressors {
		return nil, bad("dataset.columns: %d covariates; a GLM takes at most %d", len(cols)-1, maxRegressors)
	}
	return &glmInput{cols: cols, sel: rows}, nil
}

// run fits the model: the sums open to every member, the coefficients
// decided by the leader and checked by each member.
func (glm) run(ctx context.Context, e *env, in input, p *params) (map[string]any, error) {
	x := in.(*glmInput)
	open := &mpc.Combiner{Session: e.s, Deciders: e.s.Parties, CheckFunc: e.c.CheckFunc}
	r, err := stats.GLM(ctx, open, e.c, x.cols[0], x.cols[1:], x.sel, p.family)
	if err != nil || r == nil || !e.c.Decider() {
		return nil, err
	}
	return glmShape(r), nil
}

// glmFamily reads parameters.family.
func glmFamily(v any) (string, error) {
	if v == nil {
		return stats.Gaussian, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", bad("parameters.family: expected \"binomial\", \"poisson\" or \"gaussian\", got %s", jsonType(v))
	}
	switch s {
	case stats.Binomial, stats.Poisson, stats.Gaussian:
		return s, nil
	}
	return "", bad("parameters.family: %q: use \"binomial\", \"poisson\" or \"gaussian\"", s)
}

// glmLinked is the linked aggregates a GLM releases: a coefficient and its
// standard error per term (each covariate counted once, the intercept
// too), the deviance, the null deviance and the AIC.
func (glm) paramKeys(string) []string { return []string{"family"} }

// parseParams reads parameters.family.
func (glm) parseParams(_ *Policy, _ string, raw map[string]any, p *params) (err error) {
	p.family, err = glmFamily(raw["family"])
	return err
}

// planRelease adds the rows of each level of the model's factors.
func (glm) planRelease(_ string, ix *rowIndex, cols []*stats.Column, _ *params, plan *releasePlan) (err error) {
	plan.linked, err = glmLevelSets(ix, cols, plan.cohort)
	return err
}

func (glm) linked(_ string, ds *DatasetRef, _ *params) int { return glmLinked(ds) }

func glmLinked(ds *DatasetRef) int {
	k := max(len(ds.Columns)-1, 0)
	return 2*(k+1) + 3
}

// glmLevelSets are the rows of each level of the model's categorical
// columns within the cohort: the model's coefficients describe them.
func glmLevelSets(ix *rowIndex, cols []*stats.Column, cohort *roaring.Bitmap) ([]releaseSet, error) {
	var out []releaseSet
	for _, c := range cols {
		if c.Kind != stats.Categorical {
			continue
		}
		names, groups, err := ix.groups(c, cohort)
		if err != nil {
			return nil, err
		}
		for g, bm := range groups {
			if bm != nil && !bm.IsEmpty() {
				out = append(out, releaseSet{what: cellName(c.Name, names[g]), rows: bm})
			}
		}
	}
	return out, nil
}
