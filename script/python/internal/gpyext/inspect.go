package gpyext

import (
	"fmt"
	"sort"
	"strings"

	"github.com/go-python/gpython/py"
)

// Keywords are Python 3's keywords.
var Keywords = []string{"False", "None", "True", "and", "as", "assert", "break", "class", "continue", "def", "del",
	"elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
	"not", "or", "pass", "raise", "return", "try", "while", "with", "yield"}

// Documented is a value of the host's that documents itself, for help()
// and Doc.
type Documented interface {
	py.Object
	Doc() string
}

// Attributed is a value of the host's whose attributes can be read
// without running code, for completion, Inspect and dir().
type Attributed interface {
	py.Object
	// Attr is the attribute name, if the value has it.
	Attr(name string) (py.Object, bool)
	// AttrNames are its attribute names beyond those of its type.
	AttrNames() []string
}

// Resolve finds what a dotted name holds in the session ("t.where"),
// reading namespaces and dictionaries only: no code runs.
func (ip *Interp) Resolve(chain string) py.Object {
	parts := strings.Split(chain, ".")
	obj, ok := ip.main.Globals[parts[0]]
	if !ok {
		if obj, ok = ip.Builtins()[parts[0]]; !ok {
			return nil
		}
	}
	for _, name := range parts[1:] {
		if obj = Attr(obj, name); obj == nil {
			return nil
		}
	}
	return obj
}

// Attr reads an attribute from dictionaries only (no __getattr__, no
// property), or nil.
func Attr(obj py.Object, name string) py.Object {
	switch x := obj.(type) {
	case *py.Module:
		return x.Globals[name]
	case *py.Type:
		if v, ok := x.Dict[name]; ok {
			return v
		}
		return x.Lookup(name)
	case Attributed:
		if v, ok := x.Attr(name); ok {
			return v
		}
	}
	if d, ok := obj.(py.IGetDict); ok {
		if v, ok := d.GetDict()[name]; ok {
			return v
		}
	}
	if v := obj.Type().NativeGetAttrOrNil(name); v != nil {
		if _, isProp := v.(*py.Property); !isProp {
			return v
		}
	}
	return nil
}

// Members lists an object's attribute names, sorted; names starting with
// "_" only when private.
func Members(obj py.Object, private bool) []string {
	set := map[string]bool{}
	addDict := func(d py.StringDict) {
		for k := range d {
			set[k] = true
		}
	}
	addType := func(t *py.Type) {
		addDict(t.Dict)
		if mro, ok := py.Object(t.Mro).(py.Tuple); ok {
			for _, b := range mro {
				if bt, ok := b.(*py.Type); ok {
					addDict(bt.Dict)
				}
			}
		}
	}
	switch x := obj.(type) {
	case *py.Module:
		addDict(x.Globals)
	case *py.Type:
		addType(x)
	case Attributed:
		for _, k := range x.AttrNames() {
			set[k] = true
		}
		addType(x.Type())
	default:
		if d, ok := obj.(py.IGetDict); ok {
			addDict(d.GetDict())
		}
		addType(obj.Type())
	}
	out := make([]string, 0, len(set))
	for k := range set {
		if private || !strings.HasPrefix(k, "_") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Doc is the documentation help() and Inspect show for a value.
func Doc(v py.Object) string {
	switch x := v.(type) {
	case Documented:
		return x.Doc()
	case *py.Function:
		sig := x.Name + "(" + strings.Join(x.Code.Varnames[:min(int(x.Code.Argcount), len(x.Code.Varnames))], ", ") + ")"
		if d, ok := x.Doc.(py.String); ok && d != "" {
			return sig + "\n\n" + string(d)
		}
		return sig
	case *py.BoundMethod:
		return Doc(x.Method)
	case *py.Method:
		return x.Name + ": " + x.Doc
	case *py.Type:
		doc := x.Doc
		if d, ok := x.Dict["__doc__"].(py.String); ok {
			doc = string(d)
		}
		return "class " + x.Name + "\n\n" + doc
	case *py.Module:
		name, _ := x.Globals["__name__"].(py.String)
		d, _ := x.Globals["__doc__"].(py.String)
		return "module " + string(name) + "\n\n" + string(d)
	case py.Int, py.Float, py.Bool, py.String, py.NoneType, *py.BigInt:
		s, _ := Repr(v)
		return v.Type().Name + ": " + s
	case *py.List:
		return fmt.Sprintf("list of %d items", len(x.Items))
	case py.Tuple:
		return fmt.Sprintf("tuple of %d items", len(x))
	case py.StringDict:
		return fmt.Sprintf("dict of %d items: %s", len(x), strings.Join(SortedKeys(x), ", "))
	}
	t := v.Type()
	return t.Name + " object\n\n" + t.Doc
}
