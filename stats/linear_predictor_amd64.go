//go:build amd64

package stats

// linearPredictor sets e to b0 + Σ_a beta[a]·xs[a] (each xs[a] at least
// len(e) long; ptrs scratch space of len(beta)). With AVX2 and FMA the
// rows before the last multiple of 16 are computed sixteen at a time
// (etaBlock: four sums of four rows in registers, each column read once),
// the rest a row at a time; without them it is linearPredictorDots.
func linearPredictor(e []float64, b0 float64, beta []float64, xs [][]float64, ptrs []*float64) {
	n := len(e) &^ 15
	if !gramFMA || n == 0 || len(beta) == 0 || len(ptrs) < len(beta) || len(xs) < len(beta) {
		linearPredictorDots(e, b0, beta, xs)
		return
	}
	for a := range beta {
		if len(xs[a]) < len(e) {
			linearPredictorDots(e, b0, beta, xs)
			return
		}
		ptrs[a] = &xs[a][0]
	}
	etaBlock(&ptrs[0], &beta[0], len(beta), b0, n, &e[0])
	for j := n; j < len(e); j++ { // the rows past the last sixteen
		v := b0
		for a, b := range beta {
			v += b * xs[a][j]
		}
		e[j] = v
	}
}

// etaBlock sets e[j] = b0 + Σ_a beta[a]·x[a][j] for the n rows (a multiple
// of 16) of the k columns x points to.
//
//go:noescape
func etaBlock(x **float64, beta *float64, k int, b0 float64, n int, e *float64)
