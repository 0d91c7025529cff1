package gpyext

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-python/gpython/py"
)

// CPython's text for numbers: float repr, str.format and format
// specifications, gpython having none of them.
// floatRepr is CPython's repr of a float: the shortest text that reads
// back as the same float, with an exponent when the decimal point would be
// more than 16 digits right or 4 left of the first digit.
func floatRepr(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(x, 'e', -1, 64)
	if x != 0 {
		exp, _ := strconv.Atoi(s[strings.IndexByte(s, 'e')+1:])
		if decpt := exp + 1; decpt <= -4 || decpt > 16 {
			return s
		}
	}
	s = strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// formatString is str.format: literal text with {{ and }}, and fields
// {[name][!conversion][:spec]} where name is empty (the next argument), an
// index or a keyword, followed by .attribute or [key] lookups, and spec may
// hold nested fields.
func formatString(f string, args py.Tuple, kwargs py.StringDict) (string, error) {
	st := &formatter{args: args, kwargs: kwargs}
	return st.format(f, 0)
}

type formatter struct {
	args   py.Tuple
	kwargs py.StringDict
	next   int
	manual int // 0 not yet known, 1 automatic numbering, 2 manual
}

func (st *formatter) format(f string, depth int) (string, error) {
	if depth > 2 {
		return "", py.ExceptionNewf(py.ValueError, "Max string recursion exceeded")
	}
	var b strings.Builder
	for i := 0; i < len(f); {
		switch c := f[i]; c {
		case '{':
			if i+1 < len(f) && f[i+1] == '{' {
				b.WriteByte('{')
				i += 2
				continue
			}
			j, nest, bracket := i+1, 1, false
			for ; j < len(f); j++ {
				if bracket {
					bracket = f[j] != ']'
					continue
				}
				switch f[j] {
				case '[':
					bracket = nest == 1
				case '{':
					nest++
				case '}':
					nest--
				}
				if nest == 0 {
					break
				}
			}
			if j >= len(f) {
				return "", py.ExceptionNewf(py.ValueError, "expected '}' before end of string")
			}
			s, err := st.field(f[i+1:j], depth)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			i = j + 1
		case '}':
			if i+1 < len(f) && f[i+1] == '}' {
				b.WriteByte('}')
				i += 2
				continue
			}
			return "", py.ExceptionNewf(py.ValueError, "Single '}' encountered in format string")
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// field formats one replacement field (without its braces).
func (st *formatter) field(field string, depth int) (string, error) {
	end, bracket := len(field), false
	for k := 0; k < len(field); k++ {
		if bracket {
			bracket = field[k] != ']'
			continue
		}
		if field[k] == '[' {
			bracket = true
		} else if field[k] == '!' || field[k] == ':' {
			end = k
			break
		}
	}
	name, rest := field[:end], field[end:]
	v, err := st.lookup(name)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(rest, "!") {
		if len(rest) < 2 {
			return "", py.ExceptionNewf(py.ValueError, "end of string while looking for conversion specifier")
		}
		conv := rest[1]
		rest = rest[2:]
		if rest != "" && rest[0] != ':' {
			return "", py.ExceptionNewf(py.ValueError, "expected ':' after conversion specifier")
		}
		switch conv {
		case 'r', 'a':
			s, err := Repr(v)
			if err != nil {
				return "", err
			}
			if conv == 'a' {
				s = ascii(s)
			}
			v = py.String(s)
		case 's':
			s, err := str(v)
			if err != nil {
				return "", err
			}
			v = py.String(s)
		default:
			return "", py.ExceptionNewf(py.ValueError, "Unknown conversion specifier %c", conv)
		}
	}
	spec := strings.TrimPrefix(rest, ":")
	if strings.ContainsAny(spec, "{}") {
		if spec, err = st.format(spec, depth+1); err != nil {
			return "", err
		}
	}
	return formatValue(v, spec)
}

// lookup finds the object a field names.
func (st *formatter) lookup(name string) (py.Object, error) {
	k := strings.IndexAny(name, ".[")
	if k < 0 {
		k = len(name)
	}
	first, rest := name[:k], name[k:]
	var v py.Object
	// A field is positional when it is empty or all digits, as in
	// Python: "-1" and "+1" name keywords.
	if n, err := strconv.Atoi(first); first == "" || err == nil && allDigits(first) {
		if first == "" {
			if st.manual == 2 {
				return nil, py.ExceptionNewf(py.ValueError, "cannot switch from manual field specification to automatic field numbering")
			}
			st.manual, n = 1, st.next
			st.next++
		} else {
			if st.manual == 1 {
				return nil, py.ExceptionNewf(py.ValueError, "cannot switch from automatic field numbering to manual field specification")
			}
			st.manual = 2
		}
		if n >= len(st.args) {
			return nil, py.ExceptionNewf(py.IndexError, "Replacement index %d out of range for positional args tuple", n)
		}
		v = st.args[n]
	} else {
		var ok bool
		if v, ok = st.kwargs[first]; !ok {
			return nil, py.ExceptionNewf(py.KeyError, "%s", ReprString(py.String(first)))
		}
	}
	for rest != "" {
		var err error
		switch rest[0] {
		case '.':
			k := strings.IndexAny(rest[1:], ".[")
			if k < 0 {
				k = len(rest) - 1
			}
			attr := rest[1 : k+1]
			rest = rest[k+1:]
			if attr == "" {
				return nil, py.ExceptionNewf(py.ValueError, "Empty attribute in format string")
			}
			v, err = py.GetAttrString(v, attr)
		case '[':
			k := strings.IndexByte(rest, ']')
			if k < 0 {
				return nil, py.ExceptionNewf(py.ValueError, "Missing ']' in format string")
			}
			key := rest[1:k]
			rest = rest[k+1:]
			if n, aerr := strconv.Atoi(key); aerr == nil {
				v, err = py.GetItem(v, py.Int(n))
			} else {
				v, err = py.GetItem(v, py.String(key))
			}
		default:
			return nil, py.ExceptionNewf(py.ValueError, "Only '.' or '[' may follow ']' in format field specifier")
		}
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

// ascii escapes the non-ASCII characters of s as ascii() does.
func ascii(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}

// formatSpec is a parsed format specification:
// [[fill]align][sign][z][#][0][width][,|_][.precision][type].
type formatSpec struct {
	fill         rune
	align        byte
	sign         byte
	alt, zero    bool
	width, prec  int
	group, kind  byte
	fillGiven    bool
	precGiven    bool
	widthOrFlags bool
}

// maxField bounds a format's width and precision, so that a format
// cannot ask for gigabytes of padding.
const maxField = 1 << 20

func parseSpec(spec string) (formatSpec, error) {
	sp := formatSpec{fill: ' ', prec: -1}
	rs := []rune(spec)
	i := 0
	isAlign := func(r rune) bool { return r == '<' || r == '>' || r == '=' || r == '^' }
	if len(rs) >= 2 && isAlign(rs[1]) {
		sp.fill, sp.align, sp.fillGiven, i = rs[0], byte(rs[1]), true, 2
	} else if len(rs) >= 1 && isAlign(rs[0]) {
		sp.align, i = byte(rs[0]), 1
	}
	if i < len(rs) && (rs[i] == '+' || rs[i] == '-' || rs[i] == ' ') {
		sp.sign = byte(rs[i])
		i++
	}
	if i < len(rs) && rs[i] == 'z' {
		i++
	}
	if i < len(rs) && rs[i] == '#' {
		sp.alt = true
		i++
	}
	if i < len(rs) && rs[i] == '0' {
		sp.zero = true
		i++
	}
	start := i
	for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
		i++
	}
	if i > start {
		w, err := strconv.Atoi(string(rs[start:i]))
		if err != nil || w > maxField {
			return sp, py.ExceptionNewf(py.ValueError, "format width %s is too large (at most %d)", string(rs[start:i]), maxField)
		}
		sp.width = w
	}
	if i < len(rs) && (rs[i] == ',' || rs[i] == '_') {
		sp.group = byte(rs[i])
		i++
	}
	if i < len(rs) && rs[i] == '.' {
		i++
		start = i
		for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
			i++
		}
		if i == start {
			return sp, py.ExceptionNewf(py.ValueError, "Format specifier missing precision")
		}
		p, err := strconv.Atoi(string(rs[start:i]))
		if err != nil || p > maxField {
			return sp, py.ExceptionNewf(py.ValueError, "format precision %s is too large (at most %d)", string(rs[start:i]), maxField)
		}
		sp.prec, sp.precGiven = p, true
	}
	if i < len(rs) {
		if i+1 < len(rs) || rs[i] >= utf8.RuneSelf {
			return sp, py.ExceptionNewf(py.ValueError, "Invalid format specifier '%s'", spec)
		}
		sp.kind = byte(rs[i])
	}
	if sp.zero {
		if !sp.fillGiven {
			sp.fill = '0'
		}
		if sp.align == 0 {
			sp.align = '='
		}
	}
	return sp, nil
}

// pad aligns prefix (sign, base prefix) and body in the field's width.
func (sp formatSpec) pad(prefix, body string, defAlign byte) string {
	align := sp.align
	if align == 0 {
		align = defAlign
	}
	n := utf8.RuneCountInString(prefix) + utf8.RuneCountInString(body)
	if n >= sp.width {
		return prefix + body
	}
	fill := strings.Repeat(string(sp.fill), sp.width-n)
	switch align {
	case '<':
		return prefix + body + fill
	case '^':
		left := (sp.width - n) / 2
		return strings.Repeat(string(sp.fill), left) + prefix + body + strings.Repeat(string(sp.fill), sp.width-n-left)
	case '=':
		return prefix + fill + body
	}
	return fill + prefix + body
}

// formatValue is format(v, spec) for ints, floats, bools and strings;
// other values take only an empty spec (their str).
func formatValue(v py.Object, spec string) (string, error) {
	switch x := v.(type) {
	case py.Bool:
		if spec == "" {
			return py.StrAsString(x)
		}
		n := int64(0)
		if x {
			n = 1
		}
		return formatInt(big.NewInt(n), spec)
	case py.Int:
		return formatInt(big.NewInt(int64(x)), spec)
	case *py.BigInt:
		return formatInt((*big.Int)(x), spec)
	case py.Float:
		return formatFloat(float64(x), spec)
	case py.String:
		return formatStr(string(x), spec)
	}
	if spec == "" {
		return str(v)
	}
	return "", py.ExceptionNewf(py.TypeError, "unsupported format string passed to %s.__format__", TypeName(v))
}

func formatStr(s, spec string) (string, error) {
	sp, err := parseSpec(spec)
	if err != nil {
		return "", err
	}
	switch {
	case sp.kind != 0 && sp.kind != 's':
		return "", py.ExceptionNewf(py.ValueError, "Unknown format code '%c' for object of type 'str'", sp.kind)
	case sp.sign != 0:
		return "", py.ExceptionNewf(py.ValueError, "Sign not allowed in string format specifier")
	case sp.alt:
		return "", py.ExceptionNewf(py.ValueError, "Alternate form (#) not allowed in string format specifier")
	case sp.group != 0:
		return "", py.ExceptionNewf(py.ValueError, "Cannot specify '%c' with 's'.", sp.group)
	case sp.align == '=' && !sp.zero:
		return "", py.ExceptionNewf(py.ValueError, "'=' alignment not allowed in string format specifier")
	}
	if sp.zero && sp.align == '=' {
		sp.align = '<'
	}
	if sp.precGiven && utf8.RuneCountInString(s) > sp.prec {
		s = string([]rune(s)[:sp.prec])
	}
	return sp.pad("", s, '<'), nil
}

func formatInt(n *big.Int, spec string) (string, error) {
	sp, err := parseSpec(spec)
	if err != nil {
		return "", err
	}
	switch sp.kind {
	case 'e', 'E', 'f', 'F', 'g', 'G', '%':
		f, _ := new(big.Float).SetInt(n).Float64()
		return formatFloat(f, spec)
	case 's':
		return "", py.ExceptionNewf(py.ValueError, "Unknown format code 's' for object of type 'int'")
	}
	if sp.precGiven {
		return "", py.ExceptionNewf(py.ValueError, "Precision not allowed in integer format specifier")
	}
	base, prefix := 10, ""
	switch sp.kind {
	case 0, 'd', 'n':
	case 'b':
		base, prefix = 2, "0b"
	case 'o':
		base, prefix = 8, "0o"
	case 'x':
		base, prefix = 16, "0x"
	case 'X':
		base, prefix = 16, "0X"
	case 'c':
		if sp.sign != 0 {
			return "", py.ExceptionNewf(py.ValueError, "Sign not allowed with integer format specifier 'c'")
		}
		if !n.IsInt64() || n.Int64() < 0 || n.Int64() > 0x10ffff {
			return "", py.ExceptionNewf(py.OverflowError, "%%c arg not in range(0x110000)")
		}
		return sp.pad("", string(rune(n.Int64())), '<'), nil
	default:
		return "", py.ExceptionNewf(py.ValueError, "Unknown format code '%c' for object of type 'int'", sp.kind)
	}
	if sp.group == ',' && base != 10 {
		return "", py.ExceptionNewf(py.ValueError, "Cannot specify ',' with '%c'.", sp.kind)
	}
	digits := new(big.Int).Abs(n).Text(base)
	if sp.kind == 'X' {
		digits = strings.ToUpper(digits)
	}
	if !sp.alt {
		prefix = ""
	}
	sign := specSign(n.Sign() < 0, sp.sign)
	every := 3
	if base != 10 {
		every = 4
	}
	return groupPad(sp, sign+prefix, digits, "", every), nil
}

func specSign(negative bool, flag byte) string {
	switch {
	case negative:
		return "-"
	case flag == '+':
		return "+"
	case flag == ' ':
		return " "
	}
	return ""
}

// groupPad groups the integer digits, adds the rest (fraction, exponent)
// and pads; zero padding with grouping pads the digits so the separators
// continue into the zeros, as CPython.
func groupPad(sp formatSpec, prefix, intDigits, rest string, every int) string {
	group := func(d string) string {
		if sp.group == 0 || len(d) <= every {
			return d
		}
		var b strings.Builder
		lead := len(d) % every
		if lead > 0 {
			b.WriteString(d[:lead])
		}
		for k := lead; k < len(d); k += every {
			if b.Len() > 0 {
				b.WriteByte(sp.group)
			}
			b.WriteString(d[k : k+every])
		}
		return b.String()
	}
	if sp.group != 0 && sp.fill == '0' && sp.align == '=' {
		for len(prefix)+len(group(intDigits))+len(rest) < sp.width {
			intDigits = "0" + intDigits
		}
	}
	return sp.pad(prefix, group(intDigits)+rest, '>')
}

func formatFloat(x float64, spec string) (string, error) {
	sp, err := parseSpec(spec)
	if err != nil {
		return "", err
	}
	prec := sp.prec
	if !sp.precGiven {
		prec = 6
	}
	neg := math.Signbit(x) && !math.IsNaN(x)
	a := math.Abs(x)
	var body string
	switch sp.kind {
	case 'f', 'F', '%':
		if sp.kind == '%' {
			a *= 100
		}
		body = strconv.FormatFloat(a, 'f', prec, 64)
		if sp.alt && !strings.Contains(body, ".") {
			body += "."
		}
		if sp.kind == '%' {
			body += "%"
		}
	case 'e', 'E':
		body = strconv.FormatFloat(a, 'e', prec, 64)
		if sp.alt && !strings.Contains(body, ".") {
			body = strings.Replace(body, "e", ".e", 1)
		}
	case 'g', 'G', 'n':
		body = formatG(a, prec, sp.alt, false)
	case 0:
		if sp.precGiven {
			body = formatG(a, prec, sp.alt, true)
		} else {
			body = floatRepr(a)
		}
	default:
		return "", py.ExceptionNewf(py.ValueError, "Unknown format code '%c' for object of type 'float'", sp.kind)
	}
	if math.IsInf(a, 0) || math.IsNaN(a) {
		body = "inf"
		if math.IsNaN(a) {
			body = "nan"
		}
		if sp.kind == '%' {
			body += "%"
		}
	}
	if sp.kind == 'E' || sp.kind == 'F' || sp.kind == 'G' {
		body = strings.ToUpper(body)
	}
	if math.IsInf(a, 0) || math.IsNaN(a) {
		if sp.fill == '0' && sp.align == '=' && !sp.fillGiven {
			sp.fill = ' '
		}
		return sp.pad(specSign(neg, sp.sign), body, '>'), nil
	}
	k := strings.IndexAny(body, ".eE%")
	if k < 0 {
		k = len(body)
	}
	return groupPad(sp, specSign(neg, sp.sign), body[:k], body[k:], 3), nil
}

// formatG is the 'g' presentation of a ≥ 0 with p significant digits;
// noType is the presentation without a type, which switches to the
// exponent one digit earlier and keeps a ".0" on integers.
func formatG(a float64, p int, alt, noType bool) string {
	if p == 0 {
		p = 1
	}
	if math.IsInf(a, 0) || math.IsNaN(a) {
		return "inf"
	}
	es := strconv.FormatFloat(a, 'e', p-1, 64)
	exp, _ := strconv.Atoi(es[strings.IndexByte(es, 'e')+1:])
	limit := p
	if noType {
		limit = p - 1
	}
	var s string
	if exp >= -4 && exp < limit {
		s = strconv.FormatFloat(a, 'f', p-1-exp, 64)
		if !alt && strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		if alt && !strings.Contains(s, ".") {
			s += "."
		}
		if noType && !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, e := es[:strings.IndexByte(es, 'e')], es[strings.IndexByte(es, 'e'):]
	if !alt && strings.Contains(mant, ".") {
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	}
	if alt && !strings.Contains(mant, ".") {
		mant += "."
	}
	return mant + e
}

// allDigits reports whether s is made of ASCII digits only.
func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
