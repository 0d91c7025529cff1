// Command bench measures the federation end to end: three fsc-node
// processes on loopback with large synthetic tables, driven through the Go
// client as an analyst's runtime drives them. It writes a markdown table of
// the figures beside their targets. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

func main() {
	bin := flag.String("bin", "bin/fsc-node", "the fsc-node `binary`")
	out := flag.String("out", "bench/results.md", "markdown `file` to write")
	rows := flag.Int("rows", 1_000_000, "rows per site")
	runs := flag.Int("runs", 200, "timed runs per figure")
	memRuns := flag.Int("mem-runs", 10_000, "sequential computations for the memory figure")
	work := flag.String("work", filepath.Join(os.TempDir(), "fsc-bench"), "`folder` for generated data (kept between runs)")
	flag.Parse()
	if err := run(*bin, *out, *work, *rows, *runs, *memRuns); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type row struct{ what, target, measured string }

func run(bin, out, work string, rows, runs, memRuns int) error {
	dataDir := filepath.Join(work, fmt.Sprintf("data-%d", rows))
	if err := generate(dataDir, rows); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(work, "fed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	configs, err := fedrun.CopyExample("examples/federation", dataDir, dir)
	if err != nil {
		return err
	}
	var results []row
	add := func(what, target, measured string) {
		fmt.Printf("%-70s %-12s %s\n", what, target, measured)
		results = append(results, row{what, target, measured})
	}
	// One node alone: process start, CSV load, first /healthz.
	start := time.Now()
	alone, err := fedrun.StartConfigs(bin, configs[:1], dir)
	if err != nil {
		return err
	}
	startup := time.Since(start)
	rss0 := rssMB(alone.Nodes[0].Pid())
	alone.Stop()
	add(fmt.Sprintf("node start with a %d-row × 9-column CSV, to first /healthz", rows), "≤ 1.5 s", fmt.Sprintf("%.2f s", startup.Seconds()))
	add(fmt.Sprintf("node RSS after loading %d rows × 9 columns", rows), "≤ 200 MB", fmt.Sprintf("%.1f MB", rss0))

	fed, err := fedrun.StartConfigs(bin, configs, dir)
	if err != nil {
		return err
	}
	defer fed.Stop()

	ctx := context.Background()
	c := client.New(fed.Nodes[0].URL)
	sum := client.Request{Microprotocol: "SecureSum", Dataset: &client.Dataset{Table: "patients", Column: "age"}}
	d, err := timeIt(runs, func() error { _, err := c.Compute(ctx, sum); return err })
	if err != nil {
		return err
	}
	add(fmt.Sprintf("dataset-backed sum, %d rows per site, 3 sites, end to end", rows), "p50 ≤ 10 ms", d.String())
	filtered := client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients", Where: "sex == 'F' and age >= 50"}}
	d, err = timeIt(runs, func() error { _, err := c.Compute(ctx, filtered); return err })
	if err != nil {
		return err
	}
	add(fmt.Sprintf("dataset-backed count with a 2-clause where, %d rows per site", rows), "", d.String())

	values := make([]float64, 1000)
	for i := range values {
		values[i] = float64(i%97) + 0.25
	}
	urls := fed.URLs()
	clients := []*client.Client{client.New(urls[0]), client.New(urls[1]), client.New(urls[2])}
	own := func(uuid string) error {
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = cl.Compute(ctx, client.Request{Microprotocol: "SecureSum", Data: values,
					Network: &client.Network{Nodes: urls, UUID: uuid, Myself: i}})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	d, err = timeIt(runs, func() error { return own("bench-own") })
	if err != nil {
		return err
	}
	add("client-supplied SecureSum, 1,000 values per party, 3 parties, REST", "p50 ≤ 15 ms", d.String())

	before := make([]float64, 3)
	for i, p := range fed.Nodes {
		before[i] = rssMB(p.Pid())
	}
	t0 := time.Now()
	for i := 0; i < memRuns; i++ {
		if err := own("bench-memory"); err != nil {
			return err
		}
	}
	took := time.Since(t0)
	time.Sleep(time.Second)
	var growth []string
	for i, p := range fed.Nodes {
		growth = append(growth, fmt.Sprintf("%+.1f MB", rssMB(p.Pid())-before[i]))
	}
	add(fmt.Sprintf("RSS growth after %d sequential computations (per node)", memRuns), "≤ 10 MB", strings.Join(growth, ", ")+fmt.Sprintf(" (%.1f s)", took.Seconds()))
	return write(out, rows, results)
}

type dist struct{ p50, p90, p99 time.Duration }

func (d dist) String() string {
	r := func(x time.Duration) string { return fmt.Sprintf("%.2f ms", float64(x.Microseconds())/1000) }
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s", r(d.p50), r(d.p90), r(d.p99))
}

// timeIt runs f a few times to warm up, then n times, and returns the
// distribution of its durations.
func timeIt(n int, f func() error) (dist, error) {
	for i := 0; i < 5; i++ {
		if err := f(); err != nil {
			return dist{}, err
		}
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		if err := f(); err != nil {
			return dist{}, err
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return dist{at(0.5), at(0.9), at(0.99)}, nil
}

// rssMB reads a process's resident set size.
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

// generate writes one synthetic table per site with the committed
// generator, unless they are there already.
func generate(dir string, rows int) error {
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

func write(out string, rows int, results []row) error {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# Federation benchmark\n\n%s, %s; three fsc-node processes on loopback (mutual TLS between peers), %d rows per site, driven through mpc/client. `make bench` writes this file.\n\n", time.Now().UTC().Format(time.DateOnly), host, rows)
	b.WriteString("| what | target | measured |\n|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.what, r.target, r.measured)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
