package gpyext

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/parser"
	"github.com/go-python/gpython/py"
)

// Cell is a compiled cell: its statements, and its trailing expression
// when it ends with one (whose value the cell shows).
type Cell struct {
	exec, eval *py.Code
}

// Compile compiles a cell (f-strings included): all of it in exec mode,
// or, when its last statement is an expression, the statements before it
// in exec mode and the expression in eval mode. A syntax error is an
// *Error of kind SyntaxError (or IndentationError...) whose message names
// the line and quotes it as the analyst wrote it.
func Compile(code string) (c *Cell, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, &Error{Kind: "SyntaxError", Msg: fmt.Sprintf("gpython could not compile the cell: %v", r)}
		}
	}()
	src, ferr := lowerFStrings(code, 0, false)
	if ferr != nil {
		return nil, ferr.syntaxError(code)
	}
	if strings.TrimSpace(src) == "" {
		return &Cell{}, nil
	}
	if !strings.HasSuffix(src, "\n") {
		src += "\n"
	}
	mod, perr := parser.Parse(bytes.NewBufferString(src), "<cell>", py.ExecMode)
	if perr != nil {
		if _, ferr := lowerFStrings(code, 0, true); ferr != nil {
			return nil, ferr.syntaxError(code) // an f-string's expression is why
		}
		return nil, compileError(perr, code)
	}
	if m, ok := mod.(*ast.Module); ok && len(m.Body) > 0 {
		if last, ok := m.Body[len(m.Body)-1].(*ast.ExprStmt); ok {
			if off, ok := offset(src, last.Lineno, last.ColOffset); ok {
				head, tail := src[:off], strings.Repeat("\n", last.Lineno-1)+src[off:]
				e, err1 := py.Compile(tail, "<cell>", py.EvalMode, 0, true)
				x, err2 := py.Compile(head, "<cell>", py.ExecMode, 0, true)
				if err1 == nil && err2 == nil {
					return &Cell{exec: x, eval: e}, nil
				}
			}
		}
	}
	x, cerr := py.Compile(src, "<cell>", py.ExecMode, 0, true)
	if cerr != nil {
		return nil, compileError(cerr, code)
	}
	return &Cell{exec: x}, nil
}

// offset is the byte offset of line (1-based) and column (bytes).
func offset(src string, line, col int) (int, bool) {
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

// compileError describes an error of gpython's parser or compiler with
// its line, quoted from the cell (lowering keeps line numbers).
func compileError(err error, code string) *Error {
	exc, ok := err.(*py.Exception)
	if !ok {
		return &Error{Kind: "SyntaxError", Msg: err.Error()}
	}
	line, _ := exc.Dict["lineno"].(py.Int)
	e := syntaxError(exc.Base.Name, ExceptionMessage(exc), int(line), code)
	e.Exception = exc
	return e
}

// syntaxError is the f-string error as a SyntaxError of the cell code.
func (e *fError) syntaxError(code string) *Error {
	return syntaxError("SyntaxError", e.msg, strings.Count(code[:min(e.at, len(code))], "\n")+1, code)
}

// syntaxError is a syntax error with its line number and the line's text,
// when line is one of code's.
func syntaxError(kind, msg string, line int, code string) *Error {
	if line > 0 {
		text := ""
		if lines := strings.Split(code, "\n"); line <= len(lines) {
			text = strings.TrimSpace(lines[line-1])
		}
		msg = fmt.Sprintf("%s (line %d)", msg, line)
		if text != "" {
			msg += ": " + text
		}
	}
	return &Error{Kind: kind, Msg: msg}
}
