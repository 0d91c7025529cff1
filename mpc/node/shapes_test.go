package node

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/stats"
)

// TestOLSShape: a regression's result carries the keys of DESIGN §5, terms
// keyed by name with "(Intercept)" first in JSON, whole counts as numbers
// and undefined values as null.
func TestOLSShape(t *testing.T) {
	r := &stats.OLSResult{
		Terms:          []string{"(Intercept)", "x"},
		Coefficients:   []float64{1, 2},
		StandardErrors: []float64{0, 0},
		TValues:        []float64{math.NaN(), math.NaN()},
		RSquared:       1, AdjRSquared: 1, Samples: 5, DF: 3,
	}
	m := olsShape(r)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	wantKeys := []string{"adj_r_squared", "coefficients", "df", "r_squared", "samples", "sigma", "standard_errors", "t_values"}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("keys %v, want %v", keys, wantKeys)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"coefficients":{"(Intercept)":`) || !strings.Contains(string(raw), `"samples":5`) || !strings.Contains(string(raw), `"df":3`) {
		t.Errorf("JSON %s", raw)
	}
	if tv := m["t_values"].(map[string]any); tv["x"] != nil {
		t.Errorf("t value of a perfect fit %v, want nil", tv["x"])
	}
}

// TestBivariateShapeKeepsTheReferenceSpelling: the intercept keeps the
// reference's key, misspelling included, and undefined values are null.
func TestBivariateShapeKeepsTheReferenceSpelling(t *testing.T) {
	m := bivariateShape(&stats.BivariateResult{Samples: 1, Covariance: math.NaN(), Intercept: 2})
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"regression_interceipt":2`, `"covariance":null`, `"samples":1`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("JSON %s lacks %s", raw, want)
		}
	}
}

// TestCountShapesShowSuppressedCellsAsNull: a withheld count is null, the
// mode is among the counts shown, and the number of cells suppressed is
// given over node-held data only.
func TestCountShapesShowSuppressedCellsAsNull(t *testing.T) {
	f := frequencyShape(stats.FrequencyTable([]string{"a", "b"}, []float64{math.NaN(), 7}), 1)
	raw, _ := json.Marshal(f)
	if string(raw) != `{"histogram":{"a":null,"b":7},"mode":"b","suppressed":1}` {
		t.Errorf("frequency %s", raw)
	}
	c := contingencyShape(stats.ContingencyTable([]string{"x"}, []string{"p", "q"}, [][]float64{{0, 0}}), -1)
	raw, _ = json.Marshal(c)
	if string(raw) != `{"mode":null,"table":{"x":{"p":0,"q":0}}}` {
		t.Errorf("contingency %s", raw)
	}
}
