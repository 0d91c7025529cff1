package stats

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The filter language that an analyst's where("...") carries to every node:
//
//	filter     = [ or ]                        (empty: every row)
//	or         = and { "or" and }
//	and        = unary { "and" unary }
//	unary      = "not" unary | "(" or ")" | comparison
//	comparison = column op literal
//	column     = [A-Za-z_][A-Za-z0-9_.]* (not a keyword) | `any name`
//	op         = "==" | "!=" | "<" | "<=" | ">" | ">="
//	literal    = number | 'string' | "string"
//
// Numbers are decimal, with an optional minus sign, fraction and exponent
// (50, -1.5, .5, 1e3). Strings take the escapes \' \" and \\ and nothing else.
// The keywords and, or and not are lower case. Whitespace is space, tab,
// carriage return and newline. Nothing is evaluated dynamically: a filter is
// a tree of comparisons of a column with a constant.

// MaxFilterLength is the length in bytes of the longest filter ParseFilter
// accepts, both as written and in its canonical form.
const MaxFilterLength = 4096

// MaxFilterDepth is how deeply parentheses and "not" may nest in a filter.
const MaxFilterDepth = 64

// FilterError is a syntax error in a filter expression.
type FilterError struct {
	Expr string // the expression as given (empty when it was too long to echo)
	Pos  int    // 1-based byte position of the error; 0 when it concerns the whole expression
	Msg  string // what was expected or what is wrong
}

// Error returns the message with the expression and the position, as in
// `where "age >= ": position 8: expected a number or quoted string`.
func (e *FilterError) Error() string {
	switch {
	case e.Expr == "" && e.Pos <= 0:
		return "where: " + e.Msg
	case e.Pos <= 0:
		return fmt.Sprintf("where %q: %s", e.Expr, e.Msg)
	}
	return fmt.Sprintf("where %q: position %d: %s", e.Expr, e.Pos, e.Msg)
}

// Filter is a parsed row filter. The zero value, like a nil *Filter, passes
// every row. A Filter is immutable and safe for concurrent use.
type Filter struct {
	root  *filterNode // nil: every row
	canon string
	cols  []string
}

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var opText = [...]string{opEq: "==", opNe: "!=", opLt: "<", opLe: "<=", opGt: ">", opGe: ">="}

type nodeKind uint8

const (
	nodeCmp nodeKind = iota
	nodeNot
	nodeAnd
	nodeOr
)

type filterNode struct {
	kind  nodeKind
	col   string // nodeCmp
	op    cmpOp  // nodeCmp
	isStr bool   // nodeCmp: the literal is str, not num
	num   float64
	str   string
	kids  []*filterNode // nodeNot: one; nodeAnd, nodeOr: two or more, none of the same kind
}

// ParseFilter parses a filter expression. An empty or all-whitespace
// expression gives the filter that passes every row. Errors are
// *FilterError values naming the position and what was expected there.
func ParseFilter(expr string) (*Filter, error) {
	if len(expr) > MaxFilterLength {
		return nil, &FilterError{Msg: fmt.Sprintf("filter is %d bytes long; the limit is %d", len(expr), MaxFilterLength)}
	}
	if !utf8.ValidString(expr) {
		for i, r := range expr {
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(expr[i:]); size == 1 {
					return nil, &FilterError{Expr: expr, Pos: i + 1, Msg: "invalid UTF-8"}
				}
			}
		}
	}
	p := &parser{src: expr}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return &Filter{}, nil
	}
	root, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.expected(`"and", "or" or end of filter`)
	}
	var b strings.Builder
	writeNode(&b, root)
	f := &Filter{root: root, canon: b.String()}
	if len(f.canon) > MaxFilterLength {
		return nil, &FilterError{Expr: expr, Msg: fmt.Sprintf("filter is %d bytes long in canonical form; the limit is %d", len(f.canon), MaxFilterLength)}
	}
	seen := map[string]bool{}
	walk(root, func(n *filterNode) {
		if n.kind == nodeCmp && !seen[n.col] {
			seen[n.col] = true
			f.cols = append(f.cols, n.col)
		}
	})
	return f, nil
}

// String returns the filter in canonical form: single spaces around
// operators and keywords, only the parentheses the precedence needs
// (not > and > or), numbers in shortest form, strings in single quotes and
// column names bare unless they need backquotes. ParseFilter(f.String())
// gives a filter with the same String. The empty filter gives "".
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.canon
}

// Columns returns the names of the columns the filter uses, each once, in
// the order they first appear.
func (f *Filter) Columns() []string {
	if f == nil || len(f.cols) == 0 {
		return nil
	}
	return append([]string(nil), f.cols...)
}

func walk(n *filterNode, visit func(*filterNode)) {
	visit(n)
	for _, k := range n.kids {
		walk(k, visit)
	}
}

// ---- canonical form ----

func writeNode(b *strings.Builder, n *filterNode) {
	switch n.kind {
	case nodeCmp:
		writeColumnName(b, n.col)
		b.WriteByte(' ')
		b.WriteString(opText[n.op])
		b.WriteByte(' ')
		if n.isStr {
			writeQuoted(b, n.str)
		} else {
			b.WriteString(strconv.FormatFloat(n.num, 'g', -1, 64))
		}
	case nodeNot:
		b.WriteString("not ")
		writeOperand(b, n.kids[0], n.kids[0].kind == nodeAnd || n.kids[0].kind == nodeOr)
	case nodeAnd:
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(" and ")
			}
			writeOperand(b, k, k.kind == nodeOr)
		}
	case nodeOr:
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(" or ")
			}
			writeNode(b, k)
		}
	}
}

func writeOperand(b *strings.Builder, n *filterNode, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	writeNode(b, n)
	if paren {
		b.WriteByte(')')
	}
}

func writeColumnName(b *strings.Builder, name string) {
	if isBareName(name) {
		b.WriteString(name)
		return
	}
	b.WriteByte('`')
	b.WriteString(name)
	b.WriteByte('`')
}

func isBareName(name string) bool {
	if name == "" || !isIdentStart(name[0]) || keywords[name] != 0 {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !isIdentChar(name[i]) {
			return false
		}
	}
	return true
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

// ---- lexer ----

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokName
	tokNumber
	tokString
	tokOp
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokNot
	tokIllegal
)

var keywords = map[string]tokKind{"and": tokAnd, "or": tokOr, "not": tokNot}

type token struct {
	kind tokKind
	pos  int // 0-based byte offset
	end  int
	op   cmpOp
	str  string // tokName: the column name; tokString: the decoded string
	num  float64
}

type parser struct {
	src string
	off int // next unread byte
	tok token
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '.'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func (p *parser) errAt(off int, format string, args ...any) error {
	return &FilterError{Expr: p.src, Pos: off + 1, Msg: fmt.Sprintf(format, args...)}
}

// expected reports that the current token is not what the grammar wants.
func (p *parser) expected(what string) error {
	if p.tok.kind == tokEOF {
		return p.errAt(p.tok.pos, "expected %s", what)
	}
	text := p.src[p.tok.pos:p.tok.end]
	if len(text) > 24 {
		cut := 24
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "..."
	}
	return p.errAt(p.tok.pos, "expected %s, found %q", what, text)
}

// next reads the next token into p.tok.
func (p *parser) next() error {
	s := p.src
	i := p.off
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	t := token{pos: i}
	if i >= len(s) {
		t.kind, t.end = tokEOF, i
		p.tok, p.off = t, i
		return nil
	}
	c := s[i]
	j := i + 1
	switch {
	case isIdentStart(c):
		for j < len(s) && isIdentChar(s[j]) {
			j++
		}
		word := s[i:j]
		if k, ok := keywords[word]; ok {
			t.kind = k
		} else {
			t.kind, t.str = tokName, word
		}
	case c == '`':
		for j < len(s) && s[j] != '`' {
			r, size := utf8.DecodeRuneInString(s[j:])
			if isControl(r) {
				return p.errAt(j, "control character %q in column name", r)
			}
			j += size
		}
		if j >= len(s) {
			return p.errAt(i, "unterminated column name: no closing `")
		}
		if j == i+1 {
			return p.errAt(i, "empty column name")
		}
		t.kind, t.str = tokName, s[i+1:j]
		j++
	case c == '\'' || c == '"':
		var b strings.Builder
		for {
			if j >= len(s) {
				return p.errAt(i, "unterminated string: no closing %c", c)
			}
			d := s[j]
			if d == c {
				j++
				break
			}
			if d == '\\' {
				if j+1 < len(s) && (s[j+1] == '\'' || s[j+1] == '"' || s[j+1] == '\\') {
					b.WriteByte(s[j+1])
					j += 2
					continue
				}
				return p.errAt(j, `unknown escape in string: only \' \" and \\ are allowed`)
			}
			r, size := utf8.DecodeRuneInString(s[j:])
			if isControl(r) {
				return p.errAt(j, "control character %q in string", r)
			}
			b.WriteString(s[j : j+size])
			j += size
		}
		t.kind, t.str = tokString, b.String()
	case isDigit(c) || c == '.' || c == '-':
		end, ok := scanNumber(s, i)
		if !ok {
			if c == '-' && end == i+1 {
				t.kind = tokIllegal // a lone minus sign
				break
			}
			for end < len(s) && (isIdentChar(s[end]) || s[end] == '-' || s[end] == '+') {
				end++
			}
			return p.errAt(i, "malformed number %q", s[i:end])
		}
		v, err := strconv.ParseFloat(s[i:end], 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return p.errAt(i, "number %s is out of range", s[i:end])
		}
		t.kind, t.num = tokNumber, v
		j = end
	case c == '(':
		t.kind = tokLParen
	case c == ')':
		t.kind = tokRParen
	case c == '=' || c == '!' || c == '<' || c == '>':
		two := j < len(s) && s[j] == '='
		t.kind = tokOp
		switch {
		case c == '=' && two:
			t.op = opEq
		case c == '!' && two:
			t.op = opNe
		case c == '<' && two:
			t.op = opLe
		case c == '<':
			t.op = opLt
		case c == '>' && two:
			t.op = opGe
		case c == '>':
			t.op = opGt
		default:
			t.kind = tokIllegal // a lone = or !
		}
		if two && t.kind == tokOp {
			j++
		}
	default:
		_, size := utf8.DecodeRuneInString(s[i:])
		t.kind = tokIllegal
		j = i + size
	}
	t.end = j
	p.tok, p.off = t, j
	return nil
}

// scanNumber scans -?(digits[.digits]|.digits)([eE][+-]?digits)? at s[i:]
// and returns where it ends; ok is false when that is not a number or when
// a letter, digit, dot or underscore follows it directly.
func scanNumber(s string, i int) (end int, ok bool) {
	j := i
	if s[j] == '-' {
		j++
	}
	digits := 0
	for j < len(s) && isDigit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return j, false
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k >= len(s) || !isDigit(s[k]) {
			return k, false
		}
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		j = k
	}
	if j < len(s) && isIdentChar(s[j]) {
		return j, false
	}
	return j, true
}

// ---- parser ----

func (p *parser) parseOr(depth int) (*filterNode, error) {
	return p.parseJoined(depth, tokOr, nodeOr)
}

// parseJoined parses operands joined by the keyword sep (and for or, unary
// for and), flattening nested groups of the same kind.
func (p *parser) parseJoined(depth int, sep tokKind, kind nodeKind) (*filterNode, error) {
	var kids []*filterNode
	for {
		var n *filterNode
		var err error
		if kind == nodeOr {
			n, err = p.parseJoined(depth, tokAnd, nodeAnd)
		} else {
			n, err = p.parseUnary(depth)
		}
		if err != nil {
			return nil, err
		}
		if n.kind == kind {
			kids = append(kids, n.kids...)
		} else {
			kids = append(kids, n)
		}
		if p.tok.kind != sep {
			break
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &filterNode{kind: kind, kids: kids}, nil
}

func (p *parser) parseUnary(depth int) (*filterNode, error) {
	switch p.tok.kind {
	case tokNot, tokLParen:
		if depth >= MaxFilterDepth {
			return nil, p.errAt(p.tok.pos, `parentheses and "not" nest more than %d deep`, MaxFilterDepth)
		}
		isNot := p.tok.kind == tokNot
		if err := p.next(); err != nil {
			return nil, err
		}
		if isNot {
			n, err := p.parseUnary(depth + 1)
			if err != nil {
				return nil, err
			}
			return &filterNode{kind: nodeNot, kids: []*filterNode{n}}, nil
		}
		n, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, p.expected(`"and", "or" or ")"`)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		return n, nil
	case tokName:
		n := &filterNode{kind: nodeCmp, col: p.tok.str}
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind != tokOp {
			return nil, p.expected("a comparison operator (== != < <= > >=)")
		}
		n.op = p.tok.op
		if err := p.next(); err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tokNumber:
			n.num = p.tok.num
		case tokString:
			n.isStr, n.str = true, p.tok.str
		default:
			return nil, p.expected("a number or quoted string")
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, p.expected(`a column name, "not" or "("`)
}

// ---- evaluation ----

// A row's value under SQL's three-valued logic is a byte with bit 0 set
// when it is known true and bit 1 set when it is known false; unknown is 0.
// Kleene's "and" is then (a&b)&1 | (a|b)&2, "or" is (a|b)&1 | (a&b)&2 and
// "not" swaps the bits, which lets the evaluator combine eight rows at once
// in a uint64.
const (
	triTrue  uint8 = 1
	triFalse uint8 = 2

	lowBits  uint64 = 0x0101010101010101 // the true bit of eight rows
	highBits uint64 = 0x0202020202020202 // the false bit of eight rows
)

// boundNode is a filterNode resolved against one table.
type boundNode struct {
	n     *filterNode
	col   *Column
	level int32 // categorical comparisons: the level's index, or -1
	kids  []*boundNode
}

// Rows reports which of t's rows pass the filter. A comparison with a
// missing value is unknown, "not" of unknown is unknown, "and" and "or"
// follow Kleene's logic, and a row passes when the whole filter is true.
// Numeric columns compare with numbers; categorical columns compare with
// strings, by == and != only, and a string that is not one of the column's
// levels equals no row. A nil or empty filter passes every row.
func (f *Filter) Rows(t *Table) ([]bool, error) {
	if t == nil {
		return nil, fmt.Errorf("where %q: no table", f.String())
	}
	n := t.Rows
	if n < 0 {
		return nil, fmt.Errorf("table %s has a negative number of rows (%d)", t.Name, n)
	}
	pass := make([]bool, n)
	if f == nil || f.root == nil {
		for i := range pass {
			pass[i] = true
		}
		return pass, nil
	}
	b, err := bind(f.root, t)
	if err != nil {
		return nil, err
	}
	// Evaluate a block of rows at a time so that the intermediate slices
	// stay in cache while the columns stream through.
	e := evaluator{n: min(n, filterBlock)}
	out := make([]uint8, e.n)
	for lo := 0; lo < n; lo += filterBlock {
		hi := min(lo+filterBlock, n)
		o := out[:hi-lo]
		e.eval(b, lo, o)
		for i, v := range o {
			pass[lo+i] = v&triTrue != 0
		}
	}
	return pass, nil
}

func bind(n *filterNode, t *Table) (*boundNode, error) {
	b := &boundNode{n: n}
	if n.kind != nodeCmp {
		b.kids = make([]*boundNode, len(n.kids))
		for i, k := range n.kids {
			var err error
			if b.kids[i], err = bind(k, t); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	c, err := t.Column(n.col)
	if err != nil {
		return nil, err
	}
	if c.Len() != t.Rows {
		return nil, fmt.Errorf("column %q of table %s has %d rows, the table %d", n.col, t.Name, c.Len(), t.Rows)
	}
	switch {
	case c.Kind == Categorical && !n.isStr:
		num := strconv.FormatFloat(n.num, 'g', -1, 64)
		return nil, fmt.Errorf("column %q of table %s is categorical: it cannot be compared with the number %s by %s (quote the value to compare with a level: '%s')",
			n.col, t.Name, num, opText[n.op], num)
	case c.Kind == Categorical && n.op != opEq && n.op != opNe:
		return nil, fmt.Errorf("column %q of table %s is categorical: only == and != apply to it, not %s", n.col, t.Name, opText[n.op])
	case c.Kind == Categorical:
		b.level = c.Level(n.str)
	case n.isStr:
		var lit strings.Builder
		writeQuoted(&lit, n.str)
		return nil, fmt.Errorf("column %q of table %s is numeric: it cannot be compared with the string %s by %s", n.col, t.Name, lit.String(), opText[n.op])
	}
	b.col = c
	return b, nil
}

// filterBlock is how many rows Rows evaluates at a time.
const filterBlock = 8192

// evaluator evaluates a bound filter a column at a time into tri-state
// slices of up to n rows, reusing scratch slices between siblings.
type evaluator struct {
	n    int
	free [][]uint8
}

func (e *evaluator) get() []uint8 {
	if k := len(e.free); k > 0 {
		s := e.free[k-1]
		e.free = e.free[:k-1]
		return s
	}
	return make([]uint8, e.n)
}

func (e *evaluator) put(s []uint8) { e.free = append(e.free, s) }

// eval writes b's value for rows lo to lo+len(out) into out.
func (e *evaluator) eval(b *boundNode, lo int, out []uint8) {
	switch b.n.kind {
	case nodeCmp:
		if b.col.Kind == Categorical {
			evalCategorical(b.col.Cat[lo:lo+len(out)], b.n.op, b.level, out)
		} else {
			evalNumeric(b.col.Num[lo:lo+len(out)], b.n.op, b.n.num, out)
		}
	case nodeNot:
		e.eval(b.kids[0], lo, out)
		i := 0
		for ; i+8 <= len(out); i += 8 {
			x := binary.LittleEndian.Uint64(out[i:])
			binary.LittleEndian.PutUint64(out[i:], (x&lowBits)<<1|(x&highBits)>>1)
		}
		for ; i < len(out); i++ {
			out[i] = (out[i]&triTrue)<<1 | (out[i]&triFalse)>>1
		}
	case nodeAnd, nodeOr:
		// "and" keeps the true bits both have and the false bits either
		// has; "or" the other way round.
		both, either := lowBits, highBits
		if b.n.kind == nodeOr {
			both, either = highBits, lowBits
		}
		e.eval(b.kids[0], lo, out)
		s := e.get()[:len(out)]
		for _, k := range b.kids[1:] {
			e.eval(k, lo, s)
			i := 0
			for ; i+8 <= len(out); i += 8 {
				x := binary.LittleEndian.Uint64(out[i:])
				y := binary.LittleEndian.Uint64(s[i:])
				binary.LittleEndian.PutUint64(out[i:], x&y&both|(x|y)&either)
			}
			for ; i < len(out); i++ {
				x, y := out[i], s[i]
				out[i] = x&y&uint8(both) | (x|y)&uint8(either)
			}
		}
		e.put(s)
	}
}

// b2u is 1 for true and 0 for false; the compiler makes it branch-free.
func b2u(b bool) uint8 {
	var u uint8
	if b {
		u = 1
	}
	return u
}

// evalNumeric compares every value with c. For each operator the "true" and
// the "false" comparison are both false for NaN, so a missing value comes
// out unknown.
func evalNumeric(x []float64, op cmpOp, c float64, out []uint8) {
	out = out[:len(x)]
	switch op {
	case opEq:
		for i, v := range x {
			out[i] = b2u(v == c) | (b2u(v < c)|b2u(v > c))<<1
		}
	case opNe:
		for i, v := range x {
			out[i] = b2u(v < c) | b2u(v > c) | b2u(v == c)<<1
		}
	case opLt:
		for i, v := range x {
			out[i] = b2u(v < c) | b2u(v >= c)<<1
		}
	case opLe:
		for i, v := range x {
			out[i] = b2u(v <= c) | b2u(v > c)<<1
		}
	case opGt:
		for i, v := range x {
			out[i] = b2u(v > c) | b2u(v <= c)<<1
		}
	case opGe:
		for i, v := range x {
			out[i] = b2u(v >= c) | b2u(v < c)<<1
		}
	}
}

// evalCategorical compares every index with level by == or !=; negative
// indices are missing. A level of -1 (not among the column's levels) equals
// no present value.
func evalCategorical(x []int32, op cmpOp, level int32, out []uint8) {
	out = out[:len(x)]
	eqBit, neBit := triTrue, triFalse
	if op == opNe {
		eqBit, neBit = triFalse, triTrue
	}
	for i, v := range x {
		present := b2u(v >= 0)
		eq := b2u(v == level) & present
		out[i] = eq*eqBit | (present&^eq)*neBit
	}
}
