package kernel

import (
	"regexp"
	"unicode/utf8"
)

// helpPattern is a cell that asks for help, as in IPython: a name
// (dotted, or a Lua method with ':') followed or preceded by ? or ??.
var helpPattern = regexp.MustCompile(`^\s*(?:\?\??([\pL_][\pL\pN_]*(?:[.:][\pL_][\pL\pN_]*)*)|([\pL_][\pL\pN_]*(?:[.:][\pL_][\pL\pN_]*)*)\?\??)\s*$`)

// helpQuery returns the name a help cell asks about.
func helpQuery(code string) (string, bool) {
	m := helpPattern.FindStringSubmatch(code)
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}

// pagePayload is an execute_reply payload that shows text in the pager.
type pagePayload struct {
	Source string            `json:"source"`
	Data   map[string]string `json:"data"`
	Start  int               `json:"start"`
}

// page answers a help cell: the documentation of name as a pager payload,
// or a line saying there is none.
func (k *Kernel) page(name string, out *cellPublisher) []any {
	doc, found := k.rt.Inspect(name, utf8.RuneCountInString(name))
	if !found {
		out.stream("stdout", "Object `"+name+"` not found.\n")
		return []any{}
	}
	return []any{pagePayload{Source: "page", Data: map[string]string{"text/plain": doc}}}
}
