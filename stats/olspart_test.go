package stats

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestOLSPartSelect: the sufficient statistics of many columns, narrowed to
// a regression's variables, fit the same model as those columns alone.
func TestOLSPartSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cols := make([][]float64, 5)
	for a := range cols {
		cols[a] = make([]float64, 500)
		for i := range cols[a] {
			cols[a][i] = 100 + 10*rng.NormFloat64()
		}
	}
	for i := range cols[4] {
		cols[4][i] += 2*cols[0][i] - 0.5*cols[2][i]
	}
	all, err := LocalOLS(cols, nil, []string{"a", "b", "c", "d"})
	if err != nil {
		t.Fatal(err)
	}
	for _, idx := range [][]int{{0, 2, 4}, {2, 0, 4}, {1, 3, 0}, {3, 4}} {
		part, err := all.Select(idx)
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"p", "q", "r"}[:len(idx)-1]
		got, err := part.Combine(context.Background(), olsPartEcho{}, names)
		if err != nil {
			t.Fatal(err)
		}
		sub := make([][]float64, len(idx))
		for i, a := range idx {
			sub[i] = cols[a]
		}
		want, err := OLSColumns(context.Background(), olsPartEcho{}, sub, nil, names)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Coefficients {
			if d := math.Abs(got.Coefficients[i] - want.Coefficients[i]); d > 1e-12*math.Max(1, math.Abs(want.Coefficients[i])) {
				t.Errorf("%v: coefficient %d = %v, want %v", idx, i, got.Coefficients[i], want.Coefficients[i])
			}
		}
	}
	if _, err := all.Select([]int{0, 7}); err == nil {
		t.Error("Select accepted a variable that is not there")
	}
}

type olsPartEcho struct{}

func (olsPartEcho) Sum(_ context.Context, v []float64) ([]float64, error)              { return v, nil }
func (olsPartEcho) SumWide(_ context.Context, v []*big.Int, _ int) ([]*big.Int, error) { return v, nil }
func (olsPartEcho) Decide(_ context.Context, v []float64) ([]float64, error)           { return v, nil }
func (olsPartEcho) Decider() bool                                                      { return true }
func (olsPartEcho) Check(string, []float64) error                                      { return nil }
