package gpyext

import (
	"fmt"
	"strings"
)

// IsComplete says whether code can run: "complete", "incomplete" with the
// indent the next line wants (four more spaces after a line ending in ':'
// or inside open brackets; the block's indent while a block is open and no
// blank line closed it) or "invalid".
func IsComplete(code string) (status, indent string) {
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
	for first > 0 && openBrackets(code[:start]) > 0 {
		first--
		start -= len(lines[first]) + 1
	}
	lead := lines[first][:len(lines[first])-len(strings.TrimLeft(lines[first], " \t"))]
	err := parse(code)
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
	if strings.HasSuffix(strings.TrimSpace(stripComment(lastLine)), ":") || openBrackets(code) > 0 {
		return "incomplete", lead + "    "
	}
	return "incomplete", ""
}

// parse parses code as a cell, recovering panics.
func parse(code string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser: %v", r)
		}
	}()
	_, err = parseCell(code)
	return err
}

// stripComment removes a line's comment (outside strings).
func stripComment(line string) string {
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

// openBrackets counts the brackets code leaves open (outside strings and
// comments).
func openBrackets(code string) int {
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
