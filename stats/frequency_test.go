package stats

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// freqTestRun runs f at every party with its own values.
func freqTestRun[T any](t *testing.T, parts []T, open bool, minCell int, f func(c Combiner, x T) (any, error)) ([]any, []error) {
	t.Helper()
	p := newPlainParties(len(parts), open)
	p.minCell = minCell
	out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
		v, err := f(c, parts[i])
		return map[string]any{"v": v}, err
	})
	res := make([]any, len(parts))
	for i := range out {
		if out[i] != nil {
			res[i] = out[i]["v"]
		}
	}
	return res, errs
}

// freqTestNoErrors fails on any party's error.
func freqTestNoErrors(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("party %d: %v", i, err)
		}
	}
}

// freqTestLabels draws labels from a pool of words, some of them long or
// unusual.
func freqTestLabels(rng *rand.Rand, n, pool int) []string {
	out := make([]string, n)
	for i := range out {
		j := rng.IntN(pool)
		switch j % 7 {
		case 0:
			out[i] = fmt.Sprintf("level-%d", j)
		case 1:
			out[i] = strings.Repeat(string(rune('a'+j%26)), 64-j%5) // long labels
		case 2:
			out[i] = fmt.Sprintf("ümlaut %d ✓", j)
		case 3:
			out[i] = fmt.Sprintf("\x00zero\x00%d", j) // NUL bytes are bytes too
		default:
			out[i] = fmt.Sprint(j)
		}
	}
	return out
}

func TestLabelUnionMatchesPlaintext(t *testing.T) {
	for m := 2; m <= 7; m++ {
		for _, open := range []bool{true, false} {
			t.Run(fmt.Sprintf("m=%d/open=%v", m, open), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(m), 11))
				parts := make([][]string, m)
				var want []string
				for i := range parts {
					parts[i] = freqTestLabels(rng, rng.IntN(40), 60)
					if i == 0 {
						parts[i] = nil // a party with no labels
					}
					want = append(want, parts[i]...)
				}
				parts[m-1] = append(parts[m-1], "") // the empty label is a label
				want = append(want, "")
				slices.Sort(want)
				want = slices.Compact(want)
				got, errs := freqTestRun(t, parts, open, 0, func(c Combiner, x []string) (any, error) {
					return LabelUnion(context.Background(), rankTestStrict{c}, x)
				})
				freqTestNoErrors(t, errs)
				for i := range got {
					if !slices.Equal(got[i].([]string), want) {
						t.Errorf("party %d: union %q, want %q", i, got[i], want)
					}
				}
			})
		}
	}
}

func TestLabelUnionManyLabels(t *testing.T) {
	// 1024 labels at each party, overlapping (3 parties) or not (8 parties,
	// twice as many labels as slots): many slots of the first table
	// collide, and the retries sort them out.
	for _, tc := range []struct{ m, step int }{{3, 500}, {8, labelMaxPerParty}} {
		freqTestManyLabels(t, tc.m, tc.step)
	}
}

func freqTestManyLabels(t *testing.T, m, step int) {
	parts := make([][]string, m)
	var want []string
	for i := range parts {
		for j := range labelMaxPerParty {
			l := fmt.Sprintf("patient-group-%05d", i*step+j)
			parts[i] = append(parts[i], l)
			want = append(want, l)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	for _, open := range []bool{true, false} {
		var calls atomic.Int64
		p := newPlainParties(m, open)
		out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
			if i == 1 {
				c = rankTestCounter{c, &calls}
			}
			u, err := LabelUnion(context.Background(), rankTestStrict{c}, parts[i])
			return map[string]any{"u": u}, err
		})
		freqTestNoErrors(t, errs)
		for i := range out {
			if !slices.Equal(out[i]["u"].([]string), want) {
				t.Fatalf("open=%v party %d: %d labels, want %d", open, i, len(out[i]["u"].([]string)), len(want))
			}
		}
		t.Logf("m=%d open=%v: union of %d labels in %d Sum+Decide calls", m, open, len(want), calls.Load())
	}
}

func TestLabelUnionForcedCollision(t *testing.T) {
	defer func(s int) { labelUnionSlots = s }(labelUnionSlots)
	labelUnionSlots = 1 // every label in one slot: the first table must collide
	parts := [][]string{{"A", "A", "B", "C"}, {"B", "C", "C"}, {"C", "D"}}
	for _, open := range []bool{true, false} {
		var calls atomic.Int64
		p := newPlainParties(3, open)
		out, errs := p.run(t, func(c Combiner, i int) (map[string]any, error) {
			if i == 2 {
				c = rankTestCounter{c, &calls}
			}
			u, err := LabelUnion(context.Background(), c, parts[i])
			return map[string]any{"u": u}, err
		})
		freqTestNoErrors(t, errs)
		for i := range out {
			if !slices.Equal(out[i]["u"].([]string), []string{"A", "B", "C", "D"}) {
				t.Errorf("open=%v party %d: %q", open, i, out[i]["u"])
			}
		}
		if calls.Load() < 4 {
			t.Errorf("open=%v: %d calls: no retry happened", open, calls.Load())
		}
	}
	// One label held by every party fits in one slot: no collision.
	out, errs := freqTestRun(t, [][]string{{"x"}, {"x"}, {"x"}}, false, 0, func(c Combiner, x []string) (any, error) {
		return LabelUnion(context.Background(), c, x)
	})
	freqTestNoErrors(t, errs)
	if !slices.Equal(out[1].([]string), []string{"x"}) {
		t.Errorf("union %q", out[1])
	}
}

func TestLabelUnionCollisionsPersist(t *testing.T) {
	defer func(s, r int) { labelUnionSlots, labelUnionRetryMax = s, r }(labelUnionSlots, labelUnionRetryMax)
	labelUnionSlots, labelUnionRetryMax = 1, 1
	_, errs := freqTestRun(t, [][]string{{"a"}, {"b"}}, false, 0, func(c Combiner, x []string) (any, error) {
		return LabelUnion(context.Background(), c, x)
	})
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "collide") || errs[1] == nil {
		t.Errorf("errors %v", errs)
	}
}

func TestLabelUnionLimits(t *testing.T) {
	long := strings.Repeat("x", labelMaxBytes+1)
	_, errs := freqTestRun(t, [][]string{{"a", long}, {"b"}}, false, 0, func(c Combiner, x []string) (any, error) {
		return LabelUnion(context.Background(), c, x)
	})
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "65 bytes") || errs[1] == nil {
		t.Errorf("long label: errors %v", errs)
	}
	many := make([]string, labelMaxPerParty+1)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	_, errs = freqTestRun(t, [][]string{{"a"}, many}, true, 0, func(c Combiner, x []string) (any, error) {
		return LabelUnion(context.Background(), c, x)
	})
	if errs[1] == nil || !strings.Contains(errs[1].Error(), "1025 distinct labels") || errs[0] == nil {
		t.Errorf("many labels: errors %v", errs)
	}
}

func TestLabelPackRoundTrip(t *testing.T) {
	for _, l := range []string{"", "a", "\x00", "\xff\xff", strings.Repeat("\xff", 64), "smoker", "non-smoker"} {
		c := labelPack(l)
		got, ok := labelUnpack(c[:])
		if !ok || got != l {
			t.Errorf("%q came back as %q, %v", l, got, ok)
		}
		u, err := labelDecodeUnion(labelEncodeUnion([]string{l, "z"}))
		if err != nil || !slices.Equal(u, []string{l, "z"}) {
			t.Errorf("union of %q came back as %q, %v", l, u, err)
		}
	}
}

func TestFrequenciesMatchPlaintext(t *testing.T) {
	levels := []string{"CR", "PD", "PR", "SD"}
	for m := 2; m <= 7; m++ {
		for _, open := range []bool{true, false} {
			rng := rand.New(rand.NewPCG(uint64(m), 3))
			parts := make([][]string, m)
			want := make([]float64, len(levels))
			for i := range parts {
				for range rng.IntN(100) {
					j := rng.IntN(len(levels))
					parts[i] = append(parts[i], levels[j])
					want[j]++
				}
			}
			got, errs := freqTestRun(t, parts, open, 0, func(c Combiner, x []string) (any, error) {
				return Frequencies(context.Background(), c, x, levels)
			})
			freqTestNoErrors(t, errs)
			for i := range got {
				if !open && i > 0 {
					if got[i].([]float64) != nil {
						t.Errorf("party %d does not decide but got %v", i, got[i])
					}
					continue
				}
				if !slices.Equal(got[i].([]float64), want) {
					t.Errorf("m=%d open=%v party %d: %v, want %v", m, open, i, got[i], want)
				}
			}
		}
	}
}

func TestContingencyMatchesPlaintext(t *testing.T) {
	la, lb := []string{"F", "M"}, []string{"CR", "PD", "PR", "SD"}
	type rows struct{ a, b []string }
	for m := 2; m <= 5; m++ {
		for _, open := range []bool{true, false} {
			rng := rand.New(rand.NewPCG(uint64(m), 4))
			parts := make([]rows, m)
			want := [][]float64{make([]float64, 4), make([]float64, 4)}
			for i := range parts {
				for range rng.IntN(100) {
					ja, jb := rng.IntN(2), rng.IntN(4)
					parts[i].a = append(parts[i].a, la[ja])
					parts[i].b = append(parts[i].b, lb[jb])
					want[ja][jb]++
				}
			}
			got, errs := freqTestRun(t, parts, open, 0, func(c Combiner, x rows) (any, error) {
				return Contingency(context.Background(), c, x.a, x.b, la, lb)
			})
			freqTestNoErrors(t, errs)
			for i := range got {
				if !open && i > 0 {
					if got[i].([][]float64) != nil {
						t.Errorf("party %d does not decide but got %v", i, got[i])
					}
					continue
				}
				if !reflect.DeepEqual(got[i], want) {
					t.Errorf("m=%d open=%v party %d: %v, want %v", m, open, i, got[i], want)
				}
			}
		}
	}
}

func TestStatisticsFrequencyReference(t *testing.T) {
	parts := [][]string{{"A", "A", "B", "C"}, {"B", "C", "C"}, {"C", "D"}}
	for _, open := range []bool{true, false} {
		got, errs := freqTestRun(t, parts, open, 0, func(c Combiner, x []string) (any, error) {
			levels, err := LabelUnion(context.Background(), c, x)
			if err != nil {
				return nil, err
			}
			counts, err := Frequencies(context.Background(), c, x, levels)
			if err != nil || counts == nil {
				return nil, err
			}
			return freqTestMap(FrequencyTable(levels, counts)), nil
		})
		freqTestNoErrors(t, errs)
		want := map[string]any{"mode": "C", "histogram": map[string]float64{"C": 4, "A": 2, "B": 2, "D": 1}}
		for i := range got {
			if (open || i == 0) && !reflect.DeepEqual(got[i], want) {
				t.Errorf("open=%v party %d: %v, want %v", open, i, got[i], want)
			}
		}
	}
}

func TestStatisticsContingencyReference(t *testing.T) {
	parts := [][][2]string{
		{{"smoker", "male"}, {"non-smoker", "female"}, {"smoker", "female"}},
		{{"non-smoker", "female"}, {"smoker", "male"}, {"smoker", "male"}},
	}
	for _, open := range []bool{true, false} {
		got, errs := freqTestRun(t, parts, open, 0, func(c Combiner, x [][2]string) (any, error) {
			var a, b []string
			for _, r := range x {
				a, b = append(a, r[0]), append(b, r[1])
			}
			la, err := LabelUnion(context.Background(), c, a)
			if err != nil {
				return nil, err
			}
			lb, err := LabelUnion(context.Background(), c, b)
			if err != nil {
				return nil, err
			}
			counts, err := Contingency(context.Background(), c, a, b, la, lb)
			if err != nil || counts == nil {
				return nil, err
			}
			return contTestMap(ContingencyTable(la, lb, counts)), nil
		})
		freqTestNoErrors(t, errs)
		want := map[string]any{
			"mode": []string{"smoker", "male"},
			"table": map[string]map[string]float64{
				"non-smoker": {"male": 0, "female": 2},
				"smoker":     {"male": 3, "female": 1},
			},
		}
		for i := range got {
			if (open || i == 0) && !reflect.DeepEqual(got[i], want) {
				t.Errorf("open=%v party %d: %v, want %v", open, i, got[i], want)
			}
		}
	}
}

func TestFrequencyTableTiesAndEmpty(t *testing.T) {
	got := freqTestMap(FrequencyTable([]string{"a", "b", "c"}, []float64{2, 3, 3}))
	if got["mode"] != "b" {
		t.Errorf("tie: mode %v, want b (first in label order)", got["mode"])
	}
	if got := freqTestMap(FrequencyTable(nil, nil)); got["mode"] != nil || len(got["histogram"].(map[string]float64)) != 0 {
		t.Errorf("empty: %v", got)
	}
	ct := contTestMap(ContingencyTable([]string{"x", "y"}, []string{"p", "q"}, [][]float64{{1, 4}, {4, 0}}))
	if !reflect.DeepEqual(ct["mode"], []string{"x", "q"}) {
		t.Errorf("tie: mode %v, want [x q]", ct["mode"])
	}
}

func TestFrequenciesCheckRefuses(t *testing.T) {
	levels := []string{"F", "M"}
	parts := [][]string{
		{"F", "F", "F", "F", "F", "M", "M", "M", "M", "M"},
		{"F", "F", "F", "F", "F", "M", "M"}, // 2 M: below min_cell 5
		{"F", "F", "F", "F", "F"},           // 0 M is fine
	}
	for _, open := range []bool{true, false} {
		_, errs := freqTestRun(t, parts, open, 5, func(c Combiner, x []string) (any, error) {
			return Frequencies(context.Background(), c, x, levels)
		})
		for i, err := range errs {
			if err == nil {
				t.Errorf("open=%v party %d was not stopped", open, i)
			}
		}
		if !errors.Is(errs[1], errPlainRefused) || !strings.Contains(errs[1].Error(), "cell") {
			t.Errorf("open=%v: the refusing party's error %v", open, errs[1])
		}
		type rows struct{ a, b []string }
		cparts := []rows{{parts[0], parts[0]}, {parts[1], parts[1]}, {parts[2], parts[2]}}
		_, errs = freqTestRun(t, cparts, open, 5, func(c Combiner, x rows) (any, error) {
			return Contingency(context.Background(), c, x.a, x.b, levels, levels)
		})
		for i, err := range errs {
			if err == nil {
				t.Errorf("contingency open=%v party %d was not stopped", open, i)
			}
		}
		if !errors.Is(errs[1], errPlainRefused) {
			t.Errorf("contingency open=%v: the refusing party's error %v", open, errs[1])
		}
	}
}

func TestFrequenciesErrors(t *testing.T) {
	_, errs := freqTestRun(t, [][]string{{"F", "X"}, {"M"}}, false, 0, func(c Combiner, x []string) (any, error) {
		return Frequencies(context.Background(), c, x, []string{"F", "M"})
	})
	if errs[0] == nil || !strings.Contains(errs[0].Error(), `"X"`) || errs[1] == nil {
		t.Errorf("unknown value: errors %v", errs)
	}
	c := rankTestEcho{}
	if _, err := Frequencies(context.Background(), c, nil, []string{"a", "a"}); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("duplicate level: %v", err)
	}
	if _, err := Frequencies(context.Background(), c, nil, nil); err == nil || !strings.Contains(err.Error(), "no levels") {
		t.Errorf("no levels: %v", err)
	}
	if _, err := Contingency(context.Background(), c, []string{"a"}, nil, []string{"a"}, []string{"b"}); err == nil || !strings.Contains(err.Error(), "1 values in the first column but 0") {
		t.Errorf("length mismatch: %v", err)
	}
	if _, err := Contingency(context.Background(), c, []string{"a"}, []string{"c"}, []string{"a"}, []string{"b"}); err == nil || !strings.Contains(err.Error(), `"c" of the second column`) {
		t.Errorf("unknown value: %v", err)
	}
}

// freqTestMap is a FrequencyResult as the FSC reference gives it: "mode",
// the label or nil, and "histogram", label -> count.
func freqTestMap(r *FrequencyResult) map[string]any {
	hist := map[string]float64{}
	for i, l := range r.Labels {
		hist[l] = r.Counts[i]
	}
	var mode any
	if r.Mode >= 0 {
		mode = r.Labels[r.Mode]
	}
	return map[string]any{"mode": mode, "histogram": hist}
}

// contTestMap is a ContingencyResult as the FSC reference gives it:
// "mode", the pair [a, b] or nil, and "table", a -> b -> count.
func contTestMap(r *ContingencyResult) map[string]any {
	table := map[string]map[string]float64{}
	for i, a := range r.Rows {
		table[a] = map[string]float64{}
		for j, b := range r.Cols {
			table[a][b] = r.Counts[i][j]
		}
	}
	var mode any
	if r.ModeRow >= 0 {
		mode = []string{r.Rows[r.ModeRow], r.Cols[r.ModeCol]}
	}
	return map[string]any{"mode": mode, "table": table}
}
