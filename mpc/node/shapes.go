package node

import (
	"math"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// This file is the one place where results take the FSC REST API's
// shapes: the reference's result keys, kept exactly so (its misspelt
// regression_interceipt too), and ours for the extensions (DESIGN §5).
// stats returns typed results; everything here only renames them.
// Undefined values (NaN, infinities) are JSON null; counts are numbers.

// num is v, or nil (JSON null) when v is NaN or infinite.
func num(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// numList is v with undefined values as null.
func numList(v []float64) []any {
	out := make([]any, 0, len(v))
	for _, x := range v {
		out = append(out, num(x))
	}
	return out
}

func sumShape(sum float64) map[string]any { return map[string]any{"sum": sum} }

func countShape(n int64) map[string]any { return map[string]any{"count": n} }

func extremesShape(samples int64, lo, hi float64) map[string]any {
	return map[string]any{"samples": samples, "minimum": lo, "maximum": hi}
}

func medianShape(median float64) map[string]any { return map[string]any{"median": median} }

// quantilesShape names R's definition of the quantiles (type 7).
func quantilesShape(probs, q []float64) map[string]any {
	return map[string]any{"probabilities": probs, "quantiles": q, "type": 7}
}

// univariateShape is StatisticsUnivariate's result; without extremes the
// minimum and maximum are left out (the Moments microprotocol).
func univariateShape(r *stats.UnivariateResult, extremes bool) map[string]any {
	out := map[string]any{
		"samples":                       float64(r.Samples),
		"sum":                           num(r.Sum),
		"mean":                          num(r.Mean),
		"harmonic_mean":                 num(r.HarmonicMean),
		"geometric_mean":                num(r.GeometricMean),
		"variance":                      num(r.Variance),
		"variance_mle":                  num(r.VarianceMLE),
		"variance_of_sample_mean":       num(r.VarianceOfSampleMean),
		"standard_deviation":            num(r.StandardDeviation),
		"standard_deviation_mle":        num(r.StandardDeviationMLE),
		"standard_error_of_sample_mean": num(r.StandardErrorOfSampleMean),
		"coefficient_of_variation":      num(r.CoefficientOfVariation),
		"coefficient_of_variation_mle":  num(r.CoefficientOfVariationMLE),
		"root_mean_square":              num(r.RootMeanSquare),
		"root_mean_square_deviation":    num(r.RootMeanSquareDeviation),
		"skewness":                      num(r.Skewness),
		"kurtosis":                      num(r.Kurtosis),
		"kurtosis_excess":               num(r.KurtosisExcess),
		"hyper_skewness":                num(r.HyperSkewness),
		"hyper_flatness":                num(r.HyperFlatness),
	}
	if extremes {
		out["minimum"], out["maximum"] = num(r.Minimum), num(r.Maximum)
	}
	return out
}

// bivariateShape is StatisticsBivariate's result, the reference's
// spelling of the intercept included.
func bivariateShape(r *stats.BivariateResult) map[string]any {
	return map[string]any{
		"samples":                 float64(r.Samples),
		"covariance":              num(r.Covariance),
		"covariance_mle":          num(r.CovarianceMLE),
		"correlation_coefficient": num(r.Correlation),
		"regression_slope":        num(r.Slope),
		"regression_interceipt":   num(r.Intercept),
		"regression_slope_only":   num(r.SlopeThroughOrigin),
	}
}

// histogramShape is Histogram's result; suppressed (node-held data only,
// -1 otherwise) counts the bins withheld, which show as null.
func histogramShape(edges, counts []float64, suppressed int) map[string]any {
	out := map[string]any{"edges": edges, "counts": numList(counts)}
	if suppressed >= 0 {
		out["suppressed"] = suppressed
	}
	return out
}

// frequencyShape is StatisticsFrequency's result: the mode (a label, or
// null) and the histogram, label -> count; suppressed as in
// histogramShape.
func frequencyShape(r *stats.FrequencyResult, suppressed int) map[string]any {
	hist := make(map[string]any, len(r.Labels))
	for i, l := range r.Labels {
		hist[l] = num(r.Counts[i])
	}
	var mode any
	if r.Mode >= 0 {
		mode = r.Labels[r.Mode]
	}
	out := map[string]any{"mode": mode, "histogram": hist}
	if suppressed >= 0 {
		out["suppressed"] = suppressed
	}
	return out
}

// contingencyShape is StatisticsContingency's result: the mode (a pair
// [a, b], or null) and the table, a -> b -> count; suppressed as in
// histogramShape.
func contingencyShape(r *stats.ContingencyResult, suppressed int) map[string]any {
	table := make(map[string]map[string]any, len(r.Rows))
	for i, a := range r.Rows {
		row := make(map[string]any, len(r.Cols))
		for j, b := range r.Cols {
			row[b] = num(r.Counts[i][j])
		}
		table[a] = row
	}
	var mode any
	if r.ModeRow >= 0 {
		mode = []string{r.Rows[r.ModeRow], r.Cols[r.ModeCol]}
	}
	out := map[string]any{"mode": mode, "table": table}
	if suppressed >= 0 {
		out["suppressed"] = suppressed
	}
	return out
}

// termMap maps each term to its value of v (JSON sorts the keys, which
// puts "(Intercept)" first).
func termMap(terms []string, v []float64) map[string]any {
	m := make(map[string]any, len(v))
	for i, x := range v {
		m[terms[i]] = num(x)
	}
	return m
}

// olsShape is Regression's result: coefficients, standard_errors and
// t_values (each term -> value), r_squared, adj_r_squared, sigma, samples
// and df.
func olsShape(r *stats.OLSResult) map[string]any {
	return map[string]any{
		"coefficients":    termMap(r.Terms, r.Coefficients),
		"standard_errors": termMap(r.Terms, r.StandardErrors),
		"t_values":        termMap(r.Terms, r.TValues),
		"r_squared":       num(r.RSquared),
		"adj_r_squared":   num(r.AdjRSquared),
		"sigma":           num(r.Sigma),
		"samples":         float64(r.Samples),
		"df":              float64(r.DF),
	}
}

// glmShape is GLM's result: coefficients (term -> {estimate, se, z, p,
// ci: [lo, hi]}; for gaussian z is the t value), terms in R's order,
// deviance, null_deviance, aic (null when infinite), iterations,
// df_residual, df_null, dispersion, family, samples, converged, warnings,
// levels (each factor's levels, the reference first) and aliased (the
// terms R gives NA, whose numbers are all null; as coxph's).
func glmShape(r *stats.GLMResult) map[string]any {
	coef := make(map[string]any, len(r.Terms))
	terms := make([]any, len(r.Terms))
	for i, t := range r.Terms {
		terms[i] = t
		coef[t] = map[string]any{
			"estimate": num(r.Coefficients[i]), "se": num(r.StandardErrors[i]),
			"z": num(r.ZValues[i]), "p": num(r.PValues[i]),
			"ci": []any{num(r.CILow[i]), num(r.CIHigh[i])},
		}
	}
	warnings := make([]any, len(r.Warnings))
	for i, w := range r.Warnings {
		warnings[i] = w
	}
	aliased := make([]any, len(r.Aliased))
	for i, a := range r.Aliased {
		aliased[i] = a
	}
	levels := map[string]any{}
	for k, v := range r.Levels {
		l := make([]any, len(v))
		for i, s := range v {
			l[i] = s
		}
		levels[k] = l
	}
	return map[string]any{
		"family": r.Family, "coefficients": coef, "terms": terms,
		"deviance": num(r.Deviance), "null_deviance": num(r.NullDeviance),
		"aic": num(r.AIC), "iterations": float64(r.Iterations),
		"df_residual": float64(r.DFResidual), "df_null": float64(r.DFNull),
		"dispersion": num(r.Dispersion), "samples": float64(r.Samples),
		"converged": r.Converged, "warnings": warnings, "levels": levels,
		"aliased": aliased,
	}
}

// intersectionShape is SetIntersection's result; without the items
// (SetIntersectionSize) only the size.
func intersectionShape(common []string, size int, items bool) map[string]any {
	if !items {
		return map[string]any{"size_intersection": size}
	}
	return map[string]any{"size_intersection": size, "intersection": common}
}

// gridShape adds to a survival result what became of its time grid: its
// points (grid_points), whether intervals were merged for the members'
// rules (merged), and the points of a grid the analyst gave
// (grid_points_asked).
func gridShape(out map[string]any, sg *survivalGrid) map[string]any {
	out["grid_points"], out["merged"] = len(sg.grid), sg.merged
	if sg.asked > 0 {
		out["grid_points_asked"] = sg.asked
	}
	return out
}

// kmShape is KaplanMeier's result: the groups' levels and each group's
// curve (kmCurveShape).
func kmShape(levels []string, curves []*stats.KMCurve) map[string]any {
	groups := map[string]any{}
	for g, l := range levels {
		groups[l] = kmCurveShape(curves[g])
	}
	return map[string]any{"groups": groups, "levels": levels}
}

// kmCurveShape is one Kaplan–Meier curve: time, surv, std_err, lower,
// upper, n_risk, n_event (lists), n, events, median and median_ci [lo, hi].
func kmCurveShape(k *stats.KMCurve) map[string]any {
	return map[string]any{
		"time": numList(k.Time), "surv": numList(k.Surv), "std_err": numList(k.StdErr),
		"lower": numList(k.Lower), "upper": numList(k.Upper),
		"n_risk": numList(k.NRisk), "n_event": numList(k.NEvent),
		"n": k.N, "events": k.Events,
		"median": num(k.Median), "median_ci": []any{num(k.MedianLower), num(k.MedianUpper)},
	}
}

// logRankShape is the log-rank test: chisq, df, p, and per group (in the
// order of levels) observed, expected and n.
func logRankShape(r *stats.LogRankResult, levels []string) map[string]any {
	groups := map[string]any{}
	for g, l := range levels {
		if g < len(r.Observed) {
			groups[l] = map[string]any{"observed": r.Observed[g], "expected": r.Expected[g], "n": r.N[g]}
		}
	}
	return map[string]any{"chisq": r.ChiSq, "df": r.DF, "p": r.P, "groups": groups}
}

// coxShape is a Cox model: coefficients {term: {estimate, se, z, p, hr,
// ci}} (ci the hazard ratio's 95% interval), terms, n, events, loglik
// [null, fit], lr_test {chisq, df, p}, iterations and converged.
func coxShape(r *stats.CoxResult) map[string]any {
	aliased := make([]any, len(r.Aliased))
	for i, a := range r.Aliased {
		aliased[i] = a
	}
	coef := map[string]any{}
	for a, t := range r.Terms {
		coef[t] = map[string]any{
			"estimate": num(r.Coefficients[a]), "se": num(r.StandardErrors[a]),
			"z": num(r.Z[a]), "p": num(r.P[a]), "hr": num(r.HazardRatios[a]),
			"ci": []any{num(r.Lower[a]), num(r.Upper[a])},
		}
	}
	return map[string]any{
		"coefficients": coef, "terms": append([]string(nil), r.Terms...),
		"n": r.N, "events": r.Events,
		"loglik":     []any{num(r.LogLikNull), num(r.LogLik)},
		"lr_test":    map[string]any{"chisq": num(r.LRChiSq), "df": r.DF, "p": num(r.LRP)},
		"iterations": r.Iterations, "converged": r.Converged,
		"aliased": aliased,
	}
}
