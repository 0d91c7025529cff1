//go:build amd64

package stats

import "math"

// binomialConsts are binomialBlock's constants, each four times (a lane
// each): 1/2, log₂e, ln 2 in two parts, fdlibm's P5..P1 (as Go's
// math.Exp), 2 and 1.
var binomialConsts = func() (c [44]float64) {
	for i, v := range []float64{0.5, math.Log2E, 6.93147180369123816490e-01, 1.90821492927058770002e-10,
		4.13813679705723846039e-08, -1.65339022054652515390e-06, 6.61375632143793436117e-05,
		-2.77777777770155933842e-03, 1.66666666666666657415e-01, 2, 1} {
		for l := range 4 {
			c[4*i+l] = v
		}
	}
	return c
}()

// binomialKernel computes binomialWeights' s, sz and deviance factor f of
// the rows before the last multiple of four, four at a time, and returns
// how many it computed (none without AVX2 and FMA). A row whose eta is
// beyond ±30 or NaN gets values binomialWeights must replace.
func binomialKernel(e, y, s, sz, f []float64) int {
	n := len(e) &^ 3
	if !gramFMA || n == 0 || len(y) < n || len(s) < n || len(sz) < n || len(f) < n {
		return 0
	}
	binomialBlock(&e[0], &y[0], &s[0], &sz[0], &f[0], n, &binomialConsts)
	return n
}

// binomialBlock computes, for the n rows (a multiple of 4) from eta and
// y, s = √w, sz = s·z and the deviance factor f as binomialWeights does,
// with h = e^(eta/2) computed as fdlibm does (k = round(x·log₂e), r = x -
// k·ln2 in two parts, a rational approximation of e^r, times 2^k).
//
//go:noescape
func binomialBlock(eta, y, s, sz, f *float64, n int, c *[44]float64)
