package stats

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// rankTestType7 is R's quantile(x, p, type = 7) on sorted x, written as R's
// quantile.default computes it.
func rankTestType7(sorted []float64, p float64) float64 {
	n := len(sorted)
	index := float64(float64(n-1)*p) + 1
	lo := math.Floor(index)
	hi := math.Ceil(index)
	qs := sorted[int(lo)-1]
	xhi := sorted[int(hi)-1]
	if index > lo && xhi != qs {
		h := index - lo
		qs = float64((1-h)*qs) + float64(h*xhi)
	}
	return qs
}

// rankTestPool returns every party's values pooled and sorted.
func rankTestPool(parts [][]float64) []float64 {
	var all []float64
	for _, p := range parts {
		all = append(all, p...)
	}
	slices.Sort(all)
	return all
}

// rankTestSame is == with NaN equal to NaN.
func rankTestSame(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// rankTestCounter counts a party's Sum and Decide calls.
type rankTestCounter struct {
	Combiner
	calls *atomic.Int64
}

func (c rankTestCounter) Sum(ctx context.Context, v []float64) ([]float64, error) {
	c.calls.Add(1)
	return c.Combiner.Sum(ctx, v)
}

func (c rankTestCounter) Decide(ctx context.Context, v []float64) ([]float64, error) {
	c.calls.Add(1)
	return c.Combiner.Decide(ctx, v)
}

// rankTestStrict refuses a Sum of anything but whole numbers in
// [0, 2^46]: what the engine's fixed-point sum carries exactly, with room
// for 64 parties, and what a float64 holds exactly.
type rankTestStrict struct{ Combiner }

func (c rankTestStrict) Sum(ctx context.Context, v []float64) ([]float64, error) {
	for i, x := range v {
		if x != math.Trunc(x) || x < 0 || x > 1<<46 {
			return nil, fmt.Errorf("sum element %d is %v, not a small whole number", i, x)
		}
	}
	return c.Combiner.Sum(ctx, v)
}

// rankTestEcho is a single party that decides: sums and decisions come
// back as they are.
type rankTestEcho struct{}

func (rankTestEcho) Sum(ctx context.Context, v []float64) ([]float64, error) { return v, nil }
func (rankTestEcho) SumWide(_ context.Context, v []*big.Int, _ int) ([]*big.Int, error) {
	return v, nil
}
func (rankTestEcho) Decide(ctx context.Context, v []float64) ([]float64, error) { return v, nil }
func (rankTestEcho) Decider() bool                                              { return true }
func (rankTestEcho) Check(string, []float64) error                              { return nil }

var rankTestProbs = []float64{0, 0.1, 0.25, 1.0 / 3, 0.5, 2.0 / 3, 0.75, 0.9, 1}

// rankTestKinds are the kinds of data the tests draw.
var rankTestKinds = []string{"ties", "decimals", "negatives", "equal", "magnitudes", "spread", "smallints"}

// rankTestValue draws one value of a kind.
func rankTestValue(kind string, rng *rand.Rand) float64 {
	switch kind {
	case "ties":
		return float64(rng.IntN(5))
	case "smallints":
		return float64(rng.IntN(200) - 100)
	case "decimals":
		return float64(rng.IntN(100000)) / 100
	case "negatives":
		return rng.NormFloat64()*1000 - 500
	case "equal":
		return 7.25
	case "magnitudes":
		switch rng.IntN(12) {
		case 0:
			return 0
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return math.SmallestNonzeroFloat64 * float64(rng.IntN(1000)+1)
		case 3:
			return -math.MaxFloat64 * rng.Float64()
		case 4:
			return math.MaxFloat64 * rng.Float64()
		}
		v := (rng.Float64() + 0.5) * math.Pow(10, float64(rng.IntN(600)-300))
		if rng.IntN(2) == 0 {
			v = -v
		}
		return v
	default: // spread
		return rng.Float64()*2e6 - 1e6
	}
}

// rankTestParts draws m parties' values: party 0 holds none, party 1 one
// value, the others up to 150 (so pooled n varies in parity); extra values
// are added to the last party.
func rankTestParts(kind string, rng *rand.Rand, m, extra int) [][]float64 {
	parts := make([][]float64, m)
	for i := range parts {
		k := rng.IntN(150)
		switch i {
		case 0:
			k = 0
		case 1:
			k = 1
		}
		if i == m-1 {
			k += extra
		}
		for range k {
			parts[i] = append(parts[i], rankTestValue(kind, rng))
		}
	}
	return parts
}

// rankTestRun runs f at m parties, each with its own values.
func rankTestRun(t *testing.T, parts [][]float64, open bool, f func(c Combiner, x []float64) (map[string]any, error)) ([]map[string]any, []error) {
	t.Helper()
	p := newPlainParties(len(parts), open)
	return p.run(t, func(c Combiner, i int) (map[string]any, error) {
		return f(c, parts[i])
	})
}

func TestOrderKeyIsOrderPreserving(t *testing.T) {
	special := []float64{
		math.Inf(-1), -math.MaxFloat64, -1e300, -2, -1, -math.SmallestNonzeroFloat64 * 3,
		-math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 2.2250738585072014e-308,
		1, math.Nextafter(1, 2), 2, 1e300, math.MaxFloat64, math.Inf(1),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	vals := slices.Clone(special)
	for range 10000 {
		vals = append(vals, math.Float64frombits(rng.Uint64()))
	}
	vals = slices.DeleteFunc(vals, math.IsNaN)
	for _, v := range vals {
		if got := OrderValue(OrderKey(v)); math.Float64bits(got) != math.Float64bits(v) && !(v == 0 && got == 0) {
			t.Fatalf("OrderValue(OrderKey(%v)) = %v", v, got)
		}
	}
	for i := 1; i < len(special); i++ {
		if OrderKey(special[i-1]) >= OrderKey(special[i]) {
			t.Errorf("key(%v) >= key(%v)", special[i-1], special[i])
		}
	}
	for i := 0; i+1 < len(vals); i++ {
		a, b := vals[i], vals[i+1]
		ka, kb := OrderKey(a), OrderKey(b)
		if (a < b) != (ka < kb) || (a == b) != (ka == kb) {
			t.Fatalf("order of %v, %v not kept by keys %#x, %#x", a, b, ka, kb)
		}
	}
	negZero := math.Copysign(0, -1)
	if OrderKey(negZero) != OrderKey(0) || math.Signbit(OrderValue(OrderKey(negZero))) {
		t.Errorf("−0 is not taken as +0")
	}
}

func TestQuantilesMatchPlaintext(t *testing.T) {
	for _, kind := range rankTestKinds {
		for m := 2; m <= 7; m++ {
			for _, open := range []bool{true, false} {
				for extra := range 2 {
					seed := uint64(m*10 + extra)
					t.Run(fmt.Sprintf("%s/m=%d/open=%v/extra=%d", kind, m, open, extra), func(t *testing.T) {
						rng := rand.New(rand.NewPCG(seed, uint64(len(kind))))
						parts := rankTestParts(kind, rng, m, extra)
						rankTestCompare(t, parts, open)
						// Parties whose values are sorted count by binary
						// search; some sorted, some not, must agree.
						for i := range parts {
							if i%2 == 0 {
								slices.Sort(parts[i])
							}
						}
						rankTestCompare(t, parts, open)
						for i := range parts {
							slices.Sort(parts[i])
						}
						rankTestCompare(t, parts, open)
					})
				}
			}
		}
	}
}

// rankTestCompare checks Quantiles, Median and MinMax against the
// plaintext on the pooled values, at every party.
func rankTestCompare(t *testing.T, parts [][]float64, open bool) {
	t.Helper()
	pool := rankTestPool(parts)
	out, errs := rankTestRun(t, parts, open, func(c Combiner, x []float64) (map[string]any, error) {
		c = rankTestStrict{c}
		q, err := Quantiles(context.Background(), c, x, rankTestProbs)
		if err != nil {
			return nil, err
		}
		med, err := Median(context.Background(), c, x)
		if err != nil {
			return nil, err
		}
		lo, hi, n, err := MinMax(context.Background(), c, x)
		if err != nil {
			return nil, err
		}
		return map[string]any{"q": q, "median": med, "min": lo, "max": hi, "n": n}, nil
	})
	for i := range out {
		if errs[i] != nil {
			t.Fatalf("party %d: %v", i, errs[i])
		}
		if !open && i > 0 {
			if out[i]["q"].([]float64) != nil || !math.IsNaN(out[i]["median"].(float64)) || out[i]["n"].(int64) != 0 {
				t.Fatalf("party %d does not decide but got %v", i, out[i])
			}
			continue
		}
		rankTestCheck(t, i, out[i], pool)
	}
}

// rankTestCheck checks a deciding party's answers against the pooled
// values, sorted: out["q"] at rankTestProbs, "median", "min", "max"
// and "n".
func rankTestCheck(t *testing.T, i int, out map[string]any, pool []float64) {
	t.Helper()
	q := out["q"].([]float64)
	for j, p := range rankTestProbs {
		if want := rankTestType7(pool, p); !rankTestSame(q[j], want) {
			t.Errorf("party %d: quantile %v = %v, want %v (n=%d)", i, p, q[j], want, len(pool))
		}
	}
	if want := rankTestType7(pool, 0.5); !rankTestSame(out["median"].(float64), want) {
		t.Errorf("party %d: median %v, want %v", i, out["median"], want)
	}
	if out["min"] != pool[0] || out["max"] != pool[len(pool)-1] || out["n"] != int64(len(pool)) {
		t.Errorf("party %d: min %v max %v n %v, want %v %v %d", i, out["min"], out["max"], out["n"], pool[0], pool[len(pool)-1], len(pool))
	}
}

func TestQuantilesInfinities(t *testing.T) {
	parts := [][]float64{{math.Inf(1), 1, 2}, {math.Inf(-1), 3}, {math.Inf(1), 1e308, -1e308}}
	for _, open := range []bool{true, false} {
		rankTestCompare(t, parts, open)
	}
}

func TestQuantilesBitExactValues(t *testing.T) {
	// Values differing only in their last bits, pooled n odd: the median is
	// one data value, bit for bit.
	base := 1234.5678
	var parts [][]float64
	v := base
	for i := range 3 {
		var p []float64
		for range 5 + i {
			p = append(p, v)
			v = math.Nextafter(v, math.Inf(1))
		}
		parts = append(parts, p)
	}
	rankTestCompare(t, parts, false)
	rankTestCompare(t, parts, true)
}

func TestSecureMedianReference(t *testing.T) {
	cases := []struct {
		parts [][]float64
		want  float64
	}{
		{[][]float64{{3, 1, 4}, {1, 5, 9, 2}, {6, 5}}, 4.0},
		{[][]float64{{1.5, 2.25, 10.0}, {0.5, 7.75}}, 2.25},
	}
	for _, tc := range cases {
		for _, open := range []bool{true, false} {
			out, errs := rankTestRun(t, tc.parts, open, func(c Combiner, x []float64) (map[string]any, error) {
				med, err := Median(context.Background(), c, x)
				return map[string]any{"median": med}, err
			})
			for i := range out {
				if errs[i] != nil {
					t.Fatalf("party %d: %v", i, errs[i])
				}
				if (open || i == 0) && out[i]["median"] != tc.want {
					t.Errorf("open=%v party %d: median %v, want %v", open, i, out[i]["median"], tc.want)
				}
			}
		}
	}
}

func TestMinimumMaximumReference(t *testing.T) {
	parts := [][]float64{{3, 1, 4}, {1, 5, 9, 2}, {6, 5}}
	for _, open := range []bool{true, false} {
		out, errs := rankTestRun(t, parts, open, func(c Combiner, x []float64) (map[string]any, error) {
			lo, hi, n, err := MinMax(context.Background(), c, x)
			return map[string]any{"samples": n, "minimum": lo, "maximum": hi}, err
		})
		for i := range out {
			if errs[i] != nil {
				t.Fatalf("party %d: %v", i, errs[i])
			}
			if !open && i > 0 {
				continue
			}
			if out[i]["samples"] != int64(9) || out[i]["minimum"] != 1.0 || out[i]["maximum"] != 9.0 {
				t.Errorf("open=%v party %d: %v", open, i, out[i])
			}
		}
	}
}

func TestOrderStatisticsEveryRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, kind := range rankTestKinds {
		parts := rankTestParts(kind, rng, 4, 1)
		pool := rankTestPool(parts)
		n := int64(len(pool))
		out, errs := rankTestRun(t, parts, false, func(c Combiner, x []float64) (map[string]any, error) {
			vals, got, err := OrderStatistics(context.Background(), c, x, func(n int64) ([]int64, error) {
				ranks := []int64{n, 1} // duplicates and any order
				for k := int64(1); k <= n; k++ {
					ranks = append(ranks, k)
				}
				return ranks, nil
			})
			return map[string]any{"v": vals, "n": got}, err
		})
		for i := range out {
			if errs[i] != nil {
				t.Fatalf("%s party %d: %v", kind, i, errs[i])
			}
		}
		if out[0]["n"] != n {
			t.Fatalf("%s: n %v, want %d", kind, out[0]["n"], n)
		}
		vals := out[0]["v"].([]float64)
		if vals[0] != pool[n-1] || vals[1] != pool[0] {
			t.Errorf("%s: ranks n, 1 gave %v, %v", kind, vals[0], vals[1])
		}
		for k := range pool {
			if vals[k+2] != pool[k] {
				t.Errorf("%s: rank %d gave %v, want %v", kind, k+1, vals[k+2], pool[k])
			}
		}
		if out[1]["v"].([]float64) != nil || out[1]["n"] != int64(0) {
			t.Errorf("%s: a party that does not decide got %v", kind, out[1])
		}
	}
}

func TestQuantilesRounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kind := range rankTestKinds {
		for _, open := range []bool{true, false} {
			parts := rankTestParts(kind, rng, 3, 500)
			calls := make([]atomic.Int64, len(parts))
			p := newPlainParties(len(parts), open)
			_, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
				_, err := Quantiles(context.Background(), rankTestCounter{c, &calls[i]}, parts[i], rankTestProbs)
				return nil, err
			})
			for i := range parts {
				if errs[i] != nil {
					t.Fatalf("party %d: %v", i, errs[i])
				}
				if got := calls[i].Load(); got > 17 || got != calls[0].Load() {
					t.Errorf("%s open=%v party %d: %d Sum+Decide calls for 9 quantiles (party 0: %d)", kind, open, i, got, calls[0].Load())
				}
			}
			t.Logf("%s open=%v: %d Sum+Decide calls for 9 quantiles", kind, open, calls[0].Load())
		}
	}
}

func TestMedianSingleValueShortcut(t *testing.T) {
	// Distinct, spread values: the middle bucket soon holds one value, and
	// the search ends before the eighth byte.
	rng := rand.New(rand.NewPCG(5, 6))
	parts := make([][]float64, 3)
	for i := range parts {
		for range 300 {
			parts[i] = append(parts[i], rng.Float64()*100)
		}
	}
	parts[2] = append(parts[2], 42)
	var calls atomic.Int64
	p := newPlainParties(3, false)
	out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
		if i == 0 {
			c = rankTestCounter{c, &calls}
		}
		med, err := Median(context.Background(), c, parts[i])
		return map[string]any{"median": med}, err
	})
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("party %d: %v", i, errs[i])
		}
	}
	if want := rankTestType7(rankTestPool(parts), 0.5); out[0]["median"] != want {
		t.Errorf("median %v, want %v", out[0]["median"], want)
	}
	if calls.Load() >= 15 {
		t.Errorf("%d calls: the single-value shortcut did not end the search early", calls.Load())
	}
	t.Logf("median of 901 spread values: %d Sum+Decide calls", calls.Load())
}

func TestQuantilesErrors(t *testing.T) {
	parts := [][]float64{{1, 2}, {3}}
	for _, probs := range [][]float64{{-0.1}, {1.5}, {math.NaN()}, {0.5, 2}, nil} {
		out, errs := rankTestRun(t, parts, false, func(c Combiner, x []float64) (map[string]any, error) {
			q, err := Quantiles(context.Background(), c, x, probs)
			return map[string]any{"q": q}, err
		})
		for i := range out {
			if errs[i] == nil || !strings.Contains(errs[i].Error(), "probabilit") {
				t.Errorf("probs %v party %d: error %v", probs, i, errs[i])
			}
		}
	}
	for _, open := range []bool{true, false} {
		empty := [][]float64{{}, nil, {}}
		_, errs := rankTestRun(t, empty, open, func(c Combiner, x []float64) (map[string]any, error) {
			_, err := Median(context.Background(), c, x)
			return nil, err
		})
		for i, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "no values") {
				t.Errorf("open=%v party %d: no values gave %v", open, i, err)
			}
		}
		_, errs = rankTestRun(t, empty, open, func(c Combiner, x []float64) (map[string]any, error) {
			_, _, _, err := MinMax(context.Background(), c, x)
			return nil, err
		})
		for i, err := range errs {
			if err == nil || !errors.Is(err, rankErrNoValues) && !strings.Contains(err.Error(), "no values") {
				t.Errorf("open=%v party %d: no values gave %v", open, i, err)
			}
		}
	}
	_, errs := rankTestRun(t, [][]float64{{1, math.NaN()}, {2}}, false, func(c Combiner, x []float64) (map[string]any, error) {
		_, err := Median(context.Background(), c, x)
		return nil, err
	})
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "NaN") || errs[1] == nil {
		t.Errorf("NaN value: errors %v", errs)
	}
	for _, bad := range []int64{0, 4} {
		_, errs := rankTestRun(t, parts, false, func(c Combiner, x []float64) (map[string]any, error) {
			_, _, err := OrderStatistics(context.Background(), c, x, func(n int64) ([]int64, error) { return []int64{1, bad}, nil })
			return nil, err
		})
		if errs[0] == nil || !strings.Contains(errs[0].Error(), "outside [1, 3]") {
			t.Errorf("rank %d: decider error %v", bad, errs[0])
		}
		if errs[1] == nil {
			t.Errorf("rank %d: the other party did not stop", bad)
		}
	}
}

func BenchmarkQuantilesLocal1e6(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 1_000_000)
	for i := range x {
		x[i] = math.Round((rng.NormFloat64()*15+60)*10) / 10
	}
	for _, probs := range [][]float64{{0.5}, rankTestProbs} {
		b.Run(fmt.Sprintf("probs=%d", len(probs)), func(b *testing.B) {
			for b.Loop() {
				if _, err := Quantiles(context.Background(), rankTestEcho{}, x, probs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
