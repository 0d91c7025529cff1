//go:build !amd64

package stats

// gramUpper sets out to the upper triangle, row by row, of the Gram matrix
// of the vectors v (all of one length), as gramDots does.
func gramUpper(v [][]float64, out []float64) { gramDots(v, out) }
