package gpyext

import (
	"reflect"
	"runtime/debug"
	"sync/atomic"
	"unsafe"

	"github.com/go-python/gpython/py"
	"github.com/go-python/gpython/vm"
)

// The VM hook: the one place this package changes what gpython does at
// run time, and the only file that may. (compile_tree.go is the other file
// that reaches into gpython's internals: it calls its compiler.)
//
// gpython has no interrupt or tracing hook: its VM dispatches every opcode
// through the package variable vm.jumpTable. This package wraps the
// entries of the opcodes that close a loop (backward jumps, FOR_ITER), of
// RETURN_VALUE and of the calls, so that a cell whose context is cancelled
// stops at its next loop iteration, call or return (also a Python function
// a Go builtin calls, as sorted's key), and so that runaway recursion raises
// RecursionError instead of overflowing the Go stack (which would kill the
// process). Frames of other gpython contexts pass through untouched.
//
// This reaches into gpython v0.2.0's internals (the table and the first
// field of vm.Vm, the current frame). init hooks only that version, and
// only when the layout matches; otherwise it leaves the table alone and
// cancellation falls back to abandoning the interpreter (the host's
// business: script/python's Execute). TestVMHooked fails when an upgrade of
// gpython turns the hooks off, so that an upgrade is a deliberate step.
//
// The hooks also give % on a str CPython's printf-style formatting
// (percentFormat), which gpython hands to Go's fmt.

//go:linkname gpyJumpTable github.com/go-python/gpython/vm.jumpTable
var gpyJumpTable [256]func(*vm.Vm, int32) error

// maxDepth is the deepest nesting of Python calls, as CPython's default
// recursion limit.
const maxDepth = 1000

// hooked says whether the VM hooks are installed.
var hooked bool

// vmContext is the gpython context of one Interp: the stdlib context with
// a stop flag the VM hooks read and a call depth they keep.
type vmContext struct {
	py.Context
	stop  atomic.Bool
	depth int
}

// RunCode runs code with frames that carry this context (the stdlib
// context would put itself in the frames and the hooks could not find the
// stop flag).
func (c *vmContext) RunCode(code *py.Code, globals, locals py.StringDict, closure py.Tuple) (py.Object, error) {
	return vm.EvalCode(c, code, globals, locals, nil, nil, nil, nil, closure)
}

// hookedVersion is the gpython release whose internals the hooks know.
const hookedVersion = "v0.2.0"

func init() {
	f, ok := reflect.TypeOf(vm.Vm{}).FieldByName("frame")
	if !ok || f.Offset != 0 || f.Type != reflect.TypeOf((*py.Frame)(nil)) {
		return
	}
	if v := gpythonVersion(); v != "" && v != hookedVersion {
		return
	}
	hooked = true
	for _, op := range []vm.OpCode{vm.JUMP_ABSOLUTE, vm.CONTINUE_LOOP, vm.FOR_ITER, vm.POP_JUMP_IF_FALSE, vm.POP_JUMP_IF_TRUE,
		vm.JUMP_IF_FALSE_OR_POP, vm.JUMP_IF_TRUE_OR_POP, vm.RETURN_VALUE} {
		next := gpyJumpTable[op]
		gpyJumpTable[op] = func(v *vm.Vm, arg int32) error {
			if c := frameContext(v); c != nil && c.stop.Load() {
				return Interrupt()
			}
			return next(v, arg)
		}
	}
	for _, op := range []vm.OpCode{vm.BINARY_MODULO, vm.INPLACE_MODULO} {
		next := gpyJumpTable[op]
		gpyJumpTable[op] = func(v *vm.Vm, arg int32) error {
			f := *(**py.Frame)(unsafe.Pointer(v))
			if f == nil || len(f.Stack) < 2 {
				return next(v, arg)
			}
			format, ok := f.Stack[len(f.Stack)-2].(py.String)
			if !ok {
				return next(v, arg)
			}
			out, err := percentFormat(string(format), f.Stack[len(f.Stack)-1])
			if err != nil {
				return err
			}
			f.Stack = f.Stack[:len(f.Stack)-1]
			f.Stack[len(f.Stack)-1] = out
			return nil
		}
	}
	for _, op := range []vm.OpCode{vm.CALL_FUNCTION, vm.CALL_FUNCTION_VAR, vm.CALL_FUNCTION_KW, vm.CALL_FUNCTION_VAR_KW} {
		next := gpyJumpTable[op]
		gpyJumpTable[op] = func(v *vm.Vm, arg int32) error {
			c := frameContext(v)
			if c == nil {
				return next(v, arg)
			}
			if c.stop.Load() {
				return Interrupt()
			}
			if c.depth >= maxDepth {
				return py.ExceptionNewf(RecursionError, "maximum recursion depth exceeded (%d nested calls)", maxDepth)
			}
			c.depth++
			err := next(v, arg)
			c.depth--
			return err
		}
	}
}

// gpythonVersion is the version of gpython built into this binary, or ""
// where the binary does not record it (test binaries).
func gpythonVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/go-python/gpython" {
				if m.Replace != nil {
					return m.Replace.Version
				}
				return m.Version
			}
		}
	}
	return ""
}

// frameContext returns the runtime context of the frame v runs, or nil for
// frames of other gpython contexts.
func frameContext(v *vm.Vm) *vmContext {
	f := *(**py.Frame)(unsafe.Pointer(v))
	if f == nil {
		return nil
	}
	c, _ := f.Context.(*vmContext)
	return c
}
