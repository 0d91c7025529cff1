package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gramUpper equals the pairwise sums of products for every number of
// vectors (whole tiles, and pairs beside them) and every length (rows past
// a multiple of four, blocks too short for a tile), and so does gramDots.
func TestGramUpper(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for q := 1; q <= 14; q++ {
		for _, m := range []int{0, 1, 3, 4, 7, 256, 257} {
			v := make([][]float64, q)
			for a := range v {
				v[a] = make([]float64, m)
				for j := range v[a] {
					v[a][j] = r.NormFloat64()
				}
			}
			for name, f := range map[string]func([][]float64, []float64){"gramUpper": gramUpper, "gramDots": gramDots} {
				out := make([]float64, q*(q+1)/2)
				for i := range out {
					out[i] = math.NaN()
				}
				f(v, out)
				for a := range q {
					for b := a; b < q; b++ {
						var want, size float64
						for j := range m {
							want += v[a][j] * v[b][j]
							size += math.Abs(v[a][j] * v[b][j])
						}
						if got := out[gramAt(q, a, b)]; !(math.Abs(got-want) <= 1e-14*size) {
							t.Errorf("%s, %d vectors of %d: (%d, %d) = %v, want %v", name, q, m, a, b, got, want)
						}
					}
				}
			}
		}
	}
}
