package kernel

import "testing"

func TestHelpQuery(t *testing.T) {
	for code, want := range map[string]string{
		"fsc.table?": "fsc.table", "?fsc.table": "fsc.table", "  t:median??\n": "t:median", "print?": "print",
		"x = 1?": "", "fsc.table": "", "a?b": "", "?": "", "1?": "",
	} {
		got, ok := helpQuery(code)
		if got != want || ok != (want != "") {
			t.Errorf("helpQuery(%q) = %q, %v", code, got, ok)
		}
	}
}

func TestPager(t *testing.T) {
	forEachLanguage(t, func(t *testing.T, tk *testKernel, _ map[string]string) {
		r, io := tk.c.execute("fsc.table?", nil)
		c := contentOf(r)
		p, _ := c["payload"].([]any)
		if c["status"] != "ok" || len(p) != 1 || p[0].(map[string]any)["source"] != "page" ||
			p[0].(map[string]any)["data"].(map[string]any)["text/plain"] == "" {
			t.Errorf("reply %v", c)
		}
		if types(io) != "[status:busy execute_input status:idle]" {
			t.Errorf("iopub %s", types(io))
		}
		_, io = tk.c.execute("no_such_name?", nil)
		if s := ofType(io, "stream"); len(s) != 1 || contentOf(s[0])["text"] != "Object `no_such_name` not found.\n" {
			t.Errorf("unknown name: %s", types(io))
		}
	})
}
