package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

var headTarget = []string{"what", "target", "measured"}

// node measures the node itself: start-up with a large table, memory, the
// secure sum end to end.
func (b *bench) node(memRuns int) error {
	const title = "The node (issue 2)"
	dataDir := filepath.Join(b.work, fmt.Sprintf("patients-%d", b.rows))
	if err := generatePatients(dataDir, b.rows); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(b.work, "alone-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	configs, err := fedrun.CopyExample("examples/federation", dataDir, dir)
	if err != nil {
		return err
	}
	start := time.Now()
	alone, err := fedrun.StartConfigs(b.bin, configs[:1], dir)
	if err != nil {
		return err
	}
	startup := time.Since(start)
	rss := alone.Nodes[0].RSSMB()
	alone.Stop()
	b.add(title, headTarget, fmt.Sprintf("node start with a %d-row × 9-column CSV, to first /healthz", b.rows), "≤ 1.5 s", fmt.Sprintf("%.2f s", startup.Seconds()))
	b.add(title, headTarget, fmt.Sprintf("node RSS after loading %d rows × 9 columns", b.rows), "≤ 200 MB", fmt.Sprintf("%.1f MB", rss))

	fed, stop, err := b.federation(b.rows, nil)
	if err != nil {
		return err
	}
	defer stop()
	c := client.New(fed.Nodes[0].URL)
	d, err := timeIt(b.runs, dataset(c, "SecureSum", client.Dataset{Table: "patients", Column: "age"}, nil))
	if err != nil {
		return err
	}
	b.add(title, headTarget, fmt.Sprintf("dataset-backed sum, %d rows per site, 3 sites", b.rows), "p50 ≤ 10 ms", d.String())
	d, err = timeIt(b.runs, dataset(c, "Count", client.Dataset{Table: "patients", Where: "sex == 'F' and age >= 50"}, nil))
	if err != nil {
		return err
	}
	b.add(title, headTarget, fmt.Sprintf("dataset-backed count with a 2-clause where, %d rows per site", b.rows), "", d.String())
	values := make([]float64, 1000)
	for i := range values {
		values[i] = float64(i%97) + 0.25
	}
	own := together(fed.URLs(), "bench-own", "SecureSum", func(int) any { return values })
	if d, err = timeIt(b.runs, own); err != nil {
		return err
	}
	b.add(title, headTarget, "client-supplied SecureSum, 1,000 values per party, 3 parties, REST", "p50 ≤ 15 ms", d.String())

	before := make([]float64, 3)
	for i, p := range fed.Nodes {
		before[i] = p.RSSMB()
	}
	t0 := time.Now()
	mem := together(fed.URLs(), "bench-memory", "SecureSum", func(int) any { return values })
	for i := 0; i < memRuns; i++ {
		if err := mem(); err != nil {
			return err
		}
	}
	took := time.Since(t0)
	time.Sleep(time.Second)
	var growth []string
	for i, p := range fed.Nodes {
		growth = append(growth, fmt.Sprintf("%+.1f MB", p.RSSMB()-before[i]))
	}
	b.add(title, headTarget, fmt.Sprintf("RSS growth after %d sequential computations (per node)", memRuns), "≤ 10 MB", strings.Join(growth, ", ")+fmt.Sprintf(" (%.1f s)", took.Seconds()))
	return nil
}

// generatePatients writes one synthetic patients table per site with the
// committed generator, unless they are there already.
func generatePatients(dir string, rows int) error {
	for i, h := range []string{"a", "b", "c"} {
		file := filepath.Join(dir, "hospital-"+h, "patients.csv")
		if _, err := os.Stat(file); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		fmt.Printf("generating %s (%d rows)\n", file, rows)
		cmd := exec.Command("go", "run", "./examples/federation/gen", "-out", file, "-rows", fmt.Sprint(rows), "-site", string(rune('A'+i)))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("generate %s: %w", file, err)
		}
	}
	return nil
}
