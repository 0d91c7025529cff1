package stats

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"runtime"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

// GLM families, each with its canonical link as R's default: binomial
// (logit), poisson (log) and gaussian (identity).
const (
	Binomial = "binomial"
	Poisson  = "poisson"
	Gaussian = "gaussian"
)

// R's glm.control defaults: at most 25 iterations, and convergence when
// the deviance changes by less than 1e-8 relative to |deviance| + 0.1.
const (
	glmMaxIter = 25
	glmEpsilon = 1e-8
)

// The warnings R's glm.fit gives, word for word.
const (
	GLMWarnExtremeProbabilities = "glm.fit: fitted probabilities numerically 0 or 1 occurred"
	GLMWarnExtremeRates         = "glm.fit: fitted rates numerically 0 occurred"
	GLMWarnNotConverged         = "glm.fit: algorithm did not converge"
)

// GLMResult is a generalized linear model fitted by iteratively reweighted
// least squares over the rows of every party, as R's glm and summary.glm
// report it.
type GLMResult struct {
	Family string
	// Terms names the coefficients as R does: "(Intercept)", a numeric
	// covariate by its name, a factor's level by name and level ("sexM").
	Terms []string
	// Coefficients, StandardErrors, ZValues (t values for gaussian, with
	// the dispersion estimated), PValues and the Wald 95% interval (as
	// R's confint.default: estimate ± qnorm(0.975)·SE) follow Terms.
	Coefficients, StandardErrors, ZValues, PValues, CILow, CIHigh []float64
	// Aliased names the terms R's glm gives NA: each a linear combination
	// of the intercept and the terms before it in the rows fitted (a
	// covariate constant there, one computed from others, a factor level
	// whose rows another factor's levels cover). Every number of such a
	// term is NaN; the others are fitted without it.
	Aliased []string
	// Rank counts the coefficients estimated: len(Terms) less the aliased.
	Rank int
	// Deviance and NullDeviance (of the intercept-only model), with their
	// degrees of freedom n - Rank and n - 1.
	Deviance, NullDeviance float64
	DFResidual, DFNull     int
	AIC                    float64 // +Inf where R's is (poisson with non-integer counts)
	Dispersion             float64 // 1, or deviance / DFResidual for gaussian
	Samples                int
	Iterations             int // Fisher scoring iterations, as R counts them
	Converged              bool
	Warnings               []string
	Levels                 map[string][]string // each factor's levels, the reference first
}

// GLM fits a generalized linear model of y on an intercept and the
// covariates xs over the selected rows (rows nil: all) of every party, as
// R's glm(y ~ x1 + ..., family) does on the pooled rows. Numeric
// covariates enter as they are; a categorical one as a factor with
// treatment contrasts against its first level (levels sorted bytewise, as
// R's factor() sorts them in the C locale), one 0/1 column per other level.
// Rows missing a value in y or any covariate are dropped (R's na.omit).
// A term that is a linear combination of the intercept and the terms
// before it in the rows fitted is aliased, as R's glm finds it (see
// wlsSolve): it has no estimate, and the others are fitted without it.
//
// Every party sees the totals of open (every party decides) and computes
// the same next coefficients from them; lead's decider (the leader, at
// whose node the loop runs) sends its coefficients to the others with
// Decide, and each checks them against its own and stops the computation
// if they differ: a leader cannot steer the iterations. The result is
// computed at every party.
//
// Revealed to every party, per iteration: the pooled n, Σw, Σw·x, Σw·z,
// XᵀWX and XᵀWz at the current coefficients (W the working weights, z the
// working response), the deviance there and, once, Σy and the null
// deviance; with the first round the union of each factor's levels (as
// LabelUnion reveals). Before contributing, each party checks its cohort
// and each level's rows against its disclosure rule (Check "cohort",
// "cell").
func GLM(ctx context.Context, open, lead Combiner, y *Column, xs []*Column, rows []bool, family string) (*GLMResult, error) {
	fam, err := glmFamilyOf(family)
	if err != nil {
		return nil, err
	}
	g, err := newGLMLocal(fam, y, xs, rows)
	if err != nil {
		return nil, err
	}
	if err := open.Check("cohort", []float64{float64(g.n)}); err != nil {
		return nil, fmt.Errorf("glm: %w", err)
	}
	if err := g.layout(ctx, open); err != nil {
		return nil, err
	}
	p := len(g.terms) + 1
	first, err := g.combine(ctx, open, nil, 0, false)
	if err != nil {
		return nil, err
	}
	n := first.n
	if n <= float64(p) {
		return nil, fmt.Errorf("glm: too few rows for %d coefficients: %g complete rows, need more than %d", p, n, p)
	}
	ybar := momFloat(momNew().Quo(first.sy, momF(n)))
	fit, err := g.next(ctx, lead, first)
	if err != nil {
		return nil, err
	}
	devOld := first.dev
	var nullDev float64
	for iter := 1; ; iter++ {
		r, err := g.combine(ctx, open, fit.coef, ybar, iter == 1)
		if err != nil {
			return nil, err
		}
		if iter == 1 {
			nullDev = r.nullDev
		}
		if !momFinite(r.dev) {
			return nil, fmt.Errorf("glm: the fit diverged at iteration %d (the deviance is not finite); check the covariates' scales or the family", iter)
		}
		converged := math.Abs(r.dev-devOld)/(math.Abs(r.dev)+0.1) < glmEpsilon
		if converged || iter == glmMaxIter {
			return g.finish(fit, r, first, nullDev, iter, converged), nil
		}
		devOld = r.dev
		if fit, err = g.next(ctx, lead, r); err != nil {
			return nil, err
		}
	}
}

// glmFamily is a family with its canonical link.
type glmFamily int

const (
	famBinomial glmFamily = iota
	famPoisson
	famGaussian
)

func glmFamilyOf(name string) (glmFamily, error) {
	switch name {
	case Binomial:
		return famBinomial, nil
	case Poisson:
		return famPoisson, nil
	case Gaussian, "":
		return famGaussian, nil
	}
	return 0, fmt.Errorf("glm: family %q: use binomial, poisson or gaussian", name)
}

func (f glmFamily) String() string {
	return [...]string{Binomial, Poisson, Gaussian}[f]
}

// dblEps is R's .Machine$double.eps; R's logit link clamps eta at ±30.
const (
	dblEps     = 0x1p-52
	logitLimit = 30.0
)

// start is R's mustart, and the linear predictor linkfun(mustart).
func (f glmFamily) start(y float64) float64 {
	switch f {
	case famBinomial:
		mu := (y + 0.5) / 2
		return math.Log(mu / (1 - mu))
	case famPoisson:
		return math.Log(y + 0.1)
	}
	return y
}

// linkinv is R's linkinv of the canonical link (C_logit_linkinv clamps).
func (f glmFamily) linkinv(eta float64) float64 {
	switch f {
	case famBinomial:
		var t float64
		switch {
		case eta < -logitLimit:
			t = dblEps
		case eta > logitLimit:
			t = 1 / dblEps
		default:
			t = math.Exp(eta)
		}
		return t / (1 + t)
	case famPoisson:
		return math.Max(math.Exp(eta), dblEps)
	}
	return eta
}

// eval returns, at eta, the fitted value mu, dmu/deta and the working
// weight (dmu/deta)²/V(mu), with one exponential, as R's linkinv, mu.eta
// and variance compute them.
func (f glmFamily) eval(eta float64) (mu, me, w float64) {
	switch f {
	case famBinomial:
		if eta < -logitLimit || eta > logitLimit {
			mu, me = f.linkinv(eta), dblEps
		} else {
			e := math.Exp(eta)
			op := 1 + e
			mu, me = e/op, e/(op*op)
		}
		return mu, me, me * me / (mu * (1 - mu))
	case famPoisson:
		mu = math.Max(math.Exp(eta), dblEps)
		return mu, mu, mu * mu / mu
	}
	return eta, 1, 1
}

func (f glmFamily) variance(mu float64) float64 {
	switch f {
	case famBinomial:
		return mu * (1 - mu)
	case famPoisson:
		return mu
	}
	return 1
}

// devResid is R's dev.resids with weight 1.
func (f glmFamily) devResid(y, mu float64) float64 {
	switch f {
	case famBinomial:
		ylogy := func(y, mu float64) float64 {
			if y != 0 {
				return y * math.Log(y/mu)
			}
			return 0
		}
		return 2 * (ylogy(y, mu) + ylogy(1-y, 1-mu))
	case famPoisson:
		if y > 0 {
			return 2 * (y*math.Log(y/mu) - (y - mu))
		}
		return 2 * mu
	}
	d := y - mu
	return d * d
}

// extreme reports a fitted value R's glm.fit warns of: a probability
// within 10·eps of 0 or 1, or a rate below 10·eps.
func (f glmFamily) extreme(mu float64) bool {
	const eps = 10 * dblEps
	switch f {
	case famBinomial:
		return mu > 1-eps || mu < eps
	case famPoisson:
		return mu < eps
	}
	return false
}

// glmCol is one design column: a numeric column, or a factor level's 0/1
// indicator (the rows whose code is code).
type glmCol struct {
	num  []float64
	cat  []int32
	code int32
}

// glmLocal is one party's rows of a fit.
type glmLocal struct {
	fam    glmFamily
	y      []float64
	xs     []*Column
	rows   []bool // the complete rows selected
	n      int
	terms  []string
	design []glmCol
	centre []float64 // a fixed centre of each design column, near its values
	levels map[string][]string
}

// newGLMLocal checks the columns and finds this party's complete rows.
func newGLMLocal(fam glmFamily, y *Column, xs []*Column, rows []bool) (*glmLocal, error) {
	if y == nil || y.Kind != Numeric {
		name := "y"
		if y != nil {
			name = y.Name
		}
		return nil, fmt.Errorf("glm: the response %s must be a numeric column", name)
	}
	size := len(y.Num)
	if rows != nil && len(rows) != size {
		return nil, fmt.Errorf("glm: row selection of %d rows for columns of %d", len(rows), size)
	}
	seen := map[string]bool{y.Name: true}
	for _, x := range xs {
		if x == nil || x.Len() != size {
			return nil, fmt.Errorf("glm: a covariate has a different number of rows than the response (%d)", size)
		}
		if seen[x.Name] {
			return nil, fmt.Errorf("glm: column %q appears twice in the model", x.Name)
		}
		seen[x.Name] = true
	}
	complete, inf := glmComplete(y, xs, rows)
	g := &glmLocal{fam: fam, y: y.Num, xs: xs, rows: complete}
	bad := false
	yv := y.Num[:len(complete)]
	if fam == famBinomial {
		for i, ok := range complete {
			if ok {
				g.n++
				if v := yv[i]; v != 0 && v != 1 {
					bad = true
				}
			}
		}
	} else {
		for i, ok := range complete {
			if ok {
				g.n++
				bad = bad || !fam.valid(yv[i])
			}
		}
	}
	for j, x := range xs {
		if inf[j] && !bad {
			bad = !allFinite(x.Num, g.rows)
		}
	}
	if bad {
		return nil, g.firstBadRow(y, xs)
	}
	return g, nil
}

// glmComplete marks the selected rows (rows nil: all) that hold a value
// in y and in every covariate, a column at a time, and reports in the same
// pass which numeric covariates hold an infinity in any row.
func glmComplete(y *Column, xs []*Column, rows []bool) (ok, inf []bool) {
	ok = make([]bool, len(y.Num))
	inf = make([]bool, len(xs))
	for i, v := range y.Num {
		ok[i] = (rows == nil || rows[i]) && v == v // not NaN
	}
	for j, x := range xs {
		if x.Kind == Numeric {
			for i, v := range x.Num[:len(ok)] {
				ok[i] = ok[i] && v == v
				if math.IsInf(v, 0) {
					inf[j] = true
				}
			}
		} else {
			for i, c := range x.Cat[:len(ok)] {
				ok[i] = ok[i] && c >= 0
			}
		}
	}
	return ok, inf
}

// valid reports whether y is a response the family takes: finite, 0 or 1
// for binomial, a count (≥ 0) for poisson.
func (f glmFamily) valid(y float64) bool {
	switch f {
	case famBinomial:
		return y == 0 || y == 1
	case famPoisson:
		return y >= 0 && !math.IsInf(y, 1)
	}
	return !math.IsInf(y, 0)
}

// allFinite reports whether x holds no infinity in the rows marked.
func allFinite(x []float64, rows []bool) bool {
	for i, v := range x {
		if rows[i] && math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// firstBadRow names the first complete row whose response or covariate
// cannot be fitted, as the error for the whole fit.
func (g *glmLocal) firstBadRow(y *Column, xs []*Column) error {
	for i, ok := range g.rows {
		if !ok {
			continue
		}
		v := y.Num[i]
		if math.IsInf(v, 0) {
			return fmt.Errorf("glm: row %d: %s is %v: only finite values can be fitted", i, y.Name, v)
		}
		switch g.fam {
		case famBinomial:
			if v != 0 && v != 1 {
				return fmt.Errorf("glm: row %d: %s is %v: a binomial response takes the values 0 and 1", i, y.Name, v)
			}
		case famPoisson:
			if v < 0 {
				return fmt.Errorf("glm: row %d: %s is %v: a poisson response takes counts (values ≥ 0)", i, y.Name, v)
			}
		}
		for _, x := range xs {
			if x.Kind == Numeric && math.IsInf(x.Num[i], 0) {
				return fmt.Errorf("glm: row %d: %s is %v: only finite values can be fitted", i, x.Name, x.Num[i])
			}
		}
	}
	return fmt.Errorf("glm: a row cannot be fitted")
}

// layout checks each factor's rows per level against this party's
// disclosure rule, learns the union of every party's levels, and lays out
// the design columns and their names.
func (g *glmLocal) layout(ctx context.Context, c Combiner) error {
	var own []string
	var counts []float64
	for j, x := range g.xs {
		if x.Kind != Categorical {
			continue
		}
		n := make([]float64, x.Levels.Len())
		for i, ok := range g.rows {
			if ok {
				n[x.Cat[i]]++
			}
		}
		for l, cnt := range n {
			if cnt > 0 {
				own = append(own, fmt.Sprintf("%d\x00%s", j, x.Levels.At(l)))
				counts = append(counts, cnt)
			}
		}
	}
	var union []string
	if slices.ContainsFunc(g.xs, func(x *Column) bool { return x.Kind == Categorical }) {
		if err := c.Check("cell", counts); err != nil {
			return fmt.Errorf("glm: %w", err)
		}
		var err error
		if union, err = LabelUnion(ctx, c, own); err != nil {
			return fmt.Errorf("glm: %w", err)
		}
	}
	g.levels = map[string][]string{}
	for j, x := range g.xs {
		if x.Kind == Numeric {
			g.terms = append(g.terms, x.Name)
			g.design = append(g.design, glmCol{num: x.Num})
			continue
		}
		var lv []string
		prefix := fmt.Sprintf("%d\x00", j)
		for _, u := range union {
			if rest, ok := strings.CutPrefix(u, prefix); ok {
				lv = append(lv, rest)
			}
		}
		slices.Sort(lv)
		lv = slices.Compact(lv)
		if len(lv) < 2 {
			return fmt.Errorf("glm: factor %s has %d level(s) in the rows fitted; a factor needs at least two (contrasts can be applied only to factors with 2 or more levels)", x.Name, len(lv))
		}
		g.levels[x.Name] = lv
		for _, l := range lv[1:] {
			g.terms = append(g.terms, x.Name+l)
			g.design = append(g.design, glmCol{cat: x.Cat, code: x.Level(l)})
		}
	}
	seen := map[string]bool{"(Intercept)": true}
	for _, t := range g.terms {
		if seen[t] {
			return fmt.Errorf("glm: two terms are both called %q; rename a column", t)
		}
		seen[t] = true
	}
	g.centre = make([]float64, len(g.design))
	for a, d := range g.design { // the mean of the first rows: near the values
		if d.num == nil {
			continue
		}
		var s float64
		m := 0
		for i, ok := range g.rows {
			if ok {
				s += d.num[i]
				if m++; m == glmBlock {
					break
				}
			}
		}
		if m > 0 {
			g.centre[a] = s / float64(m)
		}
	}
	return nil
}

// glmBlock is the number of rows worked on together.
const glmBlock = 256

// glmTotals are the pooled sums of one round.
type glmTotals struct {
	n, extreme, nonInteger float64
	wls                    *wlsSums
	dev, loglik, nullDev   float64
	sy, lgam               *big.Float
}

// combine computes this party's sums at beta (nil: R's starting values)
// and adds them across the parties, every party receiving the totals.
// With null, the sums include the null deviance about ybar.
func (g *glmLocal) combine(ctx context.Context, c Combiner, beta []float64, ybar float64, null bool) (*glmTotals, error) {
	vec, err := g.round(beta, ybar, null)
	if err != nil {
		return nil, err
	}
	r, err := vec.combine(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("glm: %w", err)
	}
	if r == nil {
		return nil, fmt.Errorf("glm: the totals must reach every party")
	}
	k := len(g.design)
	t := &glmTotals{n: r.count(), extreme: r.count(), nonInteger: r.count(), wls: &wlsSums{regNames: g.terms}}
	t.wls.sw = r.real()
	for range k {
		t.wls.sx = append(t.wls.sx, r.real())
	}
	t.wls.sz = r.real()
	for range k * (k + 1) / 2 {
		t.wls.sxx = append(t.wls.sxx, r.real())
	}
	for range k {
		t.wls.sxz = append(t.wls.sxz, r.real())
	}
	t.dev, t.loglik, t.nullDev = momFloat(r.real()), momFloat(r.real()), momFloat(r.real())
	t.sy, t.lgam = r.real(), r.real()
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("glm: %w", err)
	}
	return t, nil
}

// glmBuf is one worker's block buffers, reused from chunk to chunk.
type glmBuf struct {
	vecs [][]float64 // s, s·d_1..s·d_k, s·z
	xb   [][]float64 // the block's design columns, where gathered
	x    [][]float64 // the block's design columns: xb, or the columns' own rows
	blk  [][]float64 // vecs cut to the block's rows
	gram []float64   // the block's sums of products of vecs
	eta  []float64
	yb   []float64
	f    []float64  // scratch: the binomial deviance's factors
	ptrs []*float64 // scratch: the block's design columns, for linearPredictor
	idx  []int
}

func newGLMBuf(k int) *glmBuf {
	b := &glmBuf{vecs: make([][]float64, k+2), xb: make([][]float64, k), x: make([][]float64, k),
		blk: make([][]float64, k+2), gram: make([]float64, (k+2)*(k+3)/2), ptrs: make([]*float64, k),
		eta: make([]float64, glmBlock), yb: make([]float64, glmBlock), f: make([]float64, glmBlock), idx: make([]int, 0, glmBlock)}
	for a := range b.vecs {
		b.vecs[a] = make([]float64, glmBlock)
	}
	for a := range b.xb {
		b.xb[a] = make([]float64, glmBlock)
	}
	return b
}

// chunk computes this party's sums at beta over rows lo to hi, a
// block at a time: the linear predictor, fitted values, working weights w
// and working response z of each complete row, then with s = √w the dot
// products of the vectors s, s·(x_a - centre_a) and s·z (compensated sums
// of gonum's vector kernels), which give Σw, Σw·x, Σw·z, XᵀWX and XᵀWz
// about 0 exactly (768 bits) once the centres are added back. A block
// whose rows are all complete is read from the columns in place.
func (g *glmLocal) chunk(beta []float64, ybar float64, null bool, lo, hi int, buf *glmBuf) *glmChunk {
	k := len(g.design)
	q := k + 2 // s, s·d_1..s·d_k, s·z
	vecs, xs := buf.vecs, buf.x
	c := &glmChunk{gram: make([]momAcc, q*(q+1)/2)}
	gram := c.gram
	for start := lo; start < hi; start += glmBlock {
		end := min(start+glmBlock, hi)
		idx := buf.idx[:0]
		for i := start; i < end; i++ {
			if g.rows[i] {
				idx = append(idx, i)
			}
		}
		m := len(idx)
		if m == 0 {
			continue
		}
		whole := m == end-start // every row of the block: read the columns in place
		yb := buf.yb[:m]
		if whole {
			yb = g.y[start:end]
		} else {
			for j, i := range idx {
				yb[j] = g.y[i]
			}
		}
		for a, d := range g.design {
			col := buf.xb[a][:m]
			switch {
			case d.num != nil && whole:
				col = d.num[start:end]
			case d.num != nil:
				for j, i := range idx {
					col[j] = d.num[i]
				}
			case whole:
				for j, code := range d.cat[start:end] {
					col[j] = 0
					if code == d.code {
						col[j] = 1
					}
				}
			default:
				for j, i := range idx {
					col[j] = 0
					if d.cat[i] == d.code {
						col[j] = 1
					}
				}
			}
			xs[a] = col
		}
		e := buf.eta[:m]
		switch {
		case beta == nil && g.fam == famBinomial: // a 0/1 response: two starting values
			s0, s1 := g.fam.start(0), g.fam.start(1)
			for j, y := range yb {
				e[j] = s0
				if y == 1 {
					e[j] = s1
				}
			}
		case beta == nil:
			for j := range e {
				e[j] = g.fam.start(yb[j])
			}
		default:
			linearPredictor(e, beta[0], beta[1:], xs, buf.ptrs)
		}
		g.weights(c, e, yb, vecs[0][:m], vecs[q-1][:m], buf.f[:m])
		if null {
			c.nullDev.add(g.nullDeviance(yb, ybar))
		}
		if beta == nil {
			for _, y := range yb {
				c.sy.add(y)
				if g.fam == famPoisson {
					if y != math.Trunc(y) {
						c.nonInteger++
					}
					lg, _ := math.Lgamma(y + 1)
					c.lgam.add(lg)
				}
			}
		}
		s := vecs[0][:m]
		for a := range k {
			v, x, cen := vecs[a+1][:m], xs[a][:m], g.centre[a]
			for j, sj := range s {
				v[j] = sj * (x[j] - cen)
			}
		}
		for a := range q {
			buf.blk[a] = vecs[a][:m]
		}
		gramUpper(buf.blk, buf.gram)
		for t, v := range buf.gram {
			gram[t].add(v)
		}
	}
	return c
}

// nullDeviance is the deviance of the responses y about ybar: for
// binomial 0/1 responses, the ones' and the zeros' terms times their
// counts.
func (g *glmLocal) nullDeviance(y []float64, ybar float64) float64 {
	if g.fam == famBinomial {
		ones := 0.0
		for _, v := range y {
			ones += v
		}
		var b float64 // a term of no rows adds nothing (not 0·∞ when ybar is 0 or 1)
		if ones > 0 {
			b += ones * g.fam.devResid(1, ybar)
		}
		if zeros := float64(len(y)) - ones; zeros > 0 {
			b += zeros * g.fam.devResid(0, ybar)
		}
		return b
	}
	var b float64
	for _, v := range y {
		b += g.fam.devResid(v, ybar)
	}
	return b
}

// weights computes, for a block's linear predictors e and responses y,
// s = √w and s·z into s and sz, and adds the block's deviance, poisson
// log-likelihood and fitted values numerically 0 or 1 to c (binomial:
// binomialWeights).
func (g *glmLocal) weights(c *glmChunk, e, y, s, sz, f []float64) {
	if g.fam == famBinomial {
		binomialWeights(c, e, y, s, sz, f)
		return
	}
	var bDev, bLik float64 // the block's sums
	for j, et := range e {
		yj := y[j]
		mu, me, w := g.fam.eval(et)
		s[j] = math.Sqrt(w)
		sz[j] = s[j] * (et + (yj-mu)/me)
		switch g.fam {
		case famPoisson:
			l := -mu
			if yj != 0 {
				l += yj * math.Log(mu)
			}
			bLik += l
			bDev += g.fam.devResid(yj, mu)
		default:
			bDev += (yj - mu) * (yj - mu)
		}
		if g.fam.extreme(mu) {
			c.extreme++
		}
	}
	c.dev.add(bDev)
	c.loglik.add(bLik)
}

// glmChunkRows is the number of rows one worker sums at a time; the
// chunks' sums are added exactly, so the totals do not depend on how many
// workers there are.
const glmChunkRows = 1 << 16

// glmChunk is one chunk's compensated sums.
type glmChunk struct {
	gram                           []momAcc
	dev, loglik, nullDev, sy, lgam momAcc
	extreme, nonInteger            float64
}

// round computes this party's sums at beta, its rows in chunks worked on
// in parallel, and lays them out for the secure sum.
func (g *glmLocal) round(beta []float64, ybar float64, null bool) (*wideVec, error) {
	k := len(g.design)
	q := k + 2
	size := len(g.y)
	chunks := make([]*glmChunk, (size+glmChunkRows-1)/glmChunkRows)
	next := make(chan int, len(chunks))
	for i := range chunks {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(chunks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := newGLMBuf(k)
			for i := range next {
				chunks[i] = g.chunk(beta, ybar, null, i*glmChunkRows, min((i+1)*glmChunkRows, size), buf)
			}
		}()
	}
	wg.Wait()
	// Each chunk's sums, exactly, added in 768-bit arithmetic.
	total := func(get func(c *glmChunk) *momAcc) (*big.Float, error) {
		t := momNew()
		for _, c := range chunks {
			v, ok := get(c).big()
			if !ok {
				return nil, fmt.Errorf("glm: the weighted sums overflow float64: the values spread too widely")
			}
			t.Add(t, v)
		}
		return t, nil
	}
	var extreme, nonInteger float64
	for _, c := range chunks {
		extreme += c.extreme
		nonInteger += c.nonInteger
	}
	// Gram index of (a, b), a ≤ b, over q vectors.
	at := func(a, b int) int { return a*q - a*(a-1)/2 + (b - a) }
	G := func(a, b int) (*big.Float, error) {
		return total(func(c *glmChunk) *momAcc { return &c.gram[at(a, b)] })
	}
	vec := newWideVec(quadWindow)
	vec.count(float64(g.n))
	vec.count(extreme)
	vec.count(nonInteger)
	sw, err := G(0, 0)
	if err != nil {
		return nil, err
	}
	sd := make([]*big.Float, k) // Σw·d_a
	for a := range k {
		if sd[a], err = G(0, a+1); err != nil {
			return nil, err
		}
	}
	szb, err := G(0, q-1)
	if err != nil {
		return nil, err
	}
	put := func(x *big.Float, what string) error {
		if err := vec.real(x, what); err != nil {
			return fmt.Errorf("glm: %w", err)
		}
		return nil
	}
	if err := put(sw, "Σw"); err != nil {
		return nil, err
	}
	cen := make([]*big.Float, k)
	for a := range k { // Σw·x_a = Σw·d_a + c_a·Σw
		cen[a] = momF(g.centre[a])
		if err := put(momNew().Add(sd[a], momNew().Mul(cen[a], sw)), "Σw·x"); err != nil {
			return nil, err
		}
	}
	if err := put(szb, "Σw·z"); err != nil {
		return nil, err
	}
	for a := range k { // Σw·x_a·x_b = Σw·d_a·d_b + c_a·Σw·d_b + c_b·Σw·d_a + c_a·c_b·Σw
		for b := a; b < k; b++ {
			dd, err := G(a+1, b+1)
			if err != nil {
				return nil, err
			}
			v := momNew().Set(dd)
			v.Add(v, momNew().Mul(cen[a], sd[b])).Add(v, momNew().Mul(cen[b], sd[a]))
			v.Add(v, momNew().Mul(momNew().Mul(cen[a], cen[b]), sw))
			if err := put(v, "XᵀWX"); err != nil {
				return nil, err
			}
		}
	}
	for a := range k { // Σw·x_a·z = Σw·d_a·z + c_a·Σw·z
		dz, err := G(a+1, q-1)
		if err != nil {
			return nil, err
		}
		if err := put(momNew().Add(dz, momNew().Mul(cen[a], szb)), "XᵀWz"); err != nil {
			return nil, err
		}
	}
	for _, get := range []func(c *glmChunk) *momAcc{
		func(c *glmChunk) *momAcc { return &c.dev }, func(c *glmChunk) *momAcc { return &c.loglik },
		func(c *glmChunk) *momAcc { return &c.nullDev }, func(c *glmChunk) *momAcc { return &c.sy },
		func(c *glmChunk) *momAcc { return &c.lgam },
	} {
		v, err := total(get)
		if err != nil {
			return nil, err
		}
		if err := put(v, "a deviance"); err != nil {
			return nil, err
		}
	}
	return vec, nil
}

// next solves the round's weighted least squares for the next
// coefficients; the leader sends its own and every other party checks
// them against its own before taking them. Every party finds the same
// regressors aliased from the same sums, and an aliased regressor's
// coefficient is 0 at each.
func (g *glmLocal) next(ctx context.Context, lead Combiner, t *glmTotals) (*wlsFit, error) {
	fit, err := wlsSolve(t.wls)
	if err != nil {
		return nil, fmt.Errorf("glm: %w", err)
	}
	beta := fit.coef
	var mine []float64
	if lead.Decider() {
		mine = beta
	}
	got, err := lead.Decide(ctx, mine)
	if err != nil {
		return nil, fmt.Errorf("glm: %w", err)
	}
	if len(got) != len(beta) {
		return nil, fmt.Errorf("glm: the leader sent %d coefficients, the model has %d", len(got), len(beta))
	}
	for a := range beta {
		if !(math.Abs(got[a]-beta[a]) <= 1e-9*(math.Abs(got[a])+math.Abs(beta[a]))+1e-300) {
			return nil, fmt.Errorf("glm: the leader's coefficients do not follow from the pooled sums (term %d: %v, here %v)", a, got[a], beta[a])
		}
	}
	fit.coef = got
	return fit, nil
}

// finish turns the last round into the result: the coefficients with the
// covariance of the round before (R's summary.glm uses the last fit's QR),
// and the deviance, AIC and warnings at them. The regressors aliased in
// the last fit have no estimate (NaN, R's NA, in every column), and the
// degrees of freedom and the AIC count the coefficients estimated, R's
// rank.
func (g *glmLocal) finish(fit *wlsFit, r, first *glmTotals, nullDev float64, iter int, converged bool) *GLMResult {
	beta := slices.Clone(fit.coef)
	terms := append([]string{"(Intercept)"}, g.terms...)
	alias := make([]bool, len(beta))
	var aliased []string
	for _, a := range fit.aliased {
		alias[a+1] = true
		aliased = append(aliased, terms[a+1])
		beta[a+1] = math.NaN()
	}
	rank := len(beta) - len(fit.aliased)
	n := r.n
	res := &GLMResult{
		Family: g.fam.String(), Terms: terms, Aliased: aliased, Rank: rank,
		Coefficients: beta, Deviance: r.dev, NullDeviance: nullDev,
		DFResidual: int(n) - rank, DFNull: int(n) - 1, Samples: int(n),
		Iterations: iter, Converged: converged, Dispersion: 1, Levels: g.levels,
	}
	switch g.fam {
	case famBinomial: // -2·Σlog dbinom(y, 1, mu) is the deviance for 0/1 y
		res.AIC = r.dev + 2*float64(rank)
	case famPoisson:
		res.AIC = -2*(r.loglik-momFloat(first.lgam)) + 2*float64(rank)
		if first.nonInteger > 0 {
			res.AIC = math.Inf(1)
		}
	case famGaussian:
		res.AIC = n*(math.Log(2*math.Pi*r.dev/n)+1) + 2 + 2*float64(rank)
		res.Dispersion = r.dev / float64(res.DFResidual)
	}
	if !converged {
		res.Warnings = append(res.Warnings, GLMWarnNotConverged)
	}
	if r.extreme > 0 {
		switch g.fam {
		case famBinomial:
			res.Warnings = append(res.Warnings, GLMWarnExtremeProbabilities)
		case famPoisson:
			res.Warnings = append(res.Warnings, GLMWarnExtremeRates)
		}
	}
	z := distuv.UnitNormal.Quantile(0.975)
	tdist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(res.DFResidual)}
	for a, b := range beta {
		se := math.Sqrt(res.Dispersion * fit.cov.At(a, a))
		if alias[a] {
			se = math.NaN()
		}
		zv := b / se
		var pv float64
		if g.fam == famGaussian {
			pv = 2 * tdist.CDF(-math.Abs(zv))
		} else {
			pv = 2 * distuv.UnitNormal.CDF(-math.Abs(zv))
		}
		res.StandardErrors = append(res.StandardErrors, se)
		res.ZValues = append(res.ZValues, zv)
		res.PValues = append(res.PValues, pv)
		res.CILow = append(res.CILow, b-z*se)
		res.CIHigh = append(res.CIHigh, b+z*se)
	}
	return res
}
