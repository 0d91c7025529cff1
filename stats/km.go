package stats

import (
	"fmt"
	"math"
)

// KMCurve is a Kaplan–Meier estimate of one group on a grid, as R's
// survfit computes it with its defaults (Greenwood's variance, a 95%
// confidence interval on the log scale).
type KMCurve struct {
	// Time, NRisk and NEvent are the grid points where anyone is at risk,
	// the rows at risk there and the events in the interval they start.
	Time, NRisk, NEvent []float64
	// Surv is the estimate of S(t) at each point (after its events);
	// StdErr the standard error of Surv (S·sqrt(Σ d/(n(n−d))), as
	// summary.survfit shows it); Lower and Upper the 95% interval
	// exp(log S ± 1.96·sqrt(Σ d/(n(n−d)))), the upper capped at 1. Where
	// S is 0 they are NaN, as in R.
	Surv, StdErr, Lower, Upper []float64
	// N is the rows of the group; Events their events.
	N, Events float64
	// Median is the smallest time with S ≤ 1/2 (the midpoint to the next
	// drop when S stays at exactly 1/2), and MedianLower, MedianUpper its
	// 95% interval by Brookmeyer and Crowley's method on the curve's
	// log-scale interval: the times where the lower and the upper limits
	// first reach 1/2 (survival:::survmean's rule). NaN where the curve or limit never reaches 1/2.
	Median, MedianLower, MedianUpper float64
}

// kmZ is the 97.5% point of the standard normal (R's qnorm(0.975)).
var kmZ = 1.959963984540054

// KaplanMeier computes the curve from the pooled counts on a grid: the
// rows at risk at each point and the events in each interval.
func KaplanMeier(grid, nrisk, nevent []float64) (*KMCurve, error) {
	if len(nrisk) != len(grid) || len(nevent) != len(grid) {
		return nil, fmt.Errorf("kaplan-meier: %d grid points, %d at-risk and %d event counts", len(grid), len(nrisk), len(nevent))
	}
	k := &KMCurve{}
	s, v := 1.0, 0.0
	for j, t := range grid {
		n, d := nrisk[j], nevent[j]
		if n <= 0 {
			continue
		}
		if d > n || d < 0 {
			return nil, fmt.Errorf("kaplan-meier: %v events among %v at risk at time %v", d, n, t)
		}
		if k.N == 0 {
			k.N = n
		}
		k.Events += d
		s *= (n - d) / n
		if n > d {
			v += d / (n * (n - d))
		} else {
			v = math.Inf(1)
		}
		k.Time = append(k.Time, t)
		k.NRisk = append(k.NRisk, n)
		k.NEvent = append(k.NEvent, d)
		k.Surv = append(k.Surv, s)
		if s == 0 {
			k.StdErr = append(k.StdErr, math.NaN())
			k.Lower = append(k.Lower, math.NaN())
			k.Upper = append(k.Upper, math.NaN())
			continue
		}
		se := math.Sqrt(v)
		k.StdErr = append(k.StdErr, s*se)
		k.Lower = append(k.Lower, math.Exp(math.Log(s)-kmZ*se))
		k.Upper = append(k.Upper, math.Min(1, math.Exp(math.Log(s)+kmZ*se)))
	}
	k.Median = kmFirstHalf(k.Surv, k.Time)
	k.MedianLower = kmFirstHalf(k.Lower, k.Time)
	k.MedianUpper = kmFirstHalf(k.Upper, k.Time)
	return k, nil
}

// kmFirstHalf is R's rule for the time a curve first reaches 1/2 (the
// minmin of survival:::survmean): the first time y < 1/2 + 1.5e-8, and
// when y is 1/2 there (within that tolerance) and drops later, the
// midpoint between that time and the time of the drop. NaN values (where
// S is 0) are passed over.
func kmFirstHalf(y, x []float64) float64 {
	const tol = 1.4901161193847656e-08 // sqrt(.Machine$double.eps)
	first := -1
	for i, v := range y {
		if !math.IsNaN(v) && v < 0.5+tol {
			first = i
			break
		}
	}
	if first < 0 {
		return math.NaN()
	}
	if math.Abs(y[first]-0.5) < tol {
		for i := first + 1; i < len(y); i++ {
			if !math.IsNaN(y[i]) && y[i] < y[first] {
				return (x[first] + x[i]) / 2
			}
		}
	}
	return x[first]
}

// Map returns the curve as a result object: time, surv, std_err, lower,
// upper, n_risk, n_event (lists), n, events, median and median_ci [lo,
// hi]; undefined values are nil.
func (k *KMCurve) Map() map[string]any {
	list := func(v []float64) []any {
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = momNum(x)
		}
		return out
	}
	return map[string]any{
		"time": list(k.Time), "surv": list(k.Surv), "std_err": list(k.StdErr),
		"lower": list(k.Lower), "upper": list(k.Upper),
		"n_risk": list(k.NRisk), "n_event": list(k.NEvent),
		"n": k.N, "events": k.Events,
		"median": momNum(k.Median), "median_ci": []any{momNum(k.MedianLower), momNum(k.MedianUpper)},
	}
}
