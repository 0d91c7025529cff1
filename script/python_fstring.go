package script

import "strings"

// gpython implements Python 3.4, before f-strings. A cell's f-strings are
// rewritten to str.format calls before it is compiled:
//
//	f"{name}: {mean:.2f} ({n!r})"  →  ("{}: {:.2f} ({!r})".format((name), (mean), (n)))
//
// String literals adjacent to an f-string join the same call (their braces
// doubled), nested fields in a spec become arguments in order, and
// f"{x=}" gives "x=" and the repr, as Python 3.8. Line numbers are kept.

// pyRewriteFStrings returns src with its f-strings rewritten; source it
// cannot scan (an unterminated string) comes back as it is, for the parser
// to report.
func pyRewriteFStrings(src string) (out string) {
	if !strings.ContainsAny(src, "fF") {
		return src
	}
	defer func() {
		if recover() != nil {
			out = src
		}
	}()
	out, ok := pyFStrings(src)
	if !ok {
		return src
	}
	return out
}

// pyLiteral is a string literal of the source.
type pyLiteral struct {
	start, end  int
	prefix      string
	quote, body string
	isF, isRaw  bool
	prefixNoF   string
}

func pyIdentByte(c byte, first bool) bool {
	return c == '_' || c >= 0x80 || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || (!first && '0' <= c && c <= '9')
}

func pyFStrings(src string) (string, bool) {
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
		case c == '"' || c == '\'' || pyIdentByte(c, true):
			lit, ok := pyScanLiteral(src, i)
			if !ok {
				return "", false
			}
			if lit == nil { // an identifier
				j := i
				for j < len(src) && pyIdentByte(src[j], false) {
					j++
				}
				b.WriteString(src[i:j])
				i = j
				continue
			}
			group, seps, end := []*pyLiteral{lit}, []string(nil), lit.end
			anyF := lit.isF
			for {
				k := pySkipBetween(src, end, depth > 0)
				if k >= len(src) || !(src[k] == '"' || src[k] == '\'' || pyIdentByte(src[k], true)) {
					break
				}
				next, ok := pyScanLiteral(src, k)
				if !ok {
					return "", false
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
				s, ok := pyRewriteGroup(group, seps)
				if !ok {
					return "", false
				}
				b.WriteString(s)
			}
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), true
}

// pyScanLiteral reads the string literal at i: nil (and true) when i starts
// an identifier instead, false when the literal does not end.
func pyScanLiteral(src string, i int) (*pyLiteral, bool) {
	j := i
	for j < len(src) && pyIdentByte(src[j], j == i) {
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
	return &pyLiteral{start: i, end: k + len(quote), prefix: prefix, quote: quote, body: src[j+len(quote) : k],
		isF: strings.Contains(lower, "f"), isRaw: strings.Contains(lower, "r"),
		prefixNoF: strings.NewReplacer("f", "", "F", "").Replace(prefix)}, true
}

// pySkipBetween skips what may separate adjacent literals: blanks and
// escaped newlines, and inside brackets newlines and comments.
func pySkipBetween(src string, i int, inBrackets bool) int {
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

// pyRewriteGroup rewrites adjacent literals, at least one an f-string.
func pyRewriteGroup(group []*pyLiteral, seps []string) (string, bool) {
	var lits strings.Builder
	var args []string
	for n, l := range group {
		if n > 0 {
			lits.WriteString(seps[n-1])
		}
		body := pyEscapeBraces(l.body, l.isRaw)
		if l.isF {
			var a []string
			var ok bool
			if body, a, ok = pyFBody(l.body, l.isRaw); !ok {
				return "", false
			}
			args = append(args, a...)
		}
		lits.WriteString(l.prefixNoF + l.quote + body + l.quote)
	}
	return "(" + lits.String() + ".format(" + strings.Join(args, ", ") + "))", true
}

// pyEscapeBraces doubles the braces of a plain literal's body (not those of
// a \N{name} escape).
func pyEscapeBraces(body string, raw bool) string {
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

// pyFBody turns an f-string's body into a format string and the
// expressions of its fields.
func pyFBody(body string, raw bool) (string, []string, bool) {
	var b strings.Builder
	var args []string
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\' && !raw && strings.HasPrefix(body[i:], `\N{`):
			k := strings.IndexByte(body[i:], '}')
			if k < 0 {
				return "", nil, false
			}
			b.WriteString(body[i : i+k+1])
			i += k + 1
		case c == '\\' && i+1 < len(body):
			b.WriteString(body[i : i+2])
			i += 2
		case c == '{' && strings.HasPrefix(body[i:], "{{"), c == '}' && strings.HasPrefix(body[i:], "}}"):
			b.WriteString(body[i : i+2])
			i += 2
		case c == '}':
			return "", nil, false // a single '}' is not allowed
		case c == '{':
			field, a, end, ok := pyFField(body, i+1)
			if !ok {
				return "", nil, false
			}
			b.WriteString(field)
			args = append(args, a...)
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), args, true
}

// pyFField rewrites the field that starts after the '{' at i-1: its format
// field, its arguments (the expression, then the spec's nested fields) and
// where it ends (after its '}').
func pyFField(body string, i int) (string, []string, int, bool) {
	e := pyExprEnd(body, i)
	if e < 0 {
		return "", nil, 0, false
	}
	expr := body[i:e]
	if strings.TrimSpace(expr) == "" {
		return "", nil, 0, false
	}
	var lead string
	if body[e] == '=' {
		e++
		for e < len(body) && body[e] == ' ' {
			e++
		}
		lead = pyEscapeBraces(body[i:e], true)
	}
	conv := ""
	if e < len(body) && body[e] == '!' {
		if e+1 >= len(body) {
			return "", nil, 0, false
		}
		conv = body[e : e+2]
		e += 2
	}
	args := []string{"(" + pyRewriteFStrings(expr) + ")"}
	var spec strings.Builder
	if e < len(body) && body[e] == ':' {
		spec.WriteByte(':')
		e++
		for e < len(body) && body[e] != '}' {
			if body[e] == '{' {
				inner, a, end, ok := pyFField(body, e+1)
				if !ok {
					return "", nil, 0, false
				}
				spec.WriteString(inner)
				args = append(args, a...)
				e = end
				continue
			}
			spec.WriteByte(body[e])
			e++
		}
	}
	if e >= len(body) || body[e] != '}' {
		return "", nil, 0, false
	}
	if lead != "" && conv == "" && spec.Len() == 0 {
		conv = "!r"
	}
	return lead + "{" + conv + spec.String() + "}", args, e + 1, true
}

// pyExprEnd finds where a field's expression ends: the '}', '!', ':' or
// debugging '=' outside brackets and strings; -1 when it does not.
func pyExprEnd(s string, i int) int {
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
