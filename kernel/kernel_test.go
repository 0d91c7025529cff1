package kernel

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// cells are snippets of each language the tests run.
var cells = map[string]map[string]string{
	"lua": {
		"result":  "1+1",
		"print":   `print("hello")`,
		"error":   `error("boom")`,
		"slowErr": `local t = os.clock() while os.clock() - t < 0.2 do end error("boom")`,
		"set":     "x = 41",
		"get":     "x + 1",
		"forever": "while true do end",
		"many":    "for i = 0, 999 do print(i) end",
		"flood":   `local s = string.rep("x", 999) for i = 1, 1200 do print(s) end`,
		"display": `fsc.display(fsc.html("<b>x</b>"))`,
		"shown":   `fsc.display(fsc.html("<b>1</b>"), {display_id = "d"})`,
		"update":  `fsc.update_display(fsc.html("<b>2</b>"), "d")`,
		"clear":   "fsc.clear_output()",
		"partial": "for i = 1, 3 do",
		// interrupted is the error name of an interrupted cell.
		"interrupted": "interrupted",
	},
	"python": {
		"result":      "1+1",
		"print":       `print("hello")`,
		"error":       "undefined_name",
		"slowErr":     "import time\ntime.sleep(0.2)\n1/0",
		"set":         "x = 41",
		"get":         "x + 1",
		"forever":     "while True: pass",
		"many":        "for i in range(1000):\n    print(i)",
		"flood":       "s = 'x' * 999\nfor i in range(1200):\n    print(s)",
		"display":     `fsc.display(fsc.html("<b>x</b>"))`,
		"shown":       `fsc.display(fsc.html("<b>1</b>"), display_id="d")`,
		"update":      `fsc.update_display(fsc.html("<b>2</b>"), "d")`,
		"clear":       "fsc.clear_output()",
		"partial":     "for i in range(3):",
		"interrupted": "KeyboardInterrupt",
	},
}

// forEachLanguage runs f against a fresh kernel of each language, in
// parallel.
func forEachLanguage(t *testing.T, f func(t *testing.T, tk *testKernel, cell map[string]string)) {
	for _, lang := range []string{"lua", "python"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			f(t, startKernel(t, lang, "secret-key"), cells[lang])
		})
	}
}

func TestKernelInfo(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, _ map[string]string) {
		for _, channel := range []string{"shell", "control"} {
			id := tk.c.send(channel, "kernel_info_request", struct{}{})
			r := tk.c.reply(channel, id)
			if r.Header.MsgType != "kernel_info_reply" || r.Header.Version != "5.3" || r.Header.Session == "" {
				t.Errorf("%s: header %+v", channel, r.Header)
			}
			c := contentOf(r)
			if c["status"] != "ok" || c["protocol_version"] != "5.3" || c["implementation"] != "fsc-kernel" ||
				c["implementation_version"] != "test" || c["debugger"] != false || c["banner"] == "" {
				t.Errorf("%s: content %v", channel, c)
			}
			li := c["language_info"].(map[string]any)
			for _, f := range []string{"name", "version", "mimetype", "file_extension", "pygments_lexer", "codemirror_mode", "nbconvert_exporter"} {
				if s, _ := li[f].(string); s == "" {
					t.Errorf("language_info.%s missing: %v", f, li)
				}
			}
			if links, _ := c["help_links"].([]any); len(links) == 0 {
				t.Errorf("no help_links: %v", c)
			}
			checkBusyIdle(t, tk.c.iopub(id), id)
		}
	})
}

// checkBusyIdle checks that the iopub messages of a request start with
// status busy, end with status idle, and all carry the request as parent.
func checkBusyIdle(t *testing.T, ms []*message, id string) {
	t.Helper()
	if len(ms) < 2 || !isStatus(ms[0], "busy") || !isStatus(ms[len(ms)-1], "idle") {
		t.Fatalf("iopub of %s: %s, want busy first and idle last", id, types(ms))
	}
	for _, m := range ms {
		if p := parentOf(m); p.MsgID != id || p.MsgType == "" {
			t.Errorf("%s has parent %+v, want the request %s", m.Header.MsgType, p, id)
		}
		if string(m.Metadata) != "{}" {
			t.Errorf("%s metadata %s", m.Header.MsgType, m.Metadata)
		}
	}
}

func TestExecuteResult(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, cell map[string]string) {
		r, io := tk.c.execute(cell["result"], nil)
		c := contentOf(r)
		if c["status"] != "ok" || c["execution_count"] != 1.0 || fmt.Sprint(c["payload"]) != "[]" || fmt.Sprint(c["user_expressions"]) != "map[]" {
			t.Fatalf("reply %v", c)
		}
		if got := types(io); got != "[status:busy execute_input execute_result status:idle]" {
			t.Fatalf("iopub %s", got)
		}
		checkBusyIdle(t, io, parentOf(r).MsgID)
		in := contentOf(io[1])
		if in["code"] != cell["result"] || in["execution_count"] != 1.0 {
			t.Errorf("execute_input %v", in)
		}
		res := contentOf(io[2])
		if res["execution_count"] != 1.0 || res["data"].(map[string]any)["text/plain"] != "2" || fmt.Sprint(res["metadata"]) != "map[]" {
			t.Errorf("execute_result %v", res)
		}

		// Silent: no input, no result, the count stays.
		r, io = tk.c.execute(cell["result"], map[string]any{"silent": true})
		if c := contentOf(r); c["status"] != "ok" || c["execution_count"] != 1.0 {
			t.Errorf("silent reply %v", c)
		}
		if got := types(io); got != "[status:busy status:idle]" {
			t.Errorf("silent iopub %s", got)
		}
		// Not stored: input shown, the count stays.
		r, io = tk.c.execute(cell["result"], map[string]any{"store_history": false})
		if c := contentOf(r); c["execution_count"] != 1.0 {
			t.Errorf("store_history=false reply %v", c)
		}
		if got := types(io); got != "[status:busy execute_input execute_result status:idle]" {
			t.Errorf("store_history=false iopub %s", got)
		}
		// A statement has no result; the count goes on.
		r, io = tk.c.execute(cell["print"], nil)
		if c := contentOf(r); c["execution_count"] != 2.0 {
			t.Errorf("reply %v", c)
		}
		if got := types(io); got != "[status:busy execute_input stream status:idle]" {
			t.Errorf("print iopub %s", got)
		}
		if s := contentOf(io[2]); s["name"] != "stdout" || s["text"] != "hello\n" {
			t.Errorf("stream %v", s)
		}
	})
}

func TestExecuteError(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, cell map[string]string) {
		r, io := tk.c.execute(cell["error"], nil)
		c := contentOf(r)
		if c["status"] != "error" || c["execution_count"] != 1.0 || c["ename"] == "" || c["evalue"] == "" {
			t.Fatalf("reply %v", c)
		}
		tb, ok := c["traceback"].([]any)
		if !ok || len(tb) == 0 {
			t.Fatalf("traceback %v", c["traceback"])
		}
		errs := ofType(io, "error")
		if len(errs) != 1 || types(io) != "[status:busy execute_input error status:idle]" {
			t.Fatalf("iopub %s", types(io))
		}
		e := contentOf(errs[0])
		if e["ename"] != c["ename"] || e["evalue"] != c["evalue"] || fmt.Sprint(e["traceback"]) != fmt.Sprint(tb) {
			t.Errorf("error message %v, reply %v", e, c)
		}
		if !strings.HasPrefix(tb[0].(string), c["ename"].(string)+": ") {
			t.Errorf("traceback %q", tb)
		}
		want := map[string]string{"lua": "LuaError", "python": "NameError"}[tk.k.info.LanguageInfo.Name]
		if c["ename"] != want {
			t.Errorf("ename %v, want %s", c["ename"], want)
		}
	})
}

func TestStopOnError(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, cell map[string]string) {
		content := func(code string, stop bool) map[string]any {
			return map[string]any{"code": code, "silent": false, "store_history": true, "user_expressions": map[string]any{},
				"allow_stdin": false, "stop_on_error": stop}
		}
		failed := tk.c.send("shell", "execute_request", content(cell["slowErr"], true))
		queued1 := tk.c.send("shell", "execute_request", content(cell["set"], true))
		queued2 := tk.c.send("shell", "execute_request", content(cell["result"], true))
		if s := contentOf(tk.c.reply("shell", failed))["status"]; s != "error" {
			t.Fatalf("failing cell: status %v", s)
		}
		for _, id := range []string{queued1, queued2} {
			r := contentOf(tk.c.reply("shell", id))
			if r["status"] != "aborted" {
				t.Errorf("queued cell: %v, want aborted", r)
			}
			if io := tk.c.iopub(id); types(io) != "[status:busy status:idle]" {
				t.Errorf("aborted cell iopub %s", types(io))
			}
		}
		// What comes after the error was answered runs; the aborted
		// cells did not.
		r, _ := tk.c.execute(cell["get"], nil)
		if c := contentOf(r); c["status"] != "error" {
			t.Errorf("x was set by an aborted cell: %v", c)
		}
		r, _ = tk.c.execute(cell["result"], nil)
		if c := contentOf(r); c["status"] != "ok" || c["execution_count"] != 3.0 {
			t.Errorf("after the abort: %v", c)
		}
		// Without stop_on_error the next cell runs.
		failed = tk.c.send("shell", "execute_request", content(cell["slowErr"], false))
		next := tk.c.send("shell", "execute_request", content(cell["result"], true))
		tk.c.reply("shell", failed)
		if c := contentOf(tk.c.reply("shell", next)); c["status"] != "ok" {
			t.Errorf("stop_on_error=false: next cell %v", c)
		}
	})
}

func TestStreamCoalescing(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, cell map[string]string) {
		_, io := tk.c.execute(cell["many"], nil)
		streams := ofType(io, "stream")
		var text strings.Builder
		for _, s := range streams {
			text.WriteString(contentOf(s)["text"].(string))
		}
		var want strings.Builder
		for i := range 1000 {
			fmt.Fprintf(&want, "%d\n", i)
		}
		if text.String() != want.String() {
			t.Errorf("text of the stream messages is not the 1000 lines in order: %.80q...", text.String())
		}
		if len(streams) > 10 {
			t.Errorf("%d stream messages for 1000 prints, want them coalesced", len(streams))
		}
	})
}

func TestStreamCap(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, cell map[string]string) {
		r, io := tk.c.execute(cell["flood"], nil)
		if c := contentOf(r); c["status"] != "ok" {
			t.Fatalf("reply %v", c)
		}
		var text strings.Builder
		for _, s := range ofType(io, "stream") {
			text.WriteString(contentOf(s)["text"].(string))
		}
		got := text.String()
		if len(got) > streamCap+len(streamCapNotice) || !strings.HasSuffix(got, streamCapNotice) || strings.Count(got, streamCapNotice) != 1 {
			t.Errorf("%d bytes of text, want at most %d ending with one notice; ends %q", len(got), streamCap, got[max(0, len(got)-100):])
		}
		// The next cell prints again.
		_, io = tk.c.execute(cell["print"], nil)
		if s := ofType(io, "stream"); len(s) != 1 || contentOf(s[0])["text"] != "hello\n" {
			t.Errorf("next cell: %s", types(io))
		}
	})
}

func TestDisplayAndClear(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, cell map[string]string) {
		r, io := tk.c.execute(cell["print"]+"\n"+cell["display"]+"\n"+cell["clear"], nil)
		if c := contentOf(r); c["status"] != "ok" {
			t.Fatalf("reply %v", c)
		}
		if got := types(io); got != "[status:busy execute_input stream display_data clear_output status:idle]" {
			t.Fatalf("iopub %s", got)
		}
		d := contentOf(io[3])
		if d["data"].(map[string]any)["text/html"] != "<b>x</b>" || fmt.Sprint(d["metadata"]) != "map[]" || fmt.Sprint(d["transient"]) != "map[]" {
			t.Errorf("display_data %v", d)
		}
		if c := contentOf(io[4]); c["wait"] != false {
			t.Errorf("clear_output %v", c)
		}

		// A display with an id, replaced from a later cell.
		for code, want := range map[string]string{cell["shown"]: "display_data", cell["update"]: "update_display_data"} {
			_, io = tk.c.execute(code, nil)
			d := ofType(io, want)
			if len(d) != 1 || fmt.Sprint(contentOf(d[0])["transient"]) != "map[display_id:d]" {
				t.Errorf("%s: iopub %s", code, types(io))
			}
		}
	})
}

func TestInterrupt(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, cell map[string]string) {
		c := tk.c
		if r, _ := c.execute(cell["set"], nil); contentOf(r)["status"] != "ok" {
			t.Fatal(contentOf(r))
		}
		id := c.send("shell", "execute_request", map[string]any{"code": cell["forever"], "silent": false, "store_history": true,
			"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
		if !c.boxes["iopub"].wait(testTimeout, func(ms []*message) bool { return len(ofType(withParent(ms, id), "execute_input")) > 0 }) {
			t.Fatal("no execute_input for the long cell")
		}
		// control answers while the cell runs.
		info := c.send("control", "kernel_info_request", struct{}{})
		if r := c.reply("control", info); contentOf(r)["status"] != "ok" {
			t.Errorf("kernel_info on control: %v", contentOf(r))
		}
		if len(withParent(c.boxes["shell"].snapshot(), id)) > 0 {
			t.Fatal("the long cell ended by itself")
		}
		// Interrupt until it stops (the first may come before the cell
		// has started).
		var reply *message
		deadline := time.Now().Add(testTimeout)
		for reply == nil {
			if time.Now().After(deadline) {
				t.Fatal("the cell did not stop on interrupt")
			}
			ir := c.send("control", "interrupt_request", struct{}{})
			if s := contentOf(c.reply("control", ir))["status"]; s != "ok" {
				t.Fatalf("interrupt_reply status %v", s)
			}
			c.boxes["shell"].wait(2*time.Second, func(ms []*message) bool {
				if r := withParent(ms, id); len(r) > 0 {
					reply = r[0]
				}
				return reply != nil
			})
		}
		r := contentOf(reply)
		if r["status"] != "error" || r["ename"] != cell["interrupted"] || r["evalue"] == "" {
			t.Errorf("interrupted cell: %v", r)
		}
		if errs := ofType(c.iopub(id), "error"); len(errs) != 1 || contentOf(errs[0])["ename"] != cell["interrupted"] {
			t.Errorf("error messages of the interrupted cell: %d", len(errs))
		}
		// The namespace survives.
		got, io := c.execute(cell["get"], nil)
		if contentOf(got)["status"] != "ok" || len(ofType(io, "execute_result")) != 1 ||
			contentOf(ofType(io, "execute_result")[0])["data"].(map[string]any)["text/plain"] != "42" {
			t.Errorf("after the interrupt x + 1: %v %s", contentOf(got), types(io))
		}
		// An interrupt_request on shell is not queued behind the cell.
		id = c.send("shell", "execute_request", map[string]any{"code": cell["forever"]})
		if !c.boxes["iopub"].wait(testTimeout, func(ms []*message) bool { return len(ofType(withParent(ms, id), "execute_input")) > 0 }) {
			t.Fatal("no execute_input for the second long cell")
		}
		reply = nil
		for deadline := time.Now().Add(testTimeout); reply == nil; {
			if time.Now().After(deadline) {
				t.Fatal("the cell did not stop on an interrupt_request on shell")
			}
			ir := c.send("shell", "interrupt_request", struct{}{})
			if s := contentOf(c.reply("shell", ir))["status"]; s != "ok" {
				t.Fatalf("interrupt_reply on shell: %v", s)
			}
			c.boxes["shell"].wait(2*time.Second, func(ms []*message) bool {
				if r := withParent(ms, id); len(r) > 0 {
					reply = r[0]
				}
				return reply != nil
			})
		}
		if r := contentOf(reply); r["ename"] != cell["interrupted"] {
			t.Errorf("interrupted by shell: %v", r)
		}
	})
}

func TestInterruptMethod(t *testing.T) {
	tk := startKernel(t, "lua", "k")
	id := tk.c.send("shell", "execute_request", map[string]any{"code": cells["lua"]["forever"]})
	// An interrupt stops the running cell only: wait until it runs.
	for deadline := time.Now().Add(testTimeout); tk.k.cell.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the cell never started")
		}
	}
	tk.k.Interrupt()
	reply := tk.c.reply("shell", id) // the cell runs forever unless interrupted
	if c := contentOf(reply); c["ename"] != cells["lua"]["interrupted"] {
		t.Errorf("reply %v", c)
	}
}

func TestProgressDisplay(t *testing.T) {
	tk := startKernel(t, "lua", "k")
	id := tk.c.send("shell", "execute_request", map[string]any{"code": cells["lua"]["forever"]})
	if !tk.c.boxes["iopub"].wait(testTimeout, func(ms []*message) bool { return len(ofType(withParent(ms, id), "execute_input")) > 0 }) {
		t.Fatal("no execute_input")
	}
	out := tk.k.Output()
	for deadline := time.Now().Add(testTimeout); tk.k.cell.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the cell never started")
		}
	}
	out.Progress("Median running", false)
	out.Progress("Median still running", false)
	out.Progress("Median done", true)
	out.Progress("Count running", false) // left open: the end of the cell blanks it
	tk.k.Interrupt()
	io := tk.c.iopub(id)
	// The first display is the cell's only output: it is cleared away. The
	// second has the error after it: it is blanked at the end.
	if got := types(io); got != "[status:busy execute_input display_data update_display_data clear_output display_data error update_display_data status:idle]" {
		t.Fatalf("iopub %s", got)
	}
	first := contentOf(io[2])["transient"].(map[string]any)["display_id"]
	second := contentOf(io[5])["transient"].(map[string]any)["display_id"]
	if first == "" || first == second {
		t.Errorf("display ids %v %v", first, second)
	}
	for i, want := range map[int]string{2: "Median running", 3: "Median still running", 5: "Count running", 7: ""} {
		c := contentOf(io[i])
		if c["data"].(map[string]any)["text/plain"] != want {
			t.Errorf("message %d: %v, want %q", i, c, want)
		}
	}
}

func TestIntrospection(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, cell map[string]string) {
		c := tk.c
		code := "fsc.tab"
		id := c.send("shell", "complete_request", map[string]any{"code": code, "cursor_pos": len(code)})
		r := contentOf(c.reply("shell", id))
		if r["status"] != "ok" || !strings.Contains(fmt.Sprint(r["matches"]), "table") || r["cursor_end"] != float64(len(code)) || fmt.Sprint(r["metadata"]) != "map[]" {
			t.Errorf("complete_reply %v", r)
		}
		checkBusyIdle(t, c.iopub(id), id)

		id = c.send("shell", "inspect_request", map[string]any{"code": "fsc.table", "cursor_pos": 6, "detail_level": 0})
		r = contentOf(c.reply("shell", id))
		if r["status"] != "ok" || r["found"] != true || r["data"].(map[string]any)["text/plain"] == "" {
			t.Errorf("inspect_reply %v", r)
		}
		id = c.send("shell", "inspect_request", map[string]any{"code": "nothing_here", "cursor_pos": 3, "detail_level": 0})
		if r = contentOf(c.reply("shell", id)); r["found"] != false || fmt.Sprint(r["data"]) != "map[]" {
			t.Errorf("inspect_reply for nothing %v", r)
		}

		for code, want := range map[string]string{cell["set"]: "complete", cell["partial"]: "incomplete"} {
			id = c.send("shell", "is_complete_request", map[string]any{"code": code})
			r = contentOf(c.reply("shell", id))
			_, hasIndent := r["indent"]
			if r["status"] != want || hasIndent != (want == "incomplete") {
				t.Errorf("is_complete %q: %v", code, r)
			}
		}
	})
}

func TestHistory(t *testing.T) {
	tk := startKernel(t, "lua", "k")
	c := tk.c
	for _, code := range []string{"a = 1", "a + 1", "b = 2", "a + 1"} {
		c.execute(code, nil)
	}
	c.execute("c = 3", map[string]any{"store_history": false})
	history := func(q map[string]any) string {
		t.Helper()
		id := c.send("shell", "history_request", q)
		r := contentOf(c.reply("shell", id))
		if r["status"] != "ok" {
			t.Fatalf("history_reply %v", r)
		}
		return fmt.Sprint(r["history"])
	}
	for _, tc := range []struct {
		q    map[string]any
		want string
	}{
		{map[string]any{"hist_access_type": "tail", "n": 2, "output": false, "raw": true}, "[[1 3 b = 2] [1 4 a + 1]]"},
		{map[string]any{"hist_access_type": "tail", "n": 2, "output": true, "raw": true}, "[[1 3 [b = 2 <nil>]] [1 4 [a + 1 2]]]"},
		{map[string]any{"hist_access_type": "range", "session": 1, "start": 2, "stop": 3, "output": false, "raw": true}, "[[1 2 a + 1]]"},
		{map[string]any{"hist_access_type": "range", "session": 0, "start": 3, "output": false, "raw": true}, "[[1 3 b = 2] [1 4 a + 1]]"},
		{map[string]any{"hist_access_type": "range", "session": -1, "start": 1, "output": false, "raw": true}, "[]"},
		{map[string]any{"hist_access_type": "search", "pattern": "a*", "output": false, "raw": true}, "[[1 1 a = 1] [1 2 a + 1] [1 4 a + 1]]"},
		{map[string]any{"hist_access_type": "search", "pattern": "a*", "unique": true, "output": false, "raw": true}, "[[1 1 a = 1] [1 4 a + 1]]"},
		{map[string]any{"hist_access_type": "search", "pattern": "?ee", "output": false, "raw": true}, "[]"},
		{map[string]any{"hist_access_type": "search", "pattern": "*", "n": 1, "output": false, "raw": true}, "[[1 4 a + 1]]"},
	} {
		if got := history(tc.q); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.q, got, tc.want)
		}
	}
}

func TestComm(t *testing.T) {
	tk := startKernel(t, "lua", "k")
	c := tk.c
	id := c.send("shell", "comm_info_request", map[string]any{})
	if r := contentOf(c.reply("shell", id)); r["status"] != "ok" || fmt.Sprint(r["comms"]) != "map[]" {
		t.Errorf("comm_info_reply %v", r)
	}
	id = c.send("shell", "comm_open", map[string]any{"comm_id": "c1", "target_name": "jupyter.widget", "data": map[string]any{}})
	io := c.iopub(id)
	if types(io) != "[status:busy comm_close status:idle]" || contentOf(io[1])["comm_id"] != "c1" {
		t.Errorf("comm_open: %s", types(io))
	}
	for _, typ := range []string{"comm_msg", "comm_close", "no_such_request"} {
		id = c.send("shell", typ, map[string]any{"comm_id": "c1", "data": map[string]any{}})
		if io := c.iopub(id); types(io) != "[status:busy status:idle]" {
			t.Errorf("%s: %s", typ, types(io))
		}
		if r := withParent(c.boxes["shell"].snapshot(), id); len(r) > 0 {
			t.Errorf("%s was answered: %s", typ, types(r))
		}
	}
}

func TestBadSignature(t *testing.T) {
	tk := startKernel(t, "lua", "secret-key")
	c := tk.c
	h := newHeader(c.session, "kernel_info_request")
	frames, _ := encode(&message{Header: h, Content: []byte("{}")}, signer{key: []byte("wrong-key")})
	c.sendFrames("shell", frames)
	frames, _ = encode(&message{Header: h, Content: []byte("{}")}, signer{})
	c.sendFrames("control", frames) // unsigned
	// A good message after each: the kernel reads a socket's messages in
	// order, so once it has answered the good one (reply, then status
	// idle on iopub) it has dropped or answered the bad one before it.
	for _, channel := range []string{"shell", "control"} {
		id := c.send(channel, "kernel_info_request", struct{}{})
		if r := contentOf(c.reply(channel, id)); r["status"] != "ok" {
			t.Errorf("next good message on %s: %v", channel, r)
		}
		c.iopub(id)
	}
	for _, box := range []string{"shell", "control", "iopub"} {
		if got := withParent(c.boxes[box].snapshot(), h.MsgID); len(got) > 0 {
			t.Errorf("%s: the kernel answered a badly signed message: %s", box, types(got))
		}
	}
	if n := strings.Count(tk.logs.String(), "bad signature"); n != 2 {
		t.Errorf("logged %d bad signatures, want 2:\n%s", n, tk.logs.String())
	}

	// A badly signed cell never runs; a replayed one runs once.
	bad := newHeader(c.session, "execute_request")
	frames, _ = encode(&message{Header: bad, Content: []byte(`{"code": "x = 1"}`)}, signer{key: []byte("wrong-key")})
	c.sendFrames("shell", frames)
	good := newHeader(c.session, "execute_request")
	frames, _ = encode(&message{Header: good, Content: []byte(`{"code": "n = (n or 0) + 1"}`)}, signer{key: []byte("secret-key")})
	c.sendFrames("shell", frames)
	if r := contentOf(c.reply("shell", good.MsgID)); r["status"] != "ok" {
		t.Fatalf("signed cell: %v", r)
	}
	c.sendFrames("shell", frames) // the same message again
	// The next cell is answered after the replay was dropped or run (shell
	// runs its requests in order): then it is time to count.
	r, shown := c.execute("tostring(x) .. ' ' .. n", nil)
	if contentOf(r)["status"] != "ok" || len(ofType(shown, "execute_result")) != 1 ||
		contentOf(ofType(shown, "execute_result")[0])["data"].(map[string]any)["text/plain"] != "nil 1" {
		t.Errorf("after a bad and a replayed cell: %v %v", contentOf(r), types(shown))
	}
	if n := len(withParent(c.boxes["shell"].snapshot(), good.MsgID)); n != 1 {
		t.Errorf("the replayed cell was answered: %d replies", n)
	}
	if !strings.Contains(tk.logs.String(), "replayed signature") {
		t.Errorf("the replay was not logged:\n%s", tk.logs.String())
	}
}

func TestUnsigned(t *testing.T) {
	tk := startKernel(t, "lua", "")
	r, _ := tk.c.execute("1+1", nil)
	if len(r.Identities) != 0 || contentOf(r)["status"] != "ok" {
		t.Errorf("reply %v", contentOf(r))
	}
}

func TestShutdown(t *testing.T) {
	for _, channel := range []string{"control", "shell"} {
		t.Run(channel, func(t *testing.T) {
			t.Parallel()
			tk := startKernel(t, "lua", "k")
			id := tk.c.send(channel, "shutdown_request", map[string]any{"restart": false})
			r := contentOf(tk.c.reply(channel, id))
			if r["status"] != "ok" || r["restart"] != false {
				t.Errorf("shutdown_reply %v", r)
			}
			select {
			case err := <-tk.served:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
				tk.served <- err // for the cleanup
			case <-time.After(testTimeout):
				t.Fatal("Serve did not return after shutdown_request")
			}
		})
	}
}

// A shutdown stops the running cell: the cell ends as interrupted and gets
// its reply before the sockets close, the kernel does not have to leave it
// behind, and Serve returns without error.
func TestShutdownStopsRunningCell(t *testing.T) {
	tk := startKernel(t, "python", "k")
	cell := tk.c.send("shell", "execute_request", map[string]any{"code": "print('started')\n" + cells["python"]["forever"]})
	started := tk.c.boxes["iopub"].wait(testTimeout, func(ms []*message) bool {
		for _, m := range withParent(ms, cell) {
			if m.Header.MsgType == "stream" && strings.Contains(fmt.Sprint(contentOf(m)["text"]), "started") {
				return true
			}
		}
		return false
	})
	if !started {
		t.Fatal("the cell never started")
	}
	id := tk.c.send("control", "shutdown_request", map[string]any{"restart": true})
	if r := contentOf(tk.c.reply("control", id)); r["restart"] != true {
		t.Errorf("shutdown_reply %v", r)
	}
	if r := contentOf(tk.c.reply("shell", cell)); r["status"] != "error" || r["ename"] != cells["python"]["interrupted"] {
		t.Errorf("the running cell's reply %v, want it interrupted", r)
	}
	select {
	case err := <-tk.served:
		tk.served <- err
		if err != nil {
			t.Errorf("Serve returned %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Serve did not return")
	}
	if strings.Contains(tk.logs.String(), "did not stop") {
		t.Errorf("the kernel stopped without its cell: %s", tk.logs.String())
	}
}

func TestHeartbeat(t *testing.T) {
	tk := startKernel(t, "lua", "k")
	req := zmq4.NewReq(t.Context())
	defer req.Close()
	if err := req.Dial(tk.k.Connection().endpoint(tk.k.Connection().HBPort)); err != nil {
		t.Fatal(err)
	}
	for _, ping := range []string{"ping", "ping again"} {
		if err := req.Send(zmq4.NewMsgString(ping)); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() {
			m, err := req.Recv()
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(m.Bytes())
		}()
		select {
		case s := <-got:
			if s != ping {
				t.Errorf("heartbeat echoed %q, want %q", s, ping)
			}
		case <-time.After(testTimeout):
			t.Fatal("no heartbeat echo")
		}
	}
}

func TestIPC(t *testing.T) {
	conn := Connection{Transport: "ipc", IP: filepath.Join(t.TempDir(), "kernel"), Key: "k",
		ShellPort: 1, IOPubPort: 2, StdinPort: 3, ControlPort: 4, HBPort: 5}
	tk := startKernelOn(t, "lua", conn)
	r, _ := tk.c.execute("1+1", nil)
	if contentOf(r)["status"] != "ok" {
		t.Errorf("reply over ipc %v", contentOf(r))
	}
}

func TestBadContent(t *testing.T) {
	tk := startKernel(t, "lua", "k")
	id := tk.c.send("shell", "execute_request", map[string]any{"code": 12})
	r := tk.c.reply("shell", id)
	if r.Header.MsgType != "execute_reply" || contentOf(r)["status"] != "error" {
		t.Errorf("reply to a bad execute_request: %s %v", r.Header.MsgType, contentOf(r))
	}
}

func TestUserExpressions(t *testing.T) {
	tk := startKernel(t, "lua", "k")
	r, _ := tk.c.execute("y = 6", map[string]any{"user_expressions": map[string]any{"double": "y * 2", "bad": "error('no')"}})
	ue := contentOf(r)["user_expressions"].(map[string]any)
	if d := ue["double"].(map[string]any); d["status"] != "ok" || d["data"].(map[string]any)["text/plain"] != "12" {
		t.Errorf("double: %v", d)
	}
	if b := ue["bad"].(map[string]any); b["status"] != "error" || b["ename"] != "LuaError" {
		t.Errorf("bad: %v", b)
	}
}
