package gpyext

import (
	"reflect"

	"github.com/go-python/gpython/ast"
)

// The syntax tree of a cell, walked: f-string groups take the place of
// their placeholders (fstring.go), and trees parsed on their own get the
// lines of the cell they came from.

// fTree is an f-string group's tree and the group's offset in the cell.
type fTree struct {
	tree ast.Expr
	at   int
}

var (
	astPath  = reflect.TypeOf(ast.Pos{}).PkgPath()
	exprType = reflect.TypeOf((*ast.Expr)(nil)).Elem()
)

// eachNode calls visit with every node of the tree under v (a pointer to
// a node, or a field, slice or interface holding nodes) and the value
// that holds it, settable where the tree can take another node there.
func eachNode(v reflect.Value, visit func(node, holder reflect.Value)) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() && isNode(v.Elem()) {
			visit(v.Elem(), v)
			eachNode(v.Elem().Elem(), visit)
		}
	case reflect.Pointer:
		if isNode(v) {
			visit(v, v)
			eachNode(v.Elem(), visit)
		}
	case reflect.Slice:
		for i := range v.Len() {
			eachNode(v.Index(i), visit)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				eachNode(v.Field(i), visit)
			}
		}
	}
}

// isNode says whether v is a non-nil pointer to a struct of gpython's ast.
func isNode(v reflect.Value) bool {
	return v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct && v.Elem().Type().PkgPath() == astPath
}

// shiftLines moves every node of tree down by lines.
func shiftLines(tree ast.Ast, lines int) {
	if lines == 0 {
		return
	}
	eachNode(reflect.ValueOf(tree), func(node, _ reflect.Value) {
		if l := node.Elem().FieldByName("Lineno"); l.IsValid() && l.CanSet() {
			l.SetInt(l.Int() + int64(lines))
		}
	})
}

// substitute puts each group's tree in the place of its placeholder: an
// expression read, as a literal is. A placeholder the tree uses otherwise
// (assigned to, deleted, or as a keyword's name) is an error, as assigning
// to a literal is.
func substitute(tree ast.Ast, trees map[string]fTree) error {
	if len(trees) == 0 {
		return nil
	}
	var ferr *fError
	done := make(map[string]bool, len(trees))
	eachNode(reflect.ValueOf(tree), func(node, holder reflect.Value) {
		name, ok := node.Interface().(*ast.Name)
		if !ok || ferr != nil {
			return
		}
		t, ok := trees[string(name.Id)]
		if !ok {
			return
		}
		switch {
		case name.Ctx != ast.Load:
			ferr = &fError{"cannot assign to f-string expression", t.at}
		case holder.Kind() != reflect.Interface || holder.Type() != exprType || !holder.CanSet():
			ferr = &fError{"f-string: an f-string cannot stand here", t.at}
		default:
			holder.Set(reflect.ValueOf(t.tree))
			done[string(name.Id)] = true
		}
	})
	if ferr != nil {
		return ferr
	}
	for id, t := range trees { // a placeholder the tree holds as a name only (a keyword's)
		if !done[id] && (ferr == nil || t.at < ferr.at) {
			ferr = &fError{"f-string: an f-string cannot stand here", t.at}
		}
	}
	if ferr != nil {
		return ferr
	}
	return nil
}
