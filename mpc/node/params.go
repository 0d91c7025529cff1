package node

import (
	"math"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

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

// parseParams checks the parameters a microprotocol takes; unknown keys
// are errors, so a misspelt option never passes silently.
func (n *Node) parseParams(mp string, raw map[string]any) (*params, error) {
	p := &params{}
	var err error
	allowed := map[string][]string{
		"Quantiles":            {"probabilities"},
		"Histogram":            {"edges", "bins", "range"},
		"Regression":           {"names"},
		"GLM":                  {"family"},
		"StatisticsUnivariate": {"extremes"},
		"KaplanMeier":          {"times"},
		"LogRank":              {"times"},
		"CoxPH":                {"times"},
	}[mp]
	for k := range raw {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return nil, bad("parameters: %s takes no parameter %q", mp, k)
		}
	}
	if survivalKinds[mp] {
		return p, survivalParams(p, raw)
	}
	switch mp {
	case "Quantiles":
		v, ok := raw["probabilities"]
		if !ok {
			return nil, bad("parameters.probabilities: missing (e.g. [0.25, 0.5, 0.75])")
		}
		probs, err := numberList(v, "probabilities", maxProbabilities)
		if err != nil {
			return nil, err
		}
		if len(probs) == 0 {
			return nil, bad("parameters.probabilities: empty")
		}
		if max := n.cfg.Policy.MaxQuantiles; len(probs) > max {
			return nil, errorf(403, "refused: policy max_quantiles=%d: %d probabilities asked; ask for fewer at a time", max, len(probs))
		}
		for i, q := range probs {
			if !(q >= 0 && q <= 1) {
				return nil, bad("parameters.probabilities[%d]: %v is not between 0 and 1", i, q)
			}
		}
		p.probs = probs
	case "Histogram":
		if e, ok := raw["edges"]; ok {
			if _, both := raw["bins"]; both {
				return nil, bad("parameters: give edges, or bins and range, not both")
			}
			edges, err := numberList(e, "edges", maxEdges)
			if err != nil {
				return nil, err
			}
			p.edges = edges
		} else {
			b, ok := raw["bins"].(float64)
			if !ok || b != math.Trunc(b) || b < 1 || b > 10000 {
				return nil, bad("parameters.bins: expected a whole number of bins from 1 to 10000 (with range), or give edges")
			}
			r, err := numberList(raw["range"], "range", 2)
			if err != nil || len(r) != 2 {
				return nil, bad("parameters.range: expected [low, high] with bins")
			}
			if p.edges, err = stats.EqualBins(int(b), r[0], r[1]); err != nil {
				return nil, bad("parameters: %v", err)
			}
		}
		if len(p.edges) < 2 {
			return nil, bad("parameters.edges: need at least two edges")
		}
		for i := 1; i < len(p.edges); i++ {
			if !(p.edges[i] > p.edges[i-1]) || math.IsInf(p.edges[i], 0) || math.IsInf(p.edges[0], 0) {
				return nil, bad("parameters.edges: must be finite and strictly increasing (at %d)", i)
			}
		}
	case "StatisticsUnivariate":
		if v, ok := raw["extremes"]; ok {
			b, ok := v.(bool)
			if !ok {
				return nil, bad("parameters.extremes: expected true or false, got %s", jsonType(v))
			}
			p.extremes = b
		}
	case "GLM":
		if p.family, err = glmFamily(raw["family"]); err != nil {
			return nil, err
		}
	case "Regression":
		if v, ok := raw["names"]; ok {
			list, ok := oneOrList(v)
			if !ok {
				return nil, bad("parameters.names: expected a list of regressor names")
			}
			for i, e := range list {
				s, ok := e.(string)
				if !ok {
					return nil, bad("parameters.names[%d]: expected a string", i)
				}
				p.names = append(p.names, s)
			}
		}
	}
	return p, nil
}
