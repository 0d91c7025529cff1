package stats

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// olsTestData is every party's rows: y and the regressors.
type olsTestData struct {
	y [][]float64
	x [][][]float64
}

// olsTestDraw draws rows for parties of the given sizes; row returns y and
// the regressors.
func olsTestDraw(seed uint64, sizes []int, row func(r *rand.Rand) (float64, []float64)) olsTestData {
	r := rand.New(rand.NewPCG(seed, 13))
	var d olsTestData
	for _, n := range sizes {
		y, x := []float64{}, [][]float64{}
		for range n {
			a, b := row(r)
			y, x = append(y, a), append(x, b)
		}
		d.y, d.x = append(d.y, y), append(d.x, x)
	}
	return d
}

func (d olsTestData) pool() (y []float64, x [][]float64) {
	for i := range d.y {
		y = append(y, d.y[i]...)
		x = append(x, d.x[i]...)
	}
	return y, x
}

// olsTestRun fits at every party and checks that only deciders get a fit
// (all the same); it returns the first decider's fit.
func olsTestRun(t *testing.T, d olsTestData, names []string, open bool) (*OLSResult, error) {
	t.Helper()
	p := newPlainParties(len(d.y), open)
	fits := make([]*OLSResult, len(d.y))
	_, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
		var err error
		fits[i], err = OLS(context.Background(), c, d.y[i], d.x[i], names)
		return nil, err
	})
	if errs[0] != nil {
		return nil, errs[0]
	}
	for i := 1; i < len(fits); i++ {
		if errs[i] != nil {
			t.Fatalf("party %d: %v", i, errs[i])
		}
		if open && !slices.Equal(fits[i].Coefficients, fits[0].Coefficients) {
			t.Fatalf("party %d: coefficients %v, party 0: %v", i, fits[i].Coefficients, fits[0].Coefficients)
		}
		if !open && fits[i] != nil {
			t.Fatalf("party %d (not deciding) got a fit", i)
		}
	}
	if fits[0] == nil {
		t.Fatal("the decider got no fit")
	}
	return fits[0], nil
}

// olsTestWant fits the pooled rows with gonum: least squares by QR
// (mat.Dense.Solve) on the design with an intercept column, standard errors
// from the inverse of XᵀX.
func olsTestWant(t *testing.T, y []float64, x [][]float64, k int) *OLSResult {
	t.Helper()
	n, p := len(y), k+1
	A := mat.NewDense(n, p, nil)
	for i := range n {
		A.Set(i, 0, 1)
		for a := range k {
			A.Set(i, a+1, x[i][a])
		}
	}
	b := mat.NewDense(n, 1, slices.Clone(y))
	var beta mat.Dense
	if err := beta.Solve(A, b); err != nil {
		t.Fatal(err)
	}
	var fitted, resid mat.Dense
	fitted.Mul(A, &beta)
	resid.Sub(b, &fitted)
	rss := mat.Norm(&resid, 2)
	rss *= rss
	df := float64(n - p)
	sigma2 := rss / df
	var xtx, inv mat.Dense
	xtx.Mul(A.T(), A)
	if err := inv.Inverse(&xtx); err != nil {
		t.Fatal(err)
	}
	res := &OLSResult{Sigma: math.Sqrt(sigma2), Samples: n, DF: n - p}
	for a := range p {
		res.Coefficients = append(res.Coefficients, beta.At(a, 0))
		se := math.Sqrt(sigma2 * inv.At(a, a))
		res.StandardErrors = append(res.StandardErrors, se)
		res.TValues = append(res.TValues, beta.At(a, 0)/se)
	}
	tss := stat.Variance(y, nil) * float64(n-1)
	res.RSquared = 1 - rss/tss
	res.AdjRSquared = 1 - (1-res.RSquared)*float64(n-1)/df
	return res
}

// olsTestCompare compares two fits within tol (relative, with an absolute
// floor of tol·scale for values near zero).
func olsTestCompare(t *testing.T, got, want *OLSResult, tol float64, slopesOnly bool) {
	t.Helper()
	if got.Samples != want.Samples || got.DF != want.DF {
		t.Errorf("samples, df = %d, %d, want %d, %d", got.Samples, got.DF, want.Samples, want.DF)
	}
	close := func(what string, g, w, scale float64) {
		if math.Abs(g-w) > tol*math.Max(math.Abs(w), scale) {
			t.Errorf("%s = %.17g, want %.17g", what, g, w)
		}
	}
	from := 0
	if slopesOnly {
		from = 1
	}
	for a := from; a < len(want.Coefficients); a++ {
		close(fmt.Sprintf("coefficient %d", a), got.Coefficients[a], want.Coefficients[a], want.StandardErrors[a]*1e-3)
		close(fmt.Sprintf("standard error %d", a), got.StandardErrors[a], want.StandardErrors[a], 0)
		close(fmt.Sprintf("t value %d", a), got.TValues[a], want.TValues[a], 1e-3)
	}
	close("r_squared", got.RSquared, want.RSquared, 1e-6)
	close("adj_r_squared", got.AdjRSquared, want.AdjRSquared, 1e-6)
	close("sigma", got.Sigma, want.Sigma, 0)
}

func olsTestNames(k int) []string {
	names := make([]string, k)
	for a := range names {
		names[a] = fmt.Sprintf("x%d", a+1)
	}
	return names
}

func TestOLSAgainstPooled(t *testing.T) {
	// linear draws k regressors (decimals, negatives) and y = 1 + Σ(a+1)·(-1)^a·x_a + noise.
	linear := func(k int, round float64) func(r *rand.Rand) (float64, []float64) {
		return func(r *rand.Rand) (float64, []float64) {
			x := make([]float64, k)
			y := 1.0
			for a := range x {
				x[a] = math.Round(r.NormFloat64()*(float64(a)+1)*round) / round
				y += float64(a+1) * math.Pow(-1, float64(a)) * x[a]
			}
			return math.Round((y+r.NormFloat64())*round) / round, x
		}
	}
	ties := func(r *rand.Rand) (float64, []float64) {
		x := []float64{float64(r.IntN(3)), float64(r.IntN(4) - 2)}
		return float64(r.IntN(5)) + x[0] - x[1], x
	}
	cases := []struct {
		name  string
		seed  uint64
		sizes []int
		k     int
		row   func(*rand.Rand) (float64, []float64)
	}{
		{"2 parties, intercept only", 1, []int{10, 15}, 0, linear(0, 100)},
		{"2 parties, 1 regressor", 2, []int{30, 20}, 1, linear(1, 100)},
		{"3 parties, 2 regressors, tiny site", 3, []int{25, 1, 40}, 2, linear(2, 100)},
		{"4 parties, ties", 4, []int{20, 0, 15, 30}, 2, ties},
		{"5 parties, 3 regressors", 5, []int{12, 1, 0, 30, 22}, 3, linear(3, 10)},
		{"6 parties, 5 regressors", 6, []int{40, 30, 1, 0, 25, 50}, 5, linear(5, 1000)},
		{"7 parties, 4 regressors", 7, []int{9, 9, 9, 1, 0, 1, 60}, 4, linear(4, 1e6)},
	}
	for _, tc := range cases {
		d := olsTestDraw(tc.seed, tc.sizes, tc.row)
		y, x := d.pool()
		want := olsTestWant(t, y, x, tc.k)
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/open=%v", tc.name, open), func(t *testing.T) {
				got, err := olsTestRun(t, d, olsTestNames(tc.k), open)
				if err != nil {
					t.Fatal(err)
				}
				olsTestCompare(t, got, want, 1e-9, false)
				wantTerms := append([]string{"(Intercept)"}, olsTestNames(tc.k)...)
				if !slices.Equal(got.Terms, wantTerms) {
					t.Errorf("terms %v, want %v", got.Terms, wantTerms)
				}
			})
		}
	}
}

// TestOLSOffset checks regressors far from 0 (no shifts passed) against
// gonum on the exactly centred design.
func TestOLSOffset(t *testing.T) {
	const offset = 1e6
	d := olsTestDraw(8, []int{100, 1, 80}, func(r *rand.Rand) (float64, []float64) {
		u, v := r.NormFloat64(), r.NormFloat64()
		return 3*u - 0.5*v + 0.1*r.NormFloat64(), []float64{offset + u, offset + v + 0.5*u}
	})
	y, x := d.pool()
	centred := make([][]float64, len(x))
	for i, row := range x {
		centred[i] = []float64{row[0] - offset, row[1] - offset} // exact (Sterbenz)
	}
	want := olsTestWant(t, y, centred, 2)
	got, err := olsTestRun(t, d, []string{"u", "v"}, false)
	if err != nil {
		t.Fatal(err)
	}
	olsTestCompare(t, got, want, 1e-9, true)
	// The intercept moves by -offset·(b1+b2).
	wantIntercept := want.Coefficients[0] - offset*(want.Coefficients[1]+want.Coefficients[2])
	if math.Abs(got.Coefficients[0]-wantIntercept) > 1e-9*math.Abs(wantIntercept) {
		t.Errorf("intercept %.17g, want %.17g", got.Coefficients[0], wantIntercept)
	}
}

func TestOLSErrors(t *testing.T) {
	base := func(seed uint64, k int, dep func(x []float64) []float64) olsTestData {
		return olsTestDraw(seed, []int{10, 1, 12}, func(r *rand.Rand) (float64, []float64) {
			x := make([]float64, k)
			for a := range x {
				x[a] = float64(r.IntN(21) - 10)
			}
			return r.NormFloat64(), dep(x)
		})
	}
	same := func(x []float64) []float64 { return x }
	cases := []struct {
		name  string
		data  olsTestData
		names []string
		want  string
	}{
		{"sum of two", base(1, 2, func(x []float64) []float64 { return append(x, x[0]+x[1]) }), []string{"a", "b", "c"}, "regressors are collinear: a, b, c are linearly dependent"},
		{"multiple", base(2, 2, func(x []float64) []float64 { return []float64{x[0], x[1], 2 * x[0]} }), []string{"a", "b", "c"}, "regressors are collinear: a, c are linearly dependent"},
		{"inexact multiple", base(3, 1, func(x []float64) []float64 { return []float64{0.1 * x[0], x[0] / 3} }), []string{"a", "b"}, "regressors are collinear: a, b are linearly dependent"},
		{"affine", base(4, 1, func(x []float64) []float64 { return []float64{x[0], 7.25 - x[0]} }), []string{"a", "b"}, "regressors are collinear: a, b are linearly dependent (together with the intercept)"},
		{"constant", base(5, 1, func(x []float64) []float64 { return []float64{x[0], 4.5} }), []string{"a", "b"}, "regressors are collinear: b is constant"},
		{"too few rows", olsTestDraw(6, []int{2, 0, 1}, func(r *rand.Rand) (float64, []float64) {
			return r.NormFloat64(), []float64{r.NormFloat64(), r.NormFloat64()}
		}), []string{"a", "b"}, "too few rows for 2 regressors: 3 rows, need more than 3"},
		{"no rows", olsTestDraw(6, []int{0, 0}, nil), []string{"a"}, "too few rows"},
		{"row too short", olsTestData{y: [][]float64{{1, 2}, {3}}, x: [][][]float64{{{1, 2}, {3}}, {{4, 5}}}}, []string{"a", "b"}, "ols: row 1 has 1 regressors, want 2 (a, b)"},
		{"rows missing", olsTestData{y: [][]float64{{1, 2}, {3}}, x: [][][]float64{{{1}}, {{4}}}}, []string{"a"}, "ols: 2 values of y but 1 rows"},
		{"infinite", olsTestData{y: [][]float64{{1, 2}, {3}}, x: [][][]float64{{{1}, {math.Inf(1)}}, {{4}}}}, []string{"a"}, "ols: row 1: a is +Inf"},
		{"repeated name", base(7, 2, same), []string{"a", "a"}, `regressor name "a" is empty, reserved or repeated`},
		{"reserved name", base(7, 1, same), []string{"(Intercept)"}, "reserved"},
	}
	for _, tc := range cases {
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/open=%v", tc.name, open), func(t *testing.T) {
				p := newPlainParties(len(tc.data.y), open)
				_, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
					_, err := OLS(context.Background(), c, tc.data.y[i], tc.data.x[i], tc.names)
					return nil, err
				})
				var found error
				for _, err := range errs {
					if err != nil && strings.Contains(err.Error(), tc.want) {
						found = err
					}
				}
				if found == nil {
					t.Fatalf("errors %v, want one containing %q", errs, tc.want)
				}
			})
		}
	}
}

func TestOLSMissingAndPerfect(t *testing.T) {
	nan := math.NaN()
	d := olsTestData{
		y: [][]float64{{1, 2.5, nan, 4}, {3, 7, 5.5}},
		x: [][][]float64{{{0}, {1}, {2}, {nan}}, {{2}, {4}, {3}}},
	}
	got, err := olsTestRun(t, d, []string{"dose"}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := olsTestWant(t, []float64{1, 2.5, 3, 7, 5.5}, [][]float64{{0}, {1}, {2}, {4}, {3}}, 1)
	olsTestCompare(t, got, want, 1e-9, false)

	// A perfect fit: sigma 0, standard errors 0, t values undefined (null).
	perfect := olsTestData{y: [][]float64{{1, 3}, {5, 7}}, x: [][][]float64{{{0}, {1}}, {{2}, {3}}}}
	fit, err := olsTestRun(t, perfect, []string{"x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if fit.Coefficients[0] != 1 || fit.Coefficients[1] != 2 || fit.Sigma != 0 || fit.RSquared != 1 {
		t.Errorf("perfect fit %+v", fit)
	}
	if tv := fit.TValues[1]; !math.IsNaN(tv) {
		t.Errorf("t value of a perfect fit %v, want NaN (undefined)", tv)
	}
}
