package stats

import (
	"errors"
	"math"
	"math/big"

	"gonum.org/v1/gonum/mat"
)

// wlsSums are the pooled weighted sums of one weighted least squares fit
// of z on an intercept and k regressors x, all about 0 and exact: Σw,
// Σw·x_a, Σw·z, the upper triangle of Σw·x_a·x_b (row by row) and
// Σw·x_a·z.
type wlsSums struct {
	sw, sz   *big.Float
	sx, sxz  []*big.Float
	sxx      []*big.Float
	regNames []string // the regressors, in errors
}

// wlsFit is the solution of one weighted least squares fit.
type wlsFit struct {
	// coef holds the coefficients, the intercept first (p = k+1); an
	// aliased regressor's is 0, as R's glm.fit takes it for the next
	// iteration.
	coef []float64
	// cov is the unscaled covariance (XᵀWX)⁻¹ of the coefficients not
	// aliased, p×p, with 0 in an aliased regressor's row and column.
	cov *mat.SymDense
	// aliased lists the regressors (0 to k-1) left out, in order.
	aliased []int
}

// wlsSolve solves the weighted normal equations.
//
// As olsFinish does, it centres the sums on the weighted means exactly (768
// bits), scales the regressors to unit weighted variance, factorises their
// correlation matrix (Cholesky) and refines the slopes with residuals of
// the exact centred sums, so that the error is about 1e-16·cond of the
// centred, scaled design rather than its square.
//
// A regressor that is constant, or a linear combination of the intercept
// and the regressors before it that are kept, is aliased, as R's glm.fit
// finds with its pivoted QR decomposition of the weighted model matrix
// (columns in the model's order, a later column of a collinear set left
// out): it has no coefficient and the others are fitted without it. R's
// tolerance is 1e-11 on the norm of the column's part not explained by
// those before it, relative to the column's own norm; the sums here keep
// about 1e-15 of the centred sums' magnitude, so the tolerance is OLS's:
// 1-R² of the regressor on the intercept and the regressors kept before
// it below 1e-14 (1e-7 on the norm). Between the two, a regressor so
// nearly collinear that R still estimates it (with a coefficient R itself
// knows to a few digits at best) is aliased here.
func wlsSolve(s *wlsSums) (*wlsFit, error) {
	k := len(s.sx)
	if s.sw.Sign() <= 0 {
		return nil, errors.New("no weight: every working weight is 0")
	}
	mean := make([]*big.Float, k)
	for a := range k {
		mean[a] = momNew().Quo(s.sx[a], s.sw)
	}
	zbar := momNew().Quo(s.sz, s.sw)
	C := make([][]*big.Float, k) // Σw(x_a - x̄_a)(x_b - x̄_b)
	for a := range k {
		C[a] = make([]*big.Float, k)
	}
	t := 0
	for a := range k {
		for b := a; b < k; b++ {
			c := momNew().Mul(s.sx[a], mean[b])
			C[a][b] = c.Sub(s.sxx[t], c)
			C[b][a] = C[a][b]
			t++
		}
	}
	cz := make([]*big.Float, k) // Σw(x_a - x̄_a)(z - z̄)
	for a := range k {
		c := momNew().Mul(s.sx[a], zbar)
		cz[a] = c.Sub(s.sxz[a], c)
	}
	keep := wlsKept(C)
	fit := &wlsFit{}
	for a, i := 0, 0; a < k; a++ {
		if i < len(keep) && keep[i] == a {
			i++
			continue
		}
		fit.aliased = append(fit.aliased, a)
	}
	beta := make([]float64, k)
	inv := mat.NewSymDense(max(k, 1), nil)
	if len(keep) > 0 {
		subC := make([][]*big.Float, len(keep))
		subZ := make([]*big.Float, len(keep))
		names := make([]string, len(keep))
		for i, a := range keep {
			subC[i] = make([]*big.Float, len(keep))
			for j, b := range keep {
				subC[i][j] = C[a][b]
			}
			subZ[i], names[i] = cz[a], s.regNames[a]
		}
		b, subInv, err := solveNormal(subC, subZ, names, " in the rows fitted")
		if err != nil {
			return nil, err
		}
		for i, a := range keep {
			beta[a] = b[i]
			for j := i; j < len(keep); j++ {
				inv.SetSym(a, keep[j], subInv.At(i, j))
			}
		}
	}
	icpt := momNew().Set(zbar) // z̄ - Σ beta_a·x̄_a
	for a := range k {
		icpt.Sub(icpt, momNew().Mul(momF(beta[a]), mean[a]))
	}
	fit.coef = append([]float64{momFloat(icpt)}, beta...)
	// Var(b0) = 1/Σw + x̄ᵀC⁻¹x̄, Cov(b0, b) = -C⁻¹x̄, Var(b) = C⁻¹ (over
	// the regressors kept: an aliased one's row of C⁻¹ is 0).
	p := k + 1
	fit.cov = mat.NewSymDense(p, nil)
	xbar := make([]float64, k)
	for a := range k {
		xbar[a] = momFloat(mean[a])
	}
	quad := 0.0
	for a := range k {
		cb := 0.0
		for b := range k {
			cb += inv.At(a, b) * xbar[b]
			quad += xbar[a] * inv.At(a, b) * xbar[b]
		}
		fit.cov.SetSym(0, a+1, -cb)
		for b := a; b < k; b++ {
			fit.cov.SetSym(a+1, b+1, inv.At(a, b))
		}
	}
	fit.cov.SetSym(0, 0, 1/momFloat(s.sw)+math.Max(0, quad))
	return fit, nil
}

// wlsKept lists the regressors that are not aliased, given their exact
// centred sums of squares and products C: taken in order, a regressor is
// kept when it varies and the last pivot of the Cholesky factor of the
// correlation matrix of the regressors kept so far and it (1-R² of it on
// them) is at least olsCollinearTol. The correlations are those
// solveNormal factorises, and the factor's leading pivots are the same
// whichever regressors follow, so solveNormal accepts the regressors kept.
func wlsKept(C [][]*big.Float) []int {
	k := len(C)
	scale := make([]float64, k)
	for a := range k {
		if C[a][a].Sign() > 0 {
			scale[a] = momFloat(momNew().Sqrt(C[a][a]))
		}
	}
	var keep []int
	for a := range k {
		if scale[a] == 0 {
			continue
		}
		try := append(keep[:len(keep):len(keep)], a)
		corr := mat.NewSymDense(len(try), nil)
		for i, u := range try {
			for j := i; j < len(try); j++ {
				v := try[j]
				c := momNew().Quo(C[u][v], momF(scale[u]))
				corr.SetSym(i, j, momFloat(c.Quo(c, momF(scale[v]))))
			}
		}
		var chol mat.Cholesky
		if !chol.Factorize(corr) {
			continue
		}
		var L mat.TriDense
		chol.LTo(&L)
		if l := L.At(len(try)-1, len(try)-1); l*l >= olsCollinearTol {
			keep = try
		}
	}
	return keep
}
