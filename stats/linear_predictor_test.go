package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// linearPredictor equals b0 + Σ beta·x row by row for every number of
// columns and rows (sixteen at a time, and the rows past them), and so
// does linearPredictorDots.
func TestLinearPredictor(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for k := 0; k <= 11; k++ {
		for _, m := range []int{0, 1, 15, 16, 17, 256, 250} {
			xs := make([][]float64, k)
			beta := make([]float64, k)
			for a := range xs {
				beta[a] = r.NormFloat64()
				xs[a] = make([]float64, m)
				for j := range xs[a] {
					xs[a][j] = 10 * r.NormFloat64()
				}
			}
			b0 := r.NormFloat64()
			for name, f := range map[string]func(e []float64){
				"linearPredictor":     func(e []float64) { linearPredictor(e, b0, beta, xs, make([]*float64, k)) },
				"linearPredictorDots": func(e []float64) { linearPredictorDots(e, b0, beta, xs) },
			} {
				e := make([]float64, m)
				for j := range e {
					e[j] = math.NaN()
				}
				f(e)
				for j := range m {
					want, size := b0, math.Abs(b0)
					for a := range k {
						want += beta[a] * xs[a][j]
						size += math.Abs(beta[a] * xs[a][j])
					}
					if !(math.Abs(e[j]-want) <= 1e-15*size) {
						t.Errorf("%s, %d columns, %d rows: row %d = %v, want %v", name, k, m, j, e[j], want)
					}
				}
			}
		}
	}
}
