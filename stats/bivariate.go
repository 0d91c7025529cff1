package stats

import (
	"context"
	"fmt"
	"math"
	"math/big"
)

// BivariateResult describes pairs (x, y) pooled over every party, by the
// FSC reference's definitions: Covariance has divisor n-1, CovarianceMLE
// divisor n; Correlation is Pearson's r; Slope and Intercept are the least
// squares line of y on x; SlopeThroughOrigin is the least squares slope
// through the origin, Σxy/Σx². Undefined values are NaN: the covariance
// when n = 1, the correlation when x or y is constant, the slope and
// intercept when x is constant, the slope through the origin when every x
// is 0.
type BivariateResult struct {
	Samples                   int
	Covariance, CovarianceMLE float64
	Correlation               float64
	Slope, Intercept          float64
	SlopeThroughOrigin        float64
}

// Bivariate returns the BivariateResult of the pairs (x[i], y[i]) of every
// party, at a deciding party (nil elsewhere). It adds one local aggregate
// across the parties with one Combiner.SumWide: the count and the sums
// Σ(x-shiftX), Σ(y-shiftY), Σ(x-shiftX)², Σ(y-shiftY)² and
// Σ(x-shiftX)(y-shiftY). shiftX and shiftY are public values every party
// passes alike (0 when nothing better is known); as in Moments they bound
// only the range of the sums, not their precision. Pairs with a NaN
// (missing) value are skipped; infinite values are an error. Each party
// checks its count of pairs as a "cohort" with Combiner.Check. With no
// pairs it returns an error "no values".
//
// Precision: as in Moments, each party centres at its own means and sums
// exact products (FMA) with compensated summation; the rest is exact up to
// 768-bit rounding, so every result has a relative error of a few 1e-16
// (relative to sqrt(Σ(x-x̄)²·Σ(y-ȳ)²) for the covariance), whatever the shifts.
// The sums about 0 for the slope through the origin are derived exactly
// from the shifted ones, so they need not be sent.
func Bivariate(ctx context.Context, c Combiner, x, y []float64, shiftX, shiftY float64) (*BivariateResult, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("bivariate: %d x values but %d y values", len(x), len(y))
	}
	if !momFinite(shiftX) || !momFinite(shiftY) {
		return nil, fmt.Errorf("bivariate: shifts are %v and %v, want finite numbers", shiftX, shiftY)
	}
	n, sums, err := bivLocal(x, y, shiftX, shiftY)
	if err != nil {
		return nil, err
	}
	if err := c.Check("cohort", []float64{n}); err != nil {
		return nil, fmt.Errorf("bivariate: %w", err)
	}
	vec := newWideVec(momWindow)
	vec.count(n)
	if err := vec.reals(sums, func(i int) string {
		return [...]string{"Σ(x-shiftX)", "Σ(y-shiftY)", "Σ(x-shiftX)²", "Σ(y-shiftY)²", "Σ(x-shiftX)(y-shiftY)"}[i]
	}); err != nil {
		return nil, fmt.Errorf("bivariate: %w", err)
	}
	tot, err := vec.total(ctx, c)
	if err != nil || tot == nil {
		return nil, prefixed("bivariate", err)
	}
	// Σx', Σy', Σx'², Σy'², Σx'y' with x' = x-shiftX, y' = y-shiftY
	n, t := tot.counts[0], [5]*big.Float(tot.reals)
	if n == 0 {
		return nil, fmt.Errorf("bivariate: %w", errNoValues)
	}
	return bivFinish(n, t, shiftX, shiftY), nil
}

// bivLocal is this party's part of Bivariate: its number of complete
// pairs and its sums Σ(x-shiftX), Σ(y-shiftY), Σ(x-shiftX)², Σ(y-shiftY)²
// and Σ(x-shiftX)(y-shiftY), exact as big.Floats.
func bivLocal(x, y []float64, shiftX, shiftY float64) (float64, []*big.Float, error) {
	var (
		n                     float64
		sumX, sumY            momAcc
		loX, hiX, loY, hiY    = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		dx, dy, dxx, dyy, dxy momAcc
	)
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		if math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			return 0, nil, fmt.Errorf("bivariate: pair %d is (%v, %v): only finite values can be summarised", i, x[i], y[i])
		}
		n++
		sumX.add(x[i])
		sumY.add(y[i])
		loX, hiX = math.Min(loX, x[i]), math.Max(hiX, x[i])
		loY, hiY = math.Min(loY, y[i]), math.Max(hiY, y[i])
	}
	muX, muY := momCentre(sumX, n, loX, hiX), momCentre(sumY, n, loY, hiY)
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		u, v := x[i]-muX, y[i]-muY
		dx.add(u)
		dy.add(v)
		dxx.addProd(u, u)
		dyy.addProd(v, v)
		dxy.addProd(u, v)
	}
	var local [5]*big.Float
	for i, a := range []*momAcc{&dx, &dy, &dxx, &dyy, &dxy} {
		var ok bool
		if local[i], ok = a.big(); !ok {
			return 0, nil, fmt.Errorf("bivariate: the sums of squares overflow float64: the values spread too widely")
		}
	}
	// Sums about the shifts: with a = mu - shift, Σ(x-shift) = n·a + Σ(x-mu),
	// Σ(x-shift)(y-shift') = n·a·b + a·Σ(y-mu') + b·Σ(x-mu) + Σ(x-mu)(y-mu').
	nb := momF(n)
	a, b := momF(muX).Sub(momF(muX), momF(shiftX)), momF(muY).Sub(momF(muY), momF(shiftY))
	first := func(d, s *big.Float) *big.Float {
		t := momNew().Mul(nb, d)
		return t.Add(t, s)
	}
	cross := func(da, db, sa, sb, sab *big.Float) *big.Float {
		t := momNew().Mul(momNew().Mul(nb, da), db)
		t.Add(t, momNew().Mul(da, sb)).Add(t, momNew().Mul(db, sa))
		return t.Add(t, sab)
	}
	sums := []*big.Float{
		first(a, local[0]),
		first(b, local[1]),
		cross(a, a, local[0], local[0], local[2]),
		cross(b, b, local[1], local[1], local[3]),
		cross(a, b, local[0], local[1], local[4]),
	}
	return n, sums, nil
}

// bivFinish computes the result from the pooled shifted sums.
func bivFinish(n float64, t [5]*big.Float, shiftX, shiftY float64) *BivariateResult {
	nb := momF(n)
	// Centred sums: C_uv = Σu'v' - Σu'·Σv'/n.
	centred := func(suv, su, sv *big.Float) *big.Float {
		c := momNew().Mul(su, sv)
		c.Quo(c, nb)
		return c.Sub(suv, c)
	}
	cxx, cyy, cxy := centred(t[2], t[0], t[0]), centred(t[3], t[1], t[1]), centred(t[4], t[0], t[1])
	// The pooled sums are rebuilt to 768 bits; a centred sum within 2^-600
	// of the raw sum it came from is zero (no float64 data spread so
	// little), whatever rounding the rebuilding left.
	snap := func(c, raw *big.Float) {
		limit := momNew().SetMantExp(momNew().Abs(raw), -600)
		if c.Sign() < 0 || momNew().Abs(c).Cmp(limit) <= 0 {
			c.SetInt64(0)
		}
	}
	snap(cxx, t[2])
	snap(cyy, t[3])
	nan := math.NaN()
	quo := func(a, b *big.Float) float64 {
		if b.Sign() == 0 {
			return nan
		}
		return momFloat(momNew().Quo(a, b))
	}
	covariance := nan
	if n >= 2 {
		covariance = quo(cxy, momF(n-1))
	}
	correlation := nan
	if cxx.Sign() > 0 && cyy.Sign() > 0 {
		r := momNew().Quo(cxy, momNew().Sqrt(momNew().Mul(cxx, cyy)))
		correlation = math.Max(-1, math.Min(1, momFloat(r)))
	}
	slope, intercept := nan, nan
	if cxx.Sign() > 0 {
		s := momNew().Quo(cxy, cxx)
		slope = momFloat(s)
		// ȳ - slope·x̄ with x̄ = shiftX + Σx'/n, ȳ = shiftY + Σy'/n.
		mx := momNew().Quo(t[0], nb)
		mx.Add(mx, momF(shiftX))
		my := momNew().Quo(t[1], nb)
		my.Add(my, momF(shiftY))
		intercept = momFloat(my.Sub(my, s.Mul(s, mx)))
	}
	// Sums about 0: Σxy = Σx'y' + shiftX·Σy' + shiftY·Σx' + n·shiftX·shiftY.
	sx, sy := momF(shiftX), momF(shiftY)
	raw := func(suv, su, sv, shu, shv *big.Float) *big.Float {
		r := momNew().Mul(momNew().Mul(nb, shu), shv)
		r.Add(r, momNew().Mul(shu, sv)).Add(r, momNew().Mul(shv, su))
		return r.Add(r, suv)
	}
	rawXY, rawXX := raw(t[4], t[0], t[1], sx, sy), raw(t[2], t[0], t[0], sx, sx)
	return &BivariateResult{
		Samples:            int(n),
		Covariance:         covariance,
		CovarianceMLE:      quo(cxy, nb),
		Correlation:        correlation,
		Slope:              slope,
		Intercept:          intercept,
		SlopeThroughOrigin: quo(rawXY, rawXX),
	}
}
