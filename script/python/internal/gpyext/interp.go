package gpyext

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-python/gpython/py"
	_ "github.com/go-python/gpython/stdlib" // gpython's builtins, sys, math, time...
)

// Version is the Python version gpython implements.
const Version = "3.4"

// Options are what a host gives an interpreter.
type Options struct {
	// Stdout and Stderr receive what print, sys.stdout and sys.stderr
	// write, in batches (see Interp.Flush); nil drops it.
	Stdout, Stderr func(text string)
}

// Interp is one gpython interpreter with the extensions of this package:
// a __main__ namespace, the builtins, sys, time and json of the package
// doc, and a stop flag that the VM hook reads. One cell runs at a time
// (Begin ... End); Stop may be called from any goroutine.
type Interp struct {
	ctx    *vmContext
	main   *py.Module
	stdout *sink
	stderr *sink
	help   py.Object // what help() documents without an argument
	hosted []string  // the host's modules, for ImportError's hint

	cellMu sync.Mutex
	cell   context.Context // the running cell's context
}

// New starts an interpreter. Close it when done.
func New(opts Options) (ip *Interp, err error) {
	var inner py.Context
	defer func() {
		if r := recover(); r != nil {
			ip, err = nil, fmt.Errorf("python: cannot start gpython: %v", r)
		}
		if err != nil && inner != nil {
			inner.Close()
		}
	}()
	// No sys.path: import finds only the built-in modules, never a file.
	inner = py.NewContext(py.ContextOpts{SysArgs: []string{""}, SysPaths: []string{}})
	ip = &Interp{ctx: &vmContext{Context: inner}, stdout: &sink{send: opts.Stdout}, stderr: &sink{send: opts.Stderr}, cell: context.Background()}
	ip.stdout.other, ip.stderr.other = ip.stderr, ip.stdout
	store := inner.Store()
	if err := py.Import(inner, "time"); err != nil {
		return nil, fmt.Errorf("python: import time: %w", err)
	}
	sys, err := store.GetModule("sys")
	if err != nil {
		return nil, fmt.Errorf("python: %w", err)
	}
	tm, err := store.GetModule("time")
	if err != nil {
		return nil, fmt.Errorf("python: %w", err)
	}
	stdout, stderr := &stream{sink: ip.stdout}, &stream{sink: ip.stderr}
	for k, v := range map[string]py.Object{"stdout": stdout, "__stdout__": stdout, "stderr": stderr, "__stderr__": stderr,
		"stdin": py.None, "__stdin__": py.None, "version": py.String(Version + ".0 (gpython v0.2.0, fsc-kernel)"),
		"version_info": py.Tuple{py.Int(3), py.Int(4), py.Int(0), py.String("final"), py.Int(0)}} {
		sys.Globals[k] = v
	}
	sys.Globals["exit"] = py.MustNewMethod("exit", func(self py.Object, args py.Tuple) (py.Object, error) {
		if len(args) > 1 {
			return nil, py.ExceptionNewf(py.TypeError, "exit expected at most 1 argument, got %d", len(args))
		}
		exc, err := py.ExceptionNew(py.SystemExit, args, nil)
		if err != nil {
			return nil, err
		}
		return nil, exc.(*py.Exception)
	}, 0, "exit([status]): raise SystemExit, which ends the cell (or the study).")
	ip.installBuiltins(store.Builtins.Globals)
	tm.Globals["sleep"] = py.MustNewMethod("sleep", ip.sleep, 0, "sleep(seconds): wait; cancelling the cell interrupts it.")
	if _, err := store.NewModule(ip.ctx, jsonModule()); err != nil {
		return nil, fmt.Errorf("python: json: %w", err)
	}
	if ip.main, err = store.NewModule(ip.ctx, &py.ModuleImpl{Info: py.ModuleInfo{Name: py.MainModuleName}}); err != nil {
		return nil, fmt.Errorf("python: __main__: %w", err)
	}
	return ip, nil
}

// AddModule adds a module of the host's (import finds it) and returns it.
func (ip *Interp) AddModule(impl *py.ModuleImpl) (*py.Module, error) {
	m, err := ip.ctx.Store().NewModule(ip.ctx, impl)
	if err != nil {
		return nil, fmt.Errorf("python: %s: %w", impl.Info.Name, err)
	}
	ip.hosted = append(ip.hosted, impl.Info.Name)
	return m, nil
}

// Globals is the namespace of __main__, in which cells run.
func (ip *Interp) Globals() py.StringDict { return ip.main.Globals }

// Builtins is the namespace of the builtins.
func (ip *Interp) Builtins() py.StringDict { return ip.ctx.Store().Builtins.Globals }

// SetHelp sets what help() documents without an argument.
func (ip *Interp) SetHelp(v py.Object) { ip.help = v }

// modulesHint names the modules a cell can import, for ImportError.
func (ip *Interp) modulesHint() string {
	return strings.Join(append(append([]string(nil), ip.hosted...), "json", "math", "time", "sys", "string"), ", ")
}

// Begin starts a cell that runs until ctx is done or Stop is called:
// the stop flag is cleared and the call depth reset.
func (ip *Interp) Begin(ctx context.Context) {
	ip.cellMu.Lock()
	ip.cell = ctx
	ip.cellMu.Unlock()
	ip.ctx.stop.Store(false)
	ip.ctx.depth = 0
}

// Stop asks the running cell to stop: it raises KeyboardInterrupt at its
// next loop iteration, call or return, in time.sleep and in range.
func (ip *Interp) Stop() { ip.ctx.stop.Store(true) }

// End ends a cell: what it printed is sent.
func (ip *Interp) End() {
	ip.Flush()
	ip.cellMu.Lock()
	ip.cell = context.Background()
	ip.cellMu.Unlock()
}

// Context is the running cell's context (context.Background between
// cells): what the host's functions run under.
func (ip *Interp) Context() context.Context {
	ip.cellMu.Lock()
	defer ip.cellMu.Unlock()
	return ip.cell
}

// Flush sends what the cell printed so far, stderr and stdout in the
// order they were written.
func (ip *Interp) Flush() {
	ip.stdout.flush()
	ip.stderr.flush()
}

// Discard sends what is buffered and drops whatever the interpreter
// prints later: for a cell the host abandons.
func (ip *Interp) Discard() {
	ip.stdout.kill()
	ip.stderr.kill()
}

// Write writes text to the interpreter's stdout, as print does.
func (ip *Interp) Write(text string) { ip.stdout.write(text) }

// Run runs a compiled cell in __main__ and returns the value of its
// trailing expression (nil when it has none or it is None; _ then holds
// it). A panic inside gpython comes back as a SystemError.
func (ip *Interp) Run(c *Cell) (v py.Object, err error) {
	defer func() {
		if x := recover(); x != nil {
			v, err = nil, py.ExceptionNewf(py.SystemError, "gpython failed: %v", x)
		}
	}()
	g := ip.main.Globals
	if c.exec != nil {
		if _, err := ip.ctx.RunCode(c.exec, g, g, nil); err != nil {
			return nil, err
		}
	}
	if c.eval == nil {
		return nil, nil
	}
	v, err = ip.ctx.RunCode(c.eval, g, g, nil)
	if err != nil {
		return nil, err
	}
	if v == nil || v == py.None {
		return nil, nil
	}
	g["_"] = v
	return v, nil
}

// Close frees the interpreter; what it buffered is sent, and later output
// dropped.
func (ip *Interp) Close() {
	ip.Discard()
	ip.ctx.Close()
}

// sleep is time.sleep, interrupted when the cell is cancelled.
func (ip *Interp) sleep(self py.Object, args py.Tuple) (py.Object, error) {
	var secs py.Object
	if err := py.UnpackTuple(args, nil, "sleep", 1, 1, &secs); err != nil {
		return nil, err
	}
	s, ok := Number(secs)
	if !ok {
		return nil, py.ExceptionNewf(py.TypeError, "sleep() takes a number of seconds, not %s", TypeName(secs))
	}
	if s < 0 {
		return nil, py.ExceptionNewf(py.ValueError, "sleep length must be non-negative")
	}
	t := time.NewTimer(time.Duration(s * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return py.None, nil
	case <-ip.Context().Done():
		return nil, Interrupt()
	}
}
