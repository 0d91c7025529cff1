package kernel

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of a cell's printed text.
const (
	// streamDelay is how long printed text may wait to be sent with more.
	streamDelay = 50 * time.Millisecond
	// streamCap is how much printed text one cell may send; the rest is
	// dropped with a notice.
	streamCap = 1 << 20
)

// streamCapNotice ends a cell's text when it passes streamCap.
const streamCapNotice = "\n[fsc-kernel: output truncated: the cell printed more than 1 MiB]\n"

// cellPublisher publishes what one cell shows, every message with the
// execute_request's header as parent. Printed text is coalesced into few
// stream messages: it is sent streamDelay after the first unsent write,
// before any other message of the cell, and when the cell ends. Its
// methods may be called from any goroutine; after end they do nothing.
type cellPublisher struct {
	send func(msgType string, content any) // publishes with the cell's parent header

	mu       sync.Mutex
	name     string // stream of the pending text: stdout or stderr
	pending  strings.Builder
	timer    *time.Timer
	written  int  // bytes of text accepted
	capped   bool // streamCap was reached
	progress string
	// shown counts the outputs the cell shows since its last clear; alone
	// says the open progress display is the only one, so that it can be
	// cleared away rather than left blank in the notebook.
	shown int
	alone bool
	ended bool
}

// streamContent is the content of a stream message.
type streamContent struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// displayContent is the content of display_data and update_display_data.
type displayContent struct {
	Data      map[string]string `json:"data"`
	Metadata  struct{}          `json:"metadata"`
	Transient map[string]string `json:"transient"`
}

// stream takes printed text of stream name (stdout or stderr).
func (c *cellPublisher) stream(name, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || c.capped || text == "" {
		return
	}
	if c.written+len(text) > streamCap {
		keep := streamCap - c.written
		for keep > 0 && !utf8.RuneStart(text[keep]) {
			keep--
		}
		text = text[:keep] + streamCapNotice
		c.capped = true
	}
	c.written += len(text)
	if c.pending.Len() > 0 && c.name != name {
		c.flushLocked()
	}
	c.name = name
	c.pending.WriteString(text)
	if c.timer == nil {
		c.timer = time.AfterFunc(streamDelay, c.flush)
	}
}

// flush sends the pending text.
func (c *cellPublisher) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended {
		c.flushLocked()
	}
}

func (c *cellPublisher) flushLocked() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if c.pending.Len() == 0 {
		return
	}
	text := c.pending.String()
	c.pending.Reset()
	c.send("stream", streamContent{Name: c.name, Text: text})
	c.shown, c.alone = c.shown+1, false
}

// publish sends a message of the cell after the text printed before it.
func (c *cellPublisher) publish(msgType string, content any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.flushLocked()
	c.send(msgType, content)
	switch msgType {
	case "clear_output":
		c.shown = 0
	case "display_data", "execute_result", "error":
		c.shown, c.alone = c.shown+1, false
	}
}

// display shows a MIME bundle now (display_data).
func (c *cellPublisher) display(data map[string]string, id string, update bool) {
	transient := map[string]string{}
	if id != "" {
		transient["display_id"] = id
	}
	msgType := "display_data"
	if update {
		msgType = "update_display_data"
	}
	c.publish(msgType, displayContent{Data: data, Transient: transient})
}

// clear clears the cell's output (clear_output), at once or, with wait,
// when the next output arrives.
func (c *cellPublisher) clear(wait bool) {
	c.publish("clear_output", struct {
		Wait bool `json:"wait"`
	}{wait})
}

// showProgress shows how a running computation is doing: the first call
// displays text under a new display id, later ones update that display,
// and done removes it (clear_output) when it is the cell's only output, so
// that the result takes its place and the notebook keeps no empty output,
// or else blanks it.
func (c *cellPublisher) showProgress(text string, done bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || done && c.progress == "" {
		return
	}
	c.flushLocked()
	c.progressLocked(text, done)
}

func (c *cellPublisher) progressLocked(text string, done bool) {
	if done && c.alone {
		c.send("clear_output", struct {
			Wait bool `json:"wait"`
		}{false})
		c.progress, c.shown, c.alone = "", 0, false
		return
	}
	msgType := "update_display_data"
	if c.progress == "" {
		c.progress = newUUID()
		msgType = "display_data"
		c.alone = c.shown == 0
		c.shown++
	}
	if done {
		text = ""
	}
	c.send(msgType, displayContent{Data: map[string]string{"text/plain": text}, Transient: map[string]string{"display_id": c.progress}})
	if done {
		c.progress, c.alone = "", false
	}
}

// end sends what is pending, blanks a progress display left open, and
// stops the cell's output.
func (c *cellPublisher) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.flushLocked()
	if c.progress != "" {
		c.progressLocked("", true)
	}
	c.ended = true
}
