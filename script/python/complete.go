package python

import (
	"sort"
	"strings"
	"unicode"

	"github.com/fsc-kernel/fsc-kernel/script"
	"github.com/fsc-kernel/fsc-kernel/script/python/internal/gpyext"
)

func identRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// session runs f with the interpreter unless a cell is running (the
// namespace is not safe to read then); it says whether f ran.
func (p *Runtime) session(f func(ip *interp)) (ran bool) {
	if !p.mu.TryLock() {
		return false
	}
	defer p.mu.Unlock()
	if p.ip == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			ran = false
		}
	}()
	f(p.ip)
	return true
}

// Complete returns the names that complete the identifier before cursor:
// after a dot the members of the object the dotted name before it holds
// (module members, script.Table methods, Result fields, attributes), otherwise
// the session's names, the builtins and the keywords. Nothing runs: no
// call, no property. While a cell runs, only fsc's members and keywords
// are offered.
func (p *Runtime) Complete(code string, cursor int) (matches []string, start, end int) {
	rs := []rune(code)
	cursor = min(max(cursor, 0), len(rs))
	start = cursor
	for start > 0 && identRune(rs[start-1]) {
		start--
	}
	prefix := string(rs[start:cursor])
	var names []string
	if start > 0 && rs[start-1] == '.' {
		chain := chainBefore(rs, start-1)
		if chain == "" {
			return nil, start, cursor
		}
		ran := p.session(func(ip *interp) {
			if obj := ip.Resolve(chain); obj != nil {
				names = gpyext.Members(obj, strings.HasPrefix(prefix, "_"))
			}
		})
		if !ran && chain == "fsc" {
			names = staticFscNames()
		}
	} else {
		names = append(names, gpyext.Keywords...)
		ran := p.session(func(ip *interp) {
			names = append(names, gpyext.SortedKeys(ip.Globals())...)
			names = append(names, gpyext.SortedKeys(ip.Builtins())...)
		})
		if !ran {
			names = append(names, "fsc")
		}
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] || !strings.HasPrefix(n, prefix) || (strings.HasPrefix(n, "_") && !strings.HasPrefix(prefix, "_")) {
			continue
		}
		seen[n] = true
		matches = append(matches, n)
	}
	sort.Strings(matches)
	return matches, start, cursor
}

// chainBefore is the dotted name that ends at end ("fsc", "t.where").
func chainBefore(rs []rune, end int) string {
	s := end
	for s > 0 && (identRune(rs[s-1]) || rs[s-1] == '.') {
		s--
	}
	chain := string(rs[s:end])
	if chain == "" || unicode.IsDigit(rs[s]) || strings.Contains(chain, "..") || strings.HasPrefix(chain, ".") {
		return ""
	}
	return chain
}

func staticFscNames() []string {
	names := append([]string{"Table", "Node", "Result", "Error"}, script.ErrorKinds()...)
	for _, f := range script.Methods("") {
		names = append(names, f.Name)
	}
	return names
}

// Inspect returns the documentation of the name at cursor (or of the
// function whose call the cursor is in): an fsc function's Doc, a
// function's docstring, a type's or module's doc, or a value's type and
// repr.
func (p *Runtime) Inspect(code string, cursor int) (doc string, found bool) {
	rs := []rune(code)
	cursor = min(max(cursor, 0), len(rs))
	s, e := cursor, cursor
	for s > 0 && (identRune(rs[s-1]) || rs[s-1] == '.') {
		s--
	}
	for e < len(rs) && identRune(rs[e]) {
		e++
	}
	chain := strings.Trim(string(rs[s:e]), ".")
	if chain == "" || unicode.IsDigit([]rune(chain)[0]) {
		chain = callee(rs, cursor)
	}
	if chain == "" {
		return "", false
	}
	p.session(func(ip *interp) {
		if obj := ip.Resolve(chain); obj != nil {
			doc, found = gpyext.Doc(obj), true
		}
	})
	if found {
		return doc, true
	}
	// Not in the session (or a cell runs): fsc.name is a module function,
	// x.name a table method, a bare name a module function.
	parts := strings.Split(chain, ".")
	last := parts[len(parts)-1]
	method := len(parts) > 1 && parts[len(parts)-2] != "fsc"
	for _, f := range script.Funcs {
		if f.Name == last && (f.On != "") == method {
			return gpyext.Doc(newFunc(f, nil)), true
		}
	}
	return "", false
}

// callee is the dotted name of the call whose parentheses hold cursor.
func callee(rs []rune, cursor int) string {
	depth := 0
	for i := cursor - 1; i >= 0; i-- {
		switch rs[i] {
		case ')', ']', '}':
			depth++
		case '[', '{':
			depth--
		case '(':
			if depth == 0 {
				return chainBefore(rs, i)
			}
			depth--
		case '\n':
			if depth == 0 {
				return ""
			}
		}
	}
	return ""
}

// IsComplete says whether code can run: "complete", "incomplete" with the
// indent the next line wants, or "invalid" (see gpyext.IsComplete).
func (p *Runtime) IsComplete(code string) (status, indent string) { return gpyext.IsComplete(code) }
