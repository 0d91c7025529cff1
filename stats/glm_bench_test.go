package stats

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// BenchmarkGLMLogistic10 fits a logistic regression with 10 covariates
// over 10^6 rows at each of 3 parties in one process (plain sums): the
// parties' local work per fit, which the node benchmark adds the network
// to. Its processor time (cpu-ms/op) is the three parties' together.
func BenchmarkGLMLogistic10(b *testing.B) {
	const m, rows = 3, 1_000_000
	ys := make([]*Column, m)
	xs := make([][]*Column, m)
	for p := range m {
		rng := rand.New(rand.NewPCG(uint64(p), 1))
		y := make([]float64, rows)
		cols := make([][]float64, 10)
		for j := range cols {
			cols[j] = make([]float64, rows)
		}
		for i := range rows {
			eta := -0.5
			for j := range cols {
				cols[j][i] = math.Round(rng.NormFloat64()*100) / 100
				eta += 0.05 * float64(j-4) * cols[j][i]
			}
			if rng.Float64() < 1/(1+math.Exp(-eta)) {
				y[i] = 1
			}
		}
		ys[p] = &Column{Name: "y", Kind: Numeric, Num: y}
		for j := range cols {
			xs[p] = append(xs[p], &Column{Name: "x" + string(rune('a'+j)), Kind: Numeric, Num: cols[j]})
		}
	}
	b.ResetTimer()
	start := cpuTime()
	iters := 0
	for range b.N {
		open, lead := newPlainParties(m, true), newPlainParties(m, false)
		var wg sync.WaitGroup
		for p := range m {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := GLM(context.Background(), &plainParty{p: open, i: p}, &plainParty{p: lead, i: p}, ys[p], xs[p], nil, Binomial)
				if err != nil {
					b.Error(err)
					return
				}
				if p == 0 {
					iters = r.Iterations
				}
			}()
		}
		wg.Wait()
	}
	reportCPU(b, start)
	b.ReportMetric(float64(iters), "iterations")
}

// BenchmarkGLMLocalPass is one party's work in one IRLS iteration of a
// logistic regression with 10 covariates over 10^6 rows: the linear
// predictor, the working weights and response, the deviance and the sums
// XᵀWX, XᵀWz laid out for the secure sum. It reports the processor time
// too (cpu-ms/op), steadier than the wall time on a shared machine.
func BenchmarkGLMLocalPass(b *testing.B) {
	const rows = 1_000_000
	rng := rand.New(rand.NewPCG(1, 1))
	y := make([]float64, rows)
	cols := make([]*Column, 10)
	for j := range cols {
		cols[j] = &Column{Name: "x" + string(rune('a'+j)), Kind: Numeric, Num: make([]float64, rows)}
	}
	for i := range rows {
		eta := -0.5
		for j, c := range cols {
			c.Num[i] = math.Round(rng.NormFloat64()*100) / 100
			eta += 0.05 * float64(j-4) * c.Num[i]
		}
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			y[i] = 1
		}
	}
	g, err := newGLMLocal(famBinomial, &Column{Name: "y", Kind: Numeric, Num: y}, cols, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := g.layout(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	beta := []float64{-0.5, -0.2, -0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.2, 0.25}
	b.ResetTimer()
	start := cpuTime()
	for range b.N {
		if _, err := g.round(beta, 0, false); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}
