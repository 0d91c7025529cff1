package stats

import (
	"math/rand/v2"
	"testing"
)

func gramBenchVecs() [][]float64 {
	r := rand.New(rand.NewPCG(5, 5))
	v := make([][]float64, 12)
	for a := range v {
		v[a] = make([]float64, glmBlock)
		for j := range v[a] {
			v[a][j] = r.NormFloat64()
		}
	}
	return v
}

// BenchmarkGramUpper is the sums of products of a GLM's block of rows: 12
// vectors (the weight, 10 covariates, the working response).
func BenchmarkGramUpper(b *testing.B) {
	v := gramBenchVecs()
	out := make([]float64, 78)
	for range b.N {
		gramUpper(v, out)
	}
}

// BenchmarkGramDots is the same with one gonum dot product per pair.
func BenchmarkGramDots(b *testing.B) {
	v := gramBenchVecs()
	out := make([]float64, 78)
	for range b.N {
		gramDots(v, out)
	}
}
