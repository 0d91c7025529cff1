package stats

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/roracle"
)

// survCase is a pooled survival data set: times with ties, events, a
// group of three levels (the last with no events) and two covariates.
type survCase struct {
	time, event, age, dose []float64
	group                  []int
}

var survLevels = []string{"a", "b", "c"}

func makeSurvCase(n int, seed uint64) *survCase {
	r := rand.New(rand.NewPCG(seed, 7))
	c := &survCase{}
	for i := range n {
		g := i % 3
		age := math.Round(40 + 40*r.Float64())
		dose := math.Round(500*(50+20*r.Float64())) / 500
		rate := 0.03 * math.Exp(0.02*(age-60)+0.03*(dose-60)+0.3*float64(g))
		t := math.Ceil(r.ExpFloat64()/rate*2) / 2 // half months: many ties
		ev := 0.0
		if g != 2 && r.Float64() < 0.7 {
			ev = 1
		}
		c.time = append(c.time, t)
		c.event = append(c.event, ev)
		c.group = append(c.group, g)
		c.age = append(c.age, age)
		c.dose = append(c.dose, dose)
	}
	return c
}

// csv writes the case for R.
func (c *survCase) csv(t *testing.T, dir string) {
	var b strings.Builder
	b.WriteString("time,event,group,age,dose\n")
	for i := range c.time {
		fmt.Fprintf(&b, "%v,%v,%s,%v,%v\n", c.time[i], c.event[i], survLevels[c.group[i]], c.age[i], c.dose[i])
	}
	if err := os.WriteFile(filepath.Join(dir, "pooled.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// survOracle is R's answer on the pooled case: survfit overall and by
// group, survdiff by group (the groups with events), coxph on age and dose.
const survOracle = `library(survival)
d <- read.csv("pooled.csv")
out <- function(name, x) cat(name, sprintf("%.17g", x), "\n")
km <- function(prefix, fit) {
  s <- summary(fit)
  out(paste0(prefix, "_time"), s$time); out(paste0(prefix, "_nrisk"), s$n.risk)
  out(paste0(prefix, "_nevent"), s$n.event); out(paste0(prefix, "_surv"), s$surv)
  out(paste0(prefix, "_se"), s$std.err); out(paste0(prefix, "_lower"), s$lower)
  out(paste0(prefix, "_upper"), s$upper)
  tab <- summary(fit)$table
  out(paste0(prefix, "_median"), tab[c("median", "0.95LCL", "0.95UCL")])
}
km("all", survfit(Surv(time, event) ~ 1, data = d))
for (g in c("a", "b", "c")) km(g, survfit(Surv(time, event) ~ 1, data = d[d$group == g, ]))
sd <- survdiff(Surv(time, event) ~ group, data = d)
df <- sum(sd$exp > 0) - 1
out("logrank", c(sd$chisq, df, pchisq(sd$chisq, df, lower.tail = FALSE)))
sd2 <- survdiff(Surv(time, event) ~ group, data = d[d$group != "c", ])
out("logrank2", c(sd2$chisq, 1, pchisq(sd2$chisq, 1, lower.tail = FALSE)))
fit <- coxph(Surv(time, event) ~ age + dose, data = d, ties = "breslow")
s <- summary(fit)
out("cox_coef", coef(fit)); out("cox_se", sqrt(diag(vcov(fit))))
out("cox_p", s$coefficients[, "Pr(>|z|)"]); out("cox_lower", s$conf.int[, "lower .95"])
out("cox_upper", s$conf.int[, "upper .95"]); out("cox_loglik", fit$loglik)
out("cox_iter", fit$iter); out("cox_lr", c(s$logtest["test"], s$logtest["pvalue"]))
d$age2 <- 2 * d$age - 3
fa <- coxph(Surv(time, event) ~ age + dose + age2, data = d, ties = "breslow")
sa <- summary(fa)
out("alias_coef", coef(fa)); out("alias_se", sa$coefficients[, "se(coef)"])
out("alias_p", sa$coefficients[, "Pr(>|z|)"]); out("alias_loglik", fa$loglik)
out("alias_lr", c(sa$logtest["test"], sa$logtest["df"], sa$logtest["pvalue"]))
`

// closeRel compares within rel relative (absolute near 0); NaN equals NaN.
func closeRel(got, want, rel float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

// split deals the case's rows to m parties.
func (c *survCase) split(m int) []*survCase {
	parts := make([]*survCase, m)
	for i := range parts {
		parts[i] = &survCase{}
	}
	for i := range c.time {
		p := parts[(i*7+i/5)%m]
		p.time = append(p.time, c.time[i])
		p.event = append(p.event, c.event[i])
		p.group = append(p.group, c.group[i])
		p.age = append(p.age, c.age[i])
		p.dose = append(p.dose, c.dose[i])
	}
	return parts
}

func checkCurve(t *testing.T, name string, k *KMCurve, r map[string][]float64, prefix string) {
	t.Helper()
	at := map[float64]int{}
	for j, x := range k.Time {
		at[x] = j
	}
	keys := []string{"nrisk", "nevent", "surv", "se", "lower", "upper"}
	mine := [][]float64{k.NRisk, k.NEvent, k.Surv, k.StdErr, k.Lower, k.Upper}
	for i, x := range r[prefix+"_time"] {
		j, ok := at[x]
		if !ok {
			t.Fatalf("%s: R has time %v, the curve has no point there", name, x)
		}
		for q, key := range keys {
			if want := r[prefix+"_"+key][i]; !closeRel(mine[q][j], want, 1e-8) {
				t.Errorf("%s: %s at %v = %v, R %v", name, key, x, mine[q][j], want)
			}
		}
	}
	med := r[prefix+"_median"]
	for q, got := range []float64{k.Median, k.MedianLower, k.MedianUpper} {
		if !closeRel(got, med[q], 1e-8) {
			t.Errorf("%s: median [est, lcl, ucl][%d] = %v, R %v", name, q, got, med[q])
		}
	}
}

func TestSurvivalEqualsR(t *testing.T) {
	roracle.Require(t)
	c := makeSurvCase(900, 3)
	dir := t.TempDir()
	c.csv(t, dir)
	r, err := roracle.RunR(dir, survOracle)
	if err != nil {
		t.Fatal(err)
	}
	for m := 2; m <= 7; m++ {
		parts := c.split(m)
		// The grid of every party's event times.
		var rows []*SurvivalRows
		for _, p := range parts {
			sr, err := NewSurvivalRows(p.time, p.event, p.group, func(i int) int { return i })
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, sr)
		}
		grid := eventTimes(rows...)
		tot := &IntervalCounts{Groups: 3, Points: len(grid), Events: make([]float64, 3*len(grid)), Leaving: make([]float64, 3*len(grid))}
		for _, sr := range rows {
			ic := sr.Count(grid, 3)
			for j := range ic.Events {
				tot.Events[j] += ic.Events[j]
				tot.Leaving[j] += ic.Leaving[j]
			}
		}
		nrisk, nevent := make([][]float64, 3), make([][]float64, 3)
		allRisk, allEvent := make([]float64, len(grid)), make([]float64, len(grid))
		for g := range 3 {
			nrisk[g] = tot.AtRisk(g)
			nevent[g] = tot.Events[g*len(grid) : (g+1)*len(grid)]
			for j := range grid {
				allRisk[j] += nrisk[g][j]
				allEvent[j] += nevent[g][j]
			}
			k, err := KaplanMeier(grid, nrisk[g], nevent[g])
			if err != nil {
				t.Fatal(err)
			}
			checkCurve(t, fmt.Sprintf("%d parties, group %s", m, survLevels[g]), k, r, survLevels[g])
		}
		k, err := KaplanMeier(grid, allRisk, allEvent)
		if err != nil {
			t.Fatal(err)
		}
		checkCurve(t, fmt.Sprintf("%d parties, all", m), k, r, "all")

		lr, err := LogRank(nrisk, nevent)
		if err != nil {
			t.Fatal(err)
		}
		want := r["logrank"]
		if !closeRel(lr.ChiSq, want[0], 1e-8) || float64(lr.DF) != want[1] || !closeRel(lr.P, want[2], 1e-6) {
			t.Errorf("%d parties: log-rank chisq %v df %d p %v, R %v", m, lr.ChiSq, lr.DF, lr.P, want)
		}
		lr2, err := LogRank(nrisk[:2], nevent[:2])
		if err != nil {
			t.Fatal(err)
		}
		if want := r["logrank2"]; !closeRel(lr2.ChiSq, want[0], 1e-8) || !closeRel(lr2.P, want[2], 1e-6) {
			t.Errorf("%d parties: log-rank of two groups chisq %v p %v, R %v", m, lr2.ChiSq, lr2.P, want)
		}

		// Cox over the same grid, every party with its own rows.
		// cox fits the covariates of each party's rows that xs gives, and
		// returns the deciding party's fit.
		cox := func(what string, names []string, xs func(p *survCase) [][]float64) *CoxResult {
			out, errs := newPlainParties(m, false).run(t, func(cb Combiner, i int) (map[string]any, error) {
				p := parts[i]
				res, err := CoxPH(context.Background(), cb, &CoxRows{Time: p.time, Event: p.event, X: xs(p)}, grid, names)
				if err != nil || res == nil {
					return nil, err
				}
				return map[string]any{"fit": res}, nil
			})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("%d parties%s: party %d: %v", m, what, i, err)
				}
			}
			return out[0]["fit"].(*CoxResult)
		}
		fit := cox("", []string{"age", "dose"}, func(p *survCase) [][]float64 { return [][]float64{p.age, p.dose} })
		for a := range 2 {
			for _, v := range []struct {
				key string
				got float64
				tol float64
			}{{"cox_coef", fit.Coefficients[a], 1e-8}, {"cox_se", fit.StandardErrors[a], 1e-8}, {"cox_p", fit.P[a], 1e-6},
				{"cox_lower", fit.Lower[a], 1e-8}, {"cox_upper", fit.Upper[a], 1e-8}} {
				if !closeRel(v.got, r[v.key][a], v.tol) {
					t.Errorf("%d parties: %s[%d] = %v, R %v", m, v.key, a, v.got, r[v.key][a])
				}
			}
		}
		if !closeRel(fit.LogLikNull, r["cox_loglik"][0], 1e-8) || !closeRel(fit.LogLik, r["cox_loglik"][1], 1e-8) {
			t.Errorf("%d parties: loglik %v %v, R %v", m, fit.LogLikNull, fit.LogLik, r["cox_loglik"])
		}
		if float64(fit.Iterations) != r["cox_iter"][0] || !fit.Converged {
			t.Errorf("%d parties: %d iterations (converged %v), R %v", m, fit.Iterations, fit.Converged, r["cox_iter"])
		}
		if !closeRel(fit.LRChiSq, r["cox_lr"][0], 1e-8) || !closeRel(fit.LRP, r["cox_lr"][1], 1e-6) {
			t.Errorf("%d parties: LR test %v p %v, R %v", m, fit.LRChiSq, fit.LRP, r["cox_lr"])
		}

		// A covariate collinear with those before it has no estimate (NA),
		// as in R, and the LR test has one degree of freedom fewer.
		al := cox(", collinear", []string{"age", "dose", "age2"}, func(p *survCase) [][]float64 {
			age2 := make([]float64, len(p.age))
			for j, a := range p.age {
				age2[j] = 2*a - 3
			}
			return [][]float64{p.age, p.dose, age2}
		})
		for a := range 3 {
			if !closeRel(al.Coefficients[a], r["alias_coef"][a], 1e-8) || !closeRel(al.StandardErrors[a], r["alias_se"][a], 1e-8) || !closeRel(al.P[a], r["alias_p"][a], 1e-6) {
				t.Errorf("%d parties, collinear: %s coef %v se %v p %v, R %v %v %v", m, al.Terms[a], al.Coefficients[a], al.StandardErrors[a], al.P[a], r["alias_coef"][a], r["alias_se"][a], r["alias_p"][a])
			}
		}
		if !slices.Equal(al.Aliased, []string{"age2"}) || float64(al.DF) != r["alias_lr"][1] {
			t.Errorf("%d parties, collinear: aliased %v, df %d; R df %v", m, al.Aliased, al.DF, r["alias_lr"][1])
		}
		if !closeRel(al.LogLik, r["alias_loglik"][1], 1e-8) || !closeRel(al.LRChiSq, r["alias_lr"][0], 1e-8) || !closeRel(al.LRP, r["alias_lr"][2], 1e-6) {
			t.Errorf("%d parties, collinear: loglik %v LR %v p %v, R %v %v", m, al.LogLik, al.LRChiSq, al.LRP, r["alias_loglik"], r["alias_lr"])
		}
	}
}

// TestGridLookupIsInterval checks the fast interval lookup against the
// binary search, on grid points, between them and outside the grid.
func TestGridLookupIsInterval(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, grid := range [][]float64{{5}, {0, 1}, {0, 0.5, 0.51, 0.52, 3, 100}, {-2, 1e-9, 2e-9, 7}} {
		look := newGridLookup(grid)
		var probe []float64
		for _, g := range grid {
			probe = append(probe, g, math.Nextafter(g, math.Inf(-1)), math.Nextafter(g, math.Inf(1)))
		}
		for range 2000 {
			probe = append(probe, grid[0]-1+r.Float64()*(grid[len(grid)-1]-grid[0]+2))
		}
		for _, v := range probe {
			for _, ev := range []bool{false, true} {
				if got, want := look.interval(v, ev), Interval(grid, v, ev); got != want {
					t.Fatalf("grid %v: interval of %v (event %v) = %d, want %d", grid, v, ev, got, want)
				}
			}
		}
	}
	// Merging: the counts on a kept subset of the grid are those counted
	// on that grid directly.
	c := makeSurvCase(300, 4)
	rows, err := NewSurvivalRows(c.time, c.event, c.group, func(i int) int { return i })
	if err != nil {
		t.Fatal(err)
	}
	grid := eventTimes(rows)
	keep := make([]bool, len(grid))
	for j := range keep {
		keep[j] = r.IntN(3) == 0
	}
	merged := rows.Count(grid, 3).Merge(keep)
	sub := []float64{grid[0]}
	for j := 1; j < len(grid); j++ {
		if keep[j] {
			sub = append(sub, grid[j])
		}
	}
	direct := rows.Count(sub, 3)
	if fmt.Sprint(merged.Events, merged.Leaving) != fmt.Sprint(direct.Events, direct.Leaving) {
		t.Errorf("merged counts %v %v, counted on the merged grid %v %v", merged.Events, merged.Leaving, direct.Events, direct.Leaving)
	}
}

// eventTimes is the grid of the parties' distinct event times, sorted.
func eventTimes(rows ...*SurvivalRows) []float64 {
	var grid []float64
	for _, r := range rows {
		for i, t := range r.Time {
			if r.Event[i] == 1 {
				grid = append(grid, t)
			}
		}
	}
	slices.Sort(grid)
	return slices.Compact(grid)
}
