package node_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// TestAttackAtRiskDifference: two Kaplan–Meier curves on the same cohort
// with analyst-chosen grids, 1, 20, v, 72 and 1, 25, v+1, 58. The rows at
// risk at v and at v+1 differ by the rows whose time is v, a few patients.
// No interval's events, censored rows or leavers in one grid are near
// those of the other (each pair differs by the rows of [20, 25) or of
// [58, 72)), so only the rows at risk, a union of intervals, give the
// difference away; so does a count of the rows whose time is at least
// v+1. The release memory must keep the count and the second curve from
// showing it: the count is refused, the point merged away or the curve
// refused.
func TestAttackAtRiskDifference(t *testing.T) {
	const minCell = 5
	data, csv := survivalData(t)
	atTime := map[int]int{} // pooled rows by time
	for _, line := range strings.Split(strings.TrimSpace(csv), "\n")[1:] {
		f := strings.Split(line, ",")
		m, _ := strconv.Atoi(f[5])
		atTime[m]++
	}
	v := 0
	for m := 40; m < 60 && v == 0; m++ {
		if atTime[m] >= 1 && atTime[m] < minCell {
			v = m
		}
	}
	if v == 0 {
		t.Fatalf("the generated data has no time in 40..59 held by 1 to %d rows: %v", minCell-1, atTime)
	}
	fed := startSurvivalFederation(t, data, minCell)
	c := client.New(fed.Nodes[0].URL)
	ds := client.Dataset{Table: "patients", Columns: []string{"survival_months", "event"}}
	nRiskAt := func(km map[string]any, at float64) (float64, bool) {
		g := km["groups"].(map[string]any)["all"].(map[string]any)
		for j, x := range g["time"].([]any) {
			if x.(float64) == at {
				return g["n_risk"].([]any)[j].(float64), true
			}
		}
		return 0, false
	}
	first, err := survCompute(c, "KaplanMeier", ds, map[string]any{"times": []float64{1, 20, float64(v), 72}})
	if err != nil {
		t.Fatalf("the first curve: %v", err)
	}
	before, ok := nRiskAt(first, float64(v))
	if !ok {
		t.Fatalf("the first curve has no point at %d (the attack needs one): %v", v, first)
	}
	// A count of the rows whose time is at least v+1 is the same difference.
	if r, err := c.Compute(context.Background(), client.Request{Microprotocol: "Count",
		Dataset: &client.Dataset{Table: "patients", Where: fmt.Sprintf("survival_months >= %d", v+1)}}); err == nil {
		if d := before - r.Result["count"].(float64); d >= 1 && d < minCell {
			t.Fatalf("the rows at risk at %d less the count of times >= %d: %v, the patients whose time is %d", v, v+1, d, v)
		}
	} else if !strings.Contains(err.Error(), "refused") {
		t.Fatalf("the count: %v, want a count or a refusal", err)
	}
	second, err := survCompute(c, "KaplanMeier", ds, map[string]any{"times": []float64{1, 25, float64(v + 1), 58}})
	if err != nil {
		t.Logf("the second curve is refused: %v", err)
		return
	}
	g := second["groups"].(map[string]any)["all"].(map[string]any)
	t.Logf("the second curve has the points %v", g["time"])
	if after, ok := nRiskAt(second, float64(v+1)); ok {
		if d := before - after; d >= 1 && d < minCell {
			t.Fatalf("rows at risk at %d and at %d differ by %v: the patients whose time is %d (%d pooled)", v, v+1, d, v, atTime[v])
		}
	}
}
