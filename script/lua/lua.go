package lua

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// Runtime runs the DSL in gopher-lua: a global table fsc with the
// functions of script.Funcs, tables as userdata whose methods are the
// methods of script.Funcs, and typed errors as values with a name and a
// message.
type Runtime struct {
	L   *lua.LState
	env *script.Env
}

// luaType is the name of a receiver's metatable.
func luaType(on string) string { return "fsc." + on }

// New returns a Lua state bound to env. Close it when done.
func New(env *script.Env) *Runtime {
	l := &Runtime{env: env}
	l.L = l.newState()
	return l
}

// newState is a fresh Lua state with the DSL bound.
func (l *Runtime) newState() *lua.LState {
	L := lua.NewState()
	fsc := L.NewTable()
	for _, f := range script.Methods("") {
		fsc.RawSetString(f.Name, L.NewFunction(l.bind(f)))
	}
	for _, on := range []string{script.OnTable, script.OnNode} {
		methods := L.NewTable()
		for _, f := range script.Methods(on) {
			methods.RawSetString(f.Name, L.NewFunction(l.bind(f)))
		}
		mt := L.NewTypeMetatable(luaType(on))
		mt.RawSetString("__index", methods)
		mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LString(fmt.Sprint(L.CheckUserData(1).Value)))
			return 1
		}))
	}
	for _, kind := range script.ErrorKinds() {
		fsc.RawSetString(kind, lua.LString(kind))
	}
	L.SetGlobal("fsc", fsc)
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = luaString(L, L.Get(i+1))
		}
		l.env.Printf("%s\n", strings.Join(parts, "\t"))
		return 0
	}))
	l.routeIO(L)
	return L
}

// routeIO sends io.write, io.stdout and io.stderr to the script.Env's output
// instead of the process's files, and takes out what would block on a
// terminal, start programs or end the process.
func (l *Runtime) routeIO(L *lua.LState) {
	io, ok := L.GetGlobal("io").(*lua.LTable)
	if !ok {
		return
	}
	stdout := func(s string) { l.env.Printf("%s", s) }
	stderr := func(s string) {
		if l.env.Out.Stderr != nil {
			l.env.Out.Stderr(s)
		}
	}
	write := func(to func(string), first int) lua.LGFunction {
		return func(L *lua.LState) int {
			for i := first; i <= L.GetTop(); i++ {
				switch v := L.Get(i).(type) {
				case lua.LString, lua.LNumber:
					to(luaString(L, v))
				default:
					L.ArgError(i, "string expected, got "+v.Type().String())
				}
			}
			L.Push(L.Get(1))
			return 1
		}
	}
	stream := func(to func(string)) *lua.LTable {
		t := L.NewTable()
		t.RawSetString("write", L.NewFunction(write(to, 2)))
		t.RawSetString("flush", L.NewFunction(func(L *lua.LState) int { L.Push(L.Get(1)); return 1 }))
		return t
	}
	io.RawSetString("stdout", stream(stdout))
	io.RawSetString("stderr", stream(stderr))
	io.RawSetString("write", L.NewFunction(write(stdout, 1)))

	// What would wait for a terminal nobody types at, run other programs
	// or end the process under the notebook is not there.
	unavailable := func(name string) *lua.LFunction {
		return L.NewFunction(func(L *lua.LState) int {
			L.RaiseError("%s is not available here (no terminal, no subprocesses, no exit)", name)
			return 0
		})
	}
	io.RawSetString("read", unavailable("io.read"))
	io.RawSetString("popen", unavailable("io.popen"))
	if lines, ok := io.RawGetString("lines").(*lua.LFunction); ok {
		io.RawSetString("lines", L.NewFunction(func(L *lua.LState) int {
			if L.GetTop() == 0 {
				L.RaiseError("io.lines() without a file reads a terminal: not available here")
			}
			L.Insert(lines, 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			return L.GetTop()
		}))
	}
	if os, ok := L.GetGlobal("os").(*lua.LTable); ok {
		os.RawSetString("execute", unavailable("os.execute"))
		os.RawSetString("exit", unavailable("os.exit"))
	}
}

// Close frees the Lua state.
func (l *Runtime) Close() { l.L.Close() }

// Run executes a chunk of Lua; ctx cancels it (loops included). An
// uncaught DSL error comes back as *script.Error.
func (l *Runtime) Run(ctx context.Context, src, name string) error { return l.run(ctx, l.L, src, name) }

func (l *Runtime) run(ctx context.Context, L *lua.LState, src, name string) error {
	L.SetContext(ctx)
	defer L.RemoveContext()
	fn, err := L.Load(strings.NewReader(src), name)
	if err != nil {
		return &script.Error{Kind: "SyntaxError", Msg: err.Error()}
	}
	L.Push(fn)
	if err := L.PCall(0, lua.MultRet, nil); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) {
			if t, ok := apiErr.Object.(*lua.LTable); ok {
				if kind, ok := t.RawGetString("name").(lua.LString); ok {
					msg := lua.LVAsString(t.RawGetString("message"))
					if e := errorOf(t); e != nil && e.Kind == string(kind) && e.Msg == msg {
						return e // the DSL's error, with what it wraps
					}
					return &script.Error{Kind: string(kind), Msg: msg}
				}
			}
			return &script.Error{Kind: "LuaError", Msg: strings.TrimSpace(lua.LVAsString(apiErr.Object))}
		}
		return err
	}
	return nil
}

// bind turns a script.Func into a Lua function: positional arguments in the
// order of its parameters, or a trailing table of options by name.
func (l *Runtime) bind(f *script.Func) lua.LGFunction {
	return func(L *lua.LState) int {
		first := 1
		var self any
		if f.On != "" {
			ud, ok := L.Get(1).(*lua.LUserData)
			if !ok || ud.Metatable != L.GetTypeMetatable(luaType(f.On)) {
				L.RaiseError("%s is a method of a %s: call it as x:%s(...)", f.Name, strings.ToLower(f.On), f.Name)
			}
			self, first = ud.Value, 2
		}
		args, err := luaArgs(L, f, first)
		var out any
		if err == nil {
			out, err = f.Call(L.Context(), l.env, self, args)
		}
		if err != nil {
			if L.Context() != nil && L.Context().Err() != nil {
				L.RaiseError("cancelled")
			}
			var e *script.Error
			if !errors.As(err, &e) {
				e = &script.Error{Kind: script.InputError, Msg: err.Error()}
			}
			L.Error(luaError(L, e), 1)
			return 0
		}
		L.Push(toLua(L, out))
		return 1
	}
}

// luaError is an error value: {name = "DisclosureError", message = "..."}
// that prints as "DisclosureError: ...".
func luaError(L *lua.LState, e *script.Error) lua.LValue {
	t := L.NewTable()
	t.RawSetString("name", lua.LString(e.Kind))
	t.RawSetString("message", lua.LString(e.Msg))
	mt := L.NewTable()
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(e.Error()))
		return 1
	}))
	ud := L.NewUserData()
	ud.Value = e
	mt.RawSetString("__error", ud) // the Go error behind the value
	L.SetMetatable(t, mt)
	return t
}

// errorOf returns the DSL error a Lua error value was made from, if any.
func errorOf(t *lua.LTable) *script.Error {
	e, _ := behind(t, "__error").(*script.Error)
	return e
}

// behind is the Go value a table's metatable keeps under key, if any.
func behind(t *lua.LTable, key string) any {
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok {
		return nil
	}
	if ud, ok := mt.RawGetString(key).(*lua.LUserData); ok {
		return ud.Value
	}
	return nil
}

func luaArgs(L *lua.LState, f *script.Func, first int) (script.Args, error) {
	a := script.Args{}
	top := L.GetTop()
	// A trailing table whose keys are all parameter names holds options.
	if top >= first {
		if opts, ok := L.Get(top).(*lua.LTable); ok && isOptions(opts, f) {
			var err error
			opts.ForEach(func(k, v lua.LValue) {
				if err == nil {
					p := paramNamed(f, string(k.(lua.LString)))
					a[p.Name], err = fromLua(v, p.Kind, f.Name+": "+p.Name)
				}
			})
			if err != nil {
				return nil, err
			}
			top--
		}
	}
	if top-first+1 > len(f.Params) {
		return nil, script.InputErrorf("%s takes %d argument(s), got %d", f.Name, len(f.Params), top-first+1)
	}
	for i := first; i <= top; i++ {
		p := f.Params[i-first]
		v, err := fromLua(L.Get(i), p.Kind, f.Name+": "+p.Name)
		if err != nil {
			return nil, err
		}
		a[p.Name] = v
	}
	for _, p := range f.Params {
		if _, ok := a[p.Name]; !ok && !p.Optional {
			return nil, script.InputErrorf("%s: missing argument %s", f.Name, p.Name)
		}
	}
	return a, nil
}

func paramNamed(f *script.Func, name string) script.Param {
	for _, p := range f.Params {
		if p.Name == name {
			return p
		}
	}
	return script.Param{}
}

func isOptions(t *lua.LTable, f *script.Func) bool {
	if t.Len() > 0 {
		return false
	}
	ok, some := true, false
	t.ForEach(func(k, _ lua.LValue) {
		s, isStr := k.(lua.LString)
		ok = ok && isStr && paramNamed(f, string(s)).Name != ""
		some = true
	})
	return ok && some
}

// fromLua converts an argument to the Go value its kind asks for.
func fromLua(v lua.LValue, kind script.Kind, what string) (any, error) {
	switch kind {
	case script.String:
		if s, ok := v.(lua.LString); ok {
			return string(s), nil
		}
		return nil, script.InputErrorf("%s: expected a string, got %s", what, v.Type())
	case script.Number:
		if n, ok := v.(lua.LNumber); ok {
			return float64(n), nil
		}
		return nil, script.InputErrorf("%s: expected a number, got %s", what, v.Type())
	case script.Numbers, script.Strings:
		t, ok := v.(*lua.LTable)
		if !ok {
			return nil, script.InputErrorf("%s: expected a list, got %s", what, v.Type())
		}
		var nums []any
		var strs []string
		for i := 1; i <= t.Len(); i++ {
			switch e := t.RawGetInt(i).(type) {
			case lua.LNumber:
				if kind != script.Numbers {
					return nil, script.InputErrorf("%s[%d]: expected a string", what, i)
				}
				nums = append(nums, float64(e))
			case lua.LString:
				if kind != script.Strings {
					return nil, script.InputErrorf("%s[%d]: expected a number", what, i)
				}
				strs = append(strs, string(e))
			default:
				return nil, script.InputErrorf("%s[%d]: unexpected %s", what, i, e.Type())
			}
		}
		if kind == script.Strings {
			return strs, nil
		}
		return nums, nil
	}
	return goValue(v), nil
}

// goValue converts any Lua value: arrays become lists, other tables maps.
func goValue(v lua.LValue) any {
	switch x := v.(type) {
	case lua.LBool:
		return bool(x)
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		return string(x)
	case *lua.LUserData:
		return x.Value
	case *lua.LTable:
		if r := richOf(x); r != nil {
			return r
		}
		if n := x.Len(); n > 0 {
			list := make([]any, n)
			for i := range list {
				list[i] = goValue(x.RawGetInt(i + 1))
			}
			return list
		}
		m := map[string]any{}
		x.ForEach(func(k, v lua.LValue) { m[lua.LVAsString(k)] = goValue(v) })
		return m
	}
	return nil
}

// toLua converts a DSL result: tables as userdata, rich results and maps
// as Lua tables (a rich result prints as its text).
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case int:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case *script.Table, *script.Node:
		ud := L.NewUserData()
		ud.Value = x
		L.SetMetatable(ud, L.GetTypeMetatable(luaType(script.Receiver(x))))
		return ud
	case *script.Rich:
		t := toLua(L, x.Fields).(*lua.LTable)
		mt := L.NewTable()
		text := x.String()
		mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LString(text))
			return 1
		}))
		ud := L.NewUserData()
		ud.Value = x
		mt.RawSetString("__rich", ud) // the rich result behind the table
		L.SetMetatable(t, mt)
		return t
	case []any:
		t := L.NewTable()
		for _, e := range x {
			t.Append(toLua(L, e))
		}
		return t
	case []float64:
		t := L.NewTable()
		for _, e := range x {
			t.Append(lua.LNumber(e))
		}
		return t
	case map[string]any:
		t := L.NewTable()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, toLua(L, x[k]))
		}
		return t
	}
	return lua.LString(fmt.Sprint(v))
}

// luaString prints a value as Lua's print does, numbers without ".0".
func luaString(L *lua.LState, v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		f := float64(n)
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return fmt.Sprintf("%.0f", f)
		}
		return fmt.Sprintf("%.14g", f)
	}
	if mt, ok := L.GetMetaField(v, "__tostring").(*lua.LFunction); ok {
		L.Push(mt)
		L.Push(v)
		L.Call(1, 1)
		s := L.Get(-1)
		L.Pop(1)
		return lua.LVAsString(s)
	}
	return v.String()
}

// richOf returns the rich result a Lua table was made from, if any.
func richOf(t *lua.LTable) *script.Rich {
	r, _ := behind(t, "__rich").(*script.Rich)
	return r
}

// Start starts a Lua runtime bound to env: a script.Start for the kernel
// and the study runner.
func Start(env *script.Env) (script.Runtime, error) { return New(env), nil }
