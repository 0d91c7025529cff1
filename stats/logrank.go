package stats

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// LogRankResult is the log-rank test of equal survival in k groups, as
// R's survdiff (rho = 0) computes it.
type LogRankResult struct {
	// Observed and Expected are the events of each group and those
	// expected under equal hazards; N the rows of each group.
	Observed, Expected, N []float64
	// ChiSq is the statistic on DF degrees of freedom (the groups with
	// expected events, less one), P its upper-tail probability.
	ChiSq, P float64
	DF       int
}

// LogRank tests equal survival from the pooled counts of each group g at
// each grid point j: nrisk[g][j] at risk and nevent[g][j] events. At each
// point with n at risk and d events in all, group g expects n_g·d/n events
// and the variance matrix adds d·(n−d)/(n−1)·(n_g/n)·(δ_gh − n_h/n);
// the statistic is (O−E)ᵀV⁻¹(O−E) over the groups with expected events
// but the first of them, as survdiff computes it.
func LogRank(nrisk, nevent [][]float64) (*LogRankResult, error) {
	k := len(nrisk)
	if k < 2 || len(nevent) != k {
		return nil, fmt.Errorf("log-rank: %d groups: the test compares at least 2", k)
	}
	m := len(nrisk[0])
	r := &LogRankResult{Observed: make([]float64, k), Expected: make([]float64, k), N: make([]float64, k)}
	V := mat.NewSymDense(k, nil)
	for g := range k {
		if len(nrisk[g]) != m || len(nevent[g]) != m {
			return nil, fmt.Errorf("log-rank: group %d has %d and %d counts for %d grid points", g, len(nrisk[g]), len(nevent[g]), m)
		}
		if m > 0 {
			r.N[g] = nrisk[g][0]
		}
	}
	for j := range m {
		n, d := 0.0, 0.0
		for g := range k {
			n += nrisk[g][j]
			d += nevent[g][j]
			r.Observed[g] += nevent[g][j]
		}
		if n <= 0 || d == 0 {
			continue
		}
		for g := range k {
			r.Expected[g] += nrisk[g][j] * d / n
		}
		if n <= 1 {
			continue
		}
		f := d * (n - d) / (n - 1)
		for g := range k {
			for h := g; h < k; h++ {
				delta := 0.0
				if g == h {
					delta = 1
				}
				V.SetSym(g, h, V.At(g, h)+f*nrisk[g][j]/n*(delta-nrisk[h][j]/n))
			}
		}
	}
	var idx []int
	for g := range k {
		if r.Expected[g] > 0 {
			idx = append(idx, g)
		}
	}
	r.DF = len(idx) - 1
	if len(idx) < 2 {
		r.DF = max(r.DF, 0)
		r.P = 1
		return r, nil
	}
	idx = idx[1:]
	q := len(idx)
	vv := mat.NewSymDense(q, nil)
	diff := mat.NewVecDense(q, nil)
	for a, g := range idx {
		diff.SetVec(a, r.Observed[g]-r.Expected[g])
		for b, h := range idx[a:] {
			vv.SetSym(a, a+b, V.At(g, h))
		}
	}
	var sol mat.VecDense
	if err := sol.SolveVec(vv, diff); err != nil {
		return nil, fmt.Errorf("log-rank: the variance matrix is singular: %w", err)
	}
	r.ChiSq = mat.Dot(&sol, diff)
	r.P = distuv.ChiSquared{K: float64(r.DF)}.Survival(r.ChiSq)
	return r, nil
}

// Map returns the test as a result object: chisq, df, p, and per group
// (in the order of levels) observed, expected and n.
func (r *LogRankResult) Map(levels []string) map[string]any {
	groups := map[string]any{}
	for g, l := range levels {
		if g < len(r.Observed) {
			groups[l] = map[string]any{"observed": r.Observed[g], "expected": r.Expected[g], "n": r.N[g]}
		}
	}
	return map[string]any{"chisq": r.ChiSq, "df": r.DF, "p": r.P, "groups": groups}
}
