//go:build !amd64

package stats

// linearPredictor sets e to b0 + Σ_a beta[a]·xs[a], as
// linearPredictorDots does; ptrs is unused here.
func linearPredictor(e []float64, b0 float64, beta []float64, xs [][]float64, ptrs []*float64) {
	linearPredictorDots(e, b0, beta, xs)
}
