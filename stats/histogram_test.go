package stats

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// histTestPlain counts pooled values per bin the slow way, numpy's
// convention: [e_i, e_i+1), the last bin closed.
func histTestPlain(parts [][]float64, edges []float64) []float64 {
	k := len(edges) - 1
	out := make([]float64, k)
	for _, p := range parts {
		for _, v := range p {
			for i := range k {
				if v >= edges[i] && (v < edges[i+1] || i == k-1 && v == edges[k]) {
					out[i]++
					break
				}
			}
		}
	}
	return out
}

// histTestRun runs Histogram at every party.
func histTestRun(t *testing.T, parts [][]float64, edges []float64, open bool, minCell int) ([][]float64, []error) {
	t.Helper()
	p := newPlainParties(len(parts), open)
	p.minCell = minCell
	out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
		h, err := Histogram(context.Background(), c, parts[i], edges)
		return map[string]any{"h": h}, err
	})
	res := make([][]float64, len(parts))
	for i := range out {
		if out[i] != nil {
			res[i] = out[i]["h"].([]float64)
		}
	}
	return res, errs
}

func TestHistogramMatchesPlaintext(t *testing.T) {
	for m := 2; m <= 7; m++ {
		for _, open := range []bool{true, false} {
			t.Run(fmt.Sprintf("m=%d/open=%v", m, open), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(m), 9))
				parts := make([][]float64, m)
				for i := range parts {
					for range rng.IntN(300) {
						v := math.Round(rng.NormFloat64()*20+50) / 2
						switch rng.IntN(50) {
						case 0:
							v = math.NaN()
						case 1:
							v = math.Inf(1)
						case 2:
							v = 100 // the last edge: in the last bin
						case 3:
							v = -1 // below the first edge
						}
						parts[i] = append(parts[i], v)
					}
				}
				equal, err := EqualBins(8, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, edges := range [][]float64{equal, {0, 10, 12.5, 30, 30.5, 31, 60, 100}, {-5, 100}} {
					got, errs := histTestRun(t, parts, edges, open, 0)
					want := histTestPlain(parts, edges)
					for i := range got {
						if errs[i] != nil {
							t.Fatalf("party %d: %v", i, errs[i])
						}
						if !open && i > 0 {
							if got[i] != nil {
								t.Errorf("party %d does not decide but got %v", i, got[i])
							}
							continue
						}
						if !slices.Equal(got[i], want) {
							t.Errorf("party %d edges %v: %v, want %v", i, edges, got[i], want)
						}
					}
				}
			})
		}
	}
}

func TestHistogramCrowdedEdges(t *testing.T) {
	// Many edges inside one cell of the lookup table, and values on them.
	edges := []float64{-1e6}
	for j := range 100 {
		edges = append(edges, 25+float64(j)*1e-9)
	}
	edges = append(edges, 1e6)
	rng := rand.New(rand.NewPCG(8, 8))
	parts := make([][]float64, 3)
	for i := range parts {
		for range 500 {
			v := edges[rng.IntN(len(edges))]
			switch rng.IntN(3) {
			case 0:
				v = math.Nextafter(v, math.Inf(-1))
			case 1:
				v = 25 + rng.Float64()*1e-7
			}
			parts[i] = append(parts[i], v)
		}
	}
	got, errs := histTestRun(t, parts, edges, false, 0)
	if want := histTestPlain(parts, edges); errs[0] != nil || !slices.Equal(got[0], want) {
		t.Errorf("got %v, %v\nwant %v", got[0], errs[0], want)
	}
}

func TestHistogramNumpyConvention(t *testing.T) {
	// numpy.histogram([1, 2, 2, 3, 4, 5], bins=[1, 2, 3, 5]) -> [1, 2, 3]
	got, errs := histTestRun(t, [][]float64{{1, 2, 2}, {3, 4, 5, 5.5, 0.5}}, []float64{1, 2, 3, 5}, false, 0)
	if errs[0] != nil || !slices.Equal(got[0], []float64{1, 2, 3}) {
		t.Errorf("got %v, %v; want [1 2 3]", got[0], errs[0])
	}
}

func TestHistogramCheckRefuses(t *testing.T) {
	// Party 1 holds 2 values in the first bin: below min_cell 5.
	parts := [][]float64{{1, 1, 1, 1, 1, 7, 7, 7, 7, 7}, {1, 1, 7, 7, 7, 7, 7}, {7, 7, 7, 7, 7}}
	_, errs := histTestRun(t, parts, []float64{0, 5, 10}, false, 5)
	for i, err := range errs {
		if err == nil {
			t.Errorf("party %d was not stopped", i)
		}
	}
	if !errors.Is(errs[1], errPlainRefused) || !strings.Contains(errs[1].Error(), "bin") {
		t.Errorf("the refusing party's error %v", errs[1])
	}
	// Every count 0 or at least 5 passes.
	parts[1] = []float64{7, 7, 7, 7, 7}
	got, errs := histTestRun(t, parts, []float64{0, 5, 10}, false, 5)
	if errs[0] != nil || !slices.Equal(got[0], []float64{5, 15}) {
		t.Errorf("got %v, %v", got[0], errs[0])
	}
}

func TestHistogramBadEdges(t *testing.T) {
	for _, edges := range [][]float64{nil, {1}, {1, 1}, {2, 1}, {0, math.NaN()}, {0, math.Inf(1)}, {0, 1, 0.5}} {
		_, errs := histTestRun(t, [][]float64{{1}, {2}}, edges, false, 0)
		for i, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "histogram: ") || !strings.Contains(err.Error(), "edge") {
				t.Errorf("edges %v party %d: %v", edges, i, err)
			}
		}
	}
}

func TestEqualBins(t *testing.T) {
	cases := []struct {
		bins   int
		lo, hi float64
		want   []float64
	}{
		{4, 0, 1, []float64{0, 0.25, 0.5, 0.75, 1}},
		// numpy.linspace(0, 1, 4)
		{3, 0, 1, []float64{0, 0.3333333333333333, 0.6666666666666666, 1}},
		// numpy.linspace(0.1, 0.7, 7): the step is 0.09999999999999999
		{6, 0.1, 0.7, []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}},
		// numpy.linspace(0, 0.3, 4): i*0.09999999999999999
		{3, 0, 0.3, []float64{0, 0.09999999999999999, 0.19999999999999998, 0.3}},
		{1, 5, 5, []float64{4.5, 5.5}},
	}
	for _, tc := range cases {
		got, err := EqualBins(tc.bins, tc.lo, tc.hi)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("EqualBins(%d, %v, %v) = %v, %v; want %v", tc.bins, tc.lo, tc.hi, got, err, tc.want)
		}
	}
	for _, bad := range []struct {
		bins   int
		lo, hi float64
	}{{0, 0, 1}, {-1, 0, 1}, {3, 1, 0}, {3, math.NaN(), 1}, {3, 0, math.Inf(1)}, {3, -math.MaxFloat64, math.MaxFloat64}, {1000, 1, math.Nextafter(1, 2)}, {histMaxBins + 1, 0, 1}} {
		if _, err := EqualBins(bad.bins, bad.lo, bad.hi); err == nil || !strings.HasPrefix(err.Error(), "equal bins: ") {
			t.Errorf("EqualBins(%d, %v, %v): error %v", bad.bins, bad.lo, bad.hi, err)
		}
	}
}

func BenchmarkHistogramLocal1e6(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 1_000_000)
	for i := range x {
		x[i] = rng.NormFloat64()*15 + 60
	}
	equal, _ := EqualBins(20, 0, 120)
	for _, e := range []struct {
		name  string
		edges []float64
	}{{"equal20", equal}, {"uneven", []float64{0, 18, 40, 50, 65, 80, 120}}} {
		b.Run(e.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Histogram(context.Background(), rankTestEcho{}, x, e.edges); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
