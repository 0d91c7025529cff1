// Command fsc-kernel is the analyst's side of fsc-kernel.
//
//	fsc-kernel install [--user | --sys-prefix | --prefix DIR] [--node URL]
//	fsc-kernel kernel --language python|lua CONNECTION_FILE
//	fsc-kernel run STUDY.lua|STUDY.py [--out results.json] [--node URL]
//	fsc-kernel version
//	fsc-kernel worker --language python|lua [--node URL]
//
// install writes the Jupyter kernelspecs fsc (Python) and fsc-lua (Lua);
// kernel is what Jupyter runs for them. The kernel runs its interpreter in
// a child process, worker, so that a cell stuck inside one long builtin
// call can be stopped for good: the worker is replaced by a fresh one.
//
// run executes a study headless against the analyst's own node (--node, or
// FSC_NODE, or http://127.0.0.1:15501; FSC_TOKEN for a bearer token),
// prints each fsc.output as it arrives, and writes the results with their
// provenance.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/fsc-kernel/fsc-kernel/internal/cli"
	"github.com/fsc-kernel/fsc-kernel/kernel"
	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/lua"
	"github.com/fsc-kernel/fsc-kernel/script/python"
	"github.com/fsc-kernel/fsc-kernel/script/worker"
)

// languages are the languages this binary offers: each one's kernelspec,
// the file extension of its studies, and how its runtime starts. The
// kernel and the study runner know only script.Runtime; this table is
// where a language is chosen.
var languages = []struct {
	spec      kernel.Spec
	extension string
	start     script.Start
}{
	{kernel.Spec{Name: "fsc", DisplayName: "FSC (Python)", Language: "python"}, ".py", python.Start},
	{kernel.Spec{Name: "fsc-lua", DisplayName: "FSC (Lua)", Language: "lua"}, ".lua", lua.Start},
}

// studyLanguages are the languages of studies by file extension.
func studyLanguages() map[string]script.Start {
	starts := make(map[string]script.Start, len(languages))
	for _, l := range languages {
		starts[l.extension] = l.start
	}
	return starts
}

// version is the version of fsc-kernel.
const version = "0.1.0"

func main() { cli.Exit("fsc-kernel", run(os.Args[1:])) }

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("give a command\nusage:\n" + usage)
	}
	if cli.IsHelp(args[0]) {
		fmt.Printf("usage:\n%s\n\n\"fsc-kernel COMMAND -h\" shows a command's flags.\n", usage)
		return nil
	}
	switch args[0] {
	case "version", "--version":
		fmt.Println("fsc-kernel", version)
		return nil
	case "run":
		return runStudy(args[1:])
	case "install":
		return install(args[1:])
	case "kernel":
		return runKernel(args[1:])
	case "worker":
		return runWorker(args[1:])
	}
	return fmt.Errorf("unknown command %q\nusage:\n%s", args[0], usage)
}

const usage = `  fsc-kernel install [--user | --sys-prefix | --prefix DIR] [--node URL]
  fsc-kernel kernel --language python|lua CONNECTION_FILE
  fsc-kernel run STUDY.lua|STUDY.py [--out results.json] [--node URL]
  fsc-kernel version
  fsc-kernel worker --language python|lua [--node URL]   (the kernel runs this)`

func install(args []string) error {
	fs := cli.New("fsc-kernel install", "  fsc-kernel install [--user | --sys-prefix | --prefix DIR] [--node URL]")
	var w kernel.Where
	fs.BoolVar(&w.User, "user", false, "install for this user (the default; honours JUPYTER_DATA_DIR)")
	fs.BoolVar(&w.SysPrefix, "sys-prefix", false, "install into the active Python environment's prefix")
	fs.StringVar(&w.Prefix, "prefix", "", "install under `DIR`/share/jupyter/kernels")
	node := fs.String("node", "", "the analyst's node `URL` the kernels use (default: FSC_NODE when the kernel starts, or http://127.0.0.1:15501)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("install: unexpected %q", fs.Arg(0))
	}
	n := 0
	for _, b := range []bool{w.User, w.SysPrefix, w.Prefix != ""} {
		if b {
			n++
		}
	}
	if n > 1 {
		return errors.New("install: give one of --user, --sys-prefix, --prefix")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("install: cannot find this binary: %w", err)
	}
	specs := make([]kernel.Spec, len(languages))
	for i, l := range languages {
		specs[i] = l.spec
	}
	dirs, err := kernel.Install(w, self, *node, specs)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		fmt.Println("installed kernelspec", d)
	}
	return nil
}

// nodeURL is the analyst's node: the flag's URL, else FSC_NODE, else the
// example federation's first hospital.
func nodeURL(flagged string) string {
	if flagged != "" {
		return flagged
	}
	if u := os.Getenv("FSC_NODE"); u != "" {
		return u
	}
	return "http://127.0.0.1:15501"
}

// runKernel is what Jupyter runs: one kernel on a connection file. SIGINT
// interrupts the running cell (the kernel catches it); SIGTERM stops.
func runKernel(args []string) error {
	fs := cli.New("fsc-kernel kernel", "  fsc-kernel kernel --language python|lua CONNECTION_FILE   (Jupyter runs this)")
	lang := fs.String("language", "python", "the kernel's language: python or lua")
	node := fs.String("node", "", "the analyst's node `URL` (default FSC_NODE or http://127.0.0.1:15501)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("kernel: give the connection file (Jupyter passes it)")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("kernel: cannot find this binary to start its worker: %w", err)
	}
	url := nodeURL(*node)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	for _, l := range languages {
		if l.spec.Language == *lang {
			start := func(env *script.Env) (script.Runtime, error) {
				return worker.Start(env.Out, func() *exec.Cmd {
					return exec.Command(self, "worker", "--language", *lang, "--node", url)
				})
			}
			return kernel.Run(ctx, start, fs.Arg(0), url, os.Getenv("FSC_TOKEN"), kernel.WithVersion(version))
		}
	}
	return fmt.Errorf("kernel: unknown language %q (python or lua)", *lang)
}

// runWorker is what the kernel runs in a child process: one interpreter,
// speaking to the kernel on stdin and stdout. Interrupts reach it through
// the kernel, not as signals: Jupyter signals the kernel's whole process
// group, so the worker ignores SIGINT.
func runWorker(args []string) error {
	fs := cli.New("fsc-kernel worker", "  fsc-kernel worker --language python|lua [--node URL]   (the kernel runs this)")
	lang := fs.String("language", "python", "the worker's language: python or lua")
	node := fs.String("node", "", "the analyst's node `URL` (default FSC_NODE or http://127.0.0.1:15501)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	signal.Ignore(os.Interrupt)
	for _, l := range languages {
		if l.spec.Language == *lang {
			err := worker.Serve(l.start, nodeURL(*node), os.Getenv("FSC_TOKEN"), os.Stdin, os.Stdout)
			if errors.Is(err, worker.ErrAbandoned) {
				return nil // exiting stops the abandoned interpreter
			}
			return err
		}
	}
	return fmt.Errorf("worker: unknown language %q (python or lua)", *lang)
}

func runStudy(args []string) error {
	fs := cli.New("fsc-kernel run", "  fsc-kernel run STUDY.lua|STUDY.py [--out results.json] [--node URL]")
	out := fs.String("out", "results.json", "write results and provenance to `FILE`")
	node := fs.String("node", "", "the analyst's node `URL` (default FSC_NODE or http://127.0.0.1:15501)")
	// The study may come before or after the flags.
	var study string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		study, args = args[0], args[1:]
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if study == "" && fs.NArg() > 0 {
		study = fs.Arg(0)
	}
	if study == "" {
		return errors.New("run: give the study file (see fsc-kernel run -h)")
	}
	if _, err := os.Stat(study); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := writable(*out); err != nil {
		return fmt.Errorf("run: --out %s: %w", *out, err)
	}
	url := nodeURL(*node)
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
			fmt.Fprintf(os.Stderr, "\r\033[K… %s", s)
		}
	}
	rep, err := script.RunStudy(ctx, study, studyLanguages(), url, os.Getenv("FSC_TOKEN"), output)
	if rep != nil {
		if werr := rep.Write(*out); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// writable checks, before a study runs, that its results can be written
// to file: the folder exists and takes a new file.
func writable(file string) error {
	dir := filepath.Dir(file)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("the folder %s does not exist", dir)
	}
	f, err := os.CreateTemp(dir, ".fsc-results-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s", dir)
	}
	f.Close()
	return os.Remove(f.Name())
}
