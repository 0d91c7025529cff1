package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// statistics measures every statistic on large tables, dataset-backed, and
// the FSC-style median.
func (b *bench) statistics() error {
	const title = "Statistics (issue 3)"
	fed, stop, err := b.federation(b.rows, map[string]func(string, uint64) error{
		"wide": func(f string, site uint64) error { return writeWide(f, b.rows, site) },
	})
	if err != nil {
		return err
	}
	defer stop()
	c := client.New(fed.Nodes[0].URL)
	age := client.Dataset{Table: "patients", Column: "age"}
	regressors := []string{"y", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10"}
	cases := []struct {
		what, target, mp string
		ds               client.Dataset
		params           map[string]any
	}{
		{"summary (StatisticsUnivariate, all keys) of age", "p50 ≤ 20 ms", "StatisticsUnivariate", age, nil},
		{"median of age (result-only rank search)", "p50 ≤ 100 ms", "SecureMedian", age, nil},
		{"quantiles of age at 9 probabilities (result-only rank search)", "≤ 200 ms", "Quantiles", age, map[string]any{"probabilities": []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}}},
		{"histogram of age, 100 bins", "≤ 20 ms", "Histogram", age, map[string]any{"bins": 100, "range": []float64{18, 96}}},
		{"crosstab 10 × 10", "≤ 20 ms", "StatisticsContingency", client.Dataset{Table: "wide", Columns: []string{"c1", "c2"}}, nil},
		{"OLS with 10 regressors", "≤ 30 ms", "Regression", client.Dataset{Table: "wide", Columns: regressors}, nil},
		{"OLS with 10 regressors and a where filter (a full pass over the rows)", "", "Regression", client.Dataset{Table: "wide", Columns: regressors, Where: "y > -1000000"}, nil},
	}
	for _, tc := range cases {
		d, err := timeIt(b.runs, dataset(c, tc.mp, tc.ds, tc.params))
		if err != nil {
			return fmt.Errorf("%s: %w", tc.what, err)
		}
		b.add(title, headTarget, fmt.Sprintf("%s, %d rows per site, 3 sites", tc.what, b.rows), tc.target, d.String())
	}
	ints := make([][]any, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range ints {
		for j := 0; j < 10000; j++ {
			ints[i] = append(ints[i], float64(rng.IntN(100000)))
		}
	}
	d, err := timeIt(b.runs, together(fed.URLs(), "bench-median", "SecureMedian", func(i int) any { return ints[i] }))
	if err != nil {
		return err
	}
	b.add(title, headTarget, "client-supplied SecureMedian, 10,000 integers per party, 3 parties, REST (result-only rank search)", "≤ 150 ms", d.String())
	return nil
}

// scaleRows shows how the cost grows with rows per site.
func (b *bench) scaleRows(maxRows int) error {
	const title = "Cost against rows per site (3 sites, dataset-backed, p50)"
	head := []string{"rows per site", "sum", "summary", "median", "quantiles (9)"}
	for rows := 1000; rows <= maxRows; rows *= 10 {
		fed, stop, err := b.federation(1200, map[string]func(string, uint64) error{
			fmt.Sprintf("values%d", rows): func(f string, site uint64) error { return writeValues(f, rows, site) },
		})
		if err != nil {
			return err
		}
		c := client.New(fed.Nodes[0].URL)
		ds := client.Dataset{Table: fmt.Sprintf("values%d", rows), Column: "v"}
		row := []string{fmt.Sprint(rows)}
		for _, mp := range []struct {
			name   string
			params map[string]any
		}{{"SecureSum", nil}, {"StatisticsUnivariate", nil}, {"SecureMedian", nil},
			{"Quantiles", map[string]any{"probabilities": []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}}}} {
			d, err := timeIt(max(5, b.runs/5), dataset(c, mp.name, ds, mp.params))
			if err != nil {
				stop()
				return fmt.Errorf("%s over %d rows: %w", mp.name, rows, err)
			}
			row = append(row, ms(d.p50))
		}
		stop()
		b.add(title, head, row...)
	}
	return nil
}

// scaleParties shows how the cost grows with the number of parties, the
// FSC way (each party's own data through its own development node).
func (b *bench) scaleParties() error {
	const title = "Cost against parties (client-supplied, p50)"
	head := []string{"parties", "SecureSum of 1,000 values each", "SecureMedian of 10,000 values each", "messages per secure sum"}
	for m := 2; m <= 8; m++ {
		ports, err := fedrun.FreePorts(m)
		if err != nil {
			return err
		}
		var procs []*fedrun.Proc
		var urls []string
		for i, p := range ports {
			url := fmt.Sprintf("http://127.0.0.1:%d", p)
			pr, err := fedrun.Start(b.bin, url, url, filepath.Join(b.work, fmt.Sprintf("dev-%d.log", i)), "--port", fmt.Sprint(p))
			if err != nil {
				return err
			}
			procs = append(procs, pr)
			urls = append(urls, url)
		}
		values := make([]float64, 1000)
		median := make([]float64, 10000)
		for i := range median {
			median[i] = float64(i*7919%10007) + 0.5
		}
		dSum, err := timeIt(max(5, b.runs/2), together(urls, fmt.Sprintf("scale-sum-%d", m), "SecureSum", func(int) any { return values }))
		if err == nil {
			var dMed dist
			dMed, err = timeIt(max(5, b.runs/5), together(urls, fmt.Sprintf("scale-median-%d", m), "SecureMedian", func(int) any { return median }))
			b.add(title, head, fmt.Sprint(m), ms(dSum.p50), ms(dMed.p50), fmt.Sprint(2*m*(m-1)))
		}
		for _, p := range procs {
			p.Stop()
		}
		if err != nil {
			return err
		}
	}
	return nil
}
