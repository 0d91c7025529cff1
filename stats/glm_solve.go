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

// wlsSolve solves the weighted normal equations and returns the
// coefficients (intercept first) and the unscaled covariance (XᵀWX)⁻¹ of
// them, p×p with p = k+1.
//
// As olsFinish does, it centres the sums on the weighted means exactly (768
// bits), scales the regressors to unit weighted variance, factorises their
// correlation matrix (Cholesky) and refines the slopes with residuals of
// the exact centred sums, so that the error is about 1e-16·cond of the
// centred, scaled design rather than its square. Regressors that are
// constant or (1-R² below 1e-14, as R's tolerance) linear combinations of
// the others are an error naming them.
func wlsSolve(s *wlsSums) ([]float64, *mat.SymDense, error) {
	k := len(s.sx)
	names := s.regNames
	if s.sw.Sign() <= 0 {
		return nil, nil, errors.New("no weight: every working weight is 0")
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
	beta := make([]float64, k)
	inv := mat.NewSymDense(max(k, 1), nil)
	if k > 0 {
		var err error
		if beta, inv, err = solveNormal(C, cz, names, " in the rows fitted"); err != nil {
			return nil, nil, err
		}
	}
	icpt := momNew().Set(zbar) // z̄ - Σ beta_a·x̄_a
	for a := range k {
		icpt.Sub(icpt, momNew().Mul(momF(beta[a]), mean[a]))
	}
	coef := append([]float64{momFloat(icpt)}, beta...)
	// Var(b0) = 1/Σw + x̄ᵀC⁻¹x̄, Cov(b0, b) = -C⁻¹x̄, Var(b) = C⁻¹.
	p := k + 1
	cov := mat.NewSymDense(p, nil)
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
		cov.SetSym(0, a+1, -cb)
		for b := a; b < k; b++ {
			cov.SetSym(a+1, b+1, inv.At(a, b))
		}
	}
	cov.SetSym(0, 0, 1/momFloat(s.sw)+math.Max(0, quad))
	return coef, cov, nil
}
