package gpyext

import (
	"fmt"
	"strings"

	"github.com/go-python/gpython/ast"
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
	if strings.TrimSpace(code) == "" {
		return &Cell{}, nil
	}
	mod, err := parseCell(code)
	if ferr, ok := err.(*fError); ok {
		return nil, ferr.syntaxError(code)
	}
	if err != nil {
		return nil, compileError(err, code)
	}
	if n := len(mod.Body); n > 0 {
		if last, ok := mod.Body[n-1].(*ast.ExprStmt); ok {
			e, err1 := compileTree(&ast.Expression{ModBase: ast.ModBase{Pos: last.Pos}, Body: last.Value}, "<cell>")
			x, err2 := compileTree(&ast.Module{ModBase: mod.ModBase, Body: mod.Body[:n-1]}, "<cell>")
			if err1 == nil && err2 == nil {
				return &Cell{exec: x, eval: e}, nil
			}
		}
	}
	x, cerr := compileTree(mod, "<cell>")
	if cerr != nil {
		return nil, compileError(cerr, code)
	}
	return &Cell{exec: x}, nil
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
