package stats

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// momBlock is how many values are added plainly before their sum goes
// into a compensated accumulator; 2^-53·momBlock bounds a block's relative
// rounding, and a product of momBlock mantissas in [0.5, 1) stays normal.
const momBlock = 64

// momAcc is a compensated (Neumaier) accumulator; its value is s + c,
// taken exactly.
type momAcc struct{ s, c float64 }

func (a *momAcc) add(v float64) {
	t := a.s + v
	if math.Abs(a.s) >= math.Abs(v) {
		a.c += (a.s - t) + v
	} else {
		a.c += (v - t) + a.s
	}
	a.s = t
}

// addProd adds the exact product u·v: the rounded product compensated, and
// its rounding error (exact by FMA) into the correction.
func (a *momAcc) addProd(u, v float64) {
	p := u * v
	a.add(p)
	a.c += math.FMA(u, v, -p)
}

func (a *momAcc) value() float64 { return a.s + a.c }

// big returns s + c exactly, or false when the sum overflowed.
func (a *momAcc) big() (*big.Float, bool) {
	if !momFinite(a.s) || !momFinite(a.c) {
		return nil, false
	}
	return momF(a.s).Add(momF(a.s), momF(a.c)), true
}

func momFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func momNew() *big.Float { return new(big.Float).SetPrec(widePrec) }

// momF returns x (not NaN) as a big.Float.
func momF(x float64) *big.Float { return momNew().SetFloat64(x) }

func momFloat(x *big.Float) float64 {
	f, _ := x.Float64()
	return f
}

// momRecentre turns power sums about a, s[j] = Σ(x-a)^j (s[0] = n), into
// power sums about b, given delta = a - b, by the binomial expansion
// (x-b)^k = Σ_j C(k,j)·(x-a)^j·delta^(k-j), in big.Float arithmetic.
func momRecentre(s []*big.Float, delta *big.Float) []*big.Float {
	pow := make([]*big.Float, len(s)) // delta^i
	pow[0] = momF(1)
	for i := 1; i < len(s); i++ {
		pow[i] = momNew().Mul(pow[i-1], delta)
	}
	out := make([]*big.Float, len(s))
	t := momNew()
	for k := range s {
		out[k] = momNew()
		binom := 1.0 // C(k,j), exact for these small k
		for j := 0; j <= k; j++ {
			t.Mul(s[j], pow[k-j])
			out[k].Add(out[k], t.Mul(t, momF(binom)))
			binom = binom * float64(k-j) / float64(j+1)
		}
	}
	return out
}

// momCentre returns a point in [lo, hi] near sum/n to centre a party's local
// sums at: lo itself when every value is lo, so that constant data have
// deviations exactly zero.
func momCentre(sum momAcc, n, lo, hi float64) float64 {
	if n == 0 {
		return 0
	}
	if lo == hi {
		return lo
	}
	return math.Min(hi, math.Max(lo, sum.value()/n))
}

// momMaxPower is the highest power sum Moments carries.
const momMaxPower = 6

// MomentSums are the pooled sums the univariate statistics are made of: the
// count, the power sums Σ(x-shift)^k for k = 1..6, Σ1/x over the non-zero
// values, Σln x over the positive values, and the number of values ≤ 0. Only a deciding party
// holds them.
type MomentSums struct {
	n, nonPos, recipOut, shift float64
	raw                        []*big.Float // raw[k] = Σ(x-shift)^k, raw[0] = n
	central                    []*big.Float // central[k] = Σ(x-mean)^k
	recip, logs                *big.Float
}

// Moments computes this party's local moment aggregate of x and adds it
// across the parties with one Combiner.SumWide. It returns the pooled sums at a
// deciding party and nil elsewhere. NaN values are missing and skipped;
// infinite values are an error. A party with no values contributes zeros.
// Each party first checks its count as a "cohort" with Combiner.Check.
//
// shift is a public value every party passes alike (0 when nothing better
// is known); the power sums are taken about it. It does not affect the
// precision, only the range: |Σ(x-shift)^k| must stay below 2^1039, which
// any values whose sixth powers are finite satisfy.
//
// Precision. Each party centres its values at its own mean and sums
// (x-mean)^k in blocks of momBlock values, each block's sum added with
// compensated (Neumaier) summation, which is more accurate than summing
// (x-shift)^k directly; the conversion of those sums to sums about shift
// (binomial expansion) is exact up to 768-bit rounding, and their transport
// (exact integers: see wide.go), their total and the
// decider's conversion to central sums about the pooled mean are exact, so
// the answer never varies from run to run. So the k-th central moment
// has relative error at most about momBlock·1e-16·Σ|x-mean|^k/|Σ(x-mean)^k|
// (so below 1e-14 for even k, and typically far less; for odd k relative to
// the absolute moment), whatever the shift: the loss of 1e-16·(|mean-shift|/sd)^k that summing
// plain power sums in float64 would cost does not occur. The harmonic and
// geometric means are accurate to about 1e-14 (ln x is summed as the log of
// block products of mantissas plus the exponents). Only values that
// spread very little (a standard deviation below about 1e-45, where sixth
// powers underflow) cannot be summarised this precisely: Univariate then
// returns an error rather than a wrong moment.
func Moments(ctx context.Context, c Combiner, x []float64, shift float64) (*MomentSums, error) {
	part, err := LocalMoments(x, shift)
	if err != nil {
		return nil, err
	}
	return part.Combine(ctx, c)
}

// MomentsPart is one party's part of Moments before the parties combine
// theirs: its aggregate, ready to add. Computing it needs no other party,
// so a caller may compute it while other rounds run.
type MomentsPart struct {
	n, shift float64
	vec      *wideVec
}

// LocalMoments computes this party's part of Moments from its own values.
func LocalMoments(x []float64, shift float64) (*MomentsPart, error) {
	if !momFinite(shift) {
		return nil, fmt.Errorf("moments: shift is %v, want a finite number", shift)
	}
	n, mu, err := momCount(x)
	if err != nil {
		return nil, err
	}
	acc := &momPowers{mu: mu, prod: 1}
	run, runN := math.NaN(), 0.0
	for _, v := range x {
		if v != v {
			continue
		}
		if v == run {
			runN++
			continue
		}
		if runN > 0 {
			acc.add(run, runN)
		}
		run, runN = v, 1
	}
	if runN > 0 {
		acc.add(run, runN)
	}
	acc.flush()
	return acc.part(n, shift)
}

// momCount returns the number of values (NaN is missing) and a centre
// near their mean (momCentre); an infinite value is an error. Values are
// added in blocks of momBlock: plainly within a block, and each block's
// sum into the compensated accumulator. A block's rounding is at most
// momBlock·2^-53 of its terms' magnitude.
func momCount(x []float64) (n, mu float64, err error) {
	var (
		sum    momAcc
		lo, hi = math.Inf(1), math.Inf(-1)
		block  float64
	)
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		if math.IsInf(v, 0) {
			return 0, 0, fmt.Errorf("moments: value %d is %v: only finite values can be summarised", i, v)
		}
		block += v
		n++
		if int(n)%momBlock == 0 {
			sum.add(block)
			block = 0
		}
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	sum.add(block)
	return n, momCentre(sum, n, lo, hi), nil
}

// momPowers accumulates, about mu, the power sums Σ(x-mu)^k to
// momMaxPower, Σ1/x and Σln x, and counts the values ≤ 0. Within a block
// of momBlock values the sums are plain (b, brecip), each block's into
// compensated accumulators; ln x is the ln of a product of mantissas plus
// the exponents: one math.Log a block instead of one a value.
type momPowers struct {
	mu          float64
	pow         [momMaxPower + 1]momAcc
	recip, logs momAcc
	nonPos      float64
	b           [momMaxPower + 1]float64 // b[k]: the block's Σ(x-mu)^k
	brecip      float64
	prod        float64
	exps        int
	inBlock     int
}

// add adds c copies of v (a run of equal values, as sorted data hold).
func (a *momPowers) add(v, c float64) {
	d := v - a.mu
	d2 := d * d
	d4 := d2 * d2
	a.b[1] += c * d
	a.b[2] += c * d2
	a.b[3] += c * d2 * d
	a.b[4] += c * d4
	a.b[5] += c * d4 * d
	a.b[6] += c * d4 * d2
	switch {
	case v < 0: // in the harmonic mean, not in the geometric (as the reference)
		a.nonPos += c
		a.brecip += c / v
	case v == 0: // in neither mean
		a.nonPos += c
	case c > 1:
		a.brecip += c / v
		a.logs.add(c * math.Log(v))
	default:
		a.brecip += 1 / v
		if bits := math.Float64bits(v); bits>>52 != 0 { // normal: the mantissa and exponent by hand
			a.prod *= math.Float64frombits(bits&^(0x7ff<<52) | 1022<<52)
			a.exps += int(bits>>52) - 1022
		} else {
			m, e := math.Frexp(v)
			a.prod *= m
			a.exps += e
		}
	}
	if a.inBlock++; a.inBlock == momBlock {
		a.flush()
	}
}

// flush adds the block's sums into the accumulators.
func (a *momPowers) flush() {
	for k := 1; k <= momMaxPower; k++ {
		a.pow[k].add(a.b[k])
		a.b[k] = 0
	}
	a.recip.add(a.brecip)
	a.brecip = 0
	m, e := math.Frexp(a.prod)
	a.logs.add(math.Log(m) + float64(a.exps+e)*math.Ln2)
	a.prod, a.exps, a.inBlock = 1, 0, 0
}

// part writes the sums of n values, the power sums recentred about shift,
// as this party's vector.
func (a *momPowers) part(n, shift float64) (*MomentsPart, error) {
	local := make([]*big.Float, momMaxPower+1)
	local[0] = momF(n)
	for k := 1; k <= momMaxPower; k++ {
		var ok bool
		if local[k], ok = a.pow[k].big(); !ok {
			return nil, fmt.Errorf("moments: the sum of (x-mean)^%d overflows float64: the values spread too widely", k)
		}
	}
	shifted := momRecentre(local, momF(a.mu).Sub(momF(a.mu), momF(shift)))
	recipSum, ok := a.recip.big()
	recipOut := 0.0
	if !ok || recipSum.MantExp(nil) > momWindow.limitExp() {
		recipOut, recipSum = 1, momNew() // the harmonic mean is left undefined
	}
	logSum, _ := a.logs.big() // |ln x| < 745: finite

	vec := newWideVec(momWindow)
	vec.count(n)
	vec.count(a.nonPos)
	vec.count(recipOut)
	err := vec.reals(append(shifted[1:], recipSum, logSum), func(i int) string {
		switch i {
		case momMaxPower:
			return "the sum of 1/x"
		case momMaxPower + 1:
			return "the sum of ln x"
		}
		return fmt.Sprintf("the sum of (x-shift)^%d", i+1)
	})
	if err != nil {
		return nil, fmt.Errorf("moments: %w", err)
	}
	return &MomentsPart{n: n, shift: shift, vec: vec}, nil
}

// Combine adds the parties' parts (after this party's disclosure rule has
// passed its count) and returns the pooled sums at deciding parties.
func (p *MomentsPart) Combine(ctx context.Context, c Combiner) (*MomentSums, error) {
	if err := c.Check("cohort", []float64{p.n}); err != nil {
		return nil, fmt.Errorf("moments: %w", err)
	}
	tot, err := p.vec.total(ctx, c)
	if err != nil || tot == nil {
		return nil, prefixed("moments", err)
	}
	m := &MomentSums{n: tot.counts[0], nonPos: tot.counts[1], recipOut: tot.counts[2], shift: p.shift}
	m.raw = append([]*big.Float{momF(m.n)}, tot.reals[:momMaxPower]...)
	m.recip, m.logs = tot.reals[momMaxPower], tot.reals[momMaxPower+1]
	m.central = m.raw
	if m.n > 0 {
		m.central = momCentralExact(m.raw)
	}
	return m, nil
}

// momCentralExact returns the central sums Σ(x-mean)^k from the exact power
// sums s[k] = Σ(x-shift)^k (s[0] = n > 0, every s[k] exact at the wide
// window's precision). With S = s[1], mean - shift = S/n and
//
//	n^k·Σ(x-mean)^k = Σ_j C(k,j)·s[j]·n^j·(-S)^(k-j),
//
// which is evaluated without rounding (the precision covers every product
// and the span of their exponents), then divided by n^k to 768 bits. So a
// central sum that is zero in the parties' sums (odd sums of symmetric data
// given exactly) comes out exactly zero, not as a residue of rounding.
func momCentralExact(s []*big.Float) []*big.Float {
	k := len(s) - 1
	prec := uint(k+1)*momWindow.exactPrec() + 1024
	ex := func() *big.Float { return new(big.Float).SetPrec(prec) }
	n := ex().Set(s[0])
	negS := ex().Neg(s[1])
	powN := make([]*big.Float, k+1) // n^j
	powS := make([]*big.Float, k+1) // (-S)^j
	powN[0], powS[0] = ex().SetInt64(1), ex().SetInt64(1)
	for j := 1; j <= k; j++ {
		powN[j] = ex().Mul(powN[j-1], n)
		powS[j] = ex().Mul(powS[j-1], negS)
	}
	out := make([]*big.Float, k+1)
	t := ex()
	for p := range out {
		sum := ex()
		binom := int64(1) // C(p,j)
		for j := 0; j <= p; j++ {
			t.Mul(s[j], powN[j])
			t.Mul(t, powS[p-j])
			sum.Add(sum, t.Mul(t, ex().SetInt64(binom)))
			binom = binom * int64(p-j) / int64(j+1)
		}
		out[p] = momNew().Quo(sum, powN[p])
	}
	return out
}

// Count returns the number of values pooled.
func (m *MomentSums) Count() float64 {
	if m == nil {
		return math.NaN()
	}
	return m.n
}

// Sum returns the sum of the values pooled.
func (m *MomentSums) Sum() float64 {
	if m == nil {
		return math.NaN()
	}
	s := momF(m.shift)
	return momFloat(s.Mul(s, momF(m.n)).Add(s, m.raw[1]))
}

// mean returns the pooled mean exactly (to 768 bits); n must be > 0.
func (m *MomentSums) mean() *big.Float {
	s := momNew().Quo(m.raw[1], momF(m.n))
	return s.Add(s, momF(m.shift))
}

// Mean returns the mean of the values pooled, NaN when there are none.
func (m *MomentSums) Mean() float64 {
	if m == nil || m.n == 0 {
		return math.NaN()
	}
	return momFloat(m.mean())
}

// Variance returns the sample variance (divisor n-1) of the values pooled,
// NaN when there are fewer than two.
func (m *MomentSums) Variance() float64 {
	if m == nil || m.n < 2 {
		return math.NaN()
	}
	return math.Max(0, momFloat(m.central[2])/(m.n-1))
}

// StdDev returns the sample standard deviation of the values pooled, NaN
// when there are fewer than two.
func (m *MomentSums) StdDev() float64 { return math.Sqrt(m.Variance()) }

// errNoValues is returned by the finishing functions when no party had a
// value.
var errNoValues = errors.New("no values")

// standardised returns Σ(x-mean)^k / (n·sd^k) with the MLE sd = sqrt(m2),
// m2 > 0, or an error when the values spread so little (a standard
// deviation below about 1e-45) that float64 underflow at the parties or
// what the wide encoding drops could spoil it by more than 1e-12. Per party
// and power sum, underflow costs at most n·k·2^-1074 in the sums about the
// party's mean (each mean within sqrt(Σ(x-mean)²) of the pooled one) and
// the encoding 2^(low-1) in the sums about shift.
func (m *MomentSums) standardised(k int, m2 *big.Float) (float64, error) {
	sd := momNew().Sqrt(m2)
	scale := momF(m.n) // n·sd^k
	for range k {
		scale.Mul(scale, sd)
	}
	dShift := momNew().Sub(m.mean(), momF(m.shift))
	dLocal := momNew().Mul(sd, momNew().Sqrt(momF(m.n)))
	bound := momNew().Add(
		momNew().Mul(momBinomTail(k, dLocal), momNew().SetMantExp(momF(float64(k)), -1074)),
		momNew().Mul(momBinomTail(k, dShift.Abs(dShift)), momNew().SetMantExp(momF(1), momWindow.low-1)))
	bound.Mul(bound, momF(m.n))
	if bound.Cmp(momNew().Mul(scale, momF(1e-12))) > 0 {
		return 0, fmt.Errorf("the values spread too little (standard deviation %.3g) for moment %d to be computed precisely", momFloat(sd), k)
	}
	return momFloat(momNew().Quo(m.central[k], scale)), nil
}

// belowRounding reports whether the odd central sum Σ(x-mean)^k is smaller
// than the rounding of the parties' float64 sums could make it, so that its
// sign and size are noise: symmetric data then have a skewness (and
// hyper-skewness) of exactly 0, the same in every run. Each party sums
// (x-mu)^k about its own mean mu with an error of at most
// γ = (momBlock+2k+2)·2^-53 times Σ|x-mu|^k; summed over the parties that
// is at most 2^k·Σ|x-mean|^k (|x-mu| ≤ |x-mean| + |mu-mean| and, by
// Jensen, n_p·|mu-mean|^k ≤ Σ_p|x-mean|^k), and Σ|x-mean|^k is at most
// sqrt(Σ(x-mean)^(k-1)·Σ(x-mean)^(k+1)) (Cauchy–Schwarz).
func (m *MomentSums) belowRounding(k int) bool {
	if k+1 >= len(m.central) {
		return false
	}
	abs := momNew().Mul(m.central[k-1], m.central[k+1])
	if abs.Sign() <= 0 {
		return false
	}
	abs.Sqrt(abs)
	gamma := float64(momBlock+2*k+2) * 0x1p-53 * math.Ldexp(1, k)
	bound := abs.Mul(abs, momF(gamma))
	return momNew().Abs(m.central[k]).Cmp(bound) <= 0
}

// momBinomTail returns Σ_{j=1..k} C(k,j)·d^(k-j).
func momBinomTail(k int, d *big.Float) *big.Float {
	sum, dp, binom := momNew(), momF(1), 1.0
	for j := k; j >= 1; j-- {
		sum.Add(sum, momNew().Mul(dp, momF(binom)))
		dp.Mul(dp, d)
		binom = binom * float64(j) / float64(k-j+1) // C(k, j-1)
	}
	return sum
}

// UnivariateResult summarises one variable pooled over every party, by the
// FSC reference's definitions: Variance is the sample variance (divisor
// n-1), VarianceMLE divides by n; Skewness = m3/m2^1.5, Kurtosis = m4/m2²,
// KurtosisExcess = Kurtosis-3, HyperSkewness = m5/m2^2.5 and
// HyperFlatness = m6/m2³ with m_k = Σ(x-mean)^k/n; CoefficientOfVariation
// = sd/mean (sample sd), CoefficientOfVariationMLE with the MLE sd;
// RootMeanSquare = sqrt(Σx²/n); RootMeanSquareDeviation is the MLE sd;
// VarianceOfSampleMean = Variance/n and StandardErrorOfSampleMean its
// square root. A value that is undefined is NaN: the sample variance and
// what is built on it when n = 1, the shape statistics when the variance
// is zero (or Minimum == Maximum), the coefficients of variation when the
// mean is zero, the harmonic mean when Σ1/x is zero, the extremes when
// they are not known. The harmonic and geometric means follow the
// reference also when values are ≤ 0: HarmonicMean = n/Σ1/x over the
// non-zero values, GeometricMean = exp(Σln x / n) with ln x summed over
// the positive values only (so zeros and negative values pull it towards
// 1).
type UnivariateResult struct {
	Samples                                           int
	Minimum, Maximum                                  float64
	Sum, Mean, HarmonicMean, GeometricMean            float64
	Variance, VarianceMLE, VarianceOfSampleMean       float64
	StandardDeviation, StandardDeviationMLE           float64
	StandardErrorOfSampleMean                         float64
	CoefficientOfVariation, CoefficientOfVariationMLE float64
	RootMeanSquare, RootMeanSquareDeviation           float64
	Skewness, Kurtosis, KurtosisExcess                float64
	HyperSkewness, HyperFlatness                      float64
}

// Univariate returns the UnivariateResult of the pooled sums and the
// pooled minimum and maximum (from MinMax; NaN when unknown). With no
// values it returns an error "no values".
func (m *MomentSums) Univariate(min, max float64) (*UnivariateResult, error) {
	if m == nil {
		return nil, errors.New("univariate: no pooled sums at this party (it does not decide)")
	}
	if m.n == 0 {
		return nil, fmt.Errorf("univariate: %w", errNoValues)
	}
	n := m.n
	nan := math.NaN()
	mean := m.Mean()
	m2 := momNew().Quo(m.central[2], momF(n)) // MLE variance
	if m2.Sign() < 0 || min == max {
		m2.SetInt64(0)
	}
	varMLE := momFloat(m2)
	variance, varMean := nan, nan
	if n >= 2 {
		variance = momFloat(momNew().Quo(momNew().Mul(m2, momF(n)), momF(n-1)))
		varMean = variance / n
	}
	sdMLE, sd := math.Sqrt(varMLE), math.Sqrt(variance)
	cv, cvMLE := nan, nan
	if mean != 0 {
		cv, cvMLE = sd/mean, sdMLE/mean
	}
	shape, err := m.shape(m2)
	if err != nil {
		return nil, fmt.Errorf("univariate: %w", err)
	}
	return &UnivariateResult{
		Samples: int(n), Minimum: min, Maximum: max,
		Sum: m.Sum(), Mean: mean, HarmonicMean: m.harmonic(), GeometricMean: math.Exp(momFloat(m.logs) / n),
		Variance: variance, VarianceMLE: varMLE, VarianceOfSampleMean: varMean,
		StandardDeviation: sd, StandardDeviationMLE: sdMLE, StandardErrorOfSampleMean: math.Sqrt(varMean),
		CoefficientOfVariation: cv, CoefficientOfVariationMLE: cvMLE,
		RootMeanSquare: m.rootMeanSquare(), RootMeanSquareDeviation: sdMLE,
		Skewness: shape[3], Kurtosis: shape[4], KurtosisExcess: shape[4] - 3,
		HyperSkewness: shape[5], HyperFlatness: shape[6],
	}, nil
}

// shape returns the standardised moments m_k/m2^(k/2) for k = 2..6 given
// the MLE variance m2 (NaN below 2, and all NaN when m2 is 0); an odd one
// below the rounding of the parties' sums is exactly 0.
func (m *MomentSums) shape(m2 *big.Float) ([momMaxPower + 1]float64, error) {
	var shape [momMaxPower + 1]float64
	for k := range shape {
		shape[k] = math.NaN()
		if k >= 2 && m2.Sign() > 0 {
			var err error
			if shape[k], err = m.standardised(k, m2); err != nil {
				return shape, err
			}
			if k%2 == 1 && m.belowRounding(k) {
				shape[k] = 0
			}
		}
	}
	return shape, nil
}

// harmonic returns n/Σ1/x over the non-zero values, NaN when Σ1/x is zero
// or did not fit the wide encoding at some party.
func (m *MomentSums) harmonic() float64 {
	if m.recipOut == 0 && m.recip.Sign() != 0 {
		return momFloat(momNew().Quo(momF(m.n), m.recip))
	}
	return math.NaN()
}

// rootMeanSquare returns sqrt(Σx²/n), with Σx² = Σ(x-s)² + 2s·Σ(x-s) +
// n·s² about the shift s.
func (m *MomentSums) rootMeanSquare() float64 {
	s := momF(m.shift)
	sq := momNew().Mul(momNew().Mul(s, s), momF(m.n))
	sq.Add(sq, momNew().Mul(momNew().Mul(s, momF(2)), m.raw[1])).Add(sq, m.raw[2])
	if sq.Sign() < 0 {
		sq.SetInt64(0)
	}
	return momFloat(momNew().Sqrt(momNew().Quo(sq, momF(m.n))))
}
