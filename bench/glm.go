package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// glm measures a logistic regression with 10 covariates over b.rows rows
// per site, three sites as real processes (issue 14).
func (b *bench) glm() error {
	const title = "GLMs (issue 14)"
	fed, stop, err := b.federation(1000, map[string]func(string, uint64) error{
		"logit": func(f string, site uint64) error { return writeLogit(f, b.rows, site) },
	})
	if err != nil {
		return err
	}
	defer stop()
	c := client.New(fed.Nodes[0].URL)
	ds := client.Dataset{Table: "logit", Columns: []string{"y", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10"}}
	params := map[string]any{"family": "binomial"}
	r, err := c.Compute(context.Background(), client.Request{Microprotocol: "GLM", Dataset: &ds, Parameters: params})
	if err != nil {
		return err
	}
	iter, _ := r.Result["iterations"].(float64)
	d, err := timeIt(b.runs, dataset(c, "GLM", ds, params))
	if err != nil {
		return fmt.Errorf("logistic regression: %w", err)
	}
	b.add(title, headTarget, fmt.Sprintf("logistic regression (GLM binomial) with 10 covariates, %d rows per site, 3 sites, %.0f iterations (%0.f secure sums)", b.rows, iter, iter+1), "p50 ≤ 300 ms", d.String())
	return nil
}

// writeLogit writes a table of a 0/1 outcome y of ten covariates x1..x10
// through a logistic model.
func writeLogit(file string, rows int, site uint64) error {
	rng := rand.New(rand.NewPCG(0x1091, site))
	x := make([]float64, 10)
	return writeTable(file, "y,x1,x2,x3,x4,x5,x6,x7,x8,x9,x10\n", rows, func(buf []byte) []byte {
		eta := -0.5
		for j := range x {
			x[j] = math.Round(rng.NormFloat64()*100) / 100
			eta += 0.05 * float64(j-4) * x[j]
		}
		y := 0
		if rng.Float64() < 1/(1+math.Exp(-eta)) {
			y = 1
		}
		buf = strconv.AppendInt(buf, int64(y), 10)
		for _, v := range x {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, v, 'f', -1, 64)
		}
		return append(buf, '\n')
	})
}
