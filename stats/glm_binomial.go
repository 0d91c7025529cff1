package stats

import "math"

// binomialWeights is weights for the binomial family (logit link): for a
// block's linear predictors e and 0/1 responses y, s = √w and s·z into s
// and sz, and the block's deviance and fitted values numerically 0 or 1
// into c; f is scratch space of the block's length.
//
// Within R's clamp of the logit (|eta| ≤ 30) a row takes one exponential
// and one division: with h = e^(eta/2) and d = 1/((1+h²)·h), the fitted
// value is mu = h²/(1+h²) = h³·d, the working weight w = dmu/deta =
// h²/(1+h²)² (for the canonical link (dmu/deta)²/V(mu) is dmu/deta), so
// √w = h/(1+h²) = h²·d and 1/√w = (1+h²)²·d, and s·z = √w·eta +
// (y-mu)/√w. These are R's quantities to a few units in the last place.
// There no fitted value is within 10·eps of 0 or 1 (mu is at least
// 9·10⁻¹⁴ from both). Beyond the clamp the rows take R's clamped values
// (eval). Where the processor has them, binomialKernel computes four rows
// at a time (AVX2 and FMA, fdlibm's exponential as Go's math.Exp has it);
// the rest are computed here.
//
// The deviance −2·Σ log f, f = mu or 1−mu for y = 1 or 0 (R's
// 2·(y·log(y/mu) + (1-y)·log((1-y)/(1-mu))) for 0/1 y), takes one
// logarithm per block: of the product of the factors, kept in range by
// taking out its binary exponent every 16 rows (each factor is at least
// 2⁻⁵³).
func binomialWeights(c *glmChunk, e, y, s, sz, f []float64) {
	y, s, sz, f = y[:len(e)], s[:len(e)], sz[:len(e)], f[:len(e)]
	done := binomialKernel(e, y, s, sz, f)
	for j, et := range e {
		inside := et >= -logitLimit && et <= logitLimit
		if j < done && inside {
			continue
		}
		yj := y[j]
		var mu float64
		if inside {
			h := math.Exp(et / 2)
			h2 := h * h
			op := 1 + h2
			d := 1 / (op * h)
			mu = h2 * h * d
			sj := h2 * d
			s[j] = sj
			sz[j] = sj*et + (yj-mu)*(op*op*d)
		} else {
			var me, w float64
			mu, me, w = famBinomial.eval(et)
			s[j] = math.Sqrt(w)
			sz[j] = s[j] * (et + (yj-mu)/me)
			if famBinomial.extreme(mu) {
				c.extreme++
			}
		}
		f[j] = mu*yj + (1-mu)*(1-yj) // mu or 1-mu, exactly, for y 1 or 0
	}
	prod, exp2 := 1.0, 0
	for j, v := range f {
		prod *= v
		if j&15 == 15 {
			var x int
			prod, x = math.Frexp(prod)
			exp2 += x
		}
	}
	c.dev.add(-2 * (math.Log(prod) + float64(exp2)*math.Ln2))
}
