package stats

import "gonum.org/v1/gonum/floats"

// linearPredictorDots sets e to b0 + Σ_a beta[a]·xs[a] (each xs[a] at
// least len(e) long), a column at a time with gonum's vector kernels: what
// linearPredictor does where it has no faster kernel, and for the rows
// past its last multiple of its step.
func linearPredictorDots(e []float64, b0 float64, beta []float64, xs [][]float64) {
	for j := range e {
		e[j] = b0
	}
	for a, b := range beta {
		floats.AddScaled(e, b, xs[a][:len(e)])
	}
}
