package lua

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	lua "github.com/yuin/gopher-lua"

	"github.com/fsc-kernel/fsc-kernel/script"
)

// luaGrace is how long a cancelled cell has to stop before its Lua state
// is abandoned: the VM sees a cancel between instructions, not inside a
// long builtin call (string.rep of a gigabyte).
const luaGrace = time.Second

// Execute runs a cell. A last line that is an expression shows its value,
// as the Lua REPL does. A cell that does not stop within luaGrace of a
// cancel is left to finish on its own: the session goes on in a fresh Lua
// state, which the output says, and Execute returns an *script.Abandoned wrapping
// ctx.Err(); the kernel's worker process (script/worker) then ends.
func (l *Runtime) Execute(ctx context.Context, code string) (map[string]string, error) {
	type result struct {
		mime map[string]string
		err  error
	}
	L := l.L
	done := make(chan result, 1)
	go func() {
		mime, err := l.execute(ctx, L, code)
		done <- result{mime, err}
	}()
	select {
	case r := <-done:
		return r.mime, r.err
	case <-ctx.Done():
	}
	select {
	case r := <-done:
		return r.mime, r.err
	case <-time.After(luaGrace):
		l.L = l.newState()
		l.env.Printf("[the cell did not stop within %v: it is inside a long builtin call; the Lua session was restarted and its variables are lost]\n", luaGrace)
		return nil, &script.Abandoned{Err: ctx.Err()}
	}
}

func (l *Runtime) execute(ctx context.Context, L *lua.LState, code string) (map[string]string, error) {
	body, last := splitLastLine(code)
	if last != "" {
		src := "return " + last
		if body != "" {
			src = body + "\n" + src // the last line keeps its number
		}
		if _, err := L.LoadString(src); err == nil {
			top := L.GetTop()
			if err := l.run(ctx, L, src, "cell"); err != nil {
				return nil, err
			}
			if L.GetTop() == top {
				return nil, nil
			}
			v := L.Get(-1)
			L.SetTop(top)
			if v == lua.LNil {
				return nil, nil
			}
			if t, ok := v.(*lua.LTable); ok {
				if r := richOf(t); r != nil {
					return r.MIME, nil
				}
			}
			return map[string]string{"text/plain": luaString(L, v)}, nil
		}
	}
	top := L.GetTop()
	defer L.SetTop(top)
	return nil, l.run(ctx, L, code, "cell")
}

// splitLastLine splits code into everything before its last non-empty line
// and that line.
func splitLastLine(code string) (body, last string) {
	lines := strings.Split(strings.TrimRight(code, " \t\r\n"), "\n")
	last = strings.TrimSpace(lines[len(lines)-1])
	return strings.Join(lines[:len(lines)-1], "\n"), last
}

// luaKeywords are Lua's reserved words.
var luaKeywords = []string{"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
	"local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}

// token finds the identifier (with its qualifier "fsc." or ":") around
// cursor, counted in code points.
func token(code string, cursor int) (qual, word string, start, end int) {
	r := []rune(code)
	cursor = min(max(cursor, 0), len(r))
	isWord := func(c rune) bool { return c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c) }
	start = cursor
	for start > 0 && isWord(r[start-1]) {
		start--
	}
	end = cursor
	for end < len(r) && isWord(r[end]) {
		end++
	}
	word = string(r[start:cursor])
	if start > 0 && (r[start-1] == '.' || r[start-1] == ':') {
		q := start - 1
		b := q
		for b > 0 && isWord(r[b-1]) {
			b--
		}
		qual = string(r[b:start])
	}
	return qual, word, start, cursor
}

// Complete completes fsc functions after "fsc.", table methods after ":",
// and otherwise globals and keywords.
func (l *Runtime) Complete(code string, cursor int) ([]string, int, int) {
	qual, word, start, end := token(code, cursor)
	var names []string
	switch {
	case qual == "fsc.":
		for _, f := range script.Methods("") {
			names = append(names, f.Name)
		}
	case strings.HasSuffix(qual, ":"):
		for _, f := range script.Funcs {
			if f.On != "" {
				names = append(names, f.Name)
			}
		}
	case qual == "":
		names = append(names, luaKeywords...)
		l.L.G.Global.ForEach(func(k, _ lua.LValue) { names = append(names, lua.LVAsString(k)) })
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, word) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), start, end
}

// Inspect documents the fsc function or method at cursor (or, after an
// opening parenthesis, the one being called), or shows the type and value
// of the global variable there. fsc.name is a module function; x:name a
// method of what x holds (a table or the node), a table's by default.
func (l *Runtime) Inspect(code string, cursor int) (string, bool) {
	r := []rune(code)
	cursor = min(max(cursor, 0), len(r))
	qual, _, start, _ := token(code, cursor)
	end := start
	for end < len(r) && luaWordRune(r[end]) {
		end++
	}
	name := string(r[start:end])
	if name == "" {
		call := luaCallee(r, cursor)
		if call < 0 {
			return "", false
		}
		qual, _, start, _ = token(code, call)
		name = string(r[start:call])
	}
	if name == "" {
		return "", false
	}
	on, method := "", strings.HasSuffix(qual, ":")
	if method {
		on = script.OnTable
		if ud, ok := l.L.GetGlobal(strings.TrimSuffix(qual, ":")).(*lua.LUserData); ok && script.Receiver(ud.Value) != "" {
			on = script.Receiver(ud.Value)
		}
	}
	if qual == "fsc." || method {
		for _, f := range script.Funcs {
			if f.Name == name && f.On == on {
				return luaDoc(f), true
			}
		}
		return "", false
	}
	if v := l.L.GetGlobal(name); v != lua.LNil {
		return fmt.Sprintf("%s: %s\n\n%s", name, v.Type(), luaString(l.L, v)), true
	}
	for _, f := range script.Funcs {
		if f.Name == name && f.On == "" {
			return luaDoc(f), true
		}
	}
	return "", false
}

// luaDoc is a function's documentation as Lua calls it.
func luaDoc(f *script.Func) string {
	if f.On != "" {
		return strings.ToLower(f.On[:1]) + ":" + f.Doc
	}
	return "fsc." + f.Doc
}

func luaWordRune(c rune) bool { return c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c) }

// luaCallee is the position just after the name of the function whose
// call the cursor is in (its unclosed parenthesis on the same line), or -1.
func luaCallee(r []rune, cursor int) int {
	depth := 0
	for i := cursor - 1; i >= 0; i-- {
		switch r[i] {
		case ')', ']', '}':
			depth++
		case '[', '{':
			depth--
		case '(':
			if depth > 0 {
				depth--
				continue
			}
			j := i
			for j > 0 && (r[j-1] == ' ' || r[j-1] == '\t') {
				j--
			}
			if j > 0 && luaWordRune(r[j-1]) {
				return j
			}
			return -1
		case '\n':
			if depth == 0 {
				return -1
			}
		}
	}
	return -1
}

// IsComplete parses code: input that ends inside a construct is
// incomplete.
func (l *Runtime) IsComplete(code string) (string, string) {
	_, err := l.L.LoadString(code)
	if err != nil {
		// A trailing expression runs too (and shows its value).
		if body, last := splitLastLine(code); last != "" {
			if _, e := l.L.LoadString(body + "\nreturn " + last); e == nil {
				err = nil
			}
		}
	}
	switch {
	case err == nil:
		return "complete", ""
	case strings.Contains(err.Error(), "at EOF"):
		return "incomplete", "  "
	}
	return "invalid", ""
}

// Language describes Lua for kernel_info.
func (l *Runtime) Language() script.LanguageInfo {
	v := strings.TrimPrefix(lua.LuaVersion, "Lua ")
	return script.LanguageInfo{Name: "lua", Version: v, Mimetype: "text/x-lua", FileExtension: ".lua", PygmentsLexer: "lua", CodemirrorMode: "lua",
		Exporter: "script", Syntax: v + ", gopher-lua", Example: `fsc.table("patients"):mean("age")`,
		ManualText: "Lua 5.1 manual", ManualURL: "https://www.lua.org/manual/5.1/", Interrupted: "interrupted"}
}

var _ script.Runtime = (*Runtime)(nil)
