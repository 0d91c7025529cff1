package stats

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// CoxResult is a Cox proportional hazards fit with Breslow's handling of
// ties, as R's coxph(..., ties = "breslow") computes it.
type CoxResult struct {
	// Terms names the coefficients; Coefficients, StandardErrors, Z and P
	// (Wald) follow them.
	Terms                        []string
	Coefficients, StandardErrors []float64
	Z, P                         []float64
	HazardRatios, Lower, Upper   []float64 // exp(coef) and its 95% interval
	LogLikNull, LogLik           float64   // the partial log-likelihood at 0 and at the fit
	LRChiSq, LRP                 float64   // the likelihood-ratio test on DF degrees of freedom
	DF                           int       // the covariates estimated: len(Terms) less the aliased
	// Aliased names the covariates collinear with those before them (or
	// constant among the rows at risk): NaN (R's NA) in every column but
	// the standard error, which is 0 as R's variance gives it.
	Aliased    []string
	N, Events  float64
	Iterations int
	Converged  bool
	Means      []float64 // the covariates' pooled means (the centring)
}

// Newton–Raphson settings of R's coxph.control.
const (
	coxEps      = 1e-9 // convergence: |1 − loglik_old/loglik_new| ≤ eps
	coxMaxIter  = 20
	coxTolChol  = 1.8189894035458565e-12 // .Machine$double.eps^0.75
	coxMaxTerms = 64
)

// CoxRows are one party's rows for a Cox model: follow-up times, event
// indicators (0 or 1) and p covariate columns, all complete.
type CoxRows struct {
	Time, Event []float64
	X           [][]float64 // X[a][i]: covariate a of row i
}

// CoxPH fits the Cox model over every party's rows on a time grid (see
// survival.go: with the distinct event times as the grid it is R's fit).
//
// Every party runs it with its own rows; the first decider leads. The
// sums, each added with c.Sum and seen by the deciders alone, are:
// once, the rows and the covariate sums (the pooled means, by which the
// covariates are centred); once, the events of each interval and the sum
// of the centred covariates over all events; then, at each Newton–Raphson
// iteration, for each interval j the sums over the rows leaving the risk
// set in it of w = exp(βᵀ(x−x̄)), w·(x−x̄) and w·(x−x̄)(x−x̄)ᵀ (upper
// triangle). Their suffix sums are the risk-set sums S0, S1, S2 of
// Breslow's partial likelihood at each grid point. The leader makes each
// iterate β known to every party with c.Decide (with a flag that ends the
// loop). The iterations are R's coxfit6: start at 0, Newton steps, a step
// halved while the log-likelihood falls, converged when the relative change
// of the log-likelihood is at most 1e-9 (at most 20 iterations).
func CoxPH(ctx context.Context, c Combiner, rows *CoxRows, grid []float64, names []string) (*CoxResult, error) {
	p := len(names)
	if p == 0 || p > coxMaxTerms {
		return nil, fmt.Errorf("coxph: %d covariates: give 1 to %d", p, coxMaxTerms)
	}
	if len(rows.X) != p {
		return nil, fmt.Errorf("coxph: %d covariate columns for %d names", len(rows.X), p)
	}
	if err := CheckGrid(grid); err != nil {
		return nil, fmt.Errorf("coxph: %w", err)
	}
	n := len(rows.Time)
	if len(rows.Event) != n {
		return nil, fmt.Errorf("coxph: %d times and %d events", n, len(rows.Event))
	}
	for a, col := range rows.X {
		if len(col) != n {
			return nil, fmt.Errorf("coxph: covariate %s has %d rows, the times %d", names[a], len(col), n)
		}
		for i, v := range col {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("coxph: row %d: %s is %v: only finite values can be fitted", i, names[a], v)
			}
		}
	}
	m := len(grid)
	interval := make([]int32, n)
	for i, t := range rows.Time {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("coxph: row %d: time is %v", i, t)
		}
		e := rows.Event[i]
		if e != 0 && e != 1 {
			return nil, fmt.Errorf("coxph: row %d: event is %v: 1 (event) or 0 (censored)", i, e)
		}
		interval[i] = int32(Interval(grid, t, e == 1))
	}

	// The pooled means.
	local := make([]float64, 1+p)
	local[0] = float64(n)
	for a, col := range rows.X {
		local[1+a] = SumValues(col)
	}
	if err := c.Check("cohort", local[:1]); err != nil {
		return nil, fmt.Errorf("coxph: %w", err)
	}
	tot, err := c.Sum(ctx, local)
	if err != nil {
		return nil, fmt.Errorf("coxph: %w", err)
	}
	var mu []float64
	if c.Decider() {
		if tot[0] < 1 {
			return nil, errors.New("coxph: no rows")
		}
		mu = make([]float64, p)
		for a := range p {
			mu[a] = tot[1+a] / math.Round(tot[0])
		}
	}
	if mu, err = c.Decide(ctx, mu); err != nil {
		return nil, fmt.Errorf("coxph: %w", err)
	}
	if len(mu) != p {
		return nil, fmt.Errorf("coxph: %d means for %d covariates", len(mu), p)
	}
	nRows := 0.0
	if tot != nil {
		nRows = math.Round(tot[0])
	}

	// Events per interval, and the centred covariates summed over events.
	ev := make([]float64, m+p)
	for i, j := range interval {
		if rows.Event[i] == 1 {
			ev[j]++
			for a, col := range rows.X {
				ev[m+a] += col[i] - mu[a]
			}
		}
	}
	evTot, err := c.Sum(ctx, ev)
	if err != nil {
		return nil, fmt.Errorf("coxph: %w", err)
	}

	tri := p * (p + 1) / 2
	width := 1 + p + tri
	fit := &coxFit{p: p, m: m, width: width}
	if evTot != nil {
		fit.d = make([]float64, m)
		for j := range m {
			fit.d[j] = math.Round(evTot[j])
		}
		fit.xev = evTot[m:]
	}
	xc := make([]float64, p)
	// Each round: the leader's [go on (1) or stop (0), β...].
	var decision []float64
	if c.Decider() {
		decision = append([]float64{1}, make([]float64, p)...)
	}
	for round := 0; ; round++ {
		if decision, err = c.Decide(ctx, decision); err != nil {
			return nil, fmt.Errorf("coxph: %w", err)
		}
		if len(decision) != 1+p {
			return nil, fmt.Errorf("coxph: a decision of %d values for %d covariates", len(decision), p)
		}
		if decision[0] == 0 || round > 2*coxMaxIter+2 {
			break
		}
		beta := decision[1:]
		sums := make([]float64, m*width)
		for i, j := range interval {
			if j < 0 {
				continue
			}
			eta := 0.0
			for a, col := range rows.X {
				xc[a] = col[i] - mu[a]
				eta += beta[a] * xc[a]
			}
			w := math.Exp(eta)
			s := sums[int(j)*width : (int(j)+1)*width]
			s[0] += w
			t := 1 + p
			for a := range p {
				wa := w * xc[a]
				s[1+a] += wa
				for b := a; b < p; b++ {
					s[t] += wa * xc[b]
					t++
				}
			}
		}
		for _, v := range sums {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1<<52 {
				return nil, errors.New("coxph: the fit diverges: exp(linear predictor) overflows; a covariate may separate events from survivors, or be on too large a scale")
			}
		}
		pooled, err := c.Sum(ctx, sums)
		if err != nil {
			return nil, fmt.Errorf("coxph: %w", err)
		}
		if !c.Decider() {
			decision = nil
			continue
		}
		next, err := fit.step(beta, pooled)
		if err != nil {
			return nil, fmt.Errorf("coxph: %w", err)
		}
		if next == nil {
			decision = make([]float64, 1+p) // stop
		} else {
			decision = append([]float64{1}, next...)
		}
	}
	if !c.Decider() {
		return nil, nil
	}
	return fit.result(names, mu, nRows)
}

// coxFit is the leader's Newton–Raphson state (R's coxfit6).
type coxFit struct {
	p, m, width int
	d, xev      []float64 // events per interval; Σ over events of x−x̄

	iter      int // iterations done (R's iter)
	halving   bool
	beta      []float64 // the last accepted iterate
	loglik0   float64   // at β = 0
	loglik    float64   // at beta (R's loglik[1])
	last      []float64 // the iterate evaluated last
	lastLL    float64
	lastInfo  *mat.SymDense
	converged bool
	done      bool
}

// evaluate returns the log partial likelihood, score and information at
// beta from the pooled per-interval sums.
func (f *coxFit) evaluate(beta, pooled []float64) (float64, []float64, *mat.SymDense) {
	p, m, w := f.p, f.m, f.width
	ll := 0.0
	for a := range p {
		ll += beta[a] * f.xev[a]
	}
	u := append([]float64(nil), f.xev...)
	info := mat.NewSymDense(p, nil)
	risk := make([]float64, w) // suffix sums: the risk set at point j
	for j := m - 1; j >= 0; j-- {
		for t := range w {
			risk[t] += pooled[j*w+t]
		}
		d := f.d[j]
		if d == 0 {
			continue
		}
		s0 := risk[0]
		ll -= d * math.Log(s0)
		t := 1 + p
		for a := range p {
			ma := risk[1+a] / s0
			u[a] -= d * ma
			for b := a; b < p; b++ {
				info.SetSym(a, b, info.At(a, b)+d*(risk[t]/s0-ma*risk[1+b]/s0))
				t++
			}
		}
	}
	return ll, u, info
}

// newtonStep solves info·step = u as R's coxph does (cholesky2,
// chsolve2): a covariate whose pivot is below coxTolChol times the largest
// diagonal, after the covariates before it, is aliased (collinear with
// them, or constant among the rows at risk): its step is 0 and the others
// are solved on the rest of the matrix.
func newtonStep(info *mat.SymDense, u []float64) ([]float64, error) {
	keep := coxKept(info)
	if len(keep) == 0 {
		return nil, errors.New("the information matrix is 0: no covariate varies among the rows at risk")
	}
	sub := coxSub(info, keep)
	var ch mat.Cholesky
	if !ch.Factorize(sub) {
		return nil, errors.New("the information matrix is not positive definite")
	}
	rhs := make([]float64, len(keep))
	for i, a := range keep {
		rhs[i] = u[a]
	}
	var x mat.VecDense
	if err := ch.SolveVecTo(&x, mat.NewVecDense(len(rhs), rhs)); err != nil && !errors.As(err, new(mat.Condition)) {
		return nil, err
	}
	step := make([]float64, len(u))
	for i, a := range keep {
		step[a] = x.AtVec(i)
	}
	return step, nil
}

// coxKept lists the covariates that are not aliased: the pivots of a
// Cholesky decomposition taken in order, a column whose pivot falls below
// coxTolChol times the largest diagonal (or is not finite) being left out
// of every later step, as R's cholesky2 does.
func coxKept(info *mat.SymDense) []int {
	p := info.SymmetricDim()
	a := mat.NewDense(p, p, nil)
	top := 0.0
	for i := range p {
		top = math.Max(top, info.At(i, i))
		for j := range p {
			a.Set(i, j, info.At(i, j))
		}
	}
	eps := coxTolChol
	if top > 0 {
		eps *= top
	}
	var keep []int
	for i := range p {
		pivot := a.At(i, i)
		if math.IsNaN(pivot) || math.IsInf(pivot, 0) || pivot < eps {
			continue
		}
		keep = append(keep, i)
		for j := i + 1; j < p; j++ {
			t := a.At(j, i) / pivot
			for k := j; k < p; k++ {
				a.Set(k, j, a.At(k, j)-t*a.At(k, i))
			}
		}
	}
	return keep
}

// coxSub is the principal submatrix of info on the covariates keep.
func coxSub(info *mat.SymDense, keep []int) *mat.SymDense {
	sub := mat.NewSymDense(len(keep), nil)
	for i, a := range keep {
		for j := i; j < len(keep); j++ {
			sub.SetSym(i, j, info.At(a, keep[j]))
		}
	}
	return sub
}

// step takes the pooled sums at beta (the iterate last decided) and
// returns the next iterate, or nil when the fit is done.
func (f *coxFit) step(beta, pooled []float64) ([]float64, error) {
	if len(pooled) != f.m*f.width {
		return nil, fmt.Errorf("%d pooled sums, want %d", len(pooled), f.m*f.width)
	}
	total := 0.0
	for _, d := range f.d {
		total += d
	}
	if total == 0 {
		return nil, errors.New("no events: the model cannot be fitted")
	}
	ll, u, info := f.evaluate(beta, pooled)
	f.last, f.lastLL, f.lastInfo = append([]float64(nil), beta...), ll, info
	finite := !math.IsNaN(ll) && !math.IsInf(ll, 0)
	for _, v := range u {
		finite = finite && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	if f.beta == nil { // the start, β = 0
		f.loglik0, f.loglik = ll, ll
		f.beta = append([]float64(nil), beta...)
		if !finite {
			return nil, errors.New("the log-likelihood at 0 is not finite")
		}
		s, err := newtonStep(info, u)
		if err != nil {
			return nil, err
		}
		next := make([]float64, f.p)
		for a := range next {
			next[a] = beta[a] + s[a]
		}
		return next, nil
	}
	f.iter++
	if finite && math.Abs(1-f.loglik/ll) <= coxEps && !f.halving {
		f.loglik, f.converged = ll, true
		return nil, nil
	}
	if f.iter == coxMaxIter {
		f.loglik = ll
		return nil, nil
	}
	next := make([]float64, f.p)
	if !finite || ll < f.loglik {
		f.halving = true
		for a := range next {
			next[a] = (beta[a] + f.beta[a]) / 2
		}
		return next, nil
	}
	f.halving = false
	f.loglik = ll
	s, err := newtonStep(info, u)
	if err != nil {
		return nil, err
	}
	f.beta = append([]float64(nil), beta...)
	for a := range next {
		next[a] = beta[a] + s[a]
	}
	return next, nil
}

// result turns the final iterate into the fit.
func (f *coxFit) result(names []string, mu []float64, n float64) (*CoxResult, error) {
	if f.lastInfo == nil {
		return nil, errors.New("coxph: no iteration ran")
	}
	// An aliased covariate has no estimate (NA, as R reports it), and
	// the variance is the inverse on the others.
	keep := coxKept(f.lastInfo)
	var ch mat.Cholesky
	if len(keep) == 0 || !ch.Factorize(coxSub(f.lastInfo, keep)) {
		return nil, errors.New("coxph: the information matrix at the fit is singular: no covariate varies among the rows at risk")
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil && !errors.As(err, new(mat.Condition)) {
		return nil, fmt.Errorf("coxph: invert the information matrix: %w", err)
	}
	p := f.p
	r := &CoxResult{Terms: names, LogLikNull: f.loglik0, LogLik: f.lastLL, N: n, Iterations: f.iter, Converged: f.converged, Means: mu, DF: len(keep)}
	for _, d := range f.d {
		r.Events += d
	}
	at := make([]int, p)
	for a := range at {
		at[a] = -1
	}
	for i, a := range keep {
		at[a] = i
	}
	norm := distuv.UnitNormal
	nan := math.NaN()
	for a := range p {
		if at[a] < 0 {
			r.Aliased = append(r.Aliased, names[a])
			r.Coefficients = append(r.Coefficients, nan)
			r.StandardErrors = append(r.StandardErrors, 0) // R's variance is 0 there
			r.Z = append(r.Z, nan)
			r.P = append(r.P, nan)
			r.HazardRatios = append(r.HazardRatios, nan)
			r.Lower = append(r.Lower, nan)
			r.Upper = append(r.Upper, nan)
			continue
		}
		b := f.last[a]
		se := math.Sqrt(inv.At(at[a], at[a]))
		z := b / se
		r.Coefficients = append(r.Coefficients, b)
		r.StandardErrors = append(r.StandardErrors, se)
		r.Z = append(r.Z, z)
		r.P = append(r.P, 2*norm.CDF(-math.Abs(z)))
		r.HazardRatios = append(r.HazardRatios, math.Exp(b))
		r.Lower = append(r.Lower, math.Exp(b-kmZ*se))
		r.Upper = append(r.Upper, math.Exp(b+kmZ*se))
	}
	r.LRChiSq = 2 * (r.LogLik - r.LogLikNull)
	r.LRP = distuv.ChiSquared{K: float64(r.DF)}.Survival(r.LRChiSq)
	return r, nil
}
