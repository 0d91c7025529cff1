package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// survival measures Kaplan–Meier, the log-rank test and the Cox model
// (issue 14) on three sites as real processes.
func (b *bench) survival() error {
	const title = "Survival analysis (issue 14)"
	coxRows := max(b.rows/10, 1000)
	fed, stop, err := b.federation(1200, map[string]func(string, uint64) error{
		"surv":    func(f string, site uint64) error { return writeSurvival(f, b.rows, site) },
		"survcox": func(f string, site uint64) error { return writeSurvival(f, coxRows, site) },
	})
	if err != nil {
		return err
	}
	defer stop()
	c := client.New(fed.Nodes[0].URL)
	grid := make([]float64, 100)
	for i := range grid {
		grid[i] = float64(i) * 1.2
	}
	surv := client.Dataset{Table: "surv", Columns: []string{"time", "event"}}
	cases := []struct {
		what, target, mp string
		rows             int
		ds               client.Dataset
		params           map[string]any
	}{
		{"Kaplan–Meier on a 100-point grid", "≤ 50 ms", "KaplanMeier", b.rows, surv, map[string]any{"times": grid}},
		{"Kaplan–Meier on the event times (whole months)", "", "KaplanMeier", b.rows, surv, nil},
		{"log-rank test, 2 groups, on the event times", "", "LogRank", b.rows, client.Dataset{Table: "surv", Columns: []string{"time", "event", "arm"}}, nil},
		{"Cox model with 5 covariates (Breslow) on the event times", "≤ 1 s", "CoxPH", coxRows, client.Dataset{Table: "survcox", Columns: []string{"time", "event", "x1", "x2", "x3", "x4", "x5"}}, nil},
	}
	for _, tc := range cases {
		d, err := timeIt(b.runs, dataset(c, tc.mp, tc.ds, tc.params))
		if err != nil {
			return fmt.Errorf("%s: %w", tc.what, err)
		}
		b.add(title, headTarget, fmt.Sprintf("%s, %d rows per site, 3 sites", tc.what, tc.rows), tc.target, d.String())
	}
	return nil
}

// writeSurvival writes a table of survival times in whole months (ties,
// about 120 distinct times), events, an arm A/B and five covariates.
func writeSurvival(file string, rows int, site uint64) error {
	rng := rand.New(rand.NewPCG(0x5a1f, site))
	x := make([]float64, 5)
	return writeTable(file, "time,event,arm,x1,x2,x3,x4,x5\n", rows, func(buf []byte) []byte {
		eta := 0.0
		for j := range x {
			x[j] = math.Round(rng.NormFloat64()*100) / 100
			eta += 0.1 * float64(j+1) * x[j]
		}
		arm := rng.IntN(2)
		t := math.Min(math.Ceil(rng.ExpFloat64()/(0.03*math.Exp(eta+0.2*float64(arm)))), 120)
		ev := 0
		if t < 120 && rng.Float64() < 0.8 {
			ev = 1
		}
		buf = strconv.AppendFloat(buf, t, 'f', -1, 64)
		buf = fmt.Appendf(buf, ",%d,%c", ev, "AB"[arm])
		for _, v := range x {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
		}
		return append(buf, '\n')
	})
}
