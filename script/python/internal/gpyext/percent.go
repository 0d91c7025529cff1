package gpyext

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/go-python/gpython/py"
)

// percentFormat is CPython's printf-style formatting, format % args, which
// gpython hands to Go's fmt: %[(name)][flags][width][.precision]type with
// the types d i u o x X e E f F g G c r s a and %%, the flags # 0 - space
// +, * for width or precision, a tuple of arguments, one argument, or a
// mapping for %(name)s. The errors are CPython's.
func percentFormat(format string, args py.Object) (py.Object, error) {
	p := &percent{args: args}
	switch a := args.(type) {
	case py.Tuple:
		p.list = a
	case py.StringDict:
		p.mapping = a
		p.list = py.Tuple{args}
	default:
		if _, ok := args.(py.I__getitem__); ok && !isPySequence(args) {
			p.mapping = args
		}
		p.list = py.Tuple{args}
	}
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		start := i
		i++
		if i >= len(format) {
			return nil, py.ExceptionNewf(py.ValueError, "incomplete format")
		}
		s, next, err := p.spec(format, i, start)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
		i = next
	}
	if p.mapping == nil && p.used < len(p.list) {
		return nil, py.ExceptionNewf(py.TypeError, "not all arguments converted during string formatting")
	}
	return py.String(b.String()), nil
}

// isPySequence says whether v is a list or a string (which CPython does not
// take as a mapping for %).
func isPySequence(v py.Object) bool {
	switch v.(type) {
	case *py.List, py.String, py.Bytes:
		return true
	}
	return false
}

// percent is one formatting in progress.
type percent struct {
	args    py.Object
	list    py.Tuple
	mapping py.Object
	used    int
}

// next takes the next positional argument.
func (p *percent) next() (py.Object, error) {
	if p.used >= len(p.list) {
		return nil, py.ExceptionNewf(py.TypeError, "not enough arguments for format string")
	}
	p.used++
	return p.list[p.used-1], nil
}

// spec formats the conversion at format[i:] (after its %), returning the
// text and the index of its last byte.
func (p *percent) spec(format string, i, start int) (string, int, error) {
	var arg py.Object
	if format[i] == '(' {
		if p.mapping == nil {
			return "", 0, py.ExceptionNewf(py.TypeError, "format requires a mapping")
		}
		depth, j := 1, i+1
		for ; j < len(format) && depth > 0; j++ {
			switch format[j] {
			case '(':
				depth++
			case ')':
				depth--
			}
		}
		if depth > 0 {
			return "", 0, py.ExceptionNewf(py.ValueError, "incomplete format key")
		}
		v, err := py.GetItem(p.mapping, py.String(format[i+1:j-1]))
		if err != nil {
			return "", 0, err
		}
		arg, i = v, j
	}
	var flags string
	for ; i < len(format) && strings.IndexByte("#0- +", format[i]) >= 0; i++ {
		flags += string(format[i])
	}
	width, i, err := p.number(format, i)
	if err != nil {
		return "", 0, err
	}
	precision := -1
	if i < len(format) && format[i] == '.' {
		if precision, i, err = p.number(format, i+1); err != nil {
			return "", 0, err
		}
		precision = max(precision, 0)
	}
	for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
		i++ // length modifiers: ignored, as CPython ignores them
	}
	if i >= len(format) {
		return "", 0, py.ExceptionNewf(py.ValueError, "incomplete format")
	}
	verb := format[i]
	if verb == '%' {
		return "%", i, nil
	}
	if arg == nil {
		if arg, err = p.next(); err != nil {
			return "", 0, err
		}
	}
	if width < 0 { // from *: a negative width aligns left
		flags, width = flags+"-", -width
	}
	s, err := convert(verb, flags, precision, arg, i)
	if err != nil {
		return "", 0, err
	}
	return pad(s, flags, width, strings.IndexByte("diuoxXeEfFgG", verb) >= 0), i, nil
}

// number reads a width or precision: digits, or * for the next argument
// (-1 when there is none).
func (p *percent) number(format string, i int) (int, int, error) {
	if i < len(format) && format[i] == '*' {
		v, err := p.next()
		if err != nil {
			return 0, 0, err
		}
		n, ok := v.(py.Int)
		if !ok {
			return 0, 0, py.ExceptionNewf(py.TypeError, "* wants int")
		}
		return int(n), i + 1, nil
	}
	j := i
	for j < len(format) && format[j] >= '0' && format[j] <= '9' {
		j++
	}
	if j == i {
		return -1, i, nil
	}
	n, err := strconv.Atoi(format[i:j])
	if err != nil {
		return 0, 0, py.ExceptionNewf(py.ValueError, "width too big")
	}
	return n, j, nil
}

// convert renders one argument for a conversion type.
func convert(verb byte, flags string, precision int, arg py.Object, at int) (string, error) {
	switch verb {
	case 's', 'r', 'a':
		var s string
		var err error
		if verb == 's' {
			s, err = py.StrAsString(arg)
		} else {
			s, err = py.ReprAsString(arg)
		}
		if err != nil {
			return "", err
		}
		if precision >= 0 && precision < len([]rune(s)) {
			s = string([]rune(s)[:precision])
		}
		return s, nil
	case 'c':
		switch v := arg.(type) {
		case py.Int:
			if v < 0 || v > 0x10ffff {
				return "", py.ExceptionNewf(py.OverflowError, "%%c arg not in range(0x110000)")
			}
			return string(rune(v)), nil
		case py.String:
			if len([]rune(string(v))) == 1 {
				return string(v), nil
			}
		}
		return "", py.ExceptionNewf(py.TypeError, "%%c requires int or char")
	case 'd', 'i', 'u', 'o', 'x', 'X':
		n, err := integral(arg, verb)
		if err != nil {
			return "", err
		}
		return integerText(n, verb, flags, precision), nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		f, err := floatOf(arg, verb)
		if err != nil {
			return "", err
		}
		return floatText(f, verb, flags, precision), nil
	}
	return "", py.ExceptionNewf(py.ValueError, "unsupported format character '%c' (0x%x) at index %d", verb, verb, at)
}

// integral is the integer an integer conversion shows: an int, a bool,
// or a float truncated (%d, %i, %u only).
func integral(arg py.Object, verb byte) (*big.Int, error) {
	switch v := arg.(type) {
	case py.Int:
		return big.NewInt(int64(v)), nil
	case py.Bool:
		if v {
			return big.NewInt(1), nil
		}
		return big.NewInt(0), nil
	case *py.BigInt:
		return (*big.Int)(v), nil
	case py.Float:
		if verb == 'd' || verb == 'i' || verb == 'u' {
			if math.IsInf(float64(v), 0) {
				return nil, py.ExceptionNewf(py.OverflowError, "cannot convert float infinity to integer")
			}
			if math.IsNaN(float64(v)) {
				return nil, py.ExceptionNewf(py.ValueError, "cannot convert float NaN to integer")
			}
			n, _ := big.NewFloat(math.Trunc(float64(v))).Int(nil)
			return n, nil
		}
		return nil, py.ExceptionNewf(py.TypeError, "%%%c format: an integer is required, not float", verb)
	}
	what := "a real number"
	if verb != 'd' && verb != 'i' && verb != 'u' {
		what = "an integer"
	}
	return nil, py.ExceptionNewf(py.TypeError, "%%%c format: %s is required, not %s", verb, what, arg.Type().Name)
}

// floatOf is the number a float conversion shows.
func floatOf(arg py.Object, verb byte) (float64, error) {
	switch v := arg.(type) {
	case py.Float:
		return float64(v), nil
	case py.Int:
		return float64(v), nil
	case py.Bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case *py.BigInt:
		f, _ := new(big.Float).SetInt((*big.Int)(v)).Float64()
		return f, nil
	}
	return 0, py.ExceptionNewf(py.TypeError, "must be real number, not %s", arg.Type().Name)
}

// integerText renders n in base 10, 8 or 16 with CPython's sign, prefix
// (#: 0o, 0x, 0X) and precision (minimum digits).
func integerText(n *big.Int, verb byte, flags string, precision int) string {
	base, prefix := 10, ""
	switch verb {
	case 'o':
		base, prefix = 8, "0o"
	case 'x', 'X':
		base, prefix = 16, "0x"
	}
	digits := new(big.Int).Abs(n).Text(base)
	if verb == 'X' {
		digits, prefix = strings.ToUpper(digits), "0X"
	}
	if precision > len(digits) {
		digits = strings.Repeat("0", precision-len(digits)) + digits
	}
	if !strings.Contains(flags, "#") {
		prefix = ""
	}
	return sign(n.Sign() < 0, flags) + prefix + digits
}

// floatText renders f as C's printf does for e, f and g (precision 6 by
// default), with Python's inf and nan.
func floatText(f float64, verb byte, flags string, precision int) string {
	upper := verb == 'E' || verb == 'F' || verb == 'G'
	if math.IsInf(f, 0) || math.IsNaN(f) {
		s := "inf"
		if math.IsNaN(f) {
			s = "nan"
		}
		if upper {
			s = strings.ToUpper(s)
		}
		return sign(math.Signbit(f) && !math.IsNaN(f), flags) + s
	}
	if precision < 0 {
		precision = 6
	}
	goVerb := strings.ToLower(string(verb))
	alt := ""
	if strings.Contains(flags, "#") {
		alt = "#"
	}
	s := fmt.Sprintf("%"+alt+"."+strconv.Itoa(precision)+goVerb, math.Abs(f)) // C's forms, exponents of two digits at least
	if upper {
		s = strings.ToUpper(s)
	}
	return sign(math.Signbit(f), flags) + s
}

// sign is the sign a number shows: -, or + or space when the flags ask.
func sign(negative bool, flags string) string {
	switch {
	case negative:
		return "-"
	case strings.Contains(flags, "+"):
		return "+"
	case strings.Contains(flags, " "):
		return " "
	}
	return ""
}

// pad widens s to width: on the left with spaces, on the right with -, or
// with zeros after the sign and prefix for a number with 0.
func pad(s, flags string, width int, numeric bool) string {
	n := len([]rune(s))
	if width <= n {
		return s
	}
	fill := width - n
	switch {
	case strings.Contains(flags, "-"):
		return s + strings.Repeat(" ", fill)
	case numeric && strings.Contains(flags, "0") && !strings.ContainsAny(s, "in"):
		head := 0
		if head < len(s) && strings.IndexByte("+- ", s[head]) >= 0 {
			head++
		}
		if strings.HasPrefix(s[head:], "0x") || strings.HasPrefix(s[head:], "0X") || strings.HasPrefix(s[head:], "0o") {
			head += 2
		}
		return s[:head] + strings.Repeat("0", fill) + s[head:]
	}
	return strings.Repeat(" ", fill) + s
}
