package script

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-python/gpython/py"
)

// The Python types of the fsc module. They are created once: gpython's
// types are process-wide, and everything an interpreter owns is reached
// from the instances (pyObject.ip, pyFunc.ip).
var (
	pyFuncType   = py.NewType("fsc_function", "A function of the fsc DSL; help(f) shows what it computes.")
	pyTableType  = py.NewType("Table", "A table every federation member holds, with an optional filter (fsc.table(name), t.where(filter)).\nIts methods compute statistics over every member; values never leave the nodes.")
	pyNodeType   = py.NewType("Node", "The analyst's own node (fsc.connect()): info() describes it and the federation, table(name) opens a table.")
	pyResultType = py.NewType("Result", "A rich result (summary, histogram, frequency, crosstab, ols): index it like a dict, r[\"mean\"], or read r.mean; keys(), values(), items(), get(k).\nIn a notebook it shows as a table or a plot.")
	pyValueType  = py.NewType("fsc_value", "A value of the fsc DSL that has no Python equivalent.")
	pyStreamType = py.NewType("TextIO", "A text stream writing to the notebook's (or study's) output.")

	// pyFscError is the base of the DSL's typed errors, fsc.Error.
	pyFscError = py.ExceptionType.NewType("Error", "An error of the fsc DSL: InputError, DisclosureError, PeerError or UnreachableError.", nil, nil)
	// pyErrorTypes are the DSL's typed errors by kind.
	pyErrorTypes = map[string]*py.Type{
		InputError:      pyFscError.NewType(InputError, "A bad column, filter or data (fsc.InputError).", nil, nil),
		DisclosureError: pyFscError.NewType(DisclosureError, "A node's disclosure policy refused the computation; the message names the node and the rule (fsc.DisclosureError).", nil, nil),
		PeerError:       pyFscError.NewType(PeerError, "A node failed or timed out; the message names it (fsc.PeerError).", nil, nil),
	}
	// pyUnreachableError is a PeerError: the analyst's own node.
	pyUnreachableError = pyErrorTypes[PeerError].NewType(UnreachableError, "Your own node does not answer: is fsc-node running at FSC_NODE? (fsc.UnreachableError, a PeerError).", nil, nil)
	// pyRecursionError is CPython's RecursionError, which gpython lacks.
	pyRecursionError = py.RuntimeError.NewType("RecursionError", "Recursion limit exceeded.", nil, nil)
	// pyJSONDecodeError is json.JSONDecodeError.
	pyJSONDecodeError = py.ValueError.NewType("JSONDecodeError", "The text is not valid JSON.", nil, nil)
)

// pyReceiverTypes are the Python types of the receivers of methods.
var pyReceiverTypes = map[string]*py.Type{OnTable: pyTableType, OnNode: pyNodeType}

func init() {
	pyErrorTypes[UnreachableError] = pyUnreachableError
	for on, t := range pyReceiverTypes {
		for _, f := range Methods(on) {
			t.Dict[f.Name] = newPyFunc(f, nil)
		}
	}
	pyResultType.Dict["keys"] = py.MustNewMethod("keys", func(self py.Object) (py.Object, error) {
		r := self.(*pyResult)
		out := make([]py.Object, len(r.keys))
		for i, k := range r.keys {
			out[i] = py.String(k)
		}
		return py.NewListFromItems(out), nil
	}, 0, "keys() -> the result's field names, sorted")
	pyResultType.Dict["values"] = py.MustNewMethod("values", func(self py.Object) (py.Object, error) {
		r := self.(*pyResult)
		out := make([]py.Object, len(r.keys))
		for i, k := range r.keys {
			out[i] = r.fields[k]
		}
		return py.NewListFromItems(out), nil
	}, 0, "values() -> the result's values, in the order of keys()")
	pyResultType.Dict["items"] = py.MustNewMethod("items", func(self py.Object) (py.Object, error) {
		r := self.(*pyResult)
		out := make([]py.Object, len(r.keys))
		for i, k := range r.keys {
			out[i] = py.Tuple{py.String(k), r.fields[k]}
		}
		return py.NewListFromItems(out), nil
	}, 0, "items() -> (name, value) pairs, in the order of keys()")
	pyResultType.Dict["get"] = py.MustNewMethod("get", func(self py.Object, args py.Tuple) (py.Object, error) {
		var key py.Object
		var def py.Object = py.None
		if err := py.UnpackTuple(args, nil, "get", 1, 2, &key, &def); err != nil {
			return nil, err
		}
		if k, ok := key.(py.String); ok {
			if v, ok := self.(*pyResult).fields[string(k)]; ok {
				return v, nil
			}
		}
		return def, nil
	}, 0, "get(name, default=None) -> the field's value, or default")
	pyResultType.Dict["to_dict"] = py.MustNewMethod("to_dict", func(self py.Object) (py.Object, error) {
		return self.(*pyResult).fields.Copy(), nil
	}, 0, "to_dict() -> the fields as a dict")
	pyStreamType.Dict["write"] = py.MustNewMethod("write", func(self, arg py.Object) (py.Object, error) {
		s, ok := arg.(py.String)
		if !ok {
			return nil, py.ExceptionNewf(py.TypeError, "write() argument must be str, not %s", arg.Type().Name)
		}
		self.(*pyStream).sink.write(string(s))
		return py.Int(len([]rune(string(s)))), nil
	}, 0, "write(text) -> number of characters written")
	pyStreamType.Dict["flush"] = py.MustNewMethod("flush", func(self py.Object) (py.Object, error) {
		self.(*pyStream).sink.flush()
		return py.None, nil
	}, 0, "flush() -> None: send what was written")
	pyStreamType.Dict["isatty"] = py.MustNewMethod("isatty", func(self py.Object) (py.Object, error) {
		return py.False, nil
	}, 0, "isatty() -> False")
	installPyGaps()
	// Subtypes of gpython's (ready) types inherit its READY flag and would
	// never get their MRO: clear it so TypeMakeReady readies them.
	for _, t := range []*py.Type{pyFscError, pyErrorTypes[InputError], pyErrorTypes[DisclosureError], pyErrorTypes[PeerError],
		pyUnreachableError, pyRecursionError, pyJSONDecodeError} {
		t.Flags &^= py.TPFLAGS_READY
	}
	if err := py.TypeMakeReady(); err != nil {
		panic(fmt.Sprintf("script: gpython types: %v", err))
	}
}

// pyFunc is a DSL function: a function of module fsc (ip set), or a method
// of Table or Node (self set when bound by attribute access on one).
type pyFunc struct {
	f    *Func
	ip   *pyInterp
	self *pyObject
	dict py.StringDict
}

func newPyFunc(f *Func, ip *pyInterp) *pyFunc {
	return &pyFunc{f: f, ip: ip, dict: py.StringDict{"__doc__": py.String(f.Doc), "__name__": py.String(f.Name)}}
}

// Type is fsc_function.
func (f *pyFunc) Type() *py.Type { return pyFuncType }

// GetDict holds __doc__ and __name__.
func (f *pyFunc) GetDict() py.StringDict { return f.dict }

// M__setattr__ refuses: the functions are shared.
func (f *pyFunc) M__setattr__(name string, value py.Object) (py.Object, error) {
	return nil, py.ExceptionNewf(py.AttributeError, "fsc function %s is read-only", f.f.Name)
}

// M__get__ binds a method to the table or node it is read from.
func (f *pyFunc) M__get__(instance, owner py.Object) (py.Object, error) {
	if t, ok := instance.(*pyObject); ok && receiver(t.v) == f.f.On {
		b := *f
		b.self = t
		return &b, nil
	}
	return f, nil
}

// M__repr__ names the function.
func (f *pyFunc) M__repr__() (py.Object, error) {
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
func (f *pyFunc) M__call__(args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	ip, self := f.ip, f.self
	if f.f.On != "" && self == nil && len(args) > 0 {
		if t, ok := args[0].(*pyObject); ok && receiver(t.v) == f.f.On { // Table.mean(t, "age")
			self, args = t, args[1:]
		}
	}
	var recv any
	if f.f.On != "" {
		if self == nil {
			return nil, pyRaise(inputError("%s is a method of a %s: call it as x.%s(...)", f.f.Name, strings.ToLower(f.f.On), f.f.Name))
		}
		ip, recv = self.ip, self.v
	}
	a, err := pyArgs(f.f, args, kwargs)
	if err != nil {
		return nil, pyRaise(err)
	}
	ip.sink.flush() // what the cell printed comes before what the call shows
	ip.errSink.flush()
	ctx := ip.cellContext()
	out, err := pyCallFunc(ctx, f.f, ip.env, recv, a)
	if err != nil {
		if ctx.Err() != nil {
			return nil, pyInterrupt()
		}
		return nil, pyRaise(err)
	}
	return ip.toPy(out), nil
}

// pyCallFunc calls a DSL function, turning a panic into an error.
func pyCallFunc(ctx context.Context, f *Func, env *Env, self any, a Args) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal error: %v", f.Name, r)
		}
	}()
	return f.Call(ctx, env, self, a)
}

// pyRaise turns a DSL error into the Python exception of its kind (an
// error of another kind is an InputError, as in Lua).
func pyRaise(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Kind: InputError, Msg: err.Error()}
	}
	t, ok := pyErrorTypes[e.Kind]
	if !ok {
		return py.ExceptionNewf(pyFscError, "%s: %s", e.Kind, e.Msg)
	}
	return py.ExceptionNewf(t, "%s", e.Msg)
}

// pyArgs converts a call's positional and keyword arguments to Args.
func pyArgs(f *Func, args py.Tuple, kwargs py.StringDict) (Args, error) {
	if len(args) > len(f.Params) {
		return nil, inputError("%s takes %d argument(s), got %d", f.Name, len(f.Params), len(args))
	}
	a := Args{}
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
		var p *Param
		for i := range f.Params {
			if f.Params[i].Name == k {
				p = &f.Params[i]
			}
		}
		if p == nil {
			return nil, inputError("%s: unexpected keyword argument %q (parameters: %s)", f.Name, k, pyParamList(f))
		}
		if _, dup := a[k]; dup {
			return nil, inputError("%s: argument %s given twice (by position and by name)", f.Name, k)
		}
		x, err := fromPy(kwargs[k], p.Kind, f.Name+": "+p.Name)
		if err != nil {
			return nil, err
		}
		a[k] = x
	}
	for _, p := range f.Params {
		if _, ok := a[p.Name]; !ok && !p.Optional {
			return nil, inputError("%s: missing argument %s", f.Name, p.Name)
		}
	}
	return a, nil
}

func pyParamList(f *Func) string {
	if len(f.Params) == 0 {
		return "none"
	}
	names := make([]string, len(f.Params))
	for i, p := range f.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// pyTypeName names a Python value's type for messages.
func pyTypeName(v py.Object) string {
	if v == nil {
		return "nothing"
	}
	return v.Type().Name
}

// fromPy converts an argument to the Go value its kind asks for.
func fromPy(v py.Object, kind Kind, what string) (any, error) {
	switch kind {
	case String:
		if s, ok := v.(py.String); ok {
			return string(s), nil
		}
		return nil, inputError("%s: expected a string, got %s", what, pyTypeName(v))
	case Number:
		if n, ok := pyNumber(v); ok {
			return n, nil
		}
		return nil, inputError("%s: expected a number, got %s", what, pyTypeName(v))
	case Numbers, Strings:
		var items []py.Object
		switch x := v.(type) {
		case *py.List:
			items = x.Items
		case py.Tuple:
			items = x
		case *py.Range, *pyRange:
			if err := py.Iterate(x, func(o py.Object) bool { items = append(items, o); return false }); err != nil {
				return nil, err
			}
		default:
			want := "numbers"
			if kind == Strings {
				want = "strings"
			}
			return nil, inputError("%s: expected a list of %s, got %s", what, want, pyTypeName(v))
		}
		if kind == Strings {
			out := make([]string, len(items))
			for i, e := range items {
				s, ok := e.(py.String)
				if !ok {
					return nil, inputError("%s[%d]: expected a string, got %s", what, i, pyTypeName(e))
				}
				out[i] = string(s)
			}
			return out, nil
		}
		out := make([]any, len(items))
		for i, e := range items {
			n, ok := pyNumber(e)
			if !ok {
				return nil, inputError("%s[%d]: expected a number, got %s", what, i, pyTypeName(e))
			}
			out[i] = n
		}
		return out, nil
	}
	return pyGoAny(v, what)
}

// pyNumber is a Python int or float as float64 (not a bool).
func pyNumber(v py.Object) (float64, bool) {
	switch x := v.(type) {
	case py.Int:
		return float64(x), true
	case py.Float:
		return float64(x), true
	case *py.BigInt:
		f, _ := new(big.Float).SetInt((*big.Int)(x)).Float64()
		return f, true
	}
	return 0, false
}

// pyGoAny converts any Python value the DSL accepts: None, bool, numbers
// (float64), str, lists and tuples ([]any), dicts (map[string]any), tables
// and results.
func pyGoAny(v py.Object, what string) (any, error) {
	switch x := v.(type) {
	case nil, py.NoneType:
		return nil, nil
	case py.Bool:
		return bool(x), nil
	case py.String:
		return string(x), nil
	case *py.List:
		return pyGoList(x.Items, what)
	case py.Tuple:
		return pyGoList(x, what)
	case py.StringDict:
		m := make(map[string]any, len(x))
		for k, e := range x {
			g, err := pyGoAny(e, what+"["+k+"]")
			if err != nil {
				return nil, err
			}
			m[k] = g
		}
		return m, nil
	case *pyObject:
		return x.v, nil
	case *pyResult:
		return x.rich, nil
	case *pyValue:
		return x.v, nil
	}
	if n, ok := pyNumber(v); ok {
		return n, nil
	}
	return nil, inputError("%s: cannot use a %s here (use None, bool, numbers, str, lists, dicts)", what, pyTypeName(v))
}

func pyGoList(items []py.Object, what string) ([]any, error) {
	out := make([]any, len(items))
	for i, e := range items {
		g, err := pyGoAny(e, fmt.Sprintf("%s[%d]", what, i))
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

// toPy converts a DSL result: tables to Table, rich results to Result,
// lists and maps to list and dict, int and int64 to int, float64 to float.
func (ip *pyInterp) toPy(v any) py.Object {
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
	case *Table, *Node:
		return &pyObject{v: x, ip: ip}
	case *Rich:
		r := &pyResult{rich: x, fields: py.NewStringDictSized(len(x.Fields))}
		for k, e := range x.Fields {
			r.fields[k] = ip.toPy(e)
			r.keys = append(r.keys, k)
		}
		sort.Strings(r.keys)
		return r
	}
	return &pyValue{v: v}
}

// pyObject is a Table or a Node in Python.
type pyObject struct {
	v  any // *Table or *Node
	ip *pyInterp
}

// Type is Table or Node.
func (o *pyObject) Type() *py.Type { return pyReceiverTypes[receiver(o.v)] }

// M__repr__ is the value's String.
func (o *pyObject) M__repr__() (py.Object, error) { return py.String(fmt.Sprint(o.v)), nil }

// M__str__ is the value's String.
func (o *pyObject) M__str__() (py.Object, error) { return py.String(fmt.Sprint(o.v)), nil }

// M__eq__ compares tables by name and filter, nodes by URL.
func (o *pyObject) M__eq__(other py.Object) (py.Object, error) {
	x, ok := other.(*pyObject)
	return py.NewBool(ok && fmt.Sprint(x.v) == fmt.Sprint(o.v)), nil
}

// pyResult is a rich result in Python: its fields as a read-only mapping,
// its text as repr, its MIME bundle for the notebook.
type pyResult struct {
	rich   *Rich
	fields py.StringDict
	keys   []string
}

// Type is Result.
func (r *pyResult) Type() *py.Type { return pyResultType }

// M__repr__ is Rich.String.
func (r *pyResult) M__repr__() (py.Object, error) { return py.String(r.rich.String()), nil }

// M__str__ is Rich.String.
func (r *pyResult) M__str__() (py.Object, error) { return py.String(r.rich.String()), nil }

// M__getitem__ reads a field.
func (r *pyResult) M__getitem__(key py.Object) (py.Object, error) {
	if k, ok := key.(py.String); ok {
		if v, ok := r.fields[string(k)]; ok {
			return v, nil
		}
	}
	return nil, py.ExceptionNewf(py.KeyError, "%s has no field %s (fields: %s)", r.rich.Title, pyReprString(key), strings.Join(r.keys, ", "))
}

// M__getattr__ reads a field as an attribute.
func (r *pyResult) M__getattr__(name string) (py.Object, error) {
	if v, ok := r.fields[name]; ok {
		return v, nil
	}
	return nil, py.ExceptionNewf(py.AttributeError, "'Result' object has no attribute '%s' (fields: %s)", name, strings.Join(r.keys, ", "))
}

// M__len__ is the number of fields.
func (r *pyResult) M__len__() (py.Object, error) { return py.Int(len(r.keys)), nil }

// M__iter__ iterates over the field names.
func (r *pyResult) M__iter__() (py.Object, error) {
	names := make(py.Tuple, len(r.keys))
	for i, k := range r.keys {
		names[i] = py.String(k)
	}
	return py.NewIterator(names), nil
}

// M__contains__ says whether a field exists.
func (r *pyResult) M__contains__(key py.Object) (py.Object, error) {
	k, ok := key.(py.String)
	if !ok {
		return py.False, nil
	}
	_, ok = r.fields[string(k)]
	return py.NewBool(ok), nil
}

// pyValue wraps a DSL value Python has no type for.
type pyValue struct{ v any }

// Type is fsc_value.
func (v *pyValue) Type() *py.Type { return pyValueType }

// M__repr__ is Repr.
func (v *pyValue) M__repr__() (py.Object, error) { return py.String(Repr(v.v)), nil }

// pyReprString is repr(v), or the type's name when repr fails.
func pyReprString(v py.Object) string {
	s, err := py.ReprAsString(v)
	if err != nil {
		return "<" + pyTypeName(v) + ">"
	}
	return s
}

// pyStream is sys.stdout or sys.stderr: both write to the Env's output.
type pyStream struct{ sink *pySink }

// Type is TextIO.
func (s *pyStream) Type() *py.Type { return pyStreamType }

// pySink buffers a cell's printed text and sends it to Output.Stdout in
// batches: when 50 ms have passed since the first unsent write, before
// every fsc call, and when the cell ends.
type pySink struct {
	env    *Env
	stderr bool    // writes to Out.Stderr, else Out.Stdout
	other  *pySink // the other stream: flushed first, to keep the order

	mu    sync.Mutex
	buf   strings.Builder
	timer *time.Timer
	dead  bool
}

const pySinkDelay = 50 * time.Millisecond

func (s *pySink) write(text string) {
	if text == "" {
		return
	}
	if s.other != nil {
		s.other.flush()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead {
		return
	}
	s.buf.WriteString(text)
	if s.buf.Len() >= 1<<16 {
		s.sendLocked()
		return
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(pySinkDelay, s.flush)
	}
}

func (s *pySink) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendLocked()
}

func (s *pySink) sendLocked() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.buf.Len() == 0 || s.dead {
		return
	}
	text := s.buf.String()
	s.buf.Reset()
	send := s.env.Out.Stdout
	if s.stderr {
		send = s.env.Out.Stderr
	}
	if send != nil {
		send(text)
	}
}

// kill sends what is buffered and drops whatever comes later (from a cell
// that was abandoned).
func (s *pySink) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendLocked()
	s.dead = true
}
