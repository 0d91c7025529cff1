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
//
// One pass over the rows, a block at a time: the complete rows of a block
// (selected, and finite in every variable; NaN is missing, an infinity an
// error) are centred into a buffer that stays in cache, and the block's
// sums and cross products are vector dot products (gonum's assembly
// kernels) added into compensated accumulators. The centre is the first
// block's mean, near the data, so the products are well conditioned; a
// block's rounding is at most olsBlock·2^-53 of its terms' magnitude. The
// data are read once: the pass is memory-bound.
func LocalOLS(vars [][]float64, rows []bool, what []string) (*OLSPart, error) {
	k := len(vars) - 1
	if len(vars) < 1 {
		return nil, fmt.Errorf("ols: %d columns for %d regressors and the response", len(vars), k)
	}
	size := len(vars[k])
	for a, v := range vars {
		if len(v) != size {
			return nil, fmt.Errorf("ols: column %d has %d rows, the response %d", a, len(v), size)
		}
	}
	if rows != nil && len(rows) != size {
		return nil, fmt.Errorf("ols: row selection of %d rows for columns of %d", len(rows), size)
	}
	pass := newOLSPass(k+1, what)
	for start := 0; start < size; start += olsBlock {
		if err := pass.block(vars, rows, start, min(start+olsBlock, size)); err != nil {
			return nil, err
		}
	}
	return pass.part()
}

// olsPass is LocalOLS's pass over the rows: q variables (the regressors,
// then y), each centred at mu, their sums Σ(z_a - mu_a) and the upper
// triangle of their cross products Σ(z_a - mu_a)(z_b - mu_b), a ≤ b, over
// the n complete rows seen.
type olsPass struct {
	q       int
	names   []string
	mu      []float64
	dev     []momAcc
	cross   []momAcc
	buf     [][]float64 // one block of each variable
	valid   []bool      // the block's complete rows
	n       float64
	centred bool
}

func newOLSPass(q int, names []string) *olsPass {
	p := &olsPass{q: q, names: names, mu: make([]float64, q), dev: make([]momAcc, q),
		cross: make([]momAcc, q*(q+1)/2), buf: make([][]float64, q), valid: make([]bool, olsBlock)}
	for a := range p.buf {
		p.buf[a] = make([]float64, olsBlock)
	}
	return p
}

// block adds the complete rows start..end-1.
func (p *olsPass) block(vars [][]float64, rows []bool, start, end int) error {
	m, all, err := p.load(vars, rows, start, end)
	if err != nil {
		return err
	}
	if !all {
		m = p.compact(m)
	}
	if m == 0 {
		return nil
	}
	for a := range p.buf {
		floats.AddConst(-p.mu[a], p.buf[a][:m])
	}
	if !p.centred {
		for a := range p.q {
			p.mu[a] = floats.Sum(p.buf[a][:m]) / float64(m)
			floats.AddConst(-p.mu[a], p.buf[a][:m])
		}
		p.centred = true
	}
	p.n += float64(m)
	t := 0
	for a := range p.q {
		da := p.buf[a][:m]
		p.dev[a].add(floats.Sum(da))
		for b := a; b < p.q; b++ {
			p.cross[t].add(floats.Dot(da, p.buf[b][:m]))
			t++
		}
	}
	return nil
}

// load copies rows start..end-1 into the buffer column by column (a
// memmove) and marks the rows not selected or with a missing value; all
// says every row is complete. An infinite value is an error naming its
// row and variable.
func (p *olsPass) load(vars [][]float64, rows []bool, start, end int) (m int, all bool, err error) {
	m, all = end-start, true
	for j := range p.valid[:m] {
		p.valid[j] = rows == nil || rows[start+j]
		all = all && p.valid[j]
	}
	for a, col := range vars {
		block := p.buf[a][:m]
		copy(block, col[start:end])
		for j, v := range block {
			if math.Float64bits(v)>>52&0x7ff != 0x7ff { // finite
				continue
			}
			if v == v {
				return 0, false, fmt.Errorf("ols: row %d: %s is %v: only finite values can be fitted", start+j, p.variable(a), v)
			}
			p.valid[j], all = false, false
		}
	}
	return m, all, nil
}

// variable names variable a in errors.
func (p *olsPass) variable(a int) string {
	switch {
	case a == p.q-1:
		return "y"
	case a < len(p.names):
		return p.names[a]
	}
	return fmt.Sprintf("column %d", a+1)
}

// compact keeps the complete rows of the block's first m, in order, and
// returns how many there are.
func (p *olsPass) compact(m int) int {
	kept := 0
	for j := range p.valid[:m] {
		if p.valid[j] {
			for a := range p.buf {
				p.buf[a][kept] = p.buf[a][j]
			}
			kept++
		}
	}
	return kept
}

// part turns the pass's sums into sums about 0, exactly:
// Σz_a = n·mu_a + Σd_a;
// Σz_a·z_b = n·mu_a·mu_b + mu_a·Σd_b + mu_b·Σd_a + Σd_a·d_b.
func (p *olsPass) part() (*OLSPart, error) {
	nb := momF(p.n)
	part := &OLSPart{n: p.n, q: p.q}
	sd := make([]*big.Float, p.q)
	for a := range p.q {
		var ok bool
		if sd[a], ok = p.dev[a].big(); !ok {
			return nil, errors.New("ols: the sums overflow float64: the values spread too widely")
		}
		s := momNew().Mul(nb, momF(p.mu[a]))
		part.sums = append(part.sums, s.Add(s, sd[a]))
	}
	t := 0
	for a := range p.q {
		for b := a; b < p.q; b++ {
			sab, ok := p.cross[t].big()
			if !ok {
				return nil, errors.New("ols: the sums of products overflow float64: the values spread too widely")
			}
			ma, mb := momF(p.mu[a]), momF(p.mu[b])
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
	if err := vec.reals(p.sums, func(int) string { return "a column sum" }); err != nil {
		return nil, fmt.Errorf("ols: %w", err)
	}
	if err := vec.reals(p.cross, func(int) string { return "a sum of products" }); err != nil {
		return nil, fmt.Errorf("ols: %w", err)
	}
	tot, err := vec.total(ctx, c)
	if err != nil || tot == nil {
		return nil, prefixed("ols", err)
	}
	n, raw, rawCross := tot.counts[0], tot.reals[:q], tot.reals[q:]
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
	k := len(names)
	mean, C := olsCentred(n, raw, rawCross)
	for a := range k {
		if C[a][a].Sign() <= 0 {
			return nil, fmt.Errorf("regressors are collinear: %s is constant (collinear with the intercept)", names[a])
		}
	}
	beta := make([]float64, k) // slopes
	var inv *mat.SymDense      // (C_xx)⁻¹
	if k > 0 {
		cxy := make([]*big.Float, k)
		for a := range k {
			cxy[a] = C[a][k]
		}
		var err error
		if beta, inv, err = solveNormal(C, cxy, names, ""); err != nil {
			return nil, err
		}
	}
	rss := olsRSS(C, beta)
	intercept := momNew().Set(mean[k]) // ȳ - Σ beta_a·x̄_a
	for a := range k {
		intercept.Sub(intercept, momNew().Mul(momF(beta[a]), mean[a]))
	}
	df := n - float64(k+1)
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
	res.StandardErrors = olsStandardErrors(n, sigma2, mean[:k], inv)
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

// olsCentred returns the means Σz_a/n and the centred cross-products
// C_ab = Σz_a·z_b - Σz_a·Σz_b/n, exact to 768 bits.
func olsCentred(n float64, raw, rawCross []*big.Float) (mean []*big.Float, C [][]*big.Float) {
	q := len(raw)
	nb := momF(n)
	mean = make([]*big.Float, q)
	for a := range q {
		mean[a] = momNew().Quo(raw[a], nb)
	}
	C = make([][]*big.Float, q)
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
	return mean, C
}

// solveNormal solves the normal equations C_xx·beta = C_xy for the k =
// len(names) slopes, given the centred cross-products C_xx (C[a][b] for a,
// b < k) and C_xy (cxy), with the regressors scaled to unit variance: it
// factorises their correlation matrix (Cholesky), refuses constant or
// collinear regressors (where says where, in the error), refines the
// solution with residuals of the exact centred sums, and returns beta and
// (C_xx)⁻¹. OLS and the GLM's weighted least squares share it.
func solveNormal(C [][]*big.Float, cxy []*big.Float, names []string, where string) ([]float64, *mat.SymDense, error) {
	k := len(names)
	scale := make([]float64, k) // sqrt(C_aa)
	for a := range k {
		if C[a][a].Sign() > 0 {
			scale[a] = momFloat(momNew().Sqrt(C[a][a]))
		}
		if scale[a] == 0 {
			return nil, nil, fmt.Errorf("regressors are collinear: %s is constant (collinear with the intercept)%s", names[a], where)
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
		return nil, nil, olsCollinear(corr, names)
	}
	var L mat.TriDense
	chol.LTo(&L)
	for a := range k {
		if l := L.At(a, a); !(l*l >= olsCollinearTol) {
			return nil, nil, olsCollinear(corr, names)
		}
	}
	beta, err := olsRefine(&chol, C, cxy, scale)
	if err != nil {
		return nil, nil, err
	}
	if beta == nil {
		return nil, nil, olsCollinear(corr, names)
	}
	var corrInv mat.SymDense
	if err := chol.InverseTo(&corrInv); err != nil && !errors.As(err, new(mat.Condition)) {
		return nil, nil, fmt.Errorf("invert the normal equations: %w", err)
	}
	inv := mat.NewSymDense(k, nil)
	for a := range k {
		for b := a; b < k; b++ {
			inv.SetSym(a, b, corrInv.At(a, b)/scale[a]/scale[b])
		}
	}
	return beta, inv, nil
}

// olsRefine solves C_xx·beta = C_xy as corr·(scale∘beta) = C_xy/scale with
// the factorised correlation matrix, then refines beta with residuals of
// the exact centred sums until a step changes it by about 1e-16 at most.
// It returns nil when beta is not finite (the regressors are collinear).
func olsRefine(chol *mat.Cholesky, C [][]*big.Float, cxy []*big.Float, scale []float64) ([]float64, error) {
	k := len(scale)
	beta := make([]float64, k)
	rhs := mat.NewVecDense(k, nil)
	var step mat.VecDense
	for a := range k {
		rhs.SetVec(a, momFloat(cxy[a])/scale[a])
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
				return nil, nil
			}
			change = math.Max(change, math.Abs(delta)/math.Max(math.Abs(beta[a]), math.SmallestNonzeroFloat64))
		}
		if change <= 1e-15 { // converged: a further step would change beta by about 1e-16 at most
			break
		}
		for a := range k { // residual C_xy - C_xx·beta
			res := momNew().Set(cxy[a])
			for b := range k {
				res.Sub(res, momNew().Mul(C[a][b], momF(beta[b])))
			}
			rhs.SetVec(a, momFloat(res)/scale[a])
		}
	}
	return beta, nil
}

// olsRSS returns RSS(beta) = C_yy - 2·Σ beta_a·C_ay + Σ beta_a·beta_b·C_ab,
// exactly at the computed beta (so its error is second order in beta's),
// and not below 0.
func olsRSS(C [][]*big.Float, beta []float64) *big.Float {
	k := len(beta)
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
	return rss
}

// olsStandardErrors returns the coefficients' standard errors, the
// intercept's first: Var(b0) = sigma²·(1/n + x̄ᵀ·C_xx⁻¹·x̄) and Var(b) =
// sigma²·C_xx⁻¹, with xmean the regressors' means.
func olsStandardErrors(n, sigma2 float64, xmean []*big.Float, inv *mat.SymDense) []float64 {
	k := len(xmean)
	quad := 0.0
	if k > 0 {
		xbar := make([]float64, k)
		for a := range k {
			xbar[a] = momFloat(xmean[a])
		}
		xv := mat.NewVecDense(k, xbar)
		quad = mat.Inner(xv, inv, xv)
	}
	se := []float64{math.Sqrt(sigma2 * (1/n + math.Max(0, quad)))}
	for a := range k {
		se = append(se, math.Sqrt(sigma2*inv.At(a, a)))
	}
	return se
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
