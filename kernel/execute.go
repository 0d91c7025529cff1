package kernel

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// executeRequest is the content of execute_request.
type executeRequest struct {
	Code            string            `json:"code"`
	Silent          bool              `json:"silent"`
	StoreHistory    bool              `json:"store_history"`
	UserExpressions map[string]string `json:"user_expressions"`
	AllowStdin      bool              `json:"allow_stdin"`
	StopOnError     bool              `json:"stop_on_error"`
}

// executeReply is the content of execute_reply; the error fields are there
// when the status is "error".
type executeReply struct {
	Status          string         `json:"status"`
	ExecutionCount  int            `json:"execution_count"`
	UserExpressions map[string]any `json:"user_expressions"`
	Payload         []any          `json:"payload"`
	*errorContent
}

// execute runs a cell. Between busy and idle, iopub carries execute_input,
// the cell's output, then execute_result for the value of a trailing
// expression or one error message; then the reply. A cell "name?" shows
// the documentation of name in the pager instead. A silent cell shows no
// input and no result. Only a cell that is stored in the history (and not
// silent) takes a new execution count. After an error, with stop_on_error,
// the execute_requests that arrived before the error was answered are
// aborted without running.
func (k *Kernel) execute(r *request) {
	req := executeRequest{StoreHistory: true, StopOnError: true}
	if !k.parse(r, &req) {
		return
	}
	if !r.received.After(k.abortUntil) {
		k.reply(r, "execute_reply", executeReply{Status: "aborted", ExecutionCount: k.count, UserExpressions: map[string]any{}, Payload: []any{}})
		return
	}
	counted := req.StoreHistory && !req.Silent && strings.TrimSpace(req.Code) != ""
	if counted {
		k.count++
	}
	n := k.count
	parent := r.rawHeader
	if !req.Silent {
		k.publish(parent, "execute_input", struct {
			Code           string `json:"code"`
			ExecutionCount int    `json:"execution_count"`
		}{req.Code, n})
	}
	out := &cellPublisher{send: func(msgType string, content any) { k.publish(parent, msgType, content) }}
	var reply executeReply
	var result map[string]string
	k.running(out, r.received, func(ctx context.Context) { reply, result = k.run(ctx, req, n, out) })
	if counted {
		k.history.add(n, req.Code, result["text/plain"], result != nil)
	}
	if reply.Status == "error" && req.StopOnError {
		// Every request sent before the frontend saw the error is
		// aborted, however close behind this one it came: first the
		// requests on their way are given the time to be read (and
		// stamped), then the reply goes out. A request sent after the
		// frontend saw the error is stamped later and runs.
		k.queue.settle(abortSettle, abortSettleLimit)
		k.abortUntil = time.Now()
	}
	k.reply(r, "execute_reply", reply)
}

// Waits of stop_on_error before the error reply.
const (
	// abortSettle is how long the shell must be quiet before an error
	// reply goes out with stop_on_error: requests sent together arrive
	// within it, even on a machine with every core busy (at 50 ms, one
	// stress run in fifty lost an abort on two cores at a load of 12).
	abortSettle = 150 * time.Millisecond
	// abortSettleLimit bounds that wait when requests keep coming.
	abortSettleLimit = time.Second
)

// run runs the cell of req, counted n, and returns its reply and the MIME
// bundle of its result.
func (k *Kernel) run(ctx context.Context, req executeRequest, n int, out *cellPublisher) (executeReply, map[string]string) {
	reply := executeReply{Status: "ok", ExecutionCount: n, UserExpressions: map[string]any{}, Payload: []any{}}
	if name, ok := helpQuery(req.Code); ok {
		reply.Payload = k.page(name, out)
		return reply, nil
	}
	result, err := k.rt.Execute(ctx, req.Code)
	if err != nil {
		e := errorOf(err, k.rt.Language().Interrupted)
		out.publish("error", e)
		reply.Status, reply.errorContent = "error", &e
		return reply, nil
	}
	if result != nil && !req.Silent {
		out.publish("execute_result", struct {
			ExecutionCount int               `json:"execution_count"`
			Data           map[string]string `json:"data"`
			Metadata       struct{}          `json:"metadata"`
		}{ExecutionCount: n, Data: result})
	}
	reply.UserExpressions = k.userExpressions(ctx, req.UserExpressions)
	return reply, result
}

// running runs f as the running cell, of a request received at
// received: what the Runtime shows goes to out, and Interrupt cancels f's
// context.
func (k *Kernel) running(out *cellPublisher, received time.Time, f func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(k.ctx)
	defer cancel()
	k.mu.Lock()
	k.cancel, k.cellReceived = cancel, received
	k.mu.Unlock()
	k.cell.Store(out)
	defer func() {
		k.cell.Store(nil)
		k.mu.Lock()
		k.cancel = nil
		k.mu.Unlock()
		out.end()
	}()
	f(ctx)
}

// parse decodes the content of r into dst. Content that does not fit is
// answered with an error reply and parse returns false.
func (k *Kernel) parse(r *request, dst any) bool {
	err := json.Unmarshal(r.Content, dst)
	if err == nil {
		return true
	}
	k.log.Warn("bad request content", "msg_type", r.Header.MsgType, "err", err)
	e := errorContent{Ename: "BadRequest", Evalue: err.Error(), Traceback: []string{"BadRequest: " + err.Error()}}
	if r.Header.MsgType == "execute_request" {
		k.publish(r.rawHeader, "error", e)
		k.reply(r, "execute_reply", executeReply{Status: "error", ExecutionCount: k.count, UserExpressions: map[string]any{}, Payload: []any{}, errorContent: &e})
		return false
	}
	k.reply(r, strings.TrimSuffix(r.Header.MsgType, "_request")+"_reply", struct {
		Status string `json:"status"`
		errorContent
	}{"error", e})
	return false
}
