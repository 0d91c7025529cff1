// Command fsc-kernel is the analyst's side of fsc-kernel.
//
//	fsc-kernel run STUDY.lua|STUDY.py [--out results.json] [--node URL]
//	fsc-kernel version
//
// run executes a study headless against the analyst's own node (--node, or
// FSC_NODE, or http://127.0.0.1:55501; FSC_TOKEN for a bearer token),
// prints each fsc.output as it arrives, and writes the results with their
// provenance.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// version is the version of fsc-kernel.
const version = "0.1.0"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fsc-kernel:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: fsc-kernel run STUDY.lua|STUDY.py [--out results.json] [--node URL] | fsc-kernel version")
	}
	switch args[0] {
	case "version", "--version":
		fmt.Println("fsc-kernel", version)
		return nil
	case "run":
		return runStudy(args[1:])
	}
	return fmt.Errorf("unknown command %q (run, version)", args[0])
}

func runStudy(args []string) error {
	fs := flag.NewFlagSet("fsc-kernel run", flag.ContinueOnError)
	out := fs.String("out", "results.json", "write results and provenance to `FILE`")
	node := fs.String("node", "", "the analyst's node `URL` (default FSC_NODE or http://127.0.0.1:55501)")
	// The study may come before or after the flags.
	var study string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		study, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if study == "" && fs.NArg() > 0 {
		study = fs.Arg(0)
	}
	if study == "" {
		return errors.New("run: give the study file")
	}
	url := *node
	if url == "" {
		url = os.Getenv("FSC_NODE")
	}
	if url == "" {
		url = "http://127.0.0.1:55501"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	output := script.Output{
		Stdout: func(s string) { fmt.Print(s) },
		Stderr: func(s string) { fmt.Fprint(os.Stderr, s) },
	}
	if st, err := os.Stderr.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		// On a terminal, a computation that takes over a second shows a
		// progress line, rewritten in place.
		output.Progress = func(s string, done bool) {
			if done {
				fmt.Fprintf(os.Stderr, "\r\033[K")
				return
			}
			fmt.Fprintf(os.Stderr, "\r… %s", s)
		}
	}
	rep, err := script.RunStudy(ctx, study, url, os.Getenv("FSC_TOKEN"), output)
	if rep != nil {
		if werr := rep.Write(*out); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}
