package gpyext

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-python/gpython/py"
)

// jsonModule is json: dumps and loads over encoding/json.
func jsonModule() *py.ModuleImpl {
	return &py.ModuleImpl{
		Info: py.ModuleInfo{Name: "json", Doc: "JSON encoder and decoder: dumps(obj) and loads(text), as CPython's json (keys of dicts come out sorted)."},
		Methods: []*py.Method{
			py.MustNewMethod("dumps", jsonDumps, 0, "dumps(obj, *, indent=None, separators=None, sort_keys=False, ensure_ascii=True) -> str: obj as JSON, as CPython's json.dumps. Dict keys are always sorted (gpython's dicts keep no order)."),
			py.MustNewMethod("loads", jsonLoads, 0, "loads(text) -> the Python value of a JSON text: dict, list, str, int, float, bool or None."),
		},
		Globals: py.StringDict{"JSONDecodeError": jsonDecodeError},
	}
}

// Mapping is a value of the host's that reads as a dict (a result's
// fields): json.dumps writes it as one.
type Mapping interface {
	py.Object
	AsDict() py.StringDict
}

type jsonEncoder struct {
	b               strings.Builder
	indent          *string
	itemSep, keySep string
	ascii           bool
}

func jsonDumps(self py.Object, args py.Tuple, kwargs py.StringDict) (py.Object, error) {
	var obj py.Object
	if err := py.UnpackTuple(args, nil, "dumps", 1, 1, &obj); err != nil {
		return nil, err
	}
	e := &jsonEncoder{itemSep: ", ", keySep: ": ", ascii: true}
	sepGiven := false
	for k, v := range kwargs {
		switch k {
		case "indent":
			switch x := v.(type) {
			case py.NoneType:
			case py.Int:
				s := strings.Repeat(" ", max(int(x), 0))
				e.indent = &s
			case py.String:
				s := string(x)
				e.indent = &s
			default:
				return nil, py.ExceptionNewf(py.TypeError, "dumps: indent must be an int or a str, not %s", TypeName(v))
			}
		case "separators":
			if v == py.None {
				continue
			}
			t, err := py.SequenceTuple(v)
			if err != nil || len(t) != 2 {
				return nil, py.ExceptionNewf(py.TypeError, "dumps: separators must be a pair of strings")
			}
			a, ok1 := t[0].(py.String)
			b, ok2 := t[1].(py.String)
			if !ok1 || !ok2 {
				return nil, py.ExceptionNewf(py.TypeError, "dumps: separators must be a pair of strings")
			}
			e.itemSep, e.keySep, sepGiven = string(a), string(b), true
		case "ensure_ascii":
			e.ascii = truth(v)
		case "sort_keys":
		default:
			return nil, py.ExceptionNewf(py.TypeError, "dumps() got an unexpected keyword argument '%s'", k)
		}
	}
	if e.indent != nil && !sepGiven {
		e.itemSep = ","
	}
	if err := e.value(obj, 0); err != nil {
		return nil, err
	}
	return py.String(e.b.String()), nil
}

func truth(v py.Object) bool {
	b, err := py.MakeBool(v)
	return err == nil && b == py.True
}

func (e *jsonEncoder) newline(level int) {
	if e.indent == nil {
		return
	}
	e.b.WriteByte('\n')
	for range level {
		e.b.WriteString(*e.indent)
	}
}

func (e *jsonEncoder) value(v py.Object, level int) error {
	if level > 500 {
		return py.ExceptionNewf(py.ValueError, "Circular reference detected")
	}
	switch x := v.(type) {
	case py.NoneType:
		e.b.WriteString("null")
	case py.Bool:
		if x {
			e.b.WriteString("true")
		} else {
			e.b.WriteString("false")
		}
	case py.Int:
		e.b.WriteString(strconv.FormatInt(int64(x), 10))
	case *py.BigInt:
		e.b.WriteString((*big.Int)(x).String())
	case py.Float:
		f := float64(x)
		switch {
		case math.IsNaN(f):
			e.b.WriteString("NaN")
		case math.IsInf(f, 1):
			e.b.WriteString("Infinity")
		case math.IsInf(f, -1):
			e.b.WriteString("-Infinity")
		default:
			e.b.WriteString(floatRepr(f))
		}
	case py.String:
		e.str(string(x))
	case *py.List:
		return e.list(x.Items, level)
	case py.Tuple:
		return e.list(x, level)
	case py.StringDict:
		return e.dict(x, level)
	case Mapping:
		return e.dict(x.AsDict(), level)
	default:
		return py.ExceptionNewf(py.TypeError, "Object of type %s is not JSON serializable", TypeName(v))
	}
	return nil
}

func (e *jsonEncoder) list(items []py.Object, level int) error {
	if len(items) == 0 {
		e.b.WriteString("[]")
		return nil
	}
	e.b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			e.b.WriteString(e.itemSep)
		}
		e.newline(level + 1)
		if err := e.value(it, level+1); err != nil {
			return err
		}
	}
	e.newline(level)
	e.b.WriteByte(']')
	return nil
}

func (e *jsonEncoder) dict(d py.StringDict, level int) error {
	if len(d) == 0 {
		e.b.WriteString("{}")
		return nil
	}
	e.b.WriteByte('{')
	for i, k := range SortedKeys(d) {
		if i > 0 {
			e.b.WriteString(e.itemSep)
		}
		e.newline(level + 1)
		e.str(k)
		e.b.WriteString(e.keySep)
		if err := e.value(d[k], level+1); err != nil {
			return err
		}
	}
	e.newline(level)
	e.b.WriteByte('}')
	return nil
}

// str writes a JSON string as CPython: \uXXXX (lower-case hex) for control
// characters and, with ensure_ascii, for everything beyond ASCII.
func (e *jsonEncoder) str(s string) {
	e.b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			e.b.WriteString(`\"`)
		case '\\':
			e.b.WriteString(`\\`)
		case '\n':
			e.b.WriteString(`\n`)
		case '\r':
			e.b.WriteString(`\r`)
		case '\t':
			e.b.WriteString(`\t`)
		case '\b':
			e.b.WriteString(`\b`)
		case '\f':
			e.b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(&e.b, `\u%04x`, r)
			case r < 0x80 || !e.ascii:
				e.b.WriteRune(r)
			case r < 0x10000:
				fmt.Fprintf(&e.b, `\u%04x`, r)
			default:
				r -= 0x10000
				fmt.Fprintf(&e.b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			}
		}
	}
	e.b.WriteByte('"')
}

func jsonLoads(self py.Object, args py.Tuple) (py.Object, error) {
	var arg py.Object
	if err := py.UnpackTuple(args, nil, "loads", 1, 1, &arg); err != nil {
		return nil, err
	}
	var text string
	switch x := arg.(type) {
	case py.String:
		text = string(x)
	case py.Bytes:
		text = string(x)
	default:
		return nil, py.ExceptionNewf(py.TypeError, "the JSON object must be str or bytes, not %s", TypeName(arg))
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, more := dec.Token(); more != io.EOF {
			off := int(dec.InputOffset())
			return nil, jsonError("Extra data", text, off)
		}
	}
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, jsonError(se.Error(), text, int(se.Offset))
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, jsonError("Expecting value", text, len(text))
		}
		return nil, py.ExceptionNewf(jsonDecodeError, "%v", err)
	}
	return fromJSON(v), nil
}

// jsonError says what is wrong where, as CPython: line, column, char.
func jsonError(msg, text string, off int) error {
	off = min(max(off, 0), len(text))
	line := strings.Count(text[:off], "\n") + 1
	col := off - strings.LastIndexByte(text[:off], '\n')
	return py.ExceptionNewf(jsonDecodeError, "%s: line %d column %d (char %d)", msg, line, col, utf8.RuneCountInString(text[:off]))
}

func fromJSON(v any) py.Object {
	switch x := v.(type) {
	case nil:
		return py.None
	case bool:
		return py.NewBool(x)
	case string:
		return py.String(x)
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, ok := new(big.Int).SetString(s, 10); ok {
				return newInt(i)
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return py.Float(f)
	case []any:
		items := make([]py.Object, len(x))
		for i, e := range x {
			items[i] = fromJSON(e)
		}
		return py.NewListFromItems(items)
	case map[string]any:
		d := py.NewStringDictSized(len(x))
		for k, e := range x {
			d[k] = fromJSON(e)
		}
		return d
	}
	return py.None
}
