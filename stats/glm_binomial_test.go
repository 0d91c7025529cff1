package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// binomialWeights (four rows at a time where the processor can) computes
// every row as its formula does in Go, across and beyond the logit's
// clamp, for every block length; and for linear predictors of a model
// that fits (|eta| ≤ 8) it gives R's working weights, working responses
// and deviance, computed R's way, to a few units in the last place, give
// or take the digits R's weight me²/(mu·(1-mu)) loses to 1-mu (which h²·d
// keeps).
func TestBinomialWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, spread := range []float64{35, 8} {
		for _, m := range []int{1, 3, 4, 7, 64, 256} {
			e, y := make([]float64, m), make([]float64, m)
			for j := range e {
				e[j] = spread * (2*r.Float64() - 1)
				y[j] = float64(r.IntN(2))
			}
			if m > 4 && spread > 30 {
				e[2], e[3] = 30, -30 // the clamp's edges
			}
			s, sz, f := make([]float64, m), make([]float64, m), make([]float64, m)
			var c glmChunk
			binomialWeights(&c, e, y, s, sz, f)
			var dev, extreme float64
			for j, et := range e {
				var ws, wz float64
				mu, me, w := famBinomial.eval(et)
				tol := 1e-14                                   // s
				ztol := tol + 4*dblEps/math.Min(mu, 1-mu)      // sz: y - mu keeps eps/(1-mu) of it
				if spread > 30 && math.Abs(et) <= logitLimit { // the formula in Go
					h := math.Exp(et / 2)
					op := 1 + h*h
					d := 1 / (op * h)
					ws = h * h * d
					wz = ws*et + (y[j]-h*h*h*d)*(op*op*d)
				} else { // R's, whose 1-mu keeps eps/(1-mu) of it
					ws, wz = math.Sqrt(w), math.Sqrt(w)*(et+(y[j]-mu)/me)
					tol = ztol
				}
				if !(math.Abs(s[j]-ws) <= tol*ws) || !(math.Abs(sz[j]-wz) <= ztol*math.Abs(wz)+1e-300) {
					t.Errorf("%d rows: row %d (eta %v, y %v): s %v sz %v, want %v %v", m, j, et, y[j], s[j], sz[j], ws, wz)
				}
				dev += famBinomial.devResid(y[j], mu)
				if famBinomial.extreme(mu) {
					extreme++
				}
			}
			got, _ := c.dev.big()
			if g := momFloat(got); spread < 30 && !(math.Abs(g-dev) <= 1e-13*dev) {
				t.Errorf("%d rows: deviance %v, want %v", m, g, dev)
			}
			if c.extreme != extreme {
				t.Errorf("%d rows: %v extreme fitted values, want %v", m, c.extreme, extreme)
			}
		}
	}
}
