package script

import (
	"reflect"
	"runtime/debug"
	"sync/atomic"
	"unsafe"

	"github.com/go-python/gpython/py"
	"github.com/go-python/gpython/vm"
)

// gpython has no interrupt or tracing hook: its VM dispatches every opcode
// through the package variable vm.jumpTable. The Python runtime wraps the
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
// cancellation falls back to abandoning the interpreter (see
// Python.Execute). TestPythonVMHooked fails when an upgrade of gpython
// turns the hooks off, so that an upgrade is a deliberate step.

//go:linkname gpyJumpTable github.com/go-python/gpython/vm.jumpTable
var gpyJumpTable [256]func(*vm.Vm, int32) error

// pyMaxDepth is the deepest nesting of Python calls, as CPython's default
// recursion limit.
const pyMaxDepth = 1000

// pyHooked says whether the VM hooks are installed.
var pyHooked bool

// pyContext is the gpython context of one Python runtime: the stdlib
// context with a stop flag the VM hooks read and a call depth they keep.
type pyContext struct {
	py.Context
	stop  atomic.Bool
	depth int
}

// RunCode runs code with frames that carry this context (the stdlib
// context would put itself in the frames and the hooks could not find the
// stop flag).
func (c *pyContext) RunCode(code *py.Code, globals, locals py.StringDict, closure py.Tuple) (py.Object, error) {
	return vm.EvalCode(c, code, globals, locals, nil, nil, nil, nil, closure)
}

// pyHookedVersion is the gpython release whose internals the hooks know.
const pyHookedVersion = "v0.2.0"

func init() {
	f, ok := reflect.TypeOf(vm.Vm{}).FieldByName("frame")
	if !ok || f.Offset != 0 || f.Type != reflect.TypeOf((*py.Frame)(nil)) {
		return
	}
	if v := pyGpythonVersion(); v != "" && v != pyHookedVersion {
		return
	}
	pyHooked = true
	for _, op := range []vm.OpCode{vm.JUMP_ABSOLUTE, vm.CONTINUE_LOOP, vm.FOR_ITER, vm.POP_JUMP_IF_FALSE, vm.POP_JUMP_IF_TRUE,
		vm.JUMP_IF_FALSE_OR_POP, vm.JUMP_IF_TRUE_OR_POP, vm.RETURN_VALUE} {
		next := gpyJumpTable[op]
		gpyJumpTable[op] = func(v *vm.Vm, arg int32) error {
			if c := pyVMContext(v); c != nil && c.stop.Load() {
				return pyInterrupt()
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
			out, err := pyPercent(string(format), f.Stack[len(f.Stack)-1])
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
			c := pyVMContext(v)
			if c == nil {
				return next(v, arg)
			}
			if c.stop.Load() {
				return pyInterrupt()
			}
			if c.depth >= pyMaxDepth {
				return py.ExceptionNewf(pyRecursionError, "maximum recursion depth exceeded (%d nested calls)", pyMaxDepth)
			}
			c.depth++
			err := next(v, arg)
			c.depth--
			return err
		}
	}
}

// pyGpythonVersion is the version of gpython built into this binary, or ""
// where the binary does not record it (test binaries).
func pyGpythonVersion() string {
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

// pyVMContext returns the runtime context of the frame v runs, or nil for
// frames of other gpython contexts.
func pyVMContext(v *vm.Vm) *pyContext {
	f := *(**py.Frame)(unsafe.Pointer(v))
	if f == nil {
		return nil
	}
	c, _ := f.Context.(*pyContext)
	return c
}

// pyInterrupt is the exception a cancelled cell stops with.
func pyInterrupt() error {
	return py.ExceptionNewf(py.KeyboardInterrupt, "the cell was cancelled")
}
