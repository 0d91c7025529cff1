// Command bench measures the federation end to end: fsc-node processes on
// loopback with large synthetic tables, driven through the Go client as an
// analyst's runtime drives them. It writes markdown tables of the figures
// beside their targets. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// bench holds the run's settings and what it measured.
type bench struct {
	bin, work string
	rows      int
	runs      int
	sections  []section
}

type section struct {
	title string
	head  []string
	rows  [][]string
}

func main() {
	b := &bench{}
	flag.StringVar(&b.bin, "bin", "bin/fsc-node", "the fsc-node `binary`")
	out := flag.String("out", "bench/results.md", "markdown `file` to write")
	flag.IntVar(&b.rows, "rows", 1_000_000, "rows per site for the main figures")
	flag.IntVar(&b.runs, "runs", 100, "timed runs per figure")
	memRuns := flag.Int("mem-runs", 10_000, "sequential computations for the memory figure")
	maxRows := flag.Int("max-rows", 10_000_000, "largest rows per site in the scaling table")
	flag.StringVar(&b.work, "work", filepath.Join(os.TempDir(), "fsc-bench"), "`folder` for generated data (kept between runs)")
	cells := flag.Int("cells", 10_000, "cells executed in one kernel session for the memory figure")
	only := flag.String("only", "node,statistics,survival,rows,parties,kernel,glm", "the `sections` to run, comma-separated")
	flag.Parse()
	all := map[string]func() error{
		"node":       func() error { return b.node(*memRuns) },
		"statistics": b.statistics,
		"survival":   b.survival,
		"rows":       func() error { return b.scaleRows(*maxRows) },
		"parties":    b.scaleParties,
		"kernel":     func() error { return b.kernel(*cells) },
		"glm":        b.glm,
	}
	var steps []func() error
	for _, name := range strings.Split(*only, ",") {
		step, ok := all[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "bench: unknown section %q\n", name)
			os.Exit(2)
		}
		steps = append(steps, step)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	if err := b.write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (b *bench) add(title string, head []string, row ...string) {
	if len(b.sections) == 0 || b.sections[len(b.sections)-1].title != title {
		b.sections = append(b.sections, section{title: title, head: head})
		fmt.Printf("\n## %s\n", title)
	}
	s := &b.sections[len(b.sections)-1]
	s.rows = append(s.rows, row)
	fmt.Println(strings.Join(row, " | "))
}

// federation starts the three example hospitals with generated tables:
// patients (the example columns) and any extra tables given as name ->
// per-site writer.
func (b *bench) federation(patientRows int, extra map[string]func(file string, site uint64) error) (*fedrun.Federation, func(), error) {
	dataDir := filepath.Join(b.work, fmt.Sprintf("patients-%d", patientRows))
	if err := generatePatients(dataDir, patientRows); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp(b.work, "fed-")
	if err != nil {
		return nil, nil, err
	}
	configs, err := fedrun.CopyExample("examples/federation", dataDir, dir)
	if err != nil {
		return nil, nil, err
	}
	for i, cfg := range configs {
		var add strings.Builder
		for name, write := range extra {
			file := filepath.Join(b.work, name, fmt.Sprintf("site-%d.csv", i))
			if err := write(file, uint64(i)); err != nil {
				return nil, nil, err
			}
			fmt.Fprintf(&add, "\n[datasets.%s]\nfile = %q\n", name, file)
		}
		f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return nil, nil, err
		}
		f.WriteString(add.String())
		f.Close()
	}
	fed, err := fedrun.StartConfigs(b.bin, configs, dir)
	if err != nil {
		return nil, nil, err
	}
	return fed, func() { fed.Stop(); os.RemoveAll(dir) }, nil
}

type dist struct{ p50, p90, p99 time.Duration }

func ms(x time.Duration) string { return fmt.Sprintf("%.2f ms", float64(x.Microseconds())/1000) }

func (d dist) String() string {
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s", ms(d.p50), ms(d.p90), ms(d.p99))
}

// timeIt runs f a few times to warm up, then n times, and returns the
// distribution of its durations.
func timeIt(n int, f func() error) (dist, error) {
	for i := 0; i < 3; i++ {
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

// dataset returns a function computing mp on node-held data.
func dataset(c *client.Client, mp string, ds client.Dataset, params map[string]any) func() error {
	return func() error {
		_, err := c.Compute(context.Background(), client.Request{Microprotocol: mp, Dataset: &ds, Parameters: params})
		return err
	}
}

// together runs mp with each party's own data through its own node, all
// parties at once, as FSC clients do.
func together(urls []string, uuid, mp string, data func(i int) any) func() error {
	clients := make([]*client.Client, len(urls))
	for i, u := range urls {
		clients[i] = client.New(u)
	}
	return func() error {
		var wg sync.WaitGroup
		errs := make([]error, len(urls))
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = cl.Compute(context.Background(), client.Request{Microprotocol: mp, Data: data(i),
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
}

func (b *bench) write(out string) error {
	var w strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&w, "# Benchmarks\n\n%s, %s (2 cores). fsc-node processes on loopback, mutual TLS between peers, driven through mpc/client; the kernels through Debian's jupyter_client. Times are end to end, request to answer. `make bench` writes this file.\n", time.Now().UTC().Format(time.DateOnly), host)
	for _, s := range b.sections {
		fmt.Fprintf(&w, "\n## %s\n\n| %s |\n|%s\n", s.title, strings.Join(s.head, " | "), strings.Repeat("---|", len(s.head)))
		for _, r := range s.rows {
			fmt.Fprintf(&w, "| %s |\n", strings.Join(r, " | "))
		}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, []byte(w.String()), 0o644)
}
