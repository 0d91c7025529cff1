package stats

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// OLSResult is an ordinary least squares fit of y on an intercept and k
// regressors, pooled over every party's rows.
type OLSResult struct {
	// Terms names the coefficients: "(Intercept)", then the regressors.
	Terms []string
	// Coefficients, StandardErrors and TValues follow Terms.
	Coefficients, StandardErrors, TValues []float64
	// RSquared is 1 - RSS/TSS; AdjRSquared corrects it for the degrees of
	// freedom. Both are NaN when y is constant.
	RSquared, AdjRSquared float64
	// Sigma is the residual standard error sqrt(RSS/DF).
	Sigma float64
	// Samples is the number of rows n; DF = n - (k+1).
	Samples, DF int
}

// olsCollinearTol is the smallest squared Cholesky pivot of the regressors'
// correlation matrix, 1 - R² of a regressor on those before it, that counts
// as independent: 1e-14, R's lm tolerance of 1e-7 on a pivot of the QR
// factor, squared.
const olsCollinearTol = 1e-14

// OLS fits y = b0 + b1·x1 + ... + bk·xk by ordinary least squares over the
// rows of every party, and returns the fit at a deciding party (nil
// elsewhere). X holds this party's rows, each with the k regressors named
// by names (no intercept column; k may be 0). Rows with a NaN (missing)
// value are skipped; infinite values are an error. Each party checks its
// count of rows as a "cohort" with Combiner.Check.
//
// One Combiner.SumWide adds the local aggregate: n, Σz and the upper triangle
// of Σzzᵀ for z = (x1..xk, y), that is XᵀX with the intercept column, Xᵀy
// and yᵀy. The decider centres them, scales the regressors to unit
// variance, factorises their correlation matrix (gonum Cholesky) and solves
// the normal equations, refining the solution with residuals computed in
// 768-bit arithmetic from the exact sums. It returns an error "regressors
// are collinear: ..." naming the regressors involved when a regressor is
// constant or (nearly, 1-R² below 1e-14, as R's lm) a linear combination of
// the others, and "too few rows" when n ≤ k+1.
//
// Precision: each party centres its columns near its own means (the first
// block's) and sums products in blocks of olsBlock rows, each block's dot
// products added with compensated summation, and the sums travel exactly
// (see Moments), so the pooled cross-products are those of the data
// perturbed by at most about olsBlock·1e-16 relative to the products'
// magnitudes (typically far less). Coefficients then have a relative error
// of about that times cond(X) (X the centred, scaled design), not its
// square as with plain normal equations; R² and sigma likewise, since the
// residual sum of squares is evaluated exactly at the computed
// coefficients. Standard errors come from the float64 inverse, relative
// error about 1e-16·cond(X)². No shifts are needed: the
// values only have to keep Σz_a·z_b below 2^439 ≈ 1e132 in magnitude.
func OLS(ctx context.Context, c Combiner, y []float64, X [][]float64, names []string) (*OLSResult, error) {
	k := len(names)
	if len(X) != len(y) && !(k == 0 && X == nil) {
		return nil, fmt.Errorf("ols: %d values of y but %d rows of regressors", len(y), len(X))
	}
	vars := make([][]float64, k+1)
	for a := range k {
		vars[a] = make([]float64, len(y))
	}
	for i, row := range X {
		if len(row) != k {
			return nil, fmt.Errorf("ols: row %d has %d regressors, want %d (%s)", i, len(row), k, strings.Join(names, ", "))
		}
		for a, v := range row {
			vars[a][i] = v
		}
	}
	vars[k] = y
	return OLSColumns(ctx, c, vars, nil, names)
}

// olsBlock is the number of rows centred and multiplied together.
const olsBlock = 256

// OLSColumns is OLS over columns: vars holds one slice per regressor, in
// the order of names, and then the response; rows is nil or selects the
// rows to fit. Rows missing (NaN) in any variable are skipped. Node-held
// tables pass their columns as they are, without a copy.
func OLSColumns(ctx context.Context, c Combiner, vars [][]float64, rows []bool, names []string) (*OLSResult, error) {
	if len(vars) != len(names)+1 {
		return nil, fmt.Errorf("ols: %d columns for %d regressors and the response", len(vars), len(names))
	}
	part, err := LocalOLS(vars, rows, names)
	if err != nil {
		return nil, err
	}
	return part.Combine(ctx, c, names)
}

// LocalOLS computes this party's OLSPart over columns vars (rows nil or
// selecting rows); rows missing in any variable are skipped. what names the
// first len(what) columns in errors (the last is called y).
func LocalOLS(vars [][]float64, rows []bool, what []string) (*OLSPart, error) {
	names, k := what, len(vars)-1
	if len(vars) < 1 {
		return nil, fmt.Errorf("ols: %d columns for %d regressors and the response", len(vars), k)
	}
	q := k + 1 // variables: the regressors, then y
	size := len(vars[k])
	for a, v := range vars {
		if len(v) != size {
			return nil, fmt.Errorf("ols: column %d has %d rows, the response %d", a, len(v), size)
		}
	}
	if rows != nil && len(rows) != size {
		return nil, fmt.Errorf("ols: row selection of %d rows for columns of %d", len(rows), size)
	}
	// One pass over the rows, a block at a time: the complete rows of a
	// block (selected, and finite in every variable; NaN is missing, an
	// infinity an error) are centred into a buffer that stays in cache, and
	// the block's sums and cross products are vector dot products (gonum's
	// assembly kernels) added into compensated accumulators. The centre is
	// the first block's mean, near the data, so the products are well
	// conditioned; a block's rounding is at most olsBlock·2^-53 of its
	// terms' magnitude. The data are read once: the pass is memory-bound.
	mu := make([]float64, q)
	dev := make([]momAcc, q)           // Σ(z_a - mu_a)
	cross := make([]momAcc, q*(q+1)/2) // Σ(z_a - mu_a)(z_b - mu_b), a ≤ b
	buf := make([][]float64, q)
	for a := range buf {
		buf[a] = make([]float64, olsBlock)
	}
	var n float64
	centred := false
	valid := make([]bool, olsBlock)
	for start := 0; start < size; start += olsBlock {
		end := min(start+olsBlock, size)
		m := end - start
		// Column by column: copy the block (a memmove), then mark rows that
		// are not selected or have a missing value.
		all := true
		for j := range valid[:m] {
			valid[j] = rows == nil || rows[start+j]
			all = all && valid[j]
		}
		for a, col := range vars {
			block := buf[a][:m]
			copy(block, col[start:end])
			for j, v := range block {
				if math.Float64bits(v)>>52&0x7ff == 0x7ff { // NaN or ±Inf
					if v == v {
						what := "y"
						if a < k && a < len(names) {
							what = names[a]
						} else if a < k {
							what = fmt.Sprintf("column %d", a+1)
						}
						return nil, fmt.Errorf("ols: row %d: %s is %v: only finite values can be fitted", start+j, what, v)
					}
					valid[j], all = false, false
				}
			}
		}
		if !all { // keep the complete rows only
			kept := 0
			for j := range valid[:m] {
				if valid[j] {
					for a := range buf {
						buf[a][kept] = buf[a][j]
					}
					kept++
				}
			}
			m = kept
		}
		if m == 0 {
			continue
		}
		for a := range buf {
			floats.AddConst(-mu[a], buf[a][:m])
		}
		if m == 0 {
			continue
		}
		if !centred {
			for a := range q {
				mu[a] = floats.Sum(buf[a][:m]) / float64(m)
				floats.AddConst(-mu[a], buf[a][:m])
			}
			centred = true
		}
		n += float64(m)
		t := 0
		for a := range q {
			da := buf[a][:m]
			dev[a].add(floats.Sum(da))
			for b := a; b < q; b++ {
				cross[t].add(floats.Dot(da, buf[b][:m]))
				t++
			}
		}
	}

	// Sums about 0: Σz_a = n·mu_a + Σd_a;
	// Σz_a·z_b = n·mu_a·mu_b + mu_a·Σd_b + mu_b·Σd_a + Σd_a·d_b.
	nb := momF(n)
	part := &OLSPart{n: n, q: q}
	sd := make([]*big.Float, q)
	for a := range q {
		var ok bool
		if sd[a], ok = dev[a].big(); !ok {
			return nil, errors.New("ols: the sums overflow float64: the values spread too widely")
		}
		s := momNew().Mul(nb, momF(mu[a]))
		part.sums = append(part.sums, s.Add(s, sd[a]))
	}
	t := 0
	for a := range q {
		for b := a; b < q; b++ {
			sab, ok := cross[t].big()
			if !ok {
				return nil, errors.New("ols: the sums of products overflow float64: the values spread too widely")
			}
			ma, mb := momF(mu[a]), momF(mu[b])
			s := momNew().Mul(momNew().Mul(nb, ma), mb)
			s.Add(s, momNew().Mul(ma, sd[b])).Add(s, momNew().Mul(mb, sd[a])).Add(s, sab)
			part.cross = append(part.cross, s)
			t++
		}
	}
	return part, nil
}

// OLSPart is one party's sufficient statistics for regressions: its number
// of complete rows and the sums and cross-products (about 0, to 768 bits)
// of its variables. A node may compute it once for a table's columns and
// Select the variables of each regression.
type OLSPart struct {
	n     float64
	q     int
	sums  []*big.Float // Σz_a
	cross []*big.Float // Σz_a·z_b, a ≤ b, row by row
}

// Select returns the part of the variables idx (indices into the columns
// the part was computed from; regressors first, the response last).
func (p *OLSPart) Select(idx []int) (*OLSPart, error) {
	out := &OLSPart{n: p.n, q: len(idx)}
	at := func(a, b int) int { // index of (a, b), a ≤ b, in the upper triangle
		return a*p.q - a*(a-1)/2 + (b - a)
	}
	for i, a := range idx {
		if a < 0 || a >= p.q {
			return nil, fmt.Errorf("ols: variable %d of %d", a, p.q)
		}
		out.sums = append(out.sums, p.sums[a])
		for _, b := range idx[i:] {
			out.cross = append(out.cross, p.cross[at(min(a, b), max(a, b))])
		}
	}
	return out, nil
}

// Combine fits the regression of the last variable on the others from
// every party's part (after this party's disclosure rule has passed its row
// count); the deciding parties get the result, the others nil.
func (p *OLSPart) Combine(ctx context.Context, c Combiner, names []string) (*OLSResult, error) {
	q, k := p.q, p.q-1
	if len(names) != k {
		return nil, fmt.Errorf("ols: %d names for %d regressors", len(names), k)
	}
	seen := map[string]bool{"(Intercept)": true}
	for _, name := range names {
		if name == "" || seen[name] {
			return nil, fmt.Errorf("ols: regressor name %q is empty, reserved or repeated", name)
		}
		seen[name] = true
	}
	if err := c.Check("cohort", []float64{p.n}); err != nil {
		return nil, fmt.Errorf("ols: %w", err)
	}
	vec := newWideVec(quadWindow)
	vec.count(p.n)
	for _, s := range p.sums {
		if err := vec.real(s, "a column sum"); err != nil {
			return nil, fmt.Errorf("ols: %w", err)
		}
	}
	for _, s := range p.cross {
		if err := vec.real(s, "a sum of products"); err != nil {
			return nil, fmt.Errorf("ols: %w", err)
		}
	}
	r, err := vec.combine(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("ols: %w", err)
	}
	if r == nil {
		return nil, nil
	}
	n := r.count()
	raw := make([]*big.Float, q)
	for a := range q {
		raw[a] = r.real()
	}
	rawCross := make([]*big.Float, q*(q+1)/2)
	for t := range rawCross {
		rawCross[t] = r.real()
	}
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("ols: %w", err)
	}
	if n <= float64(q) {
		return nil, fmt.Errorf("ols: too few rows for %d regressors: %g rows, need more than %d", k, n, q)
	}
	res, err := olsFinish(n, raw, rawCross, names)
	if err != nil {
		return nil, fmt.Errorf("ols: %w", err)
	}
	return res, nil
}

// olsFinish fits the model from the pooled sums about 0 of z = (x..., y):
// raw[a] = Σz_a and rawCross the upper triangle of Σz·zᵀ, row by row.
func olsFinish(n float64, raw, rawCross []*big.Float, names []string) (*OLSResult, error) {
	k, q := len(names), len(raw)
	nb := momF(n)
	mean := make([]*big.Float, q)
	for a := range q {
		mean[a] = momNew().Quo(raw[a], nb)
	}
	// Centred cross-products C_ab = Σz_a·z_b - Σz_a·Σz_b/n, exact to 768 bits.
	C := make([][]*big.Float, q)
	for a := range q {
		C[a] = make([]*big.Float, q)
	}
	t := 0
	for a := range q {
		for b := a; b < q; b++ {
			c := momNew().Mul(raw[a], mean[b])
			C[a][b] = c.Sub(rawCross[t], c)
			C[b][a] = C[a][b]
			t++
		}
	}
	for a := range k {
		if C[a][a].Sign() <= 0 {
			return nil, fmt.Errorf("regressors are collinear: %s is constant (collinear with the intercept)", names[a])
		}
	}

	beta := make([]float64, k) // slopes
	var inv *mat.SymDense      // (C_xx)⁻¹
	if k > 0 {
		scale := make([]float64, k) // sqrt(C_aa)
		for a := range k {
			scale[a] = momFloat(momNew().Sqrt(C[a][a]))
			if scale[a] == 0 {
				return nil, fmt.Errorf("regressors are collinear: %s is constant (collinear with the intercept)", names[a])
			}
		}
		corr := mat.NewSymDense(k, nil)
		for a := range k {
			for b := a; b < k; b++ {
				s := momNew().Quo(C[a][b], momF(scale[a]))
				corr.SetSym(a, b, momFloat(s.Quo(s, momF(scale[b]))))
			}
		}
		var chol mat.Cholesky
		if !chol.Factorize(corr) {
			return nil, olsCollinear(corr, names)
		}
		var L mat.TriDense
		chol.LTo(&L)
		for a := range k {
			if l := L.At(a, a); !(l*l >= olsCollinearTol) {
				return nil, olsCollinear(corr, names)
			}
		}
		// Solve C_xx·beta = C_xy as corr·(scale∘beta) = C_xy/scale, then
		// refine with residuals of the exact centred sums.
		rhs := mat.NewVecDense(k, nil)
		var step mat.VecDense
		for a := range k {
			rhs.SetVec(a, momFloat(C[a][k])/scale[a])
		}
		for range 10 {
			if err := chol.SolveVecTo(&step, rhs); err != nil && !errors.As(err, new(mat.Condition)) {
				return nil, fmt.Errorf("solve the normal equations: %w", err)
			}
			change := 0.0
			for a := range k {
				delta := step.AtVec(a) / scale[a]
				beta[a] += delta
				if !momFinite(beta[a]) {
					return nil, olsCollinear(corr, names)
				}
				change = math.Max(change, math.Abs(delta)/math.Max(math.Abs(beta[a]), math.SmallestNonzeroFloat64))
			}
			if change <= 1e-15 { // converged: a further step would change beta by about 1e-16 at most
				break
			}
			for a := range k { // residual C_xy - C_xx·beta
				res := momNew().Set(C[a][k])
				for b := range k {
					res.Sub(res, momNew().Mul(C[a][b], momF(beta[b])))
				}
				rhs.SetVec(a, momFloat(res)/scale[a])
			}
		}
		var corrInv mat.SymDense
		if err := chol.InverseTo(&corrInv); err != nil && !errors.As(err, new(mat.Condition)) {
			return nil, fmt.Errorf("invert the normal equations: %w", err)
		}
		inv = mat.NewSymDense(k, nil)
		for a := range k {
			for b := a; b < k; b++ {
				inv.SetSym(a, b, corrInv.At(a, b)/scale[a]/scale[b])
			}
		}
	}

	// RSS(beta) = C_yy - 2·Σ beta_a·C_ay + Σ beta_a·beta_b·C_ab, exactly at the
	// computed beta (so its error is second order in beta's).
	rss := momNew().Set(C[k][k])
	for a := range k {
		ba := momF(beta[a])
		rss.Sub(rss, momNew().Mul(momNew().Mul(ba, C[a][k]), momF(2)))
		for b := range k {
			rss.Add(rss, momNew().Mul(momNew().Mul(ba, momF(beta[b])), C[a][b]))
		}
	}
	if rss.Sign() < 0 {
		rss.SetInt64(0)
	}
	intercept := momNew().Set(mean[k]) // ȳ - Σ beta_a·x̄_a
	for a := range k {
		intercept.Sub(intercept, momNew().Mul(momF(beta[a]), mean[a]))
	}

	p := k + 1
	df := n - float64(p)
	sigma2 := momFloat(rss) / df
	res := &OLSResult{
		Terms:        append([]string{"(Intercept)"}, names...),
		Coefficients: append([]float64{momFloat(intercept)}, beta...),
		Sigma:        math.Sqrt(sigma2),
		Samples:      int(n),
		DF:           int(df),
		RSquared:     math.NaN(),
		AdjRSquared:  math.NaN(),
	}
	// Var(b0) = sigma²·(1/n + x̄ᵀ·C_xx⁻¹·x̄); Var(b) = sigma²·C_xx⁻¹.
	xbar := make([]float64, k)
	for a := range k {
		xbar[a] = momFloat(mean[a])
	}
	quad := 0.0
	if k > 0 {
		xv := mat.NewVecDense(k, xbar)
		quad = mat.Inner(xv, inv, xv)
	}
	res.StandardErrors = append(res.StandardErrors, math.Sqrt(sigma2*(1/n+math.Max(0, quad))))
	for a := range k {
		res.StandardErrors = append(res.StandardErrors, math.Sqrt(sigma2*inv.At(a, a)))
	}
	for a, b := range res.Coefficients {
		tv := math.NaN()
		if se := res.StandardErrors[a]; se > 0 {
			tv = b / se
		}
		res.TValues = append(res.TValues, tv)
	}
	if C[k][k].Sign() > 0 {
		res.RSquared = 1 - momFloat(momNew().Quo(rss, C[k][k]))
		res.AdjRSquared = 1 - (1-res.RSquared)*(n-1)/df
	}
	return res, nil
}

// olsCollinear explains a singular correlation matrix of the regressors:
// the regressors with weight in the right singular vector of its smallest
// singular value are the ones that are linearly dependent.
func olsCollinear(corr *mat.SymDense, names []string) error {
	var svd mat.SVD
	if !svd.Factorize(corr, mat.SVDThin) {
		return fmt.Errorf("regressors are collinear: %s are linearly dependent", strings.Join(names, ", "))
	}
	var v mat.Dense
	svd.VTo(&v)
	k := len(names)
	top := 0.0
	for a := range k {
		top = math.Max(top, math.Abs(v.At(a, k-1)))
	}
	var involved []string
	for a := range k {
		if math.Abs(v.At(a, k-1)) >= 0.01*top {
			involved = append(involved, names[a])
		}
	}
	if len(involved) == 1 {
		return fmt.Errorf("regressors are collinear: %s is (nearly) constant", involved[0])
	}
	return fmt.Errorf("regressors are collinear: %s are linearly dependent (together with the intercept); drop one of them", strings.Join(involved, ", "))
}
