package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// momTestKeys are the reference's StatisticsUnivariate keys.
var momTestKeys = []string{"samples", "minimum", "maximum", "sum", "mean", "harmonic_mean", "geometric_mean", "variance", "variance_mle", "variance_of_sample_mean", "standard_deviation", "standard_deviation_mle", "standard_error_of_sample_mean", "coefficient_of_variation", "coefficient_of_variation_mle", "root_mean_square", "root_mean_square_deviation", "skewness", "kurtosis", "kurtosis_excess", "hyper_skewness", "hyper_flatness"}

// momTestVector is one vector of the reference implementation's answers.
type momTestVector struct {
	Microprotocol string          `json:"microprotocol"`
	Parties       int             `json:"parties"`
	Data          json.RawMessage `json:"data"`
	Answer        struct {
		Inputs int            `json:"inputs"`
		Result map[string]any `json:"result"`
	} `json:"answer"`
}

// momTestVectors returns the reference vectors of one microprotocol.
func momTestVectors(t *testing.T, microprotocol string) []momTestVector {
	t.Helper()
	raw, err := os.ReadFile("../mpc/node/testdata/simon_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []momTestVector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	var out []momTestVector
	for _, v := range file.Vectors {
		if v.Microprotocol == microprotocol {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s vectors", microprotocol)
	}
	return out
}

// momTestClose reports whether got is within tol of want, relative, with an
// absolute floor of tol·1e-3 for values near zero.
func momTestClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), 1e-3)
}

// momTestCompare compares two result maps key by key: the same keys, nil
// where the other is nil, numbers within tol.
func momTestCompare(t *testing.T, got, want map[string]any, tol float64) {
	t.Helper()
	gk, wk := slices.Sorted(momTestKeysOf(got)), slices.Sorted(momTestKeysOf(want))
	if !slices.Equal(gk, wk) {
		t.Fatalf("keys\n got %v\nwant %v", gk, wk)
	}
	for _, k := range wk {
		g, w := got[k], want[k]
		if w == nil || g == nil {
			if w != nil || g != nil {
				t.Errorf("%s = %v, want %v", k, g, w)
			}
			continue
		}
		gf, ok1 := g.(float64)
		wf, ok2 := w.(float64)
		if !ok1 || !ok2 {
			t.Errorf("%s = %#v, want %#v", k, g, w)
			continue
		}
		if !momTestClose(gf, wf, tol) {
			t.Errorf("%s = %.17g, want %.17g (rel %.2g)", k, gf, wf, math.Abs(gf-wf)/math.Abs(wf))
		}
	}
}

func momTestKeysOf(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// momTestRun runs Univariate over the parties' data and checks that only the
// deciders get a result; it returns the first decider's result and error.
func momTestRun(t *testing.T, data [][]float64, open bool, shift float64) (map[string]any, error) {
	t.Helper()
	lo, hi := math.NaN(), math.NaN()
	for _, d := range data {
		for _, v := range d {
			if math.IsNaN(v) {
				continue
			}
			if !(v >= lo) { // also when lo is NaN
				lo = v
			}
			if !(v <= hi) {
				hi = v
			}
		}
	}
	p := newPlainParties(len(data), open)
	out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
		m, err := Moments(context.Background(), c, data[i], shift)
		if err != nil || !c.Decider() {
			if m != nil {
				return nil, fmt.Errorf("party %d is no decider but got sums", i)
			}
			return nil, err
		}
		u, err := m.Univariate(lo, hi)
		return resultMap(u, nil), err
	})
	for i := range out {
		if (open || i == 0) && errs[i] != nil {
			return nil, errs[i]
		}
		if !open && i > 0 && (out[i] != nil || (errs[i] != nil && errs[0] == nil)) {
			t.Fatalf("party %d (not deciding): %v, %v", i, out[i], errs[i])
		}
		if open && i > 0 {
			momTestCompare(t, out[i], out[0], 0)
		}
	}
	return out[0], errs[0]
}

// momTestCentral returns Σ(x-mean)^k/n for k = 0..6 and the mean, exactly
// (in 2000-bit arithmetic) then rounded.
func momTestCentral(x []float64) (mean float64, m [7]float64) {
	n := new(big.Float).SetPrec(2000).SetInt64(int64(len(x)))
	s := new(big.Float).SetPrec(2000)
	for _, v := range x {
		s.Add(s, big.NewFloat(v))
	}
	mu := new(big.Float).SetPrec(2000).Quo(s, n)
	for k := range m {
		sum := new(big.Float).SetPrec(2000)
		for _, v := range x {
			d := new(big.Float).SetPrec(2000).Sub(big.NewFloat(v), mu)
			p := new(big.Float).SetPrec(2000).SetInt64(1)
			for range k {
				p.Mul(p, d)
			}
			sum.Add(sum, p)
		}
		m[k], _ = sum.Quo(sum, n).Float64()
	}
	mean, _ = mu.Float64()
	return mean, m
}

// momTestWant computes the reference's StatisticsUnivariate on pooled data
// in plaintext, with gonum/stat where it has the statistic and the MLE
// central moments computed directly.
func momTestWant(x []float64) map[string]any {
	n := float64(len(x))
	mean, m := momTestCentral(x)
	num := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	variance := math.NaN()
	if len(x) > 1 {
		variance = stat.Variance(x, nil)
	}
	harmonic, geometric := math.NaN(), math.NaN()
	if floats.Min(x) > 0 {
		harmonic, geometric = stat.HarmonicMean(x, nil), stat.GeometricMean(x, nil)
	} else {
		// The reference's definitions with values ≤ 0: ln x over the
		// positive values, 1/x over the non-zero ones, both divided by n.
		var logs, recip float64
		for _, v := range x {
			if v > 0 {
				logs += math.Log(v)
			}
			if v != 0 {
				recip += 1 / v
			}
		}
		geometric, harmonic = math.Exp(logs/n), n/recip
	}
	shape := func(k int) float64 {
		if m[2] == 0 {
			return math.NaN()
		}
		return m[k] / math.Pow(m[2], float64(k)/2)
	}
	cv := func(sd float64) float64 {
		if mean == 0 {
			return math.NaN()
		}
		return sd / mean
	}
	sumSq := 0.0
	for _, v := range x {
		sumSq += v * v
	}
	return map[string]any{
		"samples":                       n,
		"minimum":                       floats.Min(x),
		"maximum":                       floats.Max(x),
		"sum":                           floats.Sum(x),
		"mean":                          stat.Mean(x, nil),
		"harmonic_mean":                 num(harmonic),
		"geometric_mean":                num(geometric),
		"variance":                      num(variance),
		"variance_mle":                  m[2],
		"variance_of_sample_mean":       num(variance / n),
		"standard_deviation":            num(math.Sqrt(variance)),
		"standard_deviation_mle":        math.Sqrt(m[2]),
		"standard_error_of_sample_mean": num(math.Sqrt(variance / n)),
		"coefficient_of_variation":      num(cv(math.Sqrt(variance))),
		"coefficient_of_variation_mle":  num(cv(math.Sqrt(m[2]))),
		"root_mean_square":              math.Sqrt(sumSq / n),
		"root_mean_square_deviation":    math.Sqrt(m[2]),
		"skewness":                      num(shape(3)),
		"kurtosis":                      num(shape(4)),
		"kurtosis_excess":               num(shape(4) - 3),
		"hyper_skewness":                num(shape(5)),
		"hyper_flatness":                num(shape(6)),
	}
}

// momTestSplit draws values for parties of the given sizes.
func momTestSplit(seed uint64, sizes []int, draw func(r *rand.Rand) float64) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([][]float64, len(sizes))
	for i, n := range sizes {
		out[i] = make([]float64, 0, n)
		for range n {
			out[i] = append(out[i], draw(r))
		}
	}
	return out
}

func momTestPool(data [][]float64) []float64 {
	var all []float64
	for _, d := range data {
		for _, v := range d {
			if !math.IsNaN(v) {
				all = append(all, v)
			}
		}
	}
	return all
}

var (
	momTestDecimal = func(r *rand.Rand) float64 { return math.Round((r.NormFloat64()*3.7+1.25)*100) / 100 }
	momTestTies    = func(r *rand.Rand) float64 { return float64(r.IntN(5)) - 2 }
	momTestSkewed  = func(r *rand.Rand) float64 { return math.Exp(r.NormFloat64()) }
	momTestOffset  = func(r *rand.Rand) float64 { return 1e6 + r.NormFloat64() }
)

func TestMomentsReferenceVectors(t *testing.T) {
	for vi, v := range momTestVectors(t, "StatisticsUnivariate") {
		var data [][]float64
		if err := json.Unmarshal(v.Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data) != v.Parties {
			t.Fatalf("vector %d: %d data for %d parties", vi, len(data), v.Parties)
		}
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprintf("vector%d/open=%v", vi, open), func(t *testing.T) {
				got, err := momTestRun(t, data, open, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(v.Answer.Result) != len(momTestKeys) {
					t.Fatalf("reference has %d keys, want %d", len(v.Answer.Result), len(momTestKeys))
				}
				momTestCompare(t, got, v.Answer.Result, 1e-9)
			})
		}
	}
}

func TestMomentsAgainstPooled(t *testing.T) {
	cases := []struct {
		name  string
		seed  uint64
		sizes []int
		draw  func(*rand.Rand) float64
		shift float64
	}{
		{"2 parties decimals", 1, []int{40, 25}, momTestDecimal, 0},
		{"3 parties ties", 2, []int{30, 1, 17}, momTestTies, 0},
		{"4 parties skewed positive", 3, []int{0, 50, 3, 80}, momTestSkewed, 0},
		{"5 parties decimals shifted", 4, []int{12, 0, 1, 33, 9}, momTestDecimal, 1.25},
		{"6 parties offset 1e6, shift 0", 5, []int{100, 200, 1, 0, 50, 75}, momTestOffset, 0},
		{"7 parties ties, far shift", 6, []int{5, 5, 5, 0, 1, 1, 40}, momTestTies, -1e4},
		{"one value at one party", 7, []int{0, 1, 0}, momTestDecimal, 0},
		{"constant", 8, []int{3, 4}, func(*rand.Rand) float64 { return 3.5 }, 0},
		{"constant decimal, 5 parties", 9, []int{7, 0, 13, 2, 1}, func(*rand.Rand) float64 { return 0.1 }, 0},
		{"mean zero", 10, []int{2, 2}, func(r *rand.Rand) float64 { return float64(2*r.IntN(2) - 1) }, 0},
	}
	for _, tc := range cases {
		data := momTestSplit(tc.seed, tc.sizes, tc.draw)
		pooled := momTestPool(data)
		want := momTestWant(pooled)
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/open=%v", tc.name, open), func(t *testing.T) {
				got, err := momTestRun(t, data, open, tc.shift)
				if err != nil {
					t.Fatal(err)
				}
				momTestCompare(t, got, want, 1e-9)
			})
		}
	}
}

// TestMomentsPrecisionWithoutShift checks that the moments of values far
// from the shift are as precise as the values allow: no loss from
// (|mean-shift|/sd)^k.
func TestMomentsPrecisionWithoutShift(t *testing.T) {
	cases := []struct {
		name   string
		offset float64
		sd     float64
	}{
		{"1e8 + N(0,1)", 1e8, 1},
		{"-3e12 + N(0,1e-3)", -3e12, 1e-3},
		{"1e40 + N(0,1e30)", 1e40, 1e30},
		{"1e-30 + N(0,1e-40)", 1e-30, 1e-40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := momTestSplit(11, []int{300, 1, 200}, func(r *rand.Rand) float64 { return tc.offset + tc.sd*r.NormFloat64() })
			pooled := momTestPool(data)
			mean, m := momTestCentral(pooled)
			got, err := momTestRun(t, data, false, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]float64{
				"mean":           mean,
				"variance_mle":   m[2],
				"skewness":       m[3] / math.Pow(m[2], 1.5),
				"kurtosis":       m[4] / (m[2] * m[2]),
				"hyper_skewness": m[5] / math.Pow(m[2], 2.5),
				"hyper_flatness": m[6] / (m[2] * m[2] * m[2]),
			}
			for k, w := range want {
				g, _ := got[k].(float64)
				if math.Abs(g-w) > 1e-13*math.Max(math.Abs(w), 0.01) {
					t.Errorf("%s = %.17g, want %.17g", k, g, w)
				}
			}
		})
	}
}

func TestMomentsUndefined(t *testing.T) {
	cases := []struct {
		name string
		data [][]float64
		nil  []string // keys that must be nil
		set  []string // keys that must be numbers
	}{
		{"one value", [][]float64{{}, {2.5}, {}}, []string{"variance", "variance_of_sample_mean", "standard_deviation", "standard_error_of_sample_mean", "coefficient_of_variation", "skewness", "kurtosis", "kurtosis_excess", "hyper_skewness", "hyper_flatness"}, []string{"variance_mle", "standard_deviation_mle", "coefficient_of_variation_mle", "mean", "harmonic_mean", "geometric_mean"}},
		{"zero variance", [][]float64{{4, 4}, {4}}, []string{"skewness", "kurtosis", "kurtosis_excess", "hyper_skewness", "hyper_flatness"}, []string{"variance", "coefficient_of_variation"}},
		{"a zero value", [][]float64{{1, 2}, {0, 5}}, nil, []string{"harmonic_mean", "geometric_mean", "skewness"}},
		{"a negative value", [][]float64{{1, 2}, {3, -5}}, nil, []string{"harmonic_mean", "geometric_mean", "skewness"}},
		{"reciprocals cancel", [][]float64{{1, -1}, {2, -2, 0}}, []string{"harmonic_mean"}, []string{"geometric_mean"}},
		{"mean zero", [][]float64{{1, -1}, {2, -2}}, []string{"coefficient_of_variation", "coefficient_of_variation_mle"}, []string{"skewness"}},
		{"missing values skipped", [][]float64{{math.NaN(), 2}, {4, math.NaN()}}, nil, []string{"variance"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := momTestRun(t, tc.data, false, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range momTestKeys {
				if _, ok := got[k]; !ok {
					t.Errorf("key %s missing", k)
				}
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
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("result does not marshal: %v", err)
			}
			momTestCompare(t, got, momTestWant(momTestPool(tc.data)), 1e-9)
		})
	}
}

func TestMomentsErrors(t *testing.T) {
	cases := []struct {
		name    string
		data    [][]float64
		shift   float64
		minCell int
		want    string
	}{
		{"no values", [][]float64{{}, {}, {math.NaN()}}, 0, 0, "univariate: no values"},
		{"infinite value", [][]float64{{1}, {math.Inf(1)}}, 0, 0, "moments: value 0 is +Inf"},
		{"infinite shift", [][]float64{{1}, {2}}, math.Inf(-1), 0, "moments: shift is -Inf"},
		{"too spread", [][]float64{{1e300, -1e300}, {2}}, 0, 0, "overflows float64"},
		{"too little spread", [][]float64{{1e-60, 2e-60}, {3e-60}}, 0, 0, "spread too little"},
		{"cohort below min_cell", [][]float64{{1, 2, 3, 4, 5}, {1, 2}}, 0, 5, "refused: min_cell=5 on a cohort"},
	}
	for _, tc := range cases {
		for _, open := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/open=%v", tc.name, open), func(t *testing.T) {
				p := newPlainParties(len(tc.data), open)
				p.minCell = tc.minCell
				_, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
					m, err := Moments(context.Background(), c, tc.data[i], tc.shift)
					if err != nil || m == nil {
						return nil, err
					}
					u, err := m.Univariate(math.NaN(), math.NaN())
					return resultMap(u, nil), err
				})
				if errs[0] == nil || !strings.Contains(errs[0].Error(), tc.want) {
					t.Fatalf("error %v, want one containing %q", errs[0], tc.want)
				}
				if tc.name == "no values" && !errors.Is(errs[0], errNoValues) {
					t.Errorf("error %v is not errNoValues", errs[0])
				}
			})
		}
	}
}

func TestMomentsAccessors(t *testing.T) {
	data := momTestSplit(12, []int{20, 0, 35}, momTestDecimal)
	pooled := momTestPool(data)
	p := newPlainParties(len(data), true)
	got := make([]*MomentSums, len(data))
	p.run(t, func(c Combiner, i int) (map[string]any, error) {
		m, err := Moments(context.Background(), c, data[i], 1)
		got[i] = m
		return nil, err
	})
	for i, m := range got {
		if m == nil {
			t.Fatalf("party %d: no sums", i)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"Count", m.Count(), float64(len(pooled))},
			{"Sum", m.Sum(), floats.Sum(pooled)},
			{"Mean", m.Mean(), stat.Mean(pooled, nil)},
			{"Variance", m.Variance(), stat.Variance(pooled, nil)},
			{"StdDev", m.StdDev(), math.Sqrt(stat.Variance(pooled, nil))},
		} {
			if !momTestClose(c.got, c.want, 1e-12) {
				t.Errorf("party %d: %s = %v, want %v", i, c.name, c.got, c.want)
			}
		}
	}
	var none *MomentSums
	if !math.IsNaN(none.Mean()) || !math.IsNaN(none.Variance()) || !math.IsNaN(none.Count()) {
		t.Errorf("nil sums give numbers")
	}
	if _, err := none.Univariate(0, 1); err == nil {
		t.Errorf("nil sums give a univariate result")
	}
}

// TestWideEncoding checks that wide reals pass a sum of integers exactly,
// whatever their magnitude, within the width the engine is asked for,
// and that values out of range fail.
func TestWideEncoding(t *testing.T) {
	values := []float64{0, 1, -1, 0.1, -2.5e-300, 1e300, math.MaxFloat64, -math.SmallestNonzeroFloat64, 123456.789, -9.87654321e-17, 0x1p-1101, -0x1p-1101, 0x1.8p-1100, 0x1p-401 * 3}
	for _, w := range []wideWindow{momWindow, quadWindow} {
		for _, v := range values {
			x := momF(v)
			vec := newWideVec(w)
			if x.MantExp(nil) > w.limitExp() {
				if err := vec.real(x, "x"); err == nil || !strings.Contains(err.Error(), "too large") {
					t.Errorf("window %d: %g: error %v, want too large", w.low, v, err)
				}
				continue
			}
			if err := vec.real(x, "x"); err != nil {
				t.Fatal(err)
			}
			if got := vec.v[0].BitLen(); got > w.bits() {
				t.Fatalf("window %d: %g travels as %d bits, more than %d", w.low, v, got, w.bits())
			}
			// What travels is x to the nearest 2^low.
			one := momNew().SetMantExp(momF(1), w.low)
			if d := momNew().Sub(x, momNew().Mul(momNew().SetInt(vec.v[0]), one)); d.Abs(d).Cmp(momNew().Quo(one, momF(2))) > 0 {
				t.Fatalf("window %d: %g travels as %v·2^%d", w.low, v, vec.v[0], w.low)
			}
			const parties = 64
			sum := new(big.Int)
			for range parties {
				sum.Add(sum, vec.v[0])
			}
			r := &wideReader{w: w, v: []*big.Int{sum}}
			got := r.real()
			if err := r.done(); err != nil {
				t.Fatal(err)
			}
			want := new(big.Float).SetPrec(w.exactPrec()).SetInt(sum)
			want.SetMantExp(want, w.low)
			if got.Cmp(want) != 0 {
				t.Errorf("window %d: 64 × %g = %s, want exactly %s", w.low, v, got.Text('g', 20), want.Text('g', 20))
			}
		}
	}
	r := &wideReader{w: momWindow, v: []*big.Int{big.NewInt(1), big.NewInt(2)}}
	r.count()
	if err := r.done(); err == nil {
		t.Errorf("values left over: no error")
	}
	r = &wideReader{w: momWindow, v: []*big.Int{big.NewInt(1)}}
	r.count()
	r.real()
	if err := r.done(); err == nil {
		t.Errorf("values missing: no error")
	}
}

// momTestSelf is a Combiner for one party: its sums are its own.
type momTestSelf struct{}

func (momTestSelf) Sum(_ context.Context, v []float64) ([]float64, error)              { return v, nil }
func (momTestSelf) SumWide(_ context.Context, v []*big.Int, _ int) ([]*big.Int, error) { return v, nil }
func (momTestSelf) Decide(_ context.Context, v []float64) ([]float64, error)           { return v, nil }
func (momTestSelf) Decider() bool                                                      { return true }
func (momTestSelf) Check(string, []float64) error                                      { return nil }

func BenchmarkMomentsLocal1e6(b *testing.B) {
	x := momTestSplit(13, []int{1e6}, momTestSkewed)[0]
	b.SetBytes(8 * int64(len(x)))
	b.ResetTimer()
	for b.Loop() {
		m, err := Moments(context.Background(), momTestSelf{}, x, 0)
		if err != nil || m.Count() != 1e6 {
			b.Fatal(err)
		}
	}
}
