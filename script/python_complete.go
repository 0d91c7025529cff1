package script

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/go-python/gpython/parser"
	"github.com/go-python/gpython/py"
)

// pyKeywords are Python 3's keywords.
var pyKeywords = []string{"False", "None", "True", "and", "as", "assert", "break", "class", "continue", "def", "del",
	"elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
	"not", "or", "pass", "raise", "return", "try", "while", "with", "yield"}

func pyIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// session runs f with the interpreter unless a cell is running (the
// namespace is not safe to read then); it says whether f ran.
func (p *Python) session(f func(ip *pyInterp)) (ran bool) {
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
// (module members, Table methods, Result fields, attributes), otherwise
// the session's names, the builtins and the keywords. Nothing runs: no
// call, no property. While a cell runs, only fsc's members and keywords
// are offered.
func (p *Python) Complete(code string, cursor int) (matches []string, start, end int) {
	rs := []rune(code)
	cursor = min(max(cursor, 0), len(rs))
	start = cursor
	for start > 0 && pyIdentRune(rs[start-1]) {
		start--
	}
	prefix := string(rs[start:cursor])
	var names []string
	if start > 0 && rs[start-1] == '.' {
		chain := pyChainBefore(rs, start-1)
		if chain == "" {
			return nil, start, cursor
		}
		ran := p.session(func(ip *pyInterp) {
			if obj := ip.resolve(chain); obj != nil {
				names = pyMembers(obj, strings.HasPrefix(prefix, "_"))
			}
		})
		if !ran && chain == "fsc" {
			names = pyStaticFscNames()
		}
	} else {
		names = append(names, pyKeywords...)
		ran := p.session(func(ip *pyInterp) {
			names = append(names, pySortedKeys(ip.main.Globals)...)
			names = append(names, pySortedKeys(ip.ctx.Store().Builtins.Globals)...)
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

// pyChainBefore is the dotted name that ends at end ("fsc", "t.where").
func pyChainBefore(rs []rune, end int) string {
	s := end
	for s > 0 && (pyIdentRune(rs[s-1]) || rs[s-1] == '.') {
		s--
	}
	chain := string(rs[s:end])
	if chain == "" || unicode.IsDigit(rs[s]) || strings.Contains(chain, "..") || strings.HasPrefix(chain, ".") {
		return ""
	}
	return chain
}

func pyStaticFscNames() []string {
	names := append([]string{"Table", "Node", "Result", "Error"}, errorKinds...)
	for _, f := range Methods("") {
		names = append(names, f.Name)
	}
	return names
}

// resolve finds what a dotted name holds without running any code.
func (ip *pyInterp) resolve(chain string) py.Object {
	parts := strings.Split(chain, ".")
	obj, ok := ip.main.Globals[parts[0]]
	if !ok {
		if obj, ok = ip.ctx.Store().Builtins.Globals[parts[0]]; !ok {
			return nil
		}
	}
	for _, name := range parts[1:] {
		if obj = pyAttr(obj, name); obj == nil {
			return nil
		}
	}
	return obj
}

// pyAttr reads an attribute from dictionaries only (no __getattr__, no
// property).
func pyAttr(obj py.Object, name string) py.Object {
	switch x := obj.(type) {
	case *py.Module:
		return x.Globals[name]
	case *py.Type:
		if v, ok := x.Dict[name]; ok {
			return v
		}
		return x.Lookup(name)
	case *pyResult:
		if v, ok := x.fields[name]; ok {
			return v
		}
	case *pyObject:
		if f, ok := x.Type().Dict[name].(*pyFunc); ok {
			b, _ := f.M__get__(x, x.Type())
			return b
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

// pyMembers lists an object's attribute names, sorted; names starting with
// "_" only when private.
func pyMembers(obj py.Object, private bool) []string {
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
	case *pyResult:
		for _, k := range x.keys {
			set[k] = true
		}
		addDict(pyResultType.Dict)
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

// Inspect returns the documentation of the name at cursor (or of the
// function whose call the cursor is in): an fsc function's Doc, a
// function's docstring, a type's or module's doc, or a value's type and
// repr.
func (p *Python) Inspect(code string, cursor int) (doc string, found bool) {
	rs := []rune(code)
	cursor = min(max(cursor, 0), len(rs))
	s, e := cursor, cursor
	for s > 0 && (pyIdentRune(rs[s-1]) || rs[s-1] == '.') {
		s--
	}
	for e < len(rs) && pyIdentRune(rs[e]) {
		e++
	}
	chain := strings.Trim(string(rs[s:e]), ".")
	if chain == "" || unicode.IsDigit([]rune(chain)[0]) {
		chain = pyCallee(rs, cursor)
	}
	if chain == "" {
		return "", false
	}
	p.session(func(ip *pyInterp) {
		if obj := ip.resolve(chain); obj != nil {
			doc, found = pyDocOf(obj), true
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
	for _, f := range Funcs {
		if f.Name == last && (f.On != "") == method {
			return pyDocOf(newPyFunc(f, nil)), true
		}
	}
	return "", false
}

// pyCallee is the dotted name of the call whose parentheses hold cursor.
func pyCallee(rs []rune, cursor int) string {
	depth := 0
	for i := cursor - 1; i >= 0; i-- {
		switch rs[i] {
		case ')', ']', '}':
			depth++
		case '[', '{':
			depth--
		case '(':
			if depth == 0 {
				return pyChainBefore(rs, i)
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

// pyDocOf is the documentation help() and Inspect show for a value.
func pyDocOf(v py.Object) string {
	switch x := v.(type) {
	case *pyFunc:
		if x.f.On != "" {
			return x.f.On + "." + x.f.Doc
		}
		return "fsc." + x.f.Doc
	case *py.Function:
		sig := x.Name + "(" + strings.Join(x.Code.Varnames[:min(int(x.Code.Argcount), len(x.Code.Varnames))], ", ") + ")"
		if d, ok := x.Doc.(py.String); ok && d != "" {
			return sig + "\n\n" + string(d)
		}
		return sig
	case *py.BoundMethod:
		return pyDocOf(x.Method)
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
	case *pyObject:
		var b strings.Builder
		fmt.Fprintf(&b, "%s\n\n%s\n\nMethods:\n", x.v, x.Type().Doc)
		for _, f := range Methods(receiver(x.v)) {
			fmt.Fprintf(&b, "  %s\n", f.Doc)
		}
		return strings.TrimRight(b.String(), "\n")
	case *pyResult:
		return x.rich.String() + "\n\n" + pyResultType.Doc
	case py.Int, py.Float, py.Bool, py.String, py.NoneType, *py.BigInt:
		s, _ := pyRepr(v)
		return v.Type().Name + ": " + s
	case *py.List:
		return fmt.Sprintf("list of %d items", len(x.Items))
	case py.Tuple:
		return fmt.Sprintf("tuple of %d items", len(x))
	case py.StringDict:
		return fmt.Sprintf("dict of %d items: %s", len(x), strings.Join(pySortedKeys(x), ", "))
	}
	t := v.Type()
	return t.Name + " object\n\n" + t.Doc
}

// IsComplete says whether code can run: "complete", "incomplete" with the
// indent the next line wants (four more spaces after a line ending in ':'
// or inside open brackets; the block's indent while a block is open and no
// blank line closed it) or "invalid".
func (p *Python) IsComplete(code string) (status, indent string) {
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	lines := strings.Split(code, "\n")
	last := len(lines) - 1
	for last > 0 && strings.TrimSpace(lines[last]) == "" {
		last--
	}
	lastLine := lines[last]
	// The logical line the last line belongs to starts where no bracket is
	// open: its indent is the block's.
	first, start := last, 0
	for _, l := range lines[:last] {
		start += len(l) + 1
	}
	for first > 0 && pyOpenBrackets(code[:start]) > 0 {
		first--
		start -= len(lines[first]) + 1
	}
	lead := lines[first][:len(lines[first])-len(strings.TrimLeft(lines[first], " \t"))]
	err := pyParse(code)
	if err == nil {
		blank := len(lines) >= 2 && strings.TrimSpace(lines[len(lines)-1]) == "" && strings.TrimSpace(lines[len(lines)-2]) == ""
		if lead != "" && !blank {
			return "incomplete", lead
		}
		return "complete", ""
	}
	msg := err.Error()
	if !strings.Contains(msg, "unexpected EOF") && !strings.Contains(msg, "EOF while scanning") {
		return "invalid", ""
	}
	if strings.HasSuffix(strings.TrimSpace(pyStripComment(lastLine)), ":") || pyOpenBrackets(code) > 0 {
		return "incomplete", lead + "    "
	}
	return "incomplete", ""
}

// pyParse parses code as a cell (f-strings rewritten), recovering panics.
func pyParse(code string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser: %v", r)
		}
	}()
	src := pyRewriteFStrings(code)
	if !strings.HasSuffix(src, "\n") {
		src += "\n"
	}
	_, err = parser.Parse(bytes.NewBufferString(src), "<cell>", py.ExecMode)
	return err
}

// pyStripComment removes a line's comment (outside strings).
func pyStripComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == '#':
			return line[:i]
		}
	}
	return line
}

// pyOpenBrackets counts the brackets code leaves open (outside strings and
// comments).
func pyOpenBrackets(code string) int {
	open := 0
	var quote string
	for i := 0; i < len(code); i++ {
		c := code[i]
		if quote != "" {
			switch {
			case c == '\\':
				i++
			case strings.HasPrefix(code[i:], quote):
				i += len(quote) - 1
				quote = ""
			}
			continue
		}
		switch c {
		case '#':
			for i < len(code) && code[i] != '\n' {
				i++
			}
		case '"', '\'':
			quote = string(c)
			if strings.HasPrefix(code[i:], strings.Repeat(quote, 3)) {
				quote = strings.Repeat(quote, 3)
				i += 2
			}
		case '(', '[', '{':
			open++
		case ')', ']', '}':
			open--
		}
	}
	return open
}
