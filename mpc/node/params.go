package node

import "slices"

// params are a computation's checked parameters.
type params struct {
	probs  []float64 // Quantiles: probabilities
	edges  []float64 // Histogram: bin edges
	names  []string  // Regression: regressor names
	family string    // GLM: binomial, poisson or gaussian
	times  []float64 // KaplanMeier, LogRank, CoxPH: the time grid (nil: the event times)
	// StatisticsUnivariate over node-held data: also the minimum and
	// maximum (each node's policy.extremes must allow them).
	extremes bool
}

// numberList reads a list of numbers, or one number as a list of one (as
// R's httr sends c(0.5)).
func numberList(v any, what string, max int) ([]float64, error) {
	list, ok := oneOrList(v)
	if !ok {
		return nil, bad("parameters.%s: expected a list of numbers, got %s", what, jsonType(v))
	}
	if len(list) > max {
		return nil, bad("parameters.%s: %d numbers; at most %d", what, len(list), max)
	}
	out := make([]float64, len(list))
	for i, e := range list {
		f, ok := e.(float64)
		if !ok {
			return nil, bad("parameters.%s[%d]: expected a number, got %s", what, i, jsonType(e))
		}
		out[i] = f
	}
	return out, nil
}

// parseParams checks the parameters a microprotocol takes (its family's
// paramTaker); unknown keys are errors, so a misspelt option never passes
// silently.
func (n *Node) parseParams(mp string, raw map[string]any) (*params, error) {
	p := &params{}
	pt, _ := microprotocols[mp].(paramTaker)
	var allowed []string
	if pt != nil {
		allowed = pt.paramKeys(mp)
	}
	for k := range raw {
		if !slices.Contains(allowed, k) {
			return nil, bad("parameters: %s takes no parameter %q", mp, k)
		}
	}
	if pt == nil {
		return p, nil
	}
	return p, pt.parseParams(&n.cfg.Policy, mp, raw, p)
}
