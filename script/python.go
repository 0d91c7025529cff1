package script

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/parser"
	"github.com/go-python/gpython/py"
	_ "github.com/go-python/gpython/stdlib" // gpython's builtins, sys, math, time...
)

// Python runs the DSL in gpython, a Go implementation of Python 3.4's
// syntax. A session has one module namespace (its __main__) in which fsc
// is imported: the functions of Funcs that are not methods are fsc.name,
// the methods are those of the type fsc.Table, rich results are fsc.Result
// (a read-only mapping of their fields), and the DSL's typed errors are the
// exceptions fsc.InputError, fsc.DisclosureError and fsc.PeerError
// (subclasses of fsc.Error, itself an Exception).
//
// Beyond gpython it provides json (dumps, loads), CPython's round,
// str.format with format specifications (and format()), f-strings
// (rewritten to str.format), str.join/upper/lower, CPython's text for
// floats in print, repr and displays, sorted over tuples, isinstance of
// subclasses, sys.stdout and sys.stderr writing to the Env's output,
// help() and dir(), RecursionError instead of a Go stack overflow, real
// user-defined exception classes and type(x).__name__.
type Python struct {
	env *Env
	mu  sync.Mutex // one cell at a time; guards ip
	ip  *pyInterp

	stateMu sync.Mutex
	cancel  context.CancelFunc // cancels the running cell
	closed  bool
}

var _ Runtime = (*Python)(nil)

// pyGrace is how long a cancelled cell has to stop before its interpreter is
// abandoned and replaced by a fresh one.
const pyGrace = time.Second

// pyInterp is one gpython interpreter: its context, its __main__ and what
// the fsc functions need while a cell runs.
type pyInterp struct {
	ctx     *pyContext
	main    *py.Module
	fsc     *py.Module
	env     *Env
	sink    *pySink // sys.stdout and print
	errSink *pySink // sys.stderr

	cellMu sync.Mutex
	cell   context.Context // the running cell's context
}

// NewPython returns a Python session bound to env. Close it when done.
func NewPython(env *Env) (*Python, error) {
	ip, err := newPyInterp(env)
	if err != nil {
		return nil, err
	}
	return &Python{env: env, ip: ip}, nil
}

func newPyInterp(env *Env) (ip *pyInterp, err error) {
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
	ip = &pyInterp{ctx: &pyContext{Context: inner}, env: env, sink: &pySink{env: env}, errSink: &pySink{env: env, stderr: true}, cell: context.Background()}
	ip.sink.other, ip.errSink.other = ip.errSink, ip.sink
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
	stdout, stderr := &pyStream{sink: ip.sink}, &pyStream{sink: ip.errSink}
	for k, v := range map[string]py.Object{"stdout": stdout, "__stdout__": stdout, "stderr": stderr, "__stderr__": stderr,
		"stdin": py.None, "__stdin__": py.None, "version": py.String(pyVersion + ".0 (gpython v0.2.0, fsc-kernel)"),
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
	if _, err := store.NewModule(ip.ctx, pyJSONModule()); err != nil {
		return nil, fmt.Errorf("python: json: %w", err)
	}
	if ip.fsc, err = store.NewModule(ip.ctx, ip.fscModule()); err != nil {
		return nil, fmt.Errorf("python: fsc: %w", err)
	}
	if ip.main, err = store.NewModule(ip.ctx, &py.ModuleImpl{Info: py.ModuleInfo{Name: py.MainModuleName}}); err != nil {
		return nil, fmt.Errorf("python: __main__: %w", err)
	}
	ip.main.Globals["fsc"] = ip.fsc
	return ip, nil
}

// pyVersion is the Python version gpython implements.
const pyVersion = "3.4"

// fscModule is the fsc module of this interpreter, generated from Funcs.
func (ip *pyInterp) fscModule() *py.ModuleImpl {
	g := py.StringDict{"Table": pyTableType, "Node": pyNodeType, "Result": pyResultType, "Error": pyFscError}
	for kind, t := range pyErrorTypes {
		g[kind] = t
	}
	var doc strings.Builder
	doc.WriteString("fsc: statistics over every member of the federation; values never leave the nodes.\n\nFunctions:\n")
	for _, f := range Methods("") {
		g[f.Name] = newPyFunc(f, ip)
		fmt.Fprintf(&doc, "  fsc.%s\n", f.Doc)
	}
	doc.WriteString("\nNode methods (node = fsc.connect()):\n")
	for _, f := range Methods(OnNode) {
		fmt.Fprintf(&doc, "  node.%s\n", f.Doc)
	}
	doc.WriteString("\nTable methods (t = fsc.table(name)):\n")
	for _, f := range Methods(OnTable) {
		fmt.Fprintf(&doc, "  t.%s\n", f.Doc)
	}
	doc.WriteString("\nErrors: fsc.InputError, fsc.DisclosureError, fsc.PeerError, fsc.UnreachableError (all fsc.Error).")
	return &py.ModuleImpl{Info: py.ModuleInfo{Name: "fsc", Doc: doc.String()}, Globals: g}
}

// cellContext is the running cell's context.
func (ip *pyInterp) cellContext() context.Context {
	ip.cellMu.Lock()
	defer ip.cellMu.Unlock()
	return ip.cell
}

func (ip *pyInterp) setCell(ctx context.Context) {
	ip.cellMu.Lock()
	ip.cell = ctx
	ip.cellMu.Unlock()
}

// sleep is time.sleep, interrupted when the cell is cancelled.
func (ip *pyInterp) sleep(self py.Object, args py.Tuple) (py.Object, error) {
	var secs py.Object
	if err := py.UnpackTuple(args, nil, "sleep", 1, 1, &secs); err != nil {
		return nil, err
	}
	s, ok := pyNumber(secs)
	if !ok {
		return nil, py.ExceptionNewf(py.TypeError, "sleep() takes a number of seconds, not %s", pyTypeName(secs))
	}
	if s < 0 {
		return nil, py.ExceptionNewf(py.ValueError, "sleep length must be non-negative")
	}
	t := time.NewTimer(time.Duration(s * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return py.None, nil
	case <-ip.cellContext().Done():
		return nil, pyInterrupt()
	}
}

// Execute runs a cell in the session's namespace. When the cell's last
// statement is an expression its value comes back as a MIME bundle: a
// Result's renderings, the Python repr of anything else, nil for None.
//
// Cancelling ctx stops a running cell at its next loop iteration or call
// (microseconds), interrupts time.sleep and any fsc call in flight, and
// Execute returns ctx.Err() with the namespace as the cell left it. A cell
// stuck inside one long Go builtin (sum(range(10**10)), a huge power) cannot
// be stopped: after a grace of one second Execute abandons its interpreter
// (the goroutine runs on until the builtin returns, its output discarded),
// starts a fresh one whose namespace holds only fsc, says so on the output,
// and returns an *Abandoned wrapping ctx.Err(). The kernel runs Python in
// a worker process (script/worker), which it then ends.
func (p *Python) Execute(ctx context.Context, code string) (map[string]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stateMu.Lock()
	if p.closed || p.ip == nil {
		p.stateMu.Unlock()
		return nil, &Error{Kind: "RuntimeError", Msg: "the Python session is closed"}
	}
	ctx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	p.stateMu.Unlock()
	defer func() {
		p.stateMu.Lock()
		p.cancel = nil
		p.stateMu.Unlock()
		cancel()
	}()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	exec, eval, err := pyCompileCell(code)
	if err != nil {
		return nil, err
	}
	ip := p.ip
	ip.setCell(ctx)
	ip.ctx.stop.Store(false)
	ip.ctx.depth = 0
	done := make(chan pyCellResult, 1)
	go func() { done <- ip.run(exec, eval) }()
	var r pyCellResult
	select {
	case r = <-done:
	case <-ctx.Done():
		ip.ctx.stop.Store(true)
		select {
		case r = <-done:
		case <-time.After(pyGrace):
			ip.sink.kill()
			ip.errSink.kill()
			if p.isClosed() {
				p.ip = nil
				return nil, ctx.Err()
			}
			fresh, err := newPyInterp(p.env)
			if err != nil {
				p.ip = nil
				return nil, fmt.Errorf("%w (and the Python session could not restart: %v)", ctx.Err(), err)
			}
			p.ip = fresh
			p.env.print("[the cell did not stop within %v: it is inside a long builtin call; the Python session was restarted and its variables are lost]\n", pyGrace)
			return nil, &Abandoned{ctx.Err()}
		}
	}
	ip.sink.flush()
	ip.errSink.flush()
	ip.setCell(context.Background())
	if e, _ := r.err.(*Error); ctx.Err() != nil && (r.err == nil || e != nil && e.Kind == "KeyboardInterrupt") {
		return nil, ctx.Err() // stopped by the flag, time.sleep or an fsc call
	}
	return r.mime, r.err
}

// pyCellResult is what a cell's goroutine hands back.
type pyCellResult struct {
	mime map[string]string
	err  error // nil or *Error
}

// run runs a compiled cell and displays the value of its trailing
// expression. It recovers gpython's panics.
func (ip *pyInterp) run(exec, eval *py.Code) (r pyCellResult) {
	defer func() {
		if x := recover(); x != nil {
			r = pyCellResult{err: &Error{Kind: "SystemError", Msg: fmt.Sprintf("gpython failed: %v", x)}}
		}
	}()
	g := ip.main.Globals
	if exec != nil {
		if _, err := ip.ctx.RunCode(exec, g, g, nil); err != nil {
			return pyFailed(err)
		}
	}
	if eval == nil {
		return pyCellResult{}
	}
	v, err := ip.ctx.RunCode(eval, g, g, nil)
	if err != nil {
		return pyFailed(err)
	}
	if v == nil || v == py.None {
		return pyCellResult{}
	}
	g["_"] = v
	mime, err := ip.display(v)
	if err != nil {
		return pyFailed(err)
	}
	return pyCellResult{mime: mime}
}

// display is the MIME bundle of a value: a Result's renderings, the repr of
// anything else.
func (ip *pyInterp) display(v py.Object) (map[string]string, error) {
	if r, ok := v.(*pyResult); ok {
		return maps.Clone(r.rich.MIME), nil
	}
	s, err := pyRepr(v)
	if err != nil {
		return nil, err
	}
	return map[string]string{"text/plain": s}, nil
}

func pyFailed(err error) pyCellResult {
	return pyCellResult{err: pyGoError(err)}
}

// pyGoError turns what gpython returned into *Error: the exception's type
// name and its message, with the line of the cell where a Python error
// (not a DSL error) happened.
func pyGoError(err error) *Error {
	var exc *py.Exception
	var tb *py.Traceback
	switch e := err.(type) {
	case *Error:
		return e
	case py.ExceptionInfo:
		exc, _ = e.Value.(*py.Exception)
		tb = e.Traceback
		if exc == nil && e.Type != nil {
			return &Error{Kind: e.Type.Name, Msg: pyReprString(e.Value)}
		}
	case *py.ExceptionInfo:
		return pyGoError(*e)
	case *py.Exception:
		exc = e
	}
	if exc == nil {
		return &Error{Kind: "SystemError", Msg: err.Error()}
	}
	kind := exc.Base.Name
	msg := pyExceptionMessage(exc)
	if exc.Base.IsSubtype(pyFscError) {
		return &Error{Kind: kind, Msg: msg}
	}
	if where := pyWhere(tb); where != "" && msg != "" {
		msg += " (" + where + ")"
	} else if where != "" {
		msg = "(" + where + ")"
	}
	return &Error{Kind: kind, Msg: msg}
}

// pyExceptionMessage is str(exc), as CPython: the one argument, the tuple
// of several, the repr of a KeyError's key.
func pyExceptionMessage(exc *py.Exception) string {
	args, _ := exc.Args.(py.Tuple)
	switch len(args) {
	case 0:
		return ""
	case 1:
		if s, ok := args[0].(py.String); ok && !exc.Base.IsSubtype(py.KeyError) {
			return string(s)
		}
		return pyReprString(args[0])
	}
	return pyReprString(args)
}

// pyWhere names the innermost line of a cell in a traceback.
func pyWhere(tb *py.Traceback) string {
	where := ""
	for ; tb != nil; tb = tb.Next {
		if tb.Frame == nil || tb.Frame.Code == nil || !strings.HasPrefix(tb.Frame.Code.Filename, "<cell") {
			continue
		}
		where = fmt.Sprintf("line %d", tb.Lineno)
		if name := tb.Frame.Code.Name; name != "<module>" && name != "" {
			where += " in " + name
		}
	}
	return where
}

// pyCompileCell compiles a cell: all of it in exec mode, or, when its last
// statement is an expression, the statements before it in exec mode and the
// expression in eval mode (padded to keep its line numbers). f-strings are
// rewritten to str.format first.
func pyCompileCell(code string) (exec, eval *py.Code, err error) {
	defer func() {
		if r := recover(); r != nil {
			exec, eval, err = nil, nil, &Error{Kind: "SyntaxError", Msg: fmt.Sprintf("gpython could not compile the cell: %v", r)}
		}
	}()
	src := pyRewriteFStrings(code)
	if strings.TrimSpace(src) == "" {
		return nil, nil, nil
	}
	if !strings.HasSuffix(src, "\n") {
		src += "\n"
	}
	mod, perr := parser.Parse(bytes.NewBufferString(src), "<cell>", py.ExecMode)
	if perr != nil {
		return nil, nil, pySyntaxError(perr, src)
	}
	if m, ok := mod.(*ast.Module); ok && len(m.Body) > 0 {
		if last, ok := m.Body[len(m.Body)-1].(*ast.ExprStmt); ok {
			if off, ok := pyOffset(src, last.Lineno, last.ColOffset); ok {
				head, tail := src[:off], strings.Repeat("\n", last.Lineno-1)+src[off:]
				e, err1 := py.Compile(tail, "<cell>", py.EvalMode, 0, true)
				x, err2 := py.Compile(head, "<cell>", py.ExecMode, 0, true)
				if err1 == nil && err2 == nil {
					return x, e, nil
				}
			}
		}
	}
	x, cerr := py.Compile(src, "<cell>", py.ExecMode, 0, true)
	if cerr != nil {
		return nil, nil, pySyntaxError(cerr, src)
	}
	return x, nil, nil
}

// pyOffset is the byte offset of line (1-based) and column (bytes).
func pyOffset(src string, line, col int) (int, bool) {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			return 0, false
		}
		off += i + 1
	}
	if off+col > len(src) {
		return 0, false
	}
	return off + col, true
}

// pySyntaxError describes a compile error with its line.
func pySyntaxError(err error, src string) *Error {
	exc, ok := err.(*py.Exception)
	if !ok {
		return &Error{Kind: "SyntaxError", Msg: err.Error()}
	}
	msg := pyExceptionMessage(exc)
	if line, ok := exc.Dict["lineno"].(py.Int); ok && line > 0 {
		text := ""
		if lines := strings.Split(src, "\n"); int(line) <= len(lines) {
			text = strings.TrimSpace(lines[line-1])
		}
		msg = fmt.Sprintf("%s (line %d)", msg, line)
		if text != "" {
			msg += ": " + text
		}
	}
	return &Error{Kind: exc.Base.Name, Msg: msg}
}

// Close ends the session; a running cell is cancelled first.
func (p *Python) Close() {
	p.stateMu.Lock()
	p.closed = true
	if p.cancel != nil {
		p.cancel()
	}
	p.stateMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ip != nil {
		p.ip.sink.kill()
		p.ip.errSink.kill()
		p.ip.ctx.Close()
		p.ip = nil
	}
}

func (p *Python) isClosed() bool {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	return p.closed
}

// Language describes gpython's Python for kernel_info.
func (p *Python) Language() LanguageInfo {
	return LanguageInfo{Name: "python", Version: pyVersion, Mimetype: "text/x-python", FileExtension: ".py",
		PygmentsLexer: "ipython3", CodemirrorMode: "python",
		Exporter: "python", Syntax: "Python " + pyVersion + " syntax, gpython", Example: `fsc.table("patients").mean("age")`,
		ManualText: "Python " + pyVersion + " documentation", ManualURL: "https://docs.python.org/" + pyVersion + "/", Interrupted: "KeyboardInterrupt"}
}

// pySortedKeys returns a dict's keys in order.
func pySortedKeys(d py.StringDict) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
