package stats

import "gonum.org/v1/gonum/floats"

// gramAt is the index of the pair (a, b), a ≤ b, in the upper triangle of
// a Gram matrix of q vectors laid out row by row.
func gramAt(q, a, b int) int { return a*q - a*(a-1)/2 + (b - a) }

// gramDots sets out to the upper triangle, row by row, of the Gram matrix
// of the vectors v (all of one length): one dot product per pair (gonum's
// vector kernel), which is what gramUpper does where it has no faster
// kernel.
func gramDots(v [][]float64, out []float64) {
	t := 0
	for a, va := range v {
		for _, vb := range v[a:] {
			out[t] = floats.Dot(va, vb)
			t++
		}
	}
}
