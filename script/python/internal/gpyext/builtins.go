package gpyext

import (
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/go-python/gpython/py"
)

// What gpython lacks and analysts' Python needs, checked against CPython
// in script/python's tests (TestPythonGapsMatchCPython).

func init() { installGaps() }

// installGaps adds to gpython's process-wide types, once, at start-up, what
// they lack: str.format, str.join, str.upper, str.lower, list.index,
// list.count, type.__name__ and the __name__ of the exception classes. It
// only adds: nothing gpython has is replaced. These are this package's
// only process-wide changes besides the VM hook (vm.go); within the binary
// only script/python reaches gpython (script's imports test).
func installGaps() {
	add := func(t *py.Type, name string, v py.Object) {
		if _, ok := t.Dict[name]; !ok {
			t.Dict[name] = v
		}
	}
	add(py.StringType, "format", py.MustNewMethod("format", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		s, err := formatString(string(self.(py.String)), args, kwargs)
		if err != nil {
			return nil, err
		}
		return py.String(s), nil
	}, 0, "S.format(*args, **kwargs) -> str: S with its replacement fields {} {0} {name} {x:spec} filled in."))
	add(py.StringType, "join", py.MustNewMethod("join", func(self, seq py.Object) (py.Object, error) {
		var parts []string
		var err error
		iterErr := py.Iterate(seq, func(o py.Object) bool {
			s, ok := o.(py.String)
			if !ok {
				err = py.ExceptionNewf(py.TypeError, "sequence item %d: expected str instance, %s found", len(parts), TypeName(o))
				return true
			}
			parts = append(parts, string(s))
			return false
		})
		if iterErr != nil {
			return nil, iterErr
		}
		if err != nil {
			return nil, err
		}
		return py.String(strings.Join(parts, string(self.(py.String)))), nil
	}, 0, "S.join(iterable) -> str: the strings of iterable joined by S."))
	add(py.StringType, "upper", py.MustNewMethod("upper", func(self py.Object) (py.Object, error) {
		return py.String(strings.ToUpper(string(self.(py.String)))), nil
	}, 0, "S.upper() -> str in upper case."))
	add(py.StringType, "lower", py.MustNewMethod("lower", func(self py.Object) (py.Object, error) {
		return py.String(strings.ToLower(string(self.(py.String)))), nil
	}, 0, "S.lower() -> str in lower case."))
	add(py.ListType, "index", py.MustNewMethod("index", func(self, v py.Object) (py.Object, error) {
		for i, x := range self.(*py.List).Items {
			if eq, err := equal(x, v); err != nil || eq {
				return py.Int(i), err
			}
		}
		s, _ := Repr(v)
		return nil, py.ExceptionNewf(py.ValueError, "%s is not in list", s)
	}, 0, "L.index(value) -> int: the first index of value; ValueError when it is not present."))
	add(py.ListType, "count", py.MustNewMethod("count", func(self, v py.Object) (py.Object, error) {
		n := 0
		for _, x := range self.(*py.List).Items {
			eq, err := equal(x, v)
			if err != nil {
				return nil, err
			}
			if eq {
				n++
			}
		}
		return py.Int(n), nil
	}, 0, "L.count(value) -> int: how often value occurs."))
	add(py.TypeType, "__name__", &py.Property{Fget: func(self py.Object) (py.Object, error) {
		if t, ok := self.(*py.Type); ok {
			return py.String(t.Name), nil
		}
		return nil, py.ExceptionNewf(py.AttributeError, "__name__")
	}, Doc: "the type's name"})
	// gpython makes an exception class's metatype its base class, so
	// type(e).__name__ would not reach the property above: exception
	// classes carry their name in their dict.
	ctx := py.NewContext(py.ContextOpts{})
	defer ctx.Close()
	for _, v := range ctx.Store().Builtins.Globals {
		if t, ok := v.(*py.Type); ok && t.Flags&py.TPFLAGS_BASE_EXC_SUBCLASS != 0 {
			add(t, "__name__", py.String(t.Name))
		}
	}
}

// installBuiltins replaces and adds builtins of this interpreter: round,
// format, print and repr (CPython's text for floats), sorted (tuples in
// order), isinstance and issubclass (subclasses count), range (stops when
// the cell is cancelled), __import__ (ImportError for unknown modules),
// help, dir, callable, input (refused), RecursionError, and a
// __build_class__ that makes user exception classes real, catchable
// classes.
func (ip *Interp) installBuiltins(b py.StringDict) {
	b["round"] = py.MustNewMethod("round", round, 0, "round(number[, ndigits]) -> number rounded to ndigits decimal digits (halves to even, as CPython); an int without ndigits.")
	b["format"] = py.MustNewMethod("format", func(self py.Object, args py.Tuple) (py.Object, error) {
		var v py.Object
		var spec py.Object = py.String("")
		if err := py.UnpackTuple(args, nil, "format", 1, 2, &v, &spec); err != nil {
			return nil, err
		}
		sp, ok := spec.(py.String)
		if !ok {
			return nil, py.ExceptionNewf(py.TypeError, "format() argument 2 must be str, not %s", TypeName(spec))
		}
		s, err := formatValue(v, string(sp))
		if err != nil {
			return nil, err
		}
		return py.String(s), nil
	}, 0, "format(value[, format_spec]) -> str: value formatted by the specification, as in \"{:spec}\".")
	b["help"] = py.MustNewMethod("help", func(self py.Object, args py.Tuple) (py.Object, error) {
		v := ip.help
		if err := py.UnpackTuple(args, nil, "help", 0, 1, &v); err != nil {
			return nil, err
		}
		if v == nil {
			v = py.None
		}
		ip.stdout.write(Doc(v) + "\n")
		return py.None, nil
	}, 0, "help([object]): show the documentation of object (without one, of what the host chose: fsc).")
	b["dir"] = py.MustNewMethod("dir", func(self py.Object, args py.Tuple) (py.Object, error) {
		var v py.Object
		if err := py.UnpackTuple(args, nil, "dir", 0, 1, &v); err != nil {
			return nil, err
		}
		var names []string
		if v == nil {
			names = SortedKeys(ip.main.Globals)
		} else {
			names = Members(v, true)
		}
		out := make([]py.Object, len(names))
		for i, n := range names {
			out[i] = py.String(n)
		}
		return py.NewListFromItems(out), nil
	}, 0, "dir([object]) -> the names of the session (or the attributes of object), sorted.")
	b["callable"] = py.MustNewMethod("callable", func(self, v py.Object) (py.Object, error) {
		_, ok := v.(py.I__call__)
		if _, isType := v.(*py.Type); isType {
			ok = true
		}
		return py.NewBool(ok), nil
	}, 0, "callable(object) -> whether object can be called.")
	b["input"] = py.MustNewMethod("input", func(self py.Object, args py.Tuple) (py.Object, error) {
		return nil, py.ExceptionNewf(py.RuntimeError, "input() is not available: a cell cannot read from the keyboard")
	}, 0, "input() is not available in fsc cells.")
	b["RecursionError"] = RecursionError
	b["sorted"] = py.MustNewMethod("sorted", sorted, 0, "sorted(iterable, key=None, reverse=False) -> a new sorted list (tuples and lists compare item by item).")
	b["isinstance"] = py.MustNewMethod("isinstance", func(self py.Object, args py.Tuple) (py.Object, error) {
		var obj, cls py.Object
		if err := py.UnpackTuple(args, nil, "isinstance", 2, 2, &obj, &cls); err != nil {
			return nil, err
		}
		ok, err := subclass(obj.Type(), cls, "isinstance")
		return py.NewBool(ok), err
	}, 0, "isinstance(object, class_or_tuple) -> whether object is an instance of the class (or of a subclass), or of one of the tuple's.")
	b["issubclass"] = py.MustNewMethod("issubclass", func(self py.Object, args py.Tuple) (py.Object, error) {
		var sub, cls py.Object
		if err := py.UnpackTuple(args, nil, "issubclass", 2, 2, &sub, &cls); err != nil {
			return nil, err
		}
		t, ok := sub.(*py.Type)
		if !ok {
			return nil, py.ExceptionNewf(py.TypeError, "issubclass() arg 1 must be a class")
		}
		ok, err := subclass(t, cls, "issubclass")
		return py.NewBool(ok), err
	}, 0, "issubclass(class, class_or_tuple) -> whether class derives from the class, or from one of the tuple's.")
	b["repr"] = py.MustNewMethod("repr", func(self, v py.Object) (py.Object, error) {
		s, err := Repr(v)
		if err != nil {
			return nil, err
		}
		return py.String(s), nil
	}, 0, "repr(object) -> the canonical text of object (floats as CPython: the shortest text that reads back).")
	b["print"] = py.MustNewMethod("print", ip.print, 0, "print(value, ..., sep=' ', end='\\n', file=sys.stdout, flush=False): write the values' text to the output.")
	b["range"] = ip.rangeType()
	b["__import__"] = py.MustNewMethod("__import__", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		m, err := py.BuiltinImport(ip.ctx, nil, args, kwargs, ip.main.Globals)
		if err != nil && !py.IsException(py.ImportError, err) {
			name := "?"
			if len(args) > 0 {
				name = ReprString(args[0])
			}
			return nil, py.ExceptionNewf(py.ImportError, "No module named %s (cells have gpython's built-in modules: %s)", name, ip.modulesHint())
		}
		return m, err
	}, 0, "__import__(name, ...) -> module: what the import statement calls.")
	if build, ok := b["__build_class__"]; ok {
		b["__build_class__"] = py.MustNewMethod("__build_class__", func(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
			if _, given := kwargs["metaclass"]; !given && exceptionBases(args) {
				// gpython would take BaseException for the metaclass and
				// make an exception instead of a class: build it with type.
				return buildExceptionClass(args)
			}
			cls, err := py.Call(build, args, kwargs)
			if t, ok := cls.(*py.Type); ok && err == nil {
				fixExceptionClass(t)
			}
			return cls, err
		}, 0, "__build_class__(func, name, *bases) -> a new class")
	}
}

// rangeType is this interpreter's range: gpython's, with an iterator that
// stops when the cell is cancelled, also inside builtins (sum(range(n)),
// list(range(n))).
func (ip *Interp) rangeType() *py.Type {
	var rt *py.Type
	rt = py.RangeType.NewType("range", py.RangeType.Doc, func(_ *py.Type, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
		r, err := py.RangeNew(py.RangeType, args, kwargs)
		if err != nil {
			return nil, err
		}
		return &rangeObject{Range: r.(*py.Range), t: rt, c: ip.ctx}, nil
	}, nil)
	rt.Flags &^= py.TPFLAGS_READY
	if err := rt.Ready(); err != nil {
		panic(err)
	}
	rt.Dict["__name__"] = py.String("range")
	return rt
}

// rangeObject is a range whose iterators check the stop flag.
type rangeObject struct {
	*py.Range
	t *py.Type
	c *vmContext
}

// Type is the interpreter's range type.
func (r *rangeObject) Type() *py.Type { return r.t }

// M__iter__ iterates, stopping when the cell is cancelled.
func (r *rangeObject) M__iter__() (py.Object, error) {
	it, err := r.Range.M__iter__()
	if err != nil {
		return nil, err
	}
	return &rangeIter{it: it.(py.I__next__), c: r.c}, nil
}

// M__eq__ compares as ranges.
func (r *rangeObject) M__eq__(other py.Object) (py.Object, error) {
	if o, ok := other.(*rangeObject); ok {
		other = o.Range
	}
	return r.Range.M__eq__(other)
}

// M__ne__ compares as ranges.
func (r *rangeObject) M__ne__(other py.Object) (py.Object, error) {
	if o, ok := other.(*rangeObject); ok {
		other = o.Range
	}
	return r.Range.M__ne__(other)
}

type rangeIter struct {
	it py.I__next__
	c  *vmContext
}

// Type is range_iterator.
func (it *rangeIter) Type() *py.Type { return py.RangeIteratorType }

// M__iter__ is the iterator itself.
func (it *rangeIter) M__iter__() (py.Object, error) { return it, nil }

// M__next__ is the next number, or KeyboardInterrupt once the cell is
// cancelled.
func (it *rangeIter) M__next__() (py.Object, error) {
	if it.c.stop.Load() {
		return nil, Interrupt()
	}
	return it.it.M__next__()
}

// print is CPython's print, with CPython's text for floats.
func (ip *Interp) print(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	sep, end := " ", "\n"
	var file py.Object
	flush := false
	for k, v := range kwargs {
		switch k {
		case "sep", "end":
			if v == py.None {
				continue
			}
			s, ok := v.(py.String)
			if !ok {
				return nil, py.ExceptionNewf(py.TypeError, "%s must be None or a string, not %s", k, TypeName(v))
			}
			if k == "sep" {
				sep = string(s)
			} else {
				end = string(s)
			}
		case "file":
			if v != py.None {
				file = v
			}
		case "flush":
			flush = truth(v)
		default:
			return nil, py.ExceptionNewf(py.TypeError, "'%s' is an invalid keyword argument for print()", k)
		}
	}
	if file == nil {
		sys, err := ip.ctx.GetModule("sys")
		if err != nil {
			return nil, err
		}
		file = sys.Globals["stdout"]
	}
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteString(sep)
		}
		s, err := str(a)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	b.WriteString(end)
	if st, ok := file.(*stream); ok {
		st.sink.write(b.String())
		if flush {
			st.sink.flush()
		}
		return py.None, nil
	}
	write, err := py.GetAttrString(file, "write")
	if err != nil {
		return nil, err
	}
	if _, err := py.Call(write, py.Tuple{py.String(b.String())}, nil); err != nil {
		return nil, err
	}
	return py.None, nil
}

// Repr is repr(v) with CPython's text for floats, also inside lists,
// tuples and dicts (whose keys come sorted: gpython's dicts keep no order).
func Repr(v py.Object) (string, error) {
	var b strings.Builder
	err := writeRepr(&b, v, 0)
	return b.String(), err
}

func writeRepr(b *strings.Builder, v py.Object, depth int) error {
	if depth > 100 {
		b.WriteString("...")
		return nil
	}
	seq := func(open, close string, items []py.Object) error {
		b.WriteString(open)
		for i, it := range items {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := writeRepr(b, it, depth+1); err != nil {
				return err
			}
		}
		if len(items) == 1 && open == "(" {
			b.WriteByte(',')
		}
		b.WriteString(close)
		return nil
	}
	switch x := v.(type) {
	case py.Float:
		b.WriteString(floatRepr(float64(x)))
		return nil
	case *py.List:
		return seq("[", "]", x.Items)
	case py.Tuple:
		return seq("(", ")", x)
	case py.StringDict:
		b.WriteByte('{')
		for i, k := range SortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(ReprString(py.String(k)))
			b.WriteString(": ")
			if err := writeRepr(b, x[k], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
		return nil
	case *py.Exception: // gpython's repr fails without arguments
		args, _ := x.Args.(py.Tuple)
		b.WriteString(x.Base.Name)
		if len(args) == 1 {
			b.WriteByte('(')
			if err := writeRepr(b, args[0], depth+1); err != nil {
				return err
			}
			b.WriteByte(')')
			return nil
		}
		return seq("(", ")", args)
	}
	s, err := py.ReprAsString(v)
	b.WriteString(s)
	return err
}

// str is str(v) with CPython's text for floats (also inside containers).
func str(v py.Object) (string, error) {
	switch x := v.(type) {
	case py.String:
		return string(x), nil
	case py.Float, *py.List, py.Tuple, py.StringDict:
		return Repr(x)
	case *py.Exception: // gpython's str fails without arguments
		return ExceptionMessage(x), nil
	}
	return py.StrAsString(v)
}

// sorted is sorted, stable, with tuples and lists compared item by item
// (gpython cannot order tuples: sorted(d.items()) would fail).
func sorted(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	var iterable py.Object
	var key py.Object = py.None
	var reverse py.Object = py.False
	if err := py.ParseTupleAndKeywords(args, kwargs, "O|OO:sorted", []string{"iterable", "key", "reverse"}, &iterable, &key, &reverse); err != nil {
		return nil, err
	}
	var items []py.Object
	if err := py.Iterate(iterable, func(o py.Object) bool { items = append(items, o); return false }); err != nil {
		return nil, err
	}
	keys := items
	if key != py.None {
		keys = make([]py.Object, len(items))
		for i, it := range items {
			k, err := py.Call(key, py.Tuple{it}, nil)
			if err != nil {
				return nil, err
			}
			keys[i] = k
		}
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	rev := truth(reverse)
	var err error
	sort.SliceStable(order, func(i, j int) bool {
		if err != nil {
			return false
		}
		a, b := keys[order[i]], keys[order[j]]
		if rev {
			a, b = b, a
		}
		var less bool
		less, err = lessThan(a, b)
		return less
	})
	if err != nil {
		return nil, err
	}
	out := make([]py.Object, len(items))
	for i, k := range order {
		out[i] = items[k]
	}
	return py.NewListFromItems(out), nil
}

// less is a < b, with tuples and lists compared item by item.
func lessThan(a, b py.Object) (bool, error) {
	as, aok := seqItems(a)
	bs, bok := seqItems(b)
	if aok && bok {
		for i := 0; i < len(as) && i < len(bs); i++ {
			eq, err := py.Eq(as[i], bs[i])
			if err != nil {
				return false, err
			}
			if !truth(eq) {
				return lessThan(as[i], bs[i])
			}
		}
		return len(as) < len(bs), nil
	}
	lt, err := py.Lt(a, b)
	if err != nil {
		return false, err
	}
	return truth(lt), nil
}

func seqItems(v py.Object) ([]py.Object, bool) {
	switch x := v.(type) {
	case py.Tuple:
		return x, true
	case *py.List:
		return x.Items, true
	}
	return nil, false
}

// subclass says whether t is cls or derives from it (bool from int, as
// in Python), or from one class of a tuple.
func subclass(t *py.Type, cls py.Object, fn string) (bool, error) {
	switch c := cls.(type) {
	case py.Tuple:
		for _, e := range c {
			if ok, err := subclass(t, e, fn); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case *py.Type:
		return t == c || t.IsSubtype(c) || (t == py.BoolType && c == py.IntType), nil
	}
	return false, py.ExceptionNewf(py.TypeError, "%s() arg 2 must be a type or tuple of types", fn)
}

// exceptionBases says whether the bases of a class statement (after its
// function and name) include an exception class.
func exceptionBases(args py.Tuple) bool {
	for i := 2; i < len(args); i++ {
		if t, ok := args[i].(*py.Type); ok && t.Flags&py.TPFLAGS_BASE_EXC_SUBCLASS != 0 {
			return true
		}
	}
	return false
}

// buildExceptionClass runs a class statement whose bases include an
// exception class, with type as the metaclass.
func buildExceptionClass(args py.Tuple) (py.Object, error) {
	fn, ok := args[0].(*py.Function)
	if !ok || len(args) < 2 {
		return nil, py.ExceptionNewf(py.TypeError, "__build_class__: bad arguments")
	}
	ns := py.NewStringDict()
	cell, err := fn.Context.RunCode(fn.Code, fn.Globals, ns, fn.Closure)
	if err != nil {
		return nil, err
	}
	name, _ := args[1].(py.String)
	var base *py.Type
	bases := py.Tuple{}
	for _, b := range args[2:] {
		bt, ok := b.(*py.Type)
		if !ok {
			return nil, py.ExceptionNewf(py.TypeError, "class %s: a base is not a class", name)
		}
		if base == nil && bt.Flags&py.TPFLAGS_BASE_EXC_SUBCLASS != 0 {
			base = bt
		}
		bases = append(bases, bt)
	}
	doc, _ := ns["__doc__"].(py.String)
	cls := base.NewTypeFlags(string(name), string(doc), nil, nil, base.Flags&^py.TPFLAGS_READY)
	cls.Bases = bases
	cls.Dict["__name__"] = name
	for k, v := range ns {
		cls.Dict[k] = v
	}
	if err := cls.Ready(); err != nil {
		return nil, err
	}
	if c, ok := cell.(*py.Cell); ok {
		c.Set(cls)
	}
	return cls, nil
}

// fixExceptionClass makes a class derived from an exception an exception
// class to gpython: flagged (so except can catch it) and built like one.
func fixExceptionClass(t *py.Type) {
	for _, b := range t.Bases {
		bt, ok := b.(*py.Type)
		if !ok || bt.Flags&py.TPFLAGS_BASE_EXC_SUBCLASS == 0 {
			continue
		}
		t.Flags |= py.TPFLAGS_BASE_EXC_SUBCLASS
		if _, own := t.Dict["__new__"]; !own {
			t.New = py.ExceptionNew
		}
		return
	}
}

// round is CPython's round: halves to even, and with ndigits the exact
// decimal value of the float rounded (so round(2.675, 2) == 2.67).
func round(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	var x py.Object
	var nd py.Object = py.None
	if err := py.ParseTupleAndKeywords(args, kwargs, "O|O:round", []string{"number", "ndigits"}, &x, &nd); err != nil {
		return nil, err
	}
	digits, hasDigits := 0, nd != py.None
	if hasDigits {
		switch n := nd.(type) {
		case py.Int:
			digits = int(n)
		case py.Bool:
			if n {
				digits = 1
			}
		default:
			return nil, py.ExceptionNewf(py.TypeError, "'%s' object cannot be interpreted as an integer", TypeName(nd))
		}
	}
	var xi *big.Int
	switch v := x.(type) {
	case py.Bool:
		xi = big.NewInt(0)
		if v {
			xi.SetInt64(1)
		}
	case py.Int:
		xi = big.NewInt(int64(v))
	case *py.BigInt:
		xi = new(big.Int).Set((*big.Int)(v))
	case py.Float:
		return roundFloat(float64(v), digits, hasDigits)
	default:
		return nil, py.ExceptionNewf(py.TypeError, "type %s doesn't define __round__ method", TypeName(x))
	}
	if digits < 0 && digits > -400 {
		r := new(big.Rat).SetFrac(xi, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-digits)), nil))
		xi = new(big.Int).Mul(roundHalfEven(r), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-digits)), nil))
	} else if digits <= -400 {
		xi.SetInt64(0)
	}
	return newInt(xi), nil
}

func roundFloat(x float64, digits int, hasDigits bool) (py.Object, error) {
	if !hasDigits {
		switch {
		case math.IsNaN(x):
			return nil, py.ExceptionNewf(py.ValueError, "cannot convert float NaN to integer")
		case math.IsInf(x, 0):
			return nil, py.ExceptionNewf(py.OverflowError, "cannot convert float infinity to integer")
		}
		r := math.RoundToEven(x)
		if math.Abs(r) < 1<<62 {
			return py.Int(int64(r)), nil
		}
		i, _ := new(big.Float).SetFloat64(r).Int(nil)
		return newInt(i), nil
	}
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 || digits > 330 {
		return py.Float(x), nil
	}
	if digits < -330 {
		return py.Float(math.Copysign(0, x)), nil
	}
	p10 := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(absInt(digits))), nil))
	r := new(big.Rat).SetFloat64(x)
	if digits >= 0 {
		r.Mul(r, p10)
	} else {
		r.Quo(r, p10)
	}
	q := new(big.Rat).SetInt(roundHalfEven(r))
	if digits >= 0 {
		q.Quo(q, p10)
	} else {
		q.Mul(q, p10)
	}
	f, _ := q.Float64()
	if f == 0 {
		f = math.Copysign(0, x)
	}
	if math.IsInf(f, 0) {
		return nil, py.ExceptionNewf(py.OverflowError, "rounded value too large to represent")
	}
	return py.Float(f), nil
}

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// roundHalfEven rounds r to the nearest integer, halves to even.
func roundHalfEven(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	switch c := twice.Cmp(r.Denom()); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		if r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// newInt is an int: Int when it fits, BigInt otherwise.
func newInt(i *big.Int) py.Object {
	if i.IsInt64() {
		return py.Int(i.Int64())
	}
	return (*py.BigInt)(i)
}

// equal is Python's ==.
func equal(a, b py.Object) (bool, error) {
	r, err := py.Eq(a, b)
	if err != nil {
		return false, err
	}
	return r == py.True, nil
}
