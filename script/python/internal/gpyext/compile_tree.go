package gpyext

import (
	"unsafe"

	"github.com/go-python/gpython/ast"
	_ "github.com/go-python/gpython/compile" // the compiler the names below link to
	"github.com/go-python/gpython/py"
	"github.com/go-python/gpython/symtable"
)

// Compiling a syntax tree: the second place this package reaches into
// gpython's internals. gpython v0.2.0 compiles only source text (its
// compile.Compile parses and then compiles the tree); a cell's tree holds
// the f-strings parsed here (fstring.go), so it is compiled by the same
// two steps of gpython's compiler that compile.Compile takes after
// parsing: a module-scope compiler, then its compileAst. This depends on
// their signatures and on the first two fields of the compiler (the code
// built and the file name); TestCompileTreeAsGpython compiles a corpus
// both ways and fails when an upgrade of gpython changes what comes out,
// and TestVMHooked pins the version.

//go:linkname gpyNewCompiler github.com/go-python/gpython/compile.newCompiler
func gpyNewCompiler(parent unsafe.Pointer, scope uint8) unsafe.Pointer

//go:linkname gpyCompileAst github.com/go-python/gpython/compile.(*compiler).compileAst
func gpyCompileAst(c unsafe.Pointer, tree ast.Ast, filename string, futureFlags int, dontInherit bool, st *symtable.SymTable) error

// compilerHead is the start of gpython's compiler state.
type compilerHead struct {
	code     *py.Code
	filename string
}

// compileTree compiles a syntax tree (an *ast.Module or *ast.Expression)
// as py.Compile compiles source, with filename name.
func compileTree(tree ast.Ast, name string) (*py.Code, error) {
	st, err := symtable.NewSymTable(tree, name)
	if err != nil {
		return nil, err
	}
	c := gpyNewCompiler(nil, 0) // module scope
	(*compilerHead)(c).filename = name
	if err := gpyCompileAst(c, tree, name, 0, true, st); err != nil {
		return nil, err
	}
	return (*compilerHead)(c).code, nil
}
