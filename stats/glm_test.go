package stats

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/roracle"
)

// glmRscript runs an R script in dir and returns its standard output.
func glmRscript(t *testing.T, dir, script string) string {
	t.Helper()
	roracle.Require(t)
	out, err := roracle.Output(dir, script)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// glmParty is one party's rows: numeric and categorical columns by name.
type glmParty struct {
	num  map[string][]float64
	cat  map[string][]string
	rows []bool
}

func (p *glmParty) column(name string) *Column {
	if v, ok := p.num[name]; ok {
		return &Column{Name: name, Kind: Numeric, Num: v}
	}
	raw := p.cat[name]
	var levels []string
	for _, s := range raw {
		if s != "" {
			levels = append(levels, s)
		}
	}
	slices.Sort(levels)
	levels = slices.Compact(levels)
	c := &Column{Name: name, Kind: Categorical, Levels: NewLevels(levels), Cat: make([]int32, len(raw))}
	for i, s := range raw {
		c.Cat[i] = -1
		if s != "" {
			c.Cat[i] = c.Level(s)
		}
	}
	return c
}

// glmData draws m parties' rows: age, dose, sex, response, a binary
// toxicity, a count and a continuous outcome depending on them, with a few
// values missing.
// selectRows selects the party's rows that filter keeps (nil: all).
func (p *glmParty) selectRows(filter func(p *glmParty, i int) bool) {
	if filter == nil {
		return
	}
	p.rows = make([]bool, len(p.num["age"]))
	for i := range p.rows {
		p.rows[i] = filter(p, i)
	}
}

func glmData(seed uint64, sizes []int) []*glmParty {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]*glmParty, len(sizes))
	resp := []string{"CR", "PD", "PR", "SD"}
	for k, n := range sizes {
		p := &glmParty{num: map[string][]float64{}, cat: map[string][]string{}}
		for i := range n {
			age := math.Round(30 + 50*r.Float64())
			dose := math.Round(200+40*r.NormFloat64()) / 4
			sex := "F"
			if r.Float64() < 0.45 {
				sex = "M"
			}
			rs := resp[r.IntN(4)]
			male := 0.0
			if sex == "M" {
				male = 1
			}
			eta := -6 + 0.05*age + 0.06*dose + 0.4*male
			tox := 0.0
			if r.Float64() < 1/(1+math.Exp(-eta)) {
				tox = 1
			}
			lam := math.Exp(-1 + 0.02*age + 0.3*male)
			count := -1.0 // Poisson by Knuth's product of uniforms
			for prod := 1.0; prod > math.Exp(-lam); count++ {
				prod *= r.Float64()
			}
			surv := 40 - 0.2*age + 3*male + 5*r.NormFloat64()
			if i%97 == 5 {
				age = math.NaN()
			}
			if i%89 == 3 {
				rs = ""
			}
			p.num["age"] = append(p.num["age"], age)
			p.num["dose"] = append(p.num["dose"], dose)
			p.num["toxicity"] = append(p.num["toxicity"], tox)
			p.num["visits"] = append(p.num["visits"], count)
			p.num["survival"] = append(p.num["survival"], surv)
			p.cat["sex"] = append(p.cat["sex"], sex)
			p.cat["response"] = append(p.cat["response"], rs)
		}
		out[k] = p
	}
	return out
}

// glmRun fits the model at every party in one process and returns the
// first party's result (every party's must agree).
func glmRun(t *testing.T, parties []*glmParty, y string, xs []string, family string, minCell int) (*GLMResult, error) {
	t.Helper()
	m := len(parties)
	open, lead := newPlainParties(m, true), newPlainParties(m, false)
	open.minCell, lead.minCell = minCell, minCell
	res := make([]*GLMResult, m)
	errs := make([]error, m)
	var wg sync.WaitGroup
	for i, p := range parties {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cols := make([]*Column, len(xs))
			for j, x := range xs {
				cols[j] = p.column(x)
			}
			res[i], errs[i] = GLM(context.Background(), &plainParty{p: open, i: i}, &plainParty{p: lead, i: i}, p.column(y), cols, p.rows, family)
			if errs[i] != nil {
				for _, pp := range []*plainParties{open, lead} {
					pp.mu.Lock()
					if pp.failed == nil {
						pp.failed = errs[i]
					}
					pp.cond.Broadcast()
					pp.mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for i := range parties {
		if errs[i] != nil {
			return nil, errs[i]
		}
		same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) } // NaN: aliased at both
		if i > 0 && !slices.EqualFunc(res[i].Coefficients, res[0].Coefficients, same) {
			t.Fatalf("party %d fitted %v, party 0 %v", i, res[i].Coefficients, res[0].Coefficients)
		}
	}
	return res[0], nil
}

// glmPooledCSV writes the selected rows of every party to one CSV.
func glmPooledCSV(t *testing.T, dir string, parties []*glmParty) string {
	t.Helper()
	file := filepath.Join(dir, "pooled.csv")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	nums := slices.Sorted(maps.Keys(parties[0].num))
	cats := slices.Sorted(maps.Keys(parties[0].cat))
	fmt.Fprintln(w, strings.Join(append(slices.Clone(nums), cats...), ","))
	for _, p := range parties {
		for i := range p.num["age"] {
			if p.rows != nil && !p.rows[i] {
				continue
			}
			var cells []string
			for _, c := range nums {
				v := p.num[c][i]
				if math.IsNaN(v) {
					cells = append(cells, "NA")
				} else {
					cells = append(cells, strconv.FormatFloat(v, 'g', -1, 64))
				}
			}
			for _, c := range cats {
				v := p.cat[c][i]
				if v == "" {
					v = "NA"
				}
				cells = append(cells, v)
			}
			fmt.Fprintln(w, strings.Join(cells, ","))
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return file
}

// glmOracle is R's fit of the same model.
type glmOracle struct {
	terms                      []string
	est, se, z, p, lo, hi      []float64
	dev, null, aic, dispersion float64
	iter, dfRes, dfNull        int
	warnings, aliased          []string
}

func glmR(t *testing.T, parties []*glmParty, y string, xs []string, family string) *glmOracle {
	t.Helper()
	dir := t.TempDir()
	csv := glmPooledCSV(t, dir, parties)
	rhs := strings.Join(xs, " + ")
	if rhs == "" {
		rhs = "1"
	}
	script := fmt.Sprintf(`d <- read.csv(%q, stringsAsFactors = FALSE)
ws <- character(0)
fit <- withCallingHandlers(glm(%s ~ %s, family = %s, data = d),
  warning = function(w) { ws <<- c(ws, conditionMessage(w)); invokeRestart("muffleWarning") })
s <- summary(fit)
cf <- s$coefficients
ci <- confint.default(fit)
for (nm in names(coef(fit))) {
  r <- if (nm %%in%% rownames(cf)) cf[nm, ] else rep(NA_real_, 4)
  cat(sprintf("coef\t%%s\t%%.17g\t%%.17g\t%%.17g\t%%.17g\t%%.17g\t%%.17g\n", nm, r[1], r[2], r[3], r[4], ci[nm, 1], ci[nm, 2]))
}
for (nm in names(coef(fit))[is.na(coef(fit))]) cat(sprintf("aliased\t%%s\n", nm))
cat(sprintf("fit\t%%.17g\t%%.17g\t%%.17g\t%%.17g\t%%d\t%%d\t%%d\n", fit$deviance, fit$null.deviance, fit$aic, s$dispersion, fit$iter, fit$df.residual, fit$df.null))
for (w in ws) cat(sprintf("warning\t%%s\n", w))
`, csv, y, rhs, family)
	out := glmRscript(t, dir, script)
	o := &glmOracle{}
	f := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			switch s {
			case "Inf":
				return math.Inf(1)
			case "NA":
				return math.NaN()
			}
			t.Fatalf("R printed %q", s)
		}
		return v
	}
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		c := strings.Split(line, "\t")
		switch c[0] {
		case "coef":
			o.terms = append(o.terms, c[1])
			o.est, o.se, o.z, o.p = append(o.est, f(c[2])), append(o.se, f(c[3])), append(o.z, f(c[4])), append(o.p, f(c[5]))
			o.lo, o.hi = append(o.lo, f(c[6])), append(o.hi, f(c[7]))
		case "fit":
			o.dev, o.null, o.aic, o.dispersion = f(c[1]), f(c[2]), f(c[3]), f(c[4])
			o.iter, _ = strconv.Atoi(c[5])
			o.dfRes, _ = strconv.Atoi(c[6])
			o.dfNull, _ = strconv.Atoi(c[7])
		case "warning":
			o.warnings = append(o.warnings, c[1])
		case "aliased":
			o.aliased = append(o.aliased, c[1])
		}
	}
	if len(o.terms) == 0 {
		t.Fatalf("R printed no fit:\n%s", out)
	}
	return o
}

// glmClose reports whether got is within rel of want (relative), or abs
// absolutely.
func glmClose(got, want, rel, abs float64) bool {
	if math.IsNaN(want) { // R's NA: an aliased term
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) || math.IsInf(got, 0) {
		return got == want
	}
	return math.Abs(got-want) <= rel*math.Abs(want)+abs
}

func glmCompare(t *testing.T, got *GLMResult, want *glmOracle) {
	t.Helper()
	if !slices.Equal(got.Terms, want.terms) {
		t.Fatalf("terms %v, R %v", got.Terms, want.terms)
	}
	const rel, prel = 1e-8, 1e-6
	for i, term := range got.Terms {
		for _, c := range []struct {
			what      string
			got, want float64
			rel, abs  float64
		}{
			{"estimate", got.Coefficients[i], want.est[i], rel, 1e-12},
			{"se", got.StandardErrors[i], want.se[i], rel, 0},
			{"z", got.ZValues[i], want.z[i], rel, 1e-12},
			{"p", got.PValues[i], want.p[i], prel, 1e-15},
			{"ci low", got.CILow[i], want.lo[i], rel, 1e-12},
			{"ci high", got.CIHigh[i], want.hi[i], rel, 1e-12},
		} {
			if !glmClose(c.got, c.want, c.rel, c.abs) {
				t.Errorf("%s %s = %.12g, R %.12g (rel %.2g)", term, c.what, c.got, c.want, math.Abs(c.got-c.want)/math.Abs(c.want))
			}
		}
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"deviance", got.Deviance, want.dev}, {"null deviance", got.NullDeviance, want.null},
		{"aic", got.AIC, want.aic}, {"dispersion", got.Dispersion, want.dispersion},
	} {
		if !glmClose(c.got, c.want, rel, 1e-12) {
			t.Errorf("%s = %.12g, R %.12g", c.what, c.got, c.want)
		}
	}
	if got.Iterations != want.iter || got.DFResidual != want.dfRes || got.DFNull != want.dfNull {
		t.Errorf("iterations, df %d %d %d; R %d %d %d", got.Iterations, got.DFResidual, got.DFNull, want.iter, want.dfRes, want.dfNull)
	}
	if !slices.Equal(got.Aliased, want.aliased) || got.Rank != len(got.Terms)-len(want.aliased) {
		t.Errorf("aliased %q (rank %d), R %q", got.Aliased, got.Rank, want.aliased)
	}
	if !slices.Equal(got.Warnings, want.warnings) && !(len(got.Warnings) == 0 && len(want.warnings) == 0) {
		t.Errorf("warnings %q, R %q", got.Warnings, want.warnings)
	}
}

func TestGLMEqualsR(t *testing.T) {
	cases := []struct {
		name   string
		sizes  []int
		y      string
		xs     []string
		family string
		filter func(p *glmParty, i int) bool
	}{
		{"logistic, 2 parties", []int{300, 500}, "toxicity", []string{"age", "sex"}, Binomial, nil},
		{"logistic with factors, 3 parties", []int{400, 250, 600}, "toxicity", []string{"age", "dose", "sex", "response"}, Binomial, nil},
		{"logistic filtered, 5 parties", []int{200, 300, 150, 400, 250}, "toxicity", []string{"dose", "response"}, Binomial,
			func(p *glmParty, i int) bool { return p.cat["sex"][i] == "F" || p.num["dose"][i] > 50 }},
		{"poisson, 7 parties", []int{100, 120, 90, 200, 150, 80, 110}, "visits", []string{"age", "sex", "response"}, Poisson, nil},
		{"gaussian, 4 parties", []int{150, 250, 200, 100}, "survival", []string{"age", "sex", "dose"}, Gaussian, nil},
		{"gaussian intercept only, 3 parties", []int{100, 150, 120}, "survival", nil, Gaussian, nil},
	}
	for k, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parties := glmData(uint64(100+k), c.sizes)
			for _, p := range parties {
				p.selectRows(c.filter)
			}
			got, err := glmRun(t, parties, c.y, c.xs, c.family, 5)
			if err != nil {
				t.Fatal(err)
			}
			glmCompare(t, got, glmR(t, parties, c.y, c.xs, c.family))
		})
	}
}

// TestGLMSeparation: a covariate that splits the outcomes perfectly gives
// R's warning, and the same iterations and fit as R.
func TestGLMSeparation(t *testing.T) {
	parties := glmData(9, []int{120, 150, 90})
	for _, p := range parties {
		for i, d := range p.num["dose"] {
			p.num["toxicity"][i] = 0
			if d > 50 {
				p.num["toxicity"][i] = 1
			}
		}
	}
	got, err := glmRun(t, parties, "toxicity", []string{"dose", "sex"}, Binomial, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := glmR(t, parties, "toxicity", []string{"dose", "sex"}, Binomial)
	if !slices.Contains(got.Warnings, GLMWarnExtremeProbabilities) {
		t.Fatalf("no separation warning: %q (R: %q)", got.Warnings, want.warnings)
	}
	if !slices.Equal(got.Warnings, want.warnings) {
		t.Errorf("warnings %q, R %q", got.Warnings, want.warnings)
	}
	if got.Iterations != want.iter {
		t.Errorf("%d iterations, R %d", got.Iterations, want.iter)
	}
	if !glmClose(got.Deviance, want.dev, 1e-3, 1e-9) {
		t.Errorf("deviance %g, R %g", got.Deviance, want.dev)
	}
}

// TestGLMRefusals: a factor level with fewer than min_cell rows at a party,
// too few rows, a non-binary response, an infinite covariate in a row
// fitted (not in a row left out) and an unknown family are refused.
func TestGLMRefusals(t *testing.T) {
	parties := glmData(3, []int{200, 200, 200})
	for i := range 3 { // three rows of a level no one else has
		parties[1].cat["response"][i] = "NE"
	}
	if _, err := glmRun(t, parties, "toxicity", []string{"age", "response"}, Binomial, 5); err == nil || !errors.Is(err, errPlainRefused) {
		t.Errorf("a level of 3 rows: %v", err)
	}
	parties = glmData(3, []int{200, 200, 200})
	parties[0].num["toxicity"][4] = 2
	if _, err := glmRun(t, parties, "toxicity", []string{"age"}, Binomial, 5); err == nil || !strings.Contains(err.Error(), "0 and 1") {
		t.Errorf("a response of 2: %v", err)
	}
	for _, c := range []struct {
		row  int
		keep bool // the row is selected
	}{{7, true}, {7, false}} {
		parties = glmData(3, []int{200, 200, 200})
		parties[2].num["dose"][c.row] = math.Inf(-1)
		parties[2].rows = make([]bool, 200)
		for i := range parties[2].rows {
			parties[2].rows[i] = i != c.row || c.keep
		}
		_, err := glmRun(t, parties, "toxicity", []string{"age", "dose"}, Binomial, 5)
		if c.keep && (err == nil || !strings.Contains(err.Error(), "row 7: dose is -Inf")) {
			t.Errorf("an infinite dose in a row fitted: %v", err)
		}
		if !c.keep && err != nil {
			t.Errorf("an infinite dose in a row not selected: %v", err)
		}
	}
	if _, err := glmRun(t, glmData(3, []int{200, 200}), "toxicity", []string{"age"}, "gamma", 5); err == nil || !strings.Contains(err.Error(), "family") {
		t.Errorf("family gamma: %v", err)
	}
	small := glmData(4, []int{2, 1})
	if _, err := glmRun(t, small, "survival", []string{"age", "dose", "visits"}, Gaussian, 1); err == nil || !strings.Contains(err.Error(), "too few rows") {
		t.Errorf("3 rows for 4 coefficients: %v", err)
	}
}

// TestGLMAliasedEqualsR: a covariate that is a linear combination of the
// intercept and the covariates before it (computed from one, constant, or
// a factor level whose rows another factor covers under a filter) has no
// estimate, as R's glm gives NA, and the rest of the fit, its degrees of
// freedom and AIC equal R's. A level the filter empties is no term at all,
// as in R.
func TestGLMAliasedEqualsR(t *testing.T) {
	covered := func(p *glmParty, i int) bool { // responseCR exactly when sexM
		return (p.cat["sex"][i] == "M") == (p.cat["response"][i] == "CR")
	}
	cases := []struct {
		name   string
		sizes  []int
		y      string
		xs     []string
		family string
		filter func(p *glmParty, i int) bool
		want   []string // the terms aliased
	}{
		{"gaussian, 2·age - 3 after age", []int{150, 250, 200, 100}, "survival", []string{"age", "age2", "sex"}, Gaussian, nil, []string{"age2"}},
		{"logistic, 2·age - 3 after age and dose", []int{400, 250, 600}, "toxicity", []string{"age", "dose", "age2", "response"}, Binomial, nil, []string{"age2"}},
		{"poisson, age after 2·age - 3", []int{200, 300, 250}, "visits", []string{"age2", "sex", "age"}, Poisson, nil, []string{"age"}},
		{"logistic, a constant column", []int{300, 350}, "toxicity", []string{"dose", "site", "sex"}, Binomial, nil, []string{"site"}},
		{"gaussian, only a constant column", []int{120, 150, 130}, "survival", []string{"site"}, Gaussian, nil, []string{"site"}},
		{"logistic, a level covered by another factor's", []int{400, 300, 500}, "toxicity", []string{"age", "sex", "response"}, Binomial, covered, []string{"responseSD"}},
		{"poisson, a level covered by another factor's", []int{300, 400, 350}, "visits", []string{"sex", "response", "age"}, Poisson, covered, []string{"responseSD"}},
		{"logistic, a level the filter empties", []int{300, 400, 350}, "toxicity", []string{"age", "response"}, Binomial,
			func(p *glmParty, i int) bool { return p.cat["response"][i] != "PD" }, nil},
	}
	for k, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parties := glmData(uint64(200+k), c.sizes)
			for _, p := range parties {
				for _, a := range p.num["age"] {
					p.num["age2"] = append(p.num["age2"], 2*a-3)
					p.num["site"] = append(p.num["site"], 4.5)
				}
				p.selectRows(c.filter)
			}
			got, err := glmRun(t, parties, c.y, c.xs, c.family, 5)
			if err != nil {
				t.Fatal(err)
			}
			want := glmR(t, parties, c.y, c.xs, c.family)
			if !slices.Equal(want.aliased, c.want) {
				t.Fatalf("R aliases %q, the case expects %q", want.aliased, c.want)
			}
			glmCompare(t, got, want)
		})
	}
}
