package kernel

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a cellPublisher's send that keeps what was sent.
type recorder struct {
	mu   sync.Mutex
	sent []string // "msg_type content"
}

func (r *recorder) send(msgType string, content any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, fmt.Sprintf("%s %v", msgType, content))
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

func TestCellPublisherCoalesces(t *testing.T) {
	r := &recorder{}
	c := &cellPublisher{send: r.send}
	c.stream("stdout", "a")
	c.stream("stdout", "b")
	if got := r.list(); len(got) != 0 {
		t.Fatalf("sent at once: %v", got)
	}
	deadline := time.Now().Add(testTimeout)
	for len(r.list()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	c.stream("stdout", "c")
	c.stream("stderr", "d") // another stream: what is pending goes first
	c.display(map[string]string{"text/plain": "p"}, "", false)
	c.stream("stdout", "e")
	c.end()
	c.stream("stdout", "late")
	c.display(map[string]string{"text/plain": "late"}, "", false)
	want := []string{"stream {stdout ab}", "stream {stdout c}", "stream {stderr d}", "display_data {map[text/plain:p] {} map[]}", "stream {stdout e}"}
	if got := r.list(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sent %q\nwant %q", got, want)
	}
}

func TestCellPublisherCap(t *testing.T) {
	r := &recorder{}
	c := &cellPublisher{send: r.send}
	line := strings.Repeat("é", 1000) + "\n" // two-byte runes: the cut must not split one
	for range streamCap/len(line) + 10 {
		c.stream("stdout", line)
	}
	c.end()
	var text strings.Builder
	for _, s := range r.list() {
		text.WriteString(strings.TrimSuffix(strings.TrimPrefix(s, "stream {stdout "), "}"))
	}
	got := text.String()
	if len(got) > streamCap+len(streamCapNotice) || strings.Count(got, streamCapNotice) != 1 || !strings.HasSuffix(got, streamCapNotice) {
		t.Errorf("%d bytes, ends %q", len(got), got[len(got)-80:])
	}
	if !strings.HasPrefix(got, line) || strings.ContainsRune(got, '\uFFFD') {
		t.Error("text damaged")
	}
}

func TestCellPublisherProgress(t *testing.T) {
	r := &recorder{}
	c := &cellPublisher{send: r.send}
	c.showProgress("done before start", true) // nothing open: ignored
	c.showProgress("one", false)
	c.showProgress("two", false)
	c.showProgress("x", true)
	c.showProgress("three", false)
	c.end()
	got := r.list()
	id := func(i int) string { return got[i][strings.LastIndex(got[i], ":")+1:] }
	if len(got) != 5 || id(0) != id(1) || id(3) == id(0) {
		t.Fatalf("sent %q", got)
	}
	// The cell's only output: cleared away, not left blank in the notebook.
	for i, prefix := range []string{"display_data {map[text/plain:one]", "update_display_data {map[text/plain:two]",
		"clear_output {false}", "display_data {map[text/plain:three]", "clear_output {false}"} {
		if !strings.HasPrefix(got[i], prefix) {
			t.Errorf("message %d: %s, want %s...", i, got[i], prefix)
		}
	}

	// After printed text, the progress display is blanked: clearing would
	// take the text away too.
	r = &recorder{}
	c = &cellPublisher{send: r.send}
	c.stream("stdout", "before\n")
	c.showProgress("one", false)
	c.showProgress("x", true)
	c.end()
	got = r.list()
	if len(got) != 3 || !strings.HasPrefix(got[0], "stream") || !strings.HasPrefix(got[1], "display_data {map[text/plain:one]") ||
		!strings.HasPrefix(got[2], "update_display_data {map[text/plain:]") {
		t.Errorf("after text: sent %q", got)
	}
}
