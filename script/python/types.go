package python

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-python/gpython/py"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/python/internal/gpyext"
)

// The Python types of the fsc module. They are created once: gpython's
// types are process-wide, and everything an interpreter owns is reached
// from the instances (object.ip, function.ip).
var (
	funcType   = py.NewType("fsc_function", "A function of the fsc DSL; help(f) shows what it computes.")
	tableType  = py.NewType("Table", "A table every federation member holds, with an optional filter (fsc.table(name), t.where(filter)).\nIts methods compute statistics over every member; values never leave the nodes.")
	nodeType   = py.NewType("Node", "The analyst's own node (fsc.connect()): info() describes it and the federation, table(name) opens a table.")
	resultType = py.NewType("Result", "A rich result (summary, histogram, frequency, crosstab, ols): index it like a dict, r[\"mean\"], or read r.mean; keys(), values(), items(), get(k).\nIn a notebook it shows as a table or a plot.")
	valueType  = py.NewType("fsc_value", "A value of the fsc DSL that has no Python equivalent.")

	// fscError is the base of the DSL's typed errors, fsc.Error.
	fscError = gpyext.NewExceptionType(py.ExceptionType, "Error", "An error of the fsc DSL: InputError, DisclosureError, PeerError, UnreachableError or AuthError.")
	// errorTypes are the DSL's typed errors by kind.
	errorTypes = map[string]*py.Type{
		script.InputError:      gpyext.NewExceptionType(fscError, script.InputError, "A bad column, filter or data (fsc.InputError)."),
		script.DisclosureError: gpyext.NewExceptionType(fscError, script.DisclosureError, "A node's disclosure policy refused the computation; the message names the node and the rule (fsc.DisclosureError)."),
		script.PeerError:       gpyext.NewExceptionType(fscError, script.PeerError, "A node failed or timed out; the message names it (fsc.PeerError)."),
	}
)

// goErrorKey holds, in the dict of an fsc exception, the Go error it was
// raised for.
const goErrorKey = "__fsc_go_error__"

// receiverTypes are the Python types of the receivers of methods.
var receiverTypes = map[string]*py.Type{script.OnTable: tableType, script.OnNode: nodeType}

func init() {
	// script.UnreachableError is a script.PeerError (the analyst's own node), script.AuthError an
	// script.InputError (the analyst's token).
	errorTypes[script.UnreachableError] = gpyext.NewExceptionType(errorTypes[script.PeerError], script.UnreachableError,
		"Your own node does not answer: is fsc-node running at FSC_NODE? (fsc.UnreachableError, a PeerError).")
	errorTypes[script.AuthError] = gpyext.NewExceptionType(errorTypes[script.InputError], script.AuthError,
		"Your own node does not accept your token: set FSC_TOKEN to the token its owner gave you (fsc.AuthError, an InputError).")
	for _, kind := range script.ErrorKinds() {
		if errorTypes[kind] == nil {
			panic("script/python: no exception class for the DSL's error kind " + kind)
		}
	}
	for on, t := range receiverTypes {
		for _, f := range script.Methods(on) {
			t.Dict[f.Name] = newFunc(f, nil)
		}
	}
	resultType.Dict["keys"] = py.MustNewMethod("keys", func(self py.Object) (py.Object, error) {
		r := self.(*result)
		out := make([]py.Object, len(r.keys))
		for i, k := range r.keys {
			out[i] = py.String(k)
		}
		return py.NewListFromItems(out), nil
	}, 0, "keys() -> the result's field names, sorted")
	resultType.Dict["values"] = py.MustNewMethod("values", func(self py.Object) (py.Object, error) {
		r := self.(*result)
		out := make([]py.Object, len(r.keys))
		for i, k := range r.keys {
			out[i] = r.fields[k]
		}
		return py.NewListFromItems(out), nil
	}, 0, "values() -> the result's values, in the order of keys()")
	resultType.Dict["items"] = py.MustNewMethod("items", func(self py.Object) (py.Object, error) {
		r := self.(*result)
		out := make([]py.Object, len(r.keys))
		for i, k := range r.keys {
			out[i] = py.Tuple{py.String(k), r.fields[k]}
		}
		return py.NewListFromItems(out), nil
	}, 0, "items() -> (name, value) pairs, in the order of keys()")
	resultType.Dict["get"] = py.MustNewMethod("get", func(self py.Object, args py.Tuple) (py.Object, error) {
		var key py.Object
		var def py.Object = py.None
		if err := py.UnpackTuple(args, nil, "get", 1, 2, &key, &def); err != nil {
			return nil, err
		}
		if k, ok := key.(py.String); ok {
			if v, ok := self.(*result).fields[string(k)]; ok {
				return v, nil
			}
		}
		return def, nil
	}, 0, "get(name, default=None) -> the field's value, or default")
	resultType.Dict["to_dict"] = py.MustNewMethod("to_dict", func(self py.Object) (py.Object, error) {
		return self.(*result).fields.Copy(), nil
	}, 0, "to_dict() -> the fields as a dict")
	if err := py.TypeMakeReady(); err != nil {
		panic(fmt.Sprintf("script/python: gpython types: %v", err))
	}
}

// function is a DSL function: a function of module fsc (ip set), or a method
// of script.Table or script.Node (self set when bound by attribute access on one).
type function struct {
	f    *script.Func
	ip   *interp
	self *object
	dict py.StringDict
}

func newFunc(f *script.Func, ip *interp) *function {
	return &function{f: f, ip: ip, dict: py.StringDict{"__doc__": py.String(f.Doc), "__name__": py.String(f.Name)}}
}

// Type is fsc_function.
func (f *function) Type() *py.Type { return funcType }

// GetDict holds __doc__ and __name__.
func (f *function) GetDict() py.StringDict { return f.dict }

// M__setattr__ refuses: the functions are shared.
func (f *function) M__setattr__(name string, value py.Object) (py.Object, error) {
	return nil, py.ExceptionNewf(py.AttributeError, "fsc function %s is read-only", f.f.Name)
}

// M__get__ binds a method to the table or node it is read from.
func (f *function) M__get__(instance, owner py.Object) (py.Object, error) {
	if t, ok := instance.(*object); ok && script.Receiver(t.v) == f.f.On {
		b := *f
		b.self = t
		return &b, nil
	}
	return f, nil
}

// M__repr__ names the function.
func (f *function) M__repr__() (py.Object, error) {
	if f.self != nil {
		return py.String(fmt.Sprintf("<bound method %s.%s of %s>", f.f.On, f.f.Name, f.self.v)), nil
	}
	if f.f.On != "" {
		return py.String("<method " + f.f.On + "." + f.f.Name + ">"), nil
	}
	return py.String("<fsc function " + f.f.Name + ">"), nil
}

// M__call__ converts the arguments by the parameters' kinds, calls the
// function with the running cell's context and converts the result.
func (f *function) M__call__(args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	ip, self := f.ip, f.self
	if f.f.On != "" && self == nil && len(args) > 0 {
		if t, ok := args[0].(*object); ok && script.Receiver(t.v) == f.f.On { // script.Table.mean(t, "age")
			self, args = t, args[1:]
		}
	}
	var recv any
	if f.f.On != "" {
		if self == nil {
			return nil, raise(script.InputErrorf("%s is a method of a %s: call it as x.%s(...)", f.f.Name, strings.ToLower(f.f.On), f.f.Name))
		}
		ip, recv = self.ip, self.v
	}
	a, err := convertArgs(f.f, args, kwargs)
	if err != nil {
		return nil, raise(err)
	}
	ip.Flush() // what the cell printed comes before what the call shows
	ctx := ip.Context()
	out, err := callFunc(ctx, f.f, ip.env, recv, a)
	if err != nil {
		if ctx.Err() != nil {
			return nil, gpyext.Interrupt()
		}
		return nil, raise(err)
	}
	return ip.toPy(out), nil
}

// callFunc calls a DSL function, turning a panic into an error.
func callFunc(ctx context.Context, f *script.Func, env *script.Env, self any, a script.Args) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal error: %v", f.Name, r)
		}
	}()
	return f.Call(ctx, env, self, a)
}

// raise turns a DSL error into the Python exception of its kind (an
// error of another kind is an script.InputError, as in Lua).
func raise(err error) error {
	var e *script.Error
	if !errors.As(err, &e) {
		e = &script.Error{Kind: script.InputError, Msg: err.Error()}
	}
	t, ok := errorTypes[e.Kind]
	if !ok {
		return py.ExceptionNewf(fscError, "%s: %s", e.Kind, e.Msg)
	}
	exc := py.ExceptionNewf(t, "%s", e.Msg)
	exc.Dict[goErrorKey] = &value{v: e} // so that a cell's error wraps what e wraps
	return exc
}

// convertArgs converts a call's positional and keyword arguments to script.Args.
func convertArgs(f *script.Func, args py.Tuple, kwargs py.StringDict) (script.Args, error) {
	if len(args) > len(f.Params) {
		return nil, script.InputErrorf("%s takes %d argument(s), got %d", f.Name, len(f.Params), len(args))
	}
	a := script.Args{}
	for i, v := range args {
		p := f.Params[i]
		x, err := fromPy(v, p.Kind, f.Name+": "+p.Name)
		if err != nil {
			return nil, err
		}
		a[p.Name] = x
	}
	names := make([]string, 0, len(kwargs))
	for k := range kwargs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var p *script.Param
		for i := range f.Params {
			if f.Params[i].Name == k {
				p = &f.Params[i]
			}
		}
		if p == nil {
			return nil, script.InputErrorf("%s: unexpected keyword argument %q (parameters: %s)", f.Name, k, paramList(f))
		}
		if _, dup := a[k]; dup {
			return nil, script.InputErrorf("%s: argument %s given twice (by position and by name)", f.Name, k)
		}
		x, err := fromPy(kwargs[k], p.Kind, f.Name+": "+p.Name)
		if err != nil {
			return nil, err
		}
		a[k] = x
	}
	for _, p := range f.Params {
		if _, ok := a[p.Name]; !ok && !p.Optional {
			return nil, script.InputErrorf("%s: missing argument %s", f.Name, p.Name)
		}
	}
	return a, nil
}

func paramList(f *script.Func) string {
	if len(f.Params) == 0 {
		return "none"
	}
	names := make([]string, len(f.Params))
	for i, p := range f.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// fromPy converts an argument to the Go value its kind asks for.
func fromPy(v py.Object, kind script.Kind, what string) (any, error) {
	switch kind {
	case script.String:
		if s, ok := v.(py.String); ok {
			return string(s), nil
		}
		return nil, script.InputErrorf("%s: expected a string, got %s", what, gpyext.TypeName(v))
	case script.Number:
		if n, ok := gpyext.Number(v); ok {
			return n, nil
		}
		return nil, script.InputErrorf("%s: expected a number, got %s", what, gpyext.TypeName(v))
	case script.Numbers, script.Strings:
		items, ok, err := gpyext.Sequence(v)
		if err != nil {
			return nil, err
		}
		if !ok {
			want := "numbers"
			if kind == script.Strings {
				want = "strings"
			}
			return nil, script.InputErrorf("%s: expected a list of %s, got %s", what, want, gpyext.TypeName(v))
		}
		if kind == script.Strings {
			out := make([]string, len(items))
			for i, e := range items {
				s, ok := e.(py.String)
				if !ok {
					return nil, script.InputErrorf("%s[%d]: expected a string, got %s", what, i, gpyext.TypeName(e))
				}
				out[i] = string(s)
			}
			return out, nil
		}
		out := make([]any, len(items))
		for i, e := range items {
			n, ok := gpyext.Number(e)
			if !ok {
				return nil, script.InputErrorf("%s[%d]: expected a number, got %s", what, i, gpyext.TypeName(e))
			}
			out[i] = n
		}
		return out, nil
	}
	return goValue(v, what)
}

// goValue converts any Python value the DSL accepts: None, bool, numbers
// (float64), str, lists and tuples ([]any), dicts (map[string]any), tables
// and results.
func goValue(v py.Object, what string) (any, error) {
	switch x := v.(type) {
	case nil, py.NoneType:
		return nil, nil
	case py.Bool:
		return bool(x), nil
	case py.String:
		return string(x), nil
	case *py.List:
		return goList(x.Items, what)
	case py.Tuple:
		return goList(x, what)
	case py.StringDict:
		m := make(map[string]any, len(x))
		for k, e := range x {
			g, err := goValue(e, what+"["+k+"]")
			if err != nil {
				return nil, err
			}
			m[k] = g
		}
		return m, nil
	case *object:
		return x.v, nil
	case *result:
		return x.rich, nil
	case *value:
		return x.v, nil
	}
	if n, ok := gpyext.Number(v); ok {
		return n, nil
	}
	return nil, script.InputErrorf("%s: cannot use a %s here (use None, bool, numbers, str, lists, dicts)", what, gpyext.TypeName(v))
}

func goList(items []py.Object, what string) ([]any, error) {
	out := make([]any, len(items))
	for i, e := range items {
		g, err := goValue(e, fmt.Sprintf("%s[%d]", what, i))
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

// toPy converts a DSL result: tables to script.Table, rich results to Result,
// lists and maps to list and dict, int and int64 to int, float64 to float.
func (ip *interp) toPy(v any) py.Object {
	switch x := v.(type) {
	case nil:
		return py.None
	case bool:
		return py.NewBool(x)
	case float64:
		return py.Float(x)
	case float32:
		return py.Float(x)
	case int:
		return py.Int(x)
	case int64:
		return py.Int(x)
	case string:
		return py.String(x)
	case []any:
		items := make([]py.Object, len(x))
		for i, e := range x {
			items[i] = ip.toPy(e)
		}
		return py.NewListFromItems(items)
	case []float64:
		items := make([]py.Object, len(x))
		for i, e := range x {
			items[i] = py.Float(e)
		}
		return py.NewListFromItems(items)
	case []string:
		items := make([]py.Object, len(x))
		for i, e := range x {
			items[i] = py.String(e)
		}
		return py.NewListFromItems(items)
	case map[string]any:
		d := py.NewStringDictSized(len(x))
		for k, e := range x {
			d[k] = ip.toPy(e)
		}
		return d
	case map[string]float64:
		d := py.NewStringDictSized(len(x))
		for k, e := range x {
			d[k] = py.Float(e)
		}
		return d
	case *script.Table, *script.Node:
		return &object{v: x, ip: ip}
	case *script.Rich:
		r := &result{rich: x, fields: py.NewStringDictSized(len(x.Fields))}
		for k, e := range x.Fields {
			r.fields[k] = ip.toPy(e)
			r.keys = append(r.keys, k)
		}
		sort.Strings(r.keys)
		return r
	}
	return &value{v: v}
}

// object is a script.Table or a script.Node in Python.
type object struct {
	v  any // *script.Table or *script.Node
	ip *interp
}

// Type is script.Table or script.Node.
func (o *object) Type() *py.Type { return receiverTypes[script.Receiver(o.v)] }

// M__repr__ is the value's script.String.
func (o *object) M__repr__() (py.Object, error) { return py.String(fmt.Sprint(o.v)), nil }

// M__str__ is the value's script.String.
func (o *object) M__str__() (py.Object, error) { return py.String(fmt.Sprint(o.v)), nil }

// M__eq__ compares tables by name and filter, nodes by URL.
func (o *object) M__eq__(other py.Object) (py.Object, error) {
	x, ok := other.(*object)
	return py.NewBool(ok && fmt.Sprint(x.v) == fmt.Sprint(o.v)), nil
}

// result is a rich result in Python: its fields as a read-only mapping,
// its text as repr, its MIME bundle for the notebook.
type result struct {
	rich   *script.Rich
	fields py.StringDict
	keys   []string
}

// Type is Result.
func (r *result) Type() *py.Type { return resultType }

// M__repr__ is script.Rich.String.
func (r *result) M__repr__() (py.Object, error) { return py.String(r.rich.String()), nil }

// M__str__ is script.Rich.String.
func (r *result) M__str__() (py.Object, error) { return py.String(r.rich.String()), nil }

// M__getitem__ reads a field.
func (r *result) M__getitem__(key py.Object) (py.Object, error) {
	if k, ok := key.(py.String); ok {
		if v, ok := r.fields[string(k)]; ok {
			return v, nil
		}
	}
	return nil, py.ExceptionNewf(py.KeyError, "%s has no field %s (fields: %s)", r.rich.Title, gpyext.ReprString(key), strings.Join(r.keys, ", "))
}

// M__getattr__ reads a field as an attribute.
func (r *result) M__getattr__(name string) (py.Object, error) {
	if v, ok := r.fields[name]; ok {
		return v, nil
	}
	return nil, py.ExceptionNewf(py.AttributeError, "'Result' object has no attribute '%s' (fields: %s)", name, strings.Join(r.keys, ", "))
}

// M__len__ is the number of fields.
func (r *result) M__len__() (py.Object, error) { return py.Int(len(r.keys)), nil }

// M__iter__ iterates over the field names.
func (r *result) M__iter__() (py.Object, error) {
	names := make(py.Tuple, len(r.keys))
	for i, k := range r.keys {
		names[i] = py.String(k)
	}
	return py.NewIterator(names), nil
}

// M__contains__ says whether a field exists.
func (r *result) M__contains__(key py.Object) (py.Object, error) {
	k, ok := key.(py.String)
	if !ok {
		return py.False, nil
	}
	_, ok = r.fields[string(k)]
	return py.NewBool(ok), nil
}

// value wraps a DSL value Python has no type for.
type value struct{ v any }

// Type is fsc_value.
func (v *value) Type() *py.Type { return valueType }

// M__repr__ is script.Repr.
func (v *value) M__repr__() (py.Object, error) { return py.String(script.Repr(v.v)), nil }

// Doc documents the function for help() and Inspect.
func (f *function) Doc() string {
	if f.f.On != "" {
		return f.f.On + "." + f.f.Doc
	}
	return "fsc." + f.f.Doc
}

// Doc documents the table or node and its methods.
func (o *object) Doc() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\nMethods:\n", o.v, o.Type().Doc)
	for _, f := range script.Methods(script.Receiver(o.v)) {
		fmt.Fprintf(&b, "  %s\n", f.Doc)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Attr is a method bound to the table or node, read without calling it.
func (o *object) Attr(name string) (py.Object, bool) {
	f, ok := o.Type().Dict[name].(*function)
	if !ok {
		return nil, false
	}
	b, _ := f.M__get__(o, o.Type())
	return b, true
}

// AttrNames are none beyond the methods of the type.
func (o *object) AttrNames() []string { return nil }

// Doc shows the result and what a Result is.
func (r *result) Doc() string { return r.rich.String() + "\n\n" + resultType.Doc }

// Attr is a field of the result.
func (r *result) Attr(name string) (py.Object, bool) {
	v, ok := r.fields[name]
	return v, ok
}

// AttrNames are the result's field names.
func (r *result) AttrNames() []string { return r.keys }

// AsDict is the result's fields, as json.dumps writes them.
func (r *result) AsDict() py.StringDict { return r.fields }

var (
	_ gpyext.Documented = (*function)(nil)
	_ gpyext.Documented = (*object)(nil)
	_ gpyext.Attributed = (*object)(nil)
	_ gpyext.Documented = (*result)(nil)
	_ gpyext.Attributed = (*result)(nil)
	_ gpyext.Mapping    = (*result)(nil)
)
