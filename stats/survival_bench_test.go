package stats

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// survBenchRows are n rows of survival in whole months with five
// covariates.
func survBenchRows(n int, seed uint64) (*SurvivalRows, [][]float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	tm, ev := make([]float64, n), make([]float64, n)
	x := make([][]float64, 5)
	for a := range x {
		x[a] = make([]float64, n)
	}
	for i := range n {
		eta := 0.0
		for a := range x {
			x[a][i] = math.Round(r.NormFloat64()*100) / 100
			eta += 0.1 * float64(a+1) * x[a][i]
		}
		tm[i] = math.Min(math.Ceil(r.ExpFloat64()/(0.03*math.Exp(eta))), 120)
		if tm[i] < 120 && r.Float64() < 0.8 {
			ev[i] = 1
		}
	}
	return &SurvivalRows{Time: tm, Event: ev}, x
}

// BenchmarkKaplanMeierLocal is one site's pass for Kaplan–Meier: 10^6
// rows counted on a 100-point grid, and the curve from the counts.
func BenchmarkKaplanMeierLocal(b *testing.B) {
	rows, _ := survBenchRows(1_000_000, 1)
	grid := make([]float64, 100)
	for i := range grid {
		grid[i] = 1.2 * float64(i)
	}
	b.ResetTimer()
	for b.Loop() {
		c := rows.Count(grid, 1)
		if _, err := KaplanMeier(grid, c.AtRisk(0), c.Events); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCoxPH fits 5 covariates over 10^5 rows at each of 3 parties
// in one process (plain sums), on the grid of the event times.
func BenchmarkCoxPH(b *testing.B) {
	const parties = 3
	rows := make([]*SurvivalRows, parties)
	xs := make([][][]float64, parties)
	for i := range parties {
		rows[i], xs[i] = survBenchRows(100_000, uint64(i+2))
	}
	grid := eventTimes(rows...)
	names := []string{"x1", "x2", "x3", "x4", "x5"}
	b.ResetTimer()
	for b.Loop() {
		p := newPlainParties(parties, false)
		_, errs := p.run(b, func(c Combiner, i int) (map[string]any, error) {
			_, err := CoxPH(context.Background(), c, &CoxRows{Time: rows[i].Time, Event: rows[i].Event, X: xs[i]}, grid, names)
			return nil, err
		})
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
