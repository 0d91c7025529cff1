package script

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	lua "github.com/yuin/gopher-lua"
)

// luaGrace is how long a cancelled cell has to stop before its Lua state
// is abandoned: the VM sees a cancel between instructions, not inside a
// long builtin call (string.rep of a gigabyte).
const luaGrace = time.Second

// Execute runs a cell. A last line that is an expression shows its value,
// as the Lua REPL does. A cell that does not stop within luaGrace of a
// cancel is left to finish on its own: the session goes on in a fresh Lua
// state, which the output says, and Execute returns ctx.Err().
func (l *Lua) Execute(ctx context.Context, code string) (map[string]string, error) {
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
		l.env.print("[the cell did not stop within %v: it is inside a long builtin call; the Lua session was restarted and its variables are lost]\n", luaGrace)
		return nil, ctx.Err()
	}
}

func (l *Lua) execute(ctx context.Context, L *lua.LState, code string) (map[string]string, error) {
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
func (l *Lua) Complete(code string, cursor int) ([]string, int, int) {
	qual, word, start, end := token(code, cursor)
	var names []string
	switch {
	case qual == "fsc.":
		for _, f := range Methods("") {
			names = append(names, f.Name)
		}
	case strings.HasSuffix(qual, ":"):
		for _, f := range Funcs {
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

// Inspect documents the fsc function or method at cursor, or shows the
// type and value of the global variable there.
func (l *Lua) Inspect(code string, cursor int) (string, bool) {
	r := []rune(code)
	_, _, start, _ := token(code, cursor)
	end := start
	for end < len(r) && (r[end] == '_' || unicode.IsLetter(r[end]) || unicode.IsDigit(r[end])) {
		end++
	}
	name := string(r[start:end])
	for _, f := range Funcs {
		if f.Name == name {
			return f.Doc, true
		}
	}
	if v := l.L.GetGlobal(name); v != lua.LNil && name != "" {
		return fmt.Sprintf("%s: %s\n\n%s", name, v.Type(), luaString(l.L, v)), true
	}
	return "", false
}

// IsComplete parses code: input that ends inside a construct is
// incomplete.
func (l *Lua) IsComplete(code string) (string, string) {
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
func (l *Lua) Language() LanguageInfo {
	v := strings.TrimPrefix(lua.LuaVersion, "Lua ")
	return LanguageInfo{Name: "lua", Version: v, Mimetype: "text/x-lua", FileExtension: ".lua", PygmentsLexer: "lua", CodemirrorMode: "lua",
		Exporter: "script", Syntax: v + ", gopher-lua", Example: `fsc.table("patients"):mean("age")`,
		ManualText: "Lua 5.1 manual", ManualURL: "https://www.lua.org/manual/5.1/", Interrupted: "interrupted"}
}

var _ Runtime = (*Lua)(nil)
