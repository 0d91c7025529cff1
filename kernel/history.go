package kernel

import (
	"sync"
)

// historySession is the session number history replies carry: a kernel
// has one session, and it is session 1 (0 also names it in requests).
const historySession = 1

// history is the cells the kernel stored, in the order they ran.
type history struct {
	mu      sync.Mutex
	entries []historyEntry
}

// historyEntry is one stored cell: its execution count, its code and the
// text of its result (nil when it had none).
type historyEntry struct {
	line   int
	input  string
	output *string
}

// add stores a cell.
func (h *history) add(line int, input, output string, hasOutput bool) {
	e := historyEntry{line: line, input: input}
	if hasOutput {
		e.output = &output
	}
	h.mu.Lock()
	h.entries = append(h.entries, e)
	h.mu.Unlock()
}

// historyRequest is the content of history_request.
type historyRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           int    `json:"stop"`
	N              int    `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// query returns the entries a request asks for, oldest first: "tail" the
// last n; "range" the lines from start up to (not including) stop, or to
// the end when stop is 0; "search" those whose code matches the glob
// pattern (* and ?), the last n of them, each code once with unique.
func (h *history) query(q historyRequest) []historyEntry {
	h.mu.Lock()
	all := append([]historyEntry(nil), h.entries...)
	h.mu.Unlock()
	var out []historyEntry
	switch q.HistAccessType {
	case "tail":
		out = all
	case "range":
		if q.Session != 0 && q.Session != historySession {
			return nil
		}
		for _, e := range all {
			if e.line >= q.Start && (q.Stop <= 0 || e.line < q.Stop) {
				out = append(out, e)
			}
		}
		return out
	case "search":
		seen := map[string]bool{}
		for i := len(all) - 1; i >= 0; i-- { // newest first, so unique keeps the latest
			e := all[i]
			if !globMatch(q.Pattern, e.input) || q.Unique && seen[e.input] {
				continue
			}
			seen[e.input] = true
			out = append(out, e)
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	default:
		return nil
	}
	if q.N > 0 && len(out) > q.N {
		out = out[len(out)-q.N:]
	}
	return out
}

// historyRequest answers history_request: [session, line, input], or
// [session, line, [input, output]] when output is asked for.
func (k *Kernel) historyRequest(r *request) {
	var q historyRequest
	if !k.parse(r, &q) {
		return
	}
	list := []any{}
	for _, e := range k.history.query(q) {
		var item any = e.input
		if q.Output {
			item = []any{e.input, e.output}
		}
		list = append(list, []any{historySession, e.line, item})
	}
	k.reply(r, "history_reply", map[string]any{"status": "ok", "history": list})
}

// globMatch says whether s matches pattern as a whole, where * matches
// any text (newlines included) and ? any one character.
func globMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0 // the last * seen and where in t it started matching
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case star >= 0:
			mark++
			pi, ti = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
