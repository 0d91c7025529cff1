package stats

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMomentsOfSortedRuns: sorted values (runs of ties added at once) give
// the same moments as the same values unsorted.
func TestMomentsOfSortedRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float64, 20000)
	for i := range x {
		x[i] = float64(18 + rng.IntN(78))
		if i%7 == 0 {
			x[i] += 0.5
		}
		if i%1000 == 0 {
			x[i] = -x[i] // a few values ≤ 0: the reference's harmonic and geometric means
		}
	}
	positive := slices.DeleteFunc(slices.Clone(x), func(v float64) bool { return v <= 0 })
	for _, data := range [][]float64{x, positive} {
		sorted := slices.Clone(data)
		slices.Sort(sorted)
		a, err := Moments(context.Background(), olsPartEcho{}, data, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Moments(context.Background(), olsPartEcho{}, sorted, 0)
		if err != nil {
			t.Fatal(err)
		}
		ra, errA := a.Univariate(sorted[0], sorted[len(sorted)-1])
		rb, errB := b.Univariate(sorted[0], sorted[len(sorted)-1])
		ua, ub := resultMap(ra, nil), resultMap(rb, nil)
		if errA != nil || errB != nil || len(ua) == 0 || len(ua) != len(ub) {
			t.Fatalf("univariate keys: %d unsorted (%v), %d sorted (%v)", len(ua), errA, len(ub), errB)
		}
		for k, va := range ua {
			fa, okA := va.(float64)
			fb, okB := ub[k].(float64)
			if okA != okB || (okA && math.Abs(fa-fb) > 1e-12*math.Max(1, math.Abs(fa))) {
				t.Errorf("%s: unsorted %v, sorted %v", k, va, ub[k])
			}
		}
	}
}
