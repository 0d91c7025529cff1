package stats

import (
	"math"
	"reflect"
	"testing"
)

// TestMomentsSymmetricDataHaveZeroSkewness: data symmetric about their mean
// have a skewness and hyper-skewness of exactly 0, and every key of the
// result is the same, bit for bit, in every run (the masks of the wide
// encoding leave no trace).
func TestMomentsSymmetricDataHaveZeroSkewness(t *testing.T) {
	cases := []struct {
		name string
		data [][]float64
	}{
		{"1..10 at three parties", [][]float64{{1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10}}},
		{"decimals 0.1..0.7", [][]float64{{0.1, 0.2, 0.3}, {0.4, 0.5}, {0.6, 0.7}}},
		{"about zero, with a zero", [][]float64{{-1.5, 1.5}, {-0.5, 0.5, 0}}},
		{"about 1e6", [][]float64{{1e6 - 3, 1e6 + 1}, {1e6 + 3, 1e6 - 1, 1e6}}},
		{"about 1e-3, one party", [][]float64{{}, {0.001 - 2e-4, 0.001, 0.001 + 2e-4, 0.001 - 1e-4, 0.001 + 1e-4}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var first map[string]any
			for run := range 12 {
				got, err := momTestRun(t, tc.data, run%2 == 1, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"skewness", "hyper_skewness"} {
					if got[k] != 0.0 {
						t.Fatalf("run %d: %s = %v, want exactly 0", run, k, got[k])
					}
				}
				if first == nil {
					first = got
					momTestCompare(t, got, momTestWant(momTestPool(tc.data)), 1e-9)
				} else if !reflect.DeepEqual(got, first) {
					t.Fatalf("run %d differs from run 0:\n%v\n%v", run, got, first)
				}
			}
		})
	}
}

// TestMomentsSmallSkewnessKept: a skewness that is small but far above the
// rounding of the sums is reported, not rounded to 0.
func TestMomentsSmallSkewnessKept(t *testing.T) {
	for _, eps := range []float64{1e-3, 1e-6, 1e-9} {
		data := [][]float64{{-1, -1, 1}, {1, 0, 0}, {eps}}
		pooled := momTestPool(data)
		_, m := momTestCentral(pooled)
		want := m[3] / math.Pow(m[2], 1.5)
		got, err := momTestRun(t, data, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := got["skewness"].(float64)
		if g == 0 || !momTestClose(g, want, 1e-9) {
			t.Errorf("eps %g: skewness %v, want %v", eps, got["skewness"], want)
		}
	}
}
