package gpyext

import (
	"bytes"
	"strings"

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
// parsed on its own, so that an error in it is reported in the analyst's
// terms: f'{x +}' is "f-string: invalid syntax (line 1): f'{x +}'", and the
// f-string's own errors are CPython's ("f-string: single '}' is not
// allowed", "f-string: expecting '}'", "f-string: empty expression not
// allowed").
//
// A parsed group runs as a call of str.format on its literal text, the
// fields' expressions as the arguments: gpython v0.2.0 compiles only source
// text, so that call is what its compiler is handed, on the lines the
// f-string held. It is never shown: a cell's errors quote the cell's own
// lines (see Compile), and every line keeps its number.

// fError is an error of an f-string: CPython's message, and the offset in
// the cell of what it is about.
type fError struct {
	msg string
	at  int
}

func (e *fError) Error() string { return e.msg }

// fField is one replacement field of an f-string.
type fField struct {
	expr    string  // the expression, as written
	at      int     // its offset in the cell
	lowered string  // the expression with its own f-strings lowered
	debug   string  // the text of a debugging field ("x = "), or ""
	conv    string  // "!r", "!s", "!a" or ""
	spec    []fPart // the format specification: text and nested fields
}

// fPart is a piece of an f-string: text, as str.format reads it (its
// braces doubled), or a field.
type fPart struct {
	text  string
	field *fField
}

// lowerFStrings returns src (which starts at offset base of the cell) with
// each f-string group lowered to a str.format call, or the first error of
// an f-string. With check, every field's expression is parsed on its own
// too (Compile asks for that only when the lowered cell does not parse, to
// find whether an f-string is why). Source it cannot scan (a literal that
// does not end) comes back as it is, for gpython's parser to report.
func lowerFStrings(src string, base int, check bool) (out string, ferr *fError) {
	if !strings.ContainsAny(src, "fF") {
		return src, nil
	}
	defer func() {
		if recover() != nil {
			out, ferr = src, nil
		}
	}()
	out, ok, ferr := lowerSource(src, base, check)
	if ferr != nil {
		return "", ferr
	}
	if !ok {
		return src, nil
	}
	return out, nil
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

// lowerSource lowers the f-string groups of src, which starts at offset
// base of the cell, skipping comments and other literals: false when a
// literal does not end.
func lowerSource(src string, base int, check bool) (string, bool, *fError) {
	var b strings.Builder
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
				return "", false, nil
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
			group, seps, end := []*literal{lit}, []string(nil), lit.end
			anyF := lit.isF
			for {
				k := skipBetween(src, end, depth > 0)
				if k >= len(src) || !(src[k] == '"' || src[k] == '\'' || identByte(src[k], true)) {
					break
				}
				next, ok := scanLiteral(src, k)
				if !ok {
					return "", false, nil
				}
				if next == nil {
					break
				}
				seps = append(seps, src[end:k])
				group = append(group, next)
				anyF = anyF || next.isF
				end = next.end
			}
			if !anyF {
				b.WriteString(src[i:end])
			} else {
				s, ferr := lowerGroup(base, group, seps, check)
				if ferr != nil {
					return "", false, ferr
				}
				b.WriteString(s)
			}
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), true, nil
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

// lowerGroup parses adjacent literals of src, at least one an f-string,
// and lowers them to one str.format call.
func lowerGroup(base int, group []*literal, seps []string, check bool) (string, *fError) {
	var lits strings.Builder
	var args []string
	for n, l := range group {
		if n > 0 {
			lits.WriteString(seps[n-1])
		}
		text := escapeBraces(l.body, l.isRaw)
		if l.isF {
			at := base + l.start + len(l.prefix) + len(l.quote)
			parts, ferr := parseFBody(l.body, l.isRaw, at, check)
			if ferr != nil {
				return "", ferr
			}
			var b strings.Builder
			if ferr := formatText(&b, &args, parts, l.isRaw); ferr != nil {
				return "", ferr
			}
			text = b.String()
		}
		lits.WriteString(l.prefixNoF + l.quote + text + l.quote)
	}
	return "(" + lits.String() + ".format(" + strings.Join(args, ", ") + "))", nil
}

// formatText writes parts as str.format's format string, and the fields'
// expressions, in the order str.format reads them, to args.
func formatText(b *strings.Builder, args *[]string, parts []fPart, raw bool) *fError {
	for _, p := range parts {
		f := p.field
		if f == nil {
			b.WriteString(p.text)
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
		*args = append(*args, "("+f.lowered+")")
		b.WriteString("{" + conv)
		if len(f.spec) > 0 {
			b.WriteByte(':')
			if ferr := formatText(b, args, f.spec, raw); ferr != nil {
				return ferr
			}
		}
		b.WriteByte('}')
	}
	return nil
}

// parseFBody parses the body of an f-string literal that starts at offset
// at of the cell.
func parseFBody(body string, raw bool, at int, check bool) ([]fPart, *fError) {
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
			f, end, ferr := parseField(body, i+1, at, check)
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
func parseField(body string, i, at int, check bool) (f *fField, end int, ferr *fError) {
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
	if f.lowered, ferr = lowerFStrings(f.expr, f.at, check); ferr != nil {
		return nil, 0, ferr
	}
	if check {
		if ferr := checkExpression(f.lowered, f.at); ferr != nil {
			return nil, 0, ferr
		}
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
			inner, next, ferr := parseField(body, e+1, at, check)
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

// checkExpression parses a field's expression on its own (in parentheses,
// as Python does); an error names the line of the cell it is on.
func checkExpression(expr string, at int) (ferr *fError) {
	defer func() {
		if recover() != nil {
			ferr = &fError{"f-string: invalid syntax", at}
		}
	}()
	_, err := parser.Parse(bytes.NewBufferString("("+expr+")\n"), "<f-string>", py.EvalMode)
	if err == nil {
		return nil
	}
	msg, line := "invalid syntax", 1
	if exc, ok := err.(*py.Exception); ok {
		if m := ExceptionMessage(exc); m != "" {
			msg = m
		}
		if l, ok := exc.Dict["lineno"].(py.Int); ok && l > 0 {
			line = int(l)
		}
	}
	off := 0 // the offset in expr of the line the error is on
	for n := 1; n < line; n++ {
		k := strings.IndexByte(expr[off:], '\n')
		if k < 0 {
			break
		}
		off += k + 1
	}
	return &fError{"f-string: " + msg, at + off}
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
