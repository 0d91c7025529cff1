package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// bivTestRun runs Bivariate at every party and checks that only deciders
// get a result (all the same); it returns the first decider's.
func bivTestRun(t *testing.T, x, y [][]float64, open bool, shiftX, shiftY float64) (map[string]any, error) {
	t.Helper()
	p := newPlainParties(len(x), open)
	out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
		r, err := Bivariate(context.Background(), c, x[i], y[i], shiftX, shiftY)
		return resultMap(r, bivTestKeys), err
	})
	if errs[0] != nil {
		return nil, errs[0]
	}
	for i := 1; i < len(out); i++ {
		if errs[i] != nil {
			t.Fatalf("party %d: %v", i, errs[i])
		}
		if open {
			momTestCompare(t, out[i], out[0], 0)
		} else if out[i] != nil {
			t.Fatalf("party %d (not deciding) got %v", i, out[i])
		}
	}
	return out[0], nil
}

// bivTestWant computes the reference's keys on the pooled pairs with
// gonum/stat.
func bivTestWant(x, y []float64) map[string]any {
	num := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	n := float64(len(x))
	cov, corr, slope, intercept := math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if len(x) > 1 {
		cov = stat.Covariance(x, y, nil)
		if vx := stat.Variance(x, nil); vx > 0 {
			slope = cov / vx
			intercept = stat.Mean(y, nil) - slope*stat.Mean(x, nil)
			if stat.Variance(y, nil) > 0 {
				corr = stat.Correlation(x, y, nil)
			}
		}
	}
	covMLE := math.NaN()
	if len(x) > 0 {
		mx, my := stat.Mean(x, nil), stat.Mean(y, nil)
		s := 0.0
		for i := range x {
			s += (x[i] - mx) * (y[i] - my)
		}
		covMLE = s / n
	}
	return map[string]any{
		"samples":                 n,
		"covariance":              num(cov),
		"covariance_mle":          num(covMLE),
		"correlation_coefficient": num(corr),
		"regression_slope":        num(slope),
		"regression_interceipt":   num(intercept),
		"regression_slope_only":   num(floats.Dot(x, y) / floats.Dot(x, x)),
	}
}

// bivTestSplit draws pairs for parties of the given sizes: x from drawX, y
// from x and the generator.
func bivTestSplit(seed uint64, sizes []int, draw func(r *rand.Rand) (float64, float64)) (x, y [][]float64) {
	r := rand.New(rand.NewPCG(seed, 11))
	x, y = make([][]float64, len(sizes)), make([][]float64, len(sizes))
	for i, n := range sizes {
		x[i], y[i] = []float64{}, []float64{}
		for range n {
			a, b := draw(r)
			x[i] = append(x[i], a)
			y[i] = append(y[i], b)
		}
	}
	return x, y
}

func TestBivariateReferenceVector(t *testing.T) {
	for vi, v := range momTestVectors(t, "StatisticsBivariate") {
		var data [][][2]float64
		if err := json.Unmarshal(v.Data, &data); err != nil {
			t.Fatal(err)
		}
		x, y := make([][]float64, len(data)), make([][]float64, len(data))
		for i, pairs := range data {
			for _, p := range pairs {
				x[i] = append(x[i], p[0])
				y[i] = append(y[i], p[1])
			}
		}
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprintf("vector%d/open=%v", vi, open), func(t *testing.T) {
				got, err := bivTestRun(t, x, y, open, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				momTestCompare(t, got, v.Answer.Result, 1e-9)
			})
		}
	}
}

func TestBivariateAgainstPooled(t *testing.T) {
	linear := func(r *rand.Rand) (float64, float64) {
		x := math.Round(r.NormFloat64()*250) / 100
		return x, math.Round((1.5-0.75*x+r.NormFloat64())*100) / 100
	}
	ties := func(r *rand.Rand) (float64, float64) {
		x := float64(r.IntN(4) - 1)
		return x, float64(r.IntN(3)) - x
	}
	independent := func(r *rand.Rand) (float64, float64) { return r.ExpFloat64(), -r.Float64() * 10 }
	offset := func(r *rand.Rand) (float64, float64) {
		x := r.NormFloat64()
		return 1e4 + x, -2e4 + 3*x + r.NormFloat64()
	}
	cases := []struct {
		name           string
		seed           uint64
		sizes          []int
		draw           func(*rand.Rand) (float64, float64)
		shiftX, shiftY float64
	}{
		{"2 parties linear", 1, []int{30, 45}, linear, 0, 0},
		{"3 parties ties", 2, []int{20, 1, 13}, ties, 0, 0},
		{"4 parties independent", 3, []int{0, 25, 2, 40}, independent, 0, 0},
		{"5 parties linear shifted", 4, []int{9, 1, 0, 33, 12}, linear, 0.5, 1.5},
		{"6 parties offset", 5, []int{50, 60, 1, 0, 70, 10}, offset, 0, 0},
		{"7 parties ties, far shifts", 6, []int{3, 3, 3, 0, 1, 1, 30}, ties, 1e5, -1e5},
		{"two pairs", 7, []int{1, 0, 1}, linear, 0, 0},
	}
	for _, tc := range cases {
		x, y := bivTestSplit(tc.seed, tc.sizes, tc.draw)
		want := bivTestWant(momTestPool(x), momTestPool(y))
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/open=%v", tc.name, open), func(t *testing.T) {
				got, err := bivTestRun(t, x, y, open, tc.shiftX, tc.shiftY)
				if err != nil {
					t.Fatal(err)
				}
				momTestCompare(t, got, want, 1e-9)
			})
		}
	}
}

// TestBivariatePrecision compares pairs far from the shifts with an exact
// (big.Float) computation on the pooled pairs.
func TestBivariatePrecision(t *testing.T) {
	x, y := bivTestSplit(8, []int{200, 1, 150}, func(r *rand.Rand) (float64, float64) {
		u := r.NormFloat64()
		return 1e9 + u, 5e8 - 2*u + 1e-3*r.NormFloat64()
	})
	px, py := momTestPool(x), momTestPool(y)
	prec := uint(3000)
	n := new(big.Float).SetPrec(prec).SetInt64(int64(len(px)))
	mean := func(v []float64) *big.Float {
		s := new(big.Float).SetPrec(prec)
		for _, a := range v {
			s.Add(s, big.NewFloat(a))
		}
		return s.Quo(s, n)
	}
	mx, my := mean(px), mean(py)
	var sxx, syy, sxy big.Float
	for _, f := range []*big.Float{&sxx, &syy, &sxy} {
		f.SetPrec(prec)
	}
	for i := range px {
		dx := new(big.Float).SetPrec(prec).Sub(big.NewFloat(px[i]), mx)
		dy := new(big.Float).SetPrec(prec).Sub(big.NewFloat(py[i]), my)
		sxx.Add(&sxx, new(big.Float).SetPrec(prec).Mul(dx, dx))
		syy.Add(&syy, new(big.Float).SetPrec(prec).Mul(dy, dy))
		sxy.Add(&sxy, new(big.Float).SetPrec(prec).Mul(dx, dy))
	}
	f := func(b *big.Float) float64 { v, _ := b.Float64(); return v }
	want := map[string]float64{
		"covariance_mle":          f(&sxy) / float64(len(px)),
		"regression_slope":        f(new(big.Float).SetPrec(prec).Quo(&sxy, &sxx)),
		"correlation_coefficient": f(new(big.Float).SetPrec(prec).Quo(&sxy, new(big.Float).SetPrec(prec).Sqrt(new(big.Float).SetPrec(prec).Mul(&sxx, &syy)))),
	}
	got, err := bivTestRun(t, x, y, false, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		if g := got[k].(float64); math.Abs(g-w) > 1e-14*math.Abs(w) {
			t.Errorf("%s = %.17g, want %.17g", k, g, w)
		}
	}
}

func TestBivariateUndefined(t *testing.T) {
	cases := []struct {
		name string
		x, y [][]float64
		nil  []string
		set  []string
	}{
		{"one pair", [][]float64{{2}, {}}, [][]float64{{3}, {}}, []string{"covariance", "correlation_coefficient", "regression_slope", "regression_interceipt"}, []string{"covariance_mle", "regression_slope_only"}},
		{"x constant", [][]float64{{2, 2}, {2}}, [][]float64{{1, 5}, {3}}, []string{"correlation_coefficient", "regression_slope", "regression_interceipt"}, []string{"covariance", "regression_slope_only"}},
		{"y constant", [][]float64{{1, 2}, {3}}, [][]float64{{7, 7}, {7}}, []string{"correlation_coefficient"}, []string{"regression_slope", "regression_interceipt"}},
		{"x all zero", [][]float64{{0, 0}, {0}}, [][]float64{{1, 2}, {3}}, []string{"regression_slope_only", "regression_slope"}, []string{"covariance"}},
		{"missing pairs skipped", [][]float64{{1, math.NaN(), 2}, {3, 4}}, [][]float64{{2, 5, math.NaN()}, {math.NaN(), 7}}, nil, []string{"correlation_coefficient"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bivTestRun(t, tc.x, tc.y, false, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.nil {
				if got[k] != nil {
					t.Errorf("%s = %v, want nil", k, got[k])
				}
			}
			for _, k := range tc.set {
				if _, ok := got[k].(float64); !ok {
					t.Errorf("%s = %v, want a number", k, got[k])
				}
			}
			var px, py []float64
			for i := range tc.x {
				for j := range tc.x[i] {
					if !math.IsNaN(tc.x[i][j]) && !math.IsNaN(tc.y[i][j]) {
						px, py = append(px, tc.x[i][j]), append(py, tc.y[i][j])
					}
				}
			}
			momTestCompare(t, got, bivTestWant(px, py), 1e-9)
		})
	}
}

func TestBivariateErrors(t *testing.T) {
	cases := []struct {
		name    string
		x, y    [][]float64
		minCell int
		want    string
	}{
		{"no pairs", [][]float64{{}, {math.NaN()}}, [][]float64{{}, {1}}, 0, "bivariate: no values"},
		{"lengths differ", [][]float64{{1, 2}, {3}}, [][]float64{{1}, {3}}, 0, "bivariate: 2 x values but 1 y values"},
		{"infinite", [][]float64{{1, 2}, {3}}, [][]float64{{1, math.Inf(-1)}, {3}}, 0, "pair 1 is (2, -Inf)"},
		{"cohort below min_cell", [][]float64{{1, 2, 3}, {3}}, [][]float64{{1, 2, 3}, {3}}, 3, "min_cell=3 on a cohort"},
	}
	for _, tc := range cases {
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/open=%v", tc.name, open), func(t *testing.T) {
				p := newPlainParties(len(tc.x), open)
				p.minCell = tc.minCell
				_, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
					r, err := Bivariate(context.Background(), c, tc.x[i], tc.y[i], 0, 0)
					return resultMap(r, bivTestKeys), err
				})
				var err error
				for _, e := range errs {
					if e != nil && strings.Contains(e.Error(), tc.want) {
						err = e
					}
				}
				if err == nil {
					t.Fatalf("errors %v, want one containing %q", errs, tc.want)
				}
			})
		}
	}
}
