package kernel

// completeRequest is the content of complete_request and inspect_request.
type completeRequest struct {
	Code        string `json:"code"`
	CursorPos   int    `json:"cursor_pos"`
	DetailLevel int    `json:"detail_level"`
}

// complete answers complete_request with the Runtime's completions; the
// cursor positions are in Unicode code points, as the Runtime counts them.
func (k *Kernel) complete(r *request) {
	var q completeRequest
	if !k.parse(r, &q) {
		return
	}
	matches, start, end := k.rt.Complete(q.Code, q.CursorPos)
	if matches == nil {
		matches = []string{}
	}
	k.reply(r, "complete_reply", struct {
		Status      string   `json:"status"`
		Matches     []string `json:"matches"`
		CursorStart int      `json:"cursor_start"`
		CursorEnd   int      `json:"cursor_end"`
		Metadata    struct{} `json:"metadata"`
	}{Status: "ok", Matches: matches, CursorStart: start, CursorEnd: end})
}

// inspect answers inspect_request with the documentation of the name at
// the cursor.
func (k *Kernel) inspect(r *request) {
	var q completeRequest
	if !k.parse(r, &q) {
		return
	}
	doc, found := k.rt.Inspect(q.Code, q.CursorPos)
	data := map[string]string{}
	if found {
		data["text/plain"] = doc
	}
	k.reply(r, "inspect_reply", struct {
		Status   string            `json:"status"`
		Found    bool              `json:"found"`
		Data     map[string]string `json:"data"`
		Metadata struct{}          `json:"metadata"`
	}{Status: "ok", Found: found, Data: data})
}

// isComplete answers is_complete_request: complete, incomplete (with the
// indent of the next line) or invalid.
func (k *Kernel) isComplete(r *request) {
	var q completeRequest
	if !k.parse(r, &q) {
		return
	}
	status, indent := k.rt.IsComplete(q.Code)
	reply := map[string]string{"status": status}
	if status == "incomplete" {
		reply["indent"] = indent
	}
	k.reply(r, "is_complete_reply", reply)
}
