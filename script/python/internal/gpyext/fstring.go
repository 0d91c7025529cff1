package gpyext

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/parser"
	"github.com/go-python/gpython/py"
)

// F-strings came with Python 3.6; gpython implements 3.4 and its parser
// does not know them. This file parses them.
//
// A group of adjacent string literals of which at least one is an
// f-string (Python joins adjacent literals into one string) is parsed into
// parts: literal text, and replacement fields, each with its expression as
// the analyst wrote it and where it stands in the cell, its conversion
// (!r, !s, !a), its format specification (which may hold nested fields)
// and, for f"{x=}" as in Python 3.8, its debugging text. Each expression is
// parsed on its own by gpython's parser, so that an error in it is
// reported in the analyst's terms: f'{x +}' is "f-string: invalid syntax
// (line 1): f'{x +}'", and the f-string's own errors are CPython's
// ("f-string: single '}' is not allowed", "f-string: expecting '}'",
// "f-string: empty expression not allowed").
//
// gpython's parser reads the cell with each group standing in as a name
// in parentheses that spans the group's lines, so that every line keeps
// its number. The group's syntax tree, a call of str.format on its literal
// text with the fields' expressions as the arguments, then takes that
// name's place in the cell's tree (tree.go), and the cell is compiled from
// its tree (compile_tree.go). No source is written that the analyst did
// not write, and every node keeps the line it came from.

// fError is an error of an f-string: CPython's message, and the offset in
// the cell of what it is about.
type fError struct {
	msg string
	at  int
}

func (e *fError) Error() string { return e.msg }

// fField is one replacement field of an f-string.
type fField struct {
	expr  string  // the expression, as written
	at    int     // its offset in the cell
	debug string  // the text of a debugging field ("x = "), or ""
	conv  string  // "!r", "!s", "!a" or ""
	spec  []fPart // the format specification: text and nested fields
}

// fPart is a piece of an f-string: text, as str.format reads it (its
// braces doubled), or a field.
type fPart struct {
	text  string
	field *fField
}

// fGroup is a group of adjacent literals, at least one an f-string.
type fGroup struct {
	at    int        // its offset in the cell
	lits  []*literal // the literals
	seps  []string   // what stands between them
	parts [][]fPart  // each f-string literal's parts (nil for the others)
}

// cellParser parses a cell, f-strings included.
type cellParser struct {
	code string // the cell
	tag  string // the placeholders' prefix, which the cell does not hold
}

// parseCell parses code in exec mode. Its error is an *fError for an
// error of an f-string, else the error of gpython's parser.
func parseCell(code string) (*ast.Module, error) {
	p := &cellParser{code: code, tag: "_fsc_fstring_"}
	for strings.Contains(code, p.tag) {
		p.tag += "_"
	}
	tree, err := p.parse(code, 0, py.ExecMode)
	if err != nil {
		return nil, err
	}
	return tree.(*ast.Module), nil
}

// parse parses src, which stands at offset base of the cell, in mode.
// Every node of the tree has the line of the cell it came from.
func (p *cellParser) parse(src string, base int, mode py.CompileMode) (ast.Ast, error) {
	placed, groups, ferr := p.place(src, base)
	if ferr != nil {
		return nil, ferr
	}
	if !strings.HasSuffix(placed, "\n") {
		placed += "\n"
	}
	tree, perr := parser.Parse(bytes.NewBufferString(placed), "<cell>", mode)
	trees := make(map[string]fTree, len(groups))
	for i, g := range groups {
		t, err := p.groupTree(g)
		if err != nil {
			return nil, err // also when the cell does not parse: an f-string may be why
		}
		trees[p.tag+strconv.Itoa(i)] = fTree{t, g.at}
	}
	if perr != nil {
		return nil, perr
	}
	shiftLines(tree, p.line(base)-1)
	if err := substitute(tree, trees); err != nil {
		return nil, err
	}
	return tree, nil
}

// line is the line of the cell (1-based) that offset at is on.
func (p *cellParser) line(at int) int {
	return strings.Count(p.code[:min(max(at, 0), len(p.code))], "\n") + 1
}

// place returns src with each f-string group replaced by its placeholder,
// the groups in the order of their placeholders' numbers, or the first
// error of an f-string's form. Source it cannot scan (a literal that does
// not end) comes back as it is, for gpython's parser to report.
func (p *cellParser) place(src string, base int) (string, []*fGroup, *fError) {
	if !strings.ContainsAny(src, "fF") {
		return src, nil, nil
	}
	var b strings.Builder
	var groups []*fGroup
	depth := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '#':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			b.WriteString(src[i : i+j])
			i += j
		case c == '(' || c == '[' || c == '{':
			depth++
			b.WriteByte(c)
			i++
		case c == ')' || c == ']' || c == '}':
			depth = max(depth-1, 0)
			b.WriteByte(c)
			i++
		case c == '"' || c == '\'' || identByte(c, true):
			lit, ok := scanLiteral(src, i)
			if !ok {
				return src, nil, nil
			}
			if lit == nil { // an identifier
				j := i
				for j < len(src) && identByte(src[j], false) {
					j++
				}
				b.WriteString(src[i:j])
				i = j
				continue
			}
			g := &fGroup{at: base + i, lits: []*literal{lit}}
			anyF, end := lit.isF, lit.end
			for {
				k := skipBetween(src, end, depth > 0)
				if k >= len(src) || !(src[k] == '"' || src[k] == '\'' || identByte(src[k], true)) {
					break
				}
				next, ok := scanLiteral(src, k)
				if !ok {
					return src, nil, nil
				}
				if next == nil {
					break
				}
				g.seps = append(g.seps, src[end:k])
				g.lits = append(g.lits, next)
				anyF = anyF || next.isF
				end = next.end
			}
			if !anyF {
				b.WriteString(src[i:end])
				i = end
				continue
			}
			for _, l := range g.lits {
				var parts []fPart
				if l.isF {
					var ferr *fError
					if parts, ferr = parseFBody(l.body, l.isRaw, base+l.start+len(l.prefix)+len(l.quote)); ferr != nil {
						return "", nil, ferr
					}
				}
				g.parts = append(g.parts, parts)
			}
			b.WriteString("(" + p.tag + strconv.Itoa(len(groups)))
			b.WriteString(strings.Repeat("\n", strings.Count(src[i:end], "\n")) + ")")
			groups = append(groups, g)
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), groups, nil
}

// groupTree is the syntax tree of a group: str.format called on its
// literal text, with its fields' expressions as the arguments.
func (p *cellParser) groupTree(g *fGroup) (ast.Expr, error) {
	var lits strings.Builder
	var args []ast.Expr
	lits.WriteByte('(')
	for n, l := range g.lits {
		if n > 0 {
			lits.WriteString(g.seps[n-1])
		}
		text := escapeBraces(l.body, l.isRaw)
		if l.isF {
			var b strings.Builder
			if err := p.formatText(&b, &args, g.parts[n], l.isRaw); err != nil {
				return nil, err
			}
			text = b.String()
		}
		lits.WriteString(l.prefixNoF + l.quote + text + l.quote)
	}
	lits.WriteString(")\n")
	t, err := parser.Parse(strings.NewReader(lits.String()), "<f-string>", py.EvalMode)
	if err != nil {
		return nil, &fError{"f-string: " + exceptionText(err, "invalid string"), g.at}
	}
	s, ok := t.(*ast.Expression).Body.(*ast.Str)
	if !ok {
		return nil, &fError{"f-string: not a str", g.at}
	}
	pos := ast.Pos{Lineno: p.line(g.at)}
	return &ast.Call{
		ExprBase: ast.ExprBase{Pos: pos},
		Func: &ast.Attribute{ExprBase: ast.ExprBase{Pos: pos}, Attr: "format", Ctx: ast.Load,
			Value: &ast.Str{ExprBase: ast.ExprBase{Pos: pos}, S: s.S}},
		Args: args,
	}, nil
}

// formatText writes parts as str.format's format string, and the trees
// of the fields' expressions, in the order str.format reads them, to args.
func (p *cellParser) formatText(b *strings.Builder, args *[]ast.Expr, parts []fPart, raw bool) error {
	for _, part := range parts {
		f := part.field
		if f == nil {
			b.WriteString(part.text)
			continue
		}
		conv := f.conv
		if f.debug != "" {
			lead := escapeBraces(f.debug, true)
			if strings.Contains(lead, "\n") {
				if raw {
					return &fError{"f-string: a debugging field (=) of a raw f-string cannot span lines", f.at}
				}
				lead = strings.ReplaceAll(lead, "\n", `\n`) // the same text, on one line
			}
			b.WriteString(lead)
			if conv == "" && len(f.spec) == 0 {
				conv = "!r"
			}
		}
		arg, err := p.fieldTree(f)
		if err != nil {
			return err
		}
		*args = append(*args, arg)
		b.WriteString("{" + conv)
		if len(f.spec) > 0 {
			b.WriteByte(':')
			if err := p.formatText(b, args, f.spec, raw); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	}
	return nil
}

// fieldTree parses a field's expression on its own (in parentheses, as
// Python does); an error names the line of the cell it is on.
func (p *cellParser) fieldTree(f *fField) (ast.Expr, error) {
	t, err := p.parse("("+f.expr+")", f.at-1, py.EvalMode)
	if err == nil {
		return t.(*ast.Expression).Body, nil
	}
	if ferr, ok := err.(*fError); ok {
		return nil, ferr
	}
	line := 1
	if exc, ok := err.(*py.Exception); ok {
		if l, ok := exc.Dict["lineno"].(py.Int); ok && l > 0 {
			line = int(l)
		}
	}
	off := 0 // the offset in the expression of the line the error is on
	for n := 1; n < line; n++ {
		k := strings.IndexByte(f.expr[off:], '\n')
		if k < 0 {
			break
		}
		off += k + 1
	}
	return nil, &fError{"f-string: " + exceptionText(err, "invalid syntax"), f.at + off}
}

// exceptionText is the message of a parser's error, or otherwise.
func exceptionText(err error, otherwise string) string {
	if exc, ok := err.(*py.Exception); ok {
		if m := ExceptionMessage(exc); m != "" {
			return m
		}
	}
	return otherwise
}

// literal is a string literal of the source.
type literal struct {
	start, end  int
	prefix      string
	quote, body string
	isF, isRaw  bool
	prefixNoF   string
}

func identByte(c byte, first bool) bool {
	return c == '_' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (!first && '0' <= c && c <= '9')
}

// scanLiteral reads the string literal at i: nil (and true) when i starts
// an identifier instead, false when the literal does not end.
func scanLiteral(src string, i int) (*literal, bool) {
	j := i
	for j < len(src) && identByte(src[j], j == i) {
		j++
	}
	if j >= len(src) || (src[j] != '"' && src[j] != '\'') {
		return nil, true
	}
	prefix := src[i:j]
	switch strings.ToLower(prefix) {
	case "", "r", "u", "b", "br", "rb", "f", "fr", "rf":
	default:
		return nil, true
	}
	quote := src[j : j+1]
	if strings.HasPrefix(src[j:], strings.Repeat(quote, 3)) {
		quote = strings.Repeat(quote, 3)
	}
	k := j + len(quote)
	for {
		if k >= len(src) {
			return nil, false
		}
		if strings.HasPrefix(src[k:], quote) {
			break
		}
		switch src[k] {
		case '\\':
			k += 2
			continue
		case '\n':
			if len(quote) == 1 {
				return nil, false
			}
		}
		k++
	}
	lower := strings.ToLower(prefix)
	return &literal{start: i, end: k + len(quote), prefix: prefix, quote: quote, body: src[j+len(quote) : k],
		isF: strings.Contains(lower, "f"), isRaw: strings.Contains(lower, "r"),
		prefixNoF: strings.NewReplacer("f", "", "F", "").Replace(prefix)}, true
}

// skipBetween skips what may separate adjacent literals: blanks and
// escaped newlines, and inside brackets newlines and comments.
func skipBetween(src string, i int, inBrackets bool) int {
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t' || c == '\f':
			i++
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i += 2
		case inBrackets && (c == '\n' || c == '\r'):
			i++
		case inBrackets && c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// parseFBody parses the body of an f-string literal that starts at offset
// at of the cell.
func parseFBody(body string, raw bool, at int) ([]fPart, *fError) {
	var parts []fPart
	var text strings.Builder
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\' && !raw && strings.HasPrefix(body[i:], `\N{`):
			k := strings.IndexByte(body[i:], '}')
			if k < 0 {
				return nil, &fError{"f-string: malformed \\N character escape", at + i}
			}
			text.WriteString(body[i : i+k+1])
			i += k + 1
		case c == '\\' && i+1 < len(body):
			text.WriteString(body[i : i+2])
			i += 2
		case c == '{' && strings.HasPrefix(body[i:], "{{"), c == '}' && strings.HasPrefix(body[i:], "}}"):
			text.WriteString(body[i : i+2])
			i += 2
		case c == '}':
			return nil, &fError{"f-string: single '}' is not allowed", at + i}
		case c == '{':
			f, end, ferr := parseField(body, i+1, at)
			if ferr != nil {
				return nil, ferr
			}
			if text.Len() > 0 {
				parts = append(parts, fPart{text: text.String()})
				text.Reset()
			}
			parts = append(parts, fPart{field: f})
			i = end
		default:
			text.WriteByte(c)
			i++
		}
	}
	if text.Len() > 0 {
		parts = append(parts, fPart{text: text.String()})
	}
	return parts, nil
}

// parseField parses the field whose expression starts at i of body (after
// its '{'); end is where the field ends, after its '}'.
func parseField(body string, i, at int) (f *fField, end int, ferr *fError) {
	e := exprEnd(body, i)
	if e < 0 {
		return nil, 0, &fError{"f-string: expecting '}'", at + i - 1}
	}
	f = &fField{expr: body[i:e], at: at + i}
	if strings.TrimSpace(f.expr) == "" {
		return nil, 0, &fError{"f-string: empty expression not allowed", at + i}
	}
	if k := strings.IndexByte(f.expr, '\\'); k >= 0 {
		return nil, 0, &fError{"f-string expression part cannot include a backslash", at + i + k}
	}
	if k := commentAt(f.expr); k >= 0 {
		return nil, 0, &fError{"f-string expression part cannot include '#'", at + i + k}
	}
	if body[e] == '=' {
		e++
		for e < len(body) && body[e] == ' ' {
			e++
		}
		f.debug = body[i:e]
	}
	if e < len(body) && body[e] == '!' {
		if e+1 >= len(body) || !strings.ContainsRune("rsa", rune(body[e+1])) {
			return nil, 0, &fError{"f-string: invalid conversion character: expected 's', 'r', or 'a'", at + e}
		}
		f.conv = body[e : e+2]
		e += 2
	}
	if e < len(body) && body[e] == ':' {
		e++
		var spec strings.Builder
		for e < len(body) && body[e] != '}' {
			if body[e] != '{' {
				spec.WriteByte(body[e])
				e++
				continue
			}
			inner, next, ferr := parseField(body, e+1, at)
			if ferr != nil {
				return nil, 0, ferr
			}
			if spec.Len() > 0 {
				f.spec = append(f.spec, fPart{text: spec.String()})
				spec.Reset()
			}
			f.spec = append(f.spec, fPart{field: inner})
			e = next
		}
		if spec.Len() > 0 {
			f.spec = append(f.spec, fPart{text: spec.String()})
		}
	}
	if e >= len(body) || body[e] != '}' {
		return nil, 0, &fError{"f-string: expecting '}'", at + min(e, len(body))}
	}
	return f, e + 1, nil
}

// commentAt is the offset of a '#' outside string literals, or -1.
func commentAt(expr string) int {
	var quote byte
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == '#':
			return i
		}
	}
	return -1
}

// escapeBraces doubles the braces of a plain literal's body (not those of
// a \N{name} escape).
func escapeBraces(body string, raw bool) string {
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '\\' && !raw && strings.HasPrefix(body[i:], `\N{`) {
			if k := strings.IndexByte(body[i:], '}'); k > 0 {
				b.WriteString(body[i : i+k+1])
				i += k
				continue
			}
		}
		if c == '\\' && i+1 < len(body) {
			b.WriteString(body[i : i+2])
			i++
			continue
		}
		if c == '{' || c == '}' {
			b.WriteByte(c)
		}
		b.WriteByte(c)
	}
	return b.String()
}

// exprEnd finds where a field's expression ends: the '}', '!', ':' or
// debugging '=' outside brackets and strings; -1 when it does not.
func exprEnd(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"':
			k := strings.IndexByte(s[i+1:], c)
			if k < 0 {
				return -1
			}
			i += k + 1
		case '(', '[', '{':
			depth++
		case ')', ']':
			depth--
		case '}':
			if depth == 0 {
				return i
			}
			depth--
		case '!':
			if depth == 0 && !strings.HasPrefix(s[i:], "!=") {
				return i
			}
			if strings.HasPrefix(s[i:], "!=") {
				i++
			}
		case ':':
			if depth == 0 {
				return i
			}
		case '=':
			if strings.HasPrefix(s[i:], "==") {
				i++
				continue
			}
			if i > 0 && strings.ContainsRune("<>!=", rune(s[i-1])) {
				continue
			}
			if depth == 0 {
				rest := strings.TrimLeft(s[i+1:], " ")
				if rest == "" || rest[0] == '}' || rest[0] == '!' || rest[0] == ':' {
					return i
				}
			}
		}
	}
	return -1
}
