package python

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/go-python/gpython/py"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/python/internal/gpyext"
)

// Runtime runs the DSL in gpython, a Go implementation of Python 3.4's
// syntax, with the extensions of gpyext (f-strings, str.format, json,
// CPython's round and float text, cancellable cells...). A session has one
// module namespace (its __main__) in which fsc is imported: the functions
// of script.Funcs that are not methods are fsc.name, the methods are those
// of the types fsc.Table and fsc.Node, rich results are fsc.Result (a
// read-only mapping of their fields), and the DSL's typed errors are the
// exceptions fsc.InputError, fsc.DisclosureError, fsc.PeerError,
// fsc.UnreachableError (a PeerError) and fsc.AuthError (an InputError),
// subclasses of fsc.Error, itself an Exception.
type Runtime struct {
	env *script.Env
	mu  sync.Mutex // one cell at a time; guards ip
	ip  *interp

	stateMu sync.Mutex
	cancel  context.CancelFunc // cancels the running cell
	closed  bool
}

var _ script.Runtime = (*Runtime)(nil)

// grace is how long a cancelled cell has to stop before its interpreter is
// abandoned and replaced by a fresh one.
const grace = time.Second

// interp is one interpreter with fsc imported.
type interp struct {
	*gpyext.Interp
	fsc *py.Module
	env *script.Env
}

// New returns a Python session bound to env. Close it when done.
func New(env *script.Env) (*Runtime, error) {
	ip, err := newInterp(env)
	if err != nil {
		return nil, err
	}
	return &Runtime{env: env, ip: ip}, nil
}

// Start starts a Python runtime bound to env: a script.Start for the
// kernel and the study runner.
func Start(env *script.Env) (script.Runtime, error) { return New(env) }

func newInterp(env *script.Env) (*interp, error) {
	g, err := gpyext.New(gpyext.Options{Stdout: env.Out.Stdout, Stderr: env.Out.Stderr})
	if err != nil {
		return nil, err
	}
	ip := &interp{Interp: g, env: env}
	if ip.fsc, err = g.AddModule(ip.fscModule()); err != nil {
		g.Close()
		return nil, err
	}
	g.SetHelp(ip.fsc)
	g.Globals()["fsc"] = ip.fsc
	return ip, nil
}

// fscModule is the fsc module of this interpreter, generated from Funcs.
func (ip *interp) fscModule() *py.ModuleImpl {
	g := py.StringDict{"Table": tableType, "Node": nodeType, "Result": resultType, "Error": fscError}
	for kind, t := range errorTypes {
		g[kind] = t
	}
	var doc strings.Builder
	doc.WriteString("fsc: statistics over every member of the federation; values never leave the nodes.\n\nFunctions:\n")
	for _, f := range script.Methods("") {
		g[f.Name] = newFunc(f, ip)
		fmt.Fprintf(&doc, "  fsc.%s\n", f.Doc)
	}
	doc.WriteString("\nNode methods (node = fsc.connect()):\n")
	for _, f := range script.Methods(script.OnNode) {
		fmt.Fprintf(&doc, "  node.%s\n", f.Doc)
	}
	doc.WriteString("\nTable methods (t = fsc.table(name)):\n")
	for _, f := range script.Methods(script.OnTable) {
		fmt.Fprintf(&doc, "  t.%s\n", f.Doc)
	}
	doc.WriteString("\nErrors: fsc.InputError, fsc.DisclosureError, fsc.PeerError, fsc.UnreachableError, fsc.AuthError (all fsc.Error).")
	return &py.ModuleImpl{Info: py.ModuleInfo{Name: "fsc", Doc: doc.String()}, Globals: g}
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
// and returns a *script.Abandoned wrapping ctx.Err(). The kernel runs
// Python in a worker process (script/worker), which it then ends.
func (p *Runtime) Execute(ctx context.Context, code string) (map[string]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stateMu.Lock()
	if p.closed || p.ip == nil {
		p.stateMu.Unlock()
		return nil, &script.Error{Kind: "RuntimeError", Msg: "the Python session is closed"}
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
	cell, err := gpyext.Compile(code)
	if err != nil {
		return nil, dslError(err)
	}
	ip := p.ip
	ip.Begin(ctx)
	done := make(chan cellResult, 1)
	go func() { done <- ip.run(cell) }()
	var r cellResult
	select {
	case r = <-done:
	case <-ctx.Done():
		ip.Stop()
		select {
		case r = <-done:
		case <-time.After(grace):
			ip.Discard()
			if p.isClosed() {
				p.ip = nil
				return nil, ctx.Err()
			}
			fresh, err := newInterp(p.env)
			if err != nil {
				p.ip = nil
				return nil, fmt.Errorf("%w (and the Python session could not restart: %v)", ctx.Err(), err)
			}
			p.ip = fresh
			p.env.Printf("[the cell did not stop within %v: it is inside a long builtin call; the Python session was restarted and its variables are lost]\n", grace)
			return nil, &script.Abandoned{Err: ctx.Err()}
		}
	}
	ip.End()
	if e, _ := r.err.(*script.Error); ctx.Err() != nil && (r.err == nil || e != nil && e.Kind == "KeyboardInterrupt") {
		return nil, ctx.Err() // stopped by the flag, time.sleep or an fsc call
	}
	return r.mime, r.err
}

// cellResult is what a cell's goroutine hands back.
type cellResult struct {
	mime map[string]string
	err  error // nil or *script.Error
}

// run runs a compiled cell and displays the value of its trailing
// expression: a Result's renderings, the repr of anything else.
func (ip *interp) run(cell *gpyext.Cell) cellResult {
	v, err := ip.Run(cell)
	if err != nil {
		return cellResult{err: dslError(err)}
	}
	if v == nil {
		return cellResult{}
	}
	if r, ok := v.(*result); ok {
		return cellResult{mime: maps.Clone(r.rich.MIME)}
	}
	s, err := gpyext.Repr(v)
	if err != nil {
		return cellResult{err: dslError(err)}
	}
	return cellResult{mime: map[string]string{"text/plain": s}}
}

// dslError turns what gpython returned into *script.Error: a DSL error as
// the fsc call raised it (with what it wraps), any other exception with
// its type name, its message and the line of the cell where it happened.
func dslError(err error) *script.Error {
	e := gpyext.Describe(err)
	if exc := e.Exception; exc != nil && exc.Base.IsSubtype(fscError) {
		if orig, ok := exc.Dict[goErrorKey].(*value); ok {
			if se, ok := orig.v.(*script.Error); ok && se.Msg == e.Msg {
				return se
			}
		}
		return &script.Error{Kind: e.Kind, Msg: e.Msg}
	}
	msg := e.Msg
	if e.Where != "" && msg != "" {
		msg += " (" + e.Where + ")"
	} else if e.Where != "" {
		msg = "(" + e.Where + ")"
	}
	return &script.Error{Kind: e.Kind, Msg: msg}
}

// Close ends the session; a running cell is cancelled first.
func (p *Runtime) Close() {
	p.stateMu.Lock()
	p.closed = true
	if p.cancel != nil {
		p.cancel()
	}
	p.stateMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ip != nil {
		p.ip.Close()
		p.ip = nil
	}
}

func (p *Runtime) isClosed() bool {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	return p.closed
}

// Language describes gpython's Python for kernel_info: its banner, its
// manual, nbconvert's exporter.
func (p *Runtime) Language() script.LanguageInfo {
	v := gpyext.Version
	return script.LanguageInfo{Name: "python", Version: v, Mimetype: "text/x-python", FileExtension: ".py",
		PygmentsLexer: "ipython3", CodemirrorMode: "python",
		Exporter: "python", Syntax: "Python " + v + " syntax, gpython", Example: `fsc.table("patients").mean("age")`,
		ManualText: "Python " + v + " documentation", ManualURL: "https://docs.python.org/" + v + "/", Interrupted: "KeyboardInterrupt"}
}
