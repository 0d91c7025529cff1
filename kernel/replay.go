package kernel

import "sync"

// replayGuard remembers the signatures of the last messages received, so
// that a captured message sent again is dropped, as jupyter_client does.
// A signature covers the header and its unique msg_id, so a repeat is a
// replay.
type replayGuard struct {
	mu   sync.Mutex
	seen map[string]bool
	ring []string // the remembered signatures, oldest first from next
	next int
}

// replayMemory is how many signatures a kernel remembers.
const replayMemory = 1 << 16

// fresh records sig and says whether it was not seen before. Unsigned
// messages (no key) are always fresh.
func (g *replayGuard) fresh(sig []byte) bool {
	if len(sig) == 0 {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = make(map[string]bool, replayMemory)
		g.ring = make([]string, replayMemory)
	}
	s := string(sig)
	if g.seen[s] {
		return false
	}
	if old := g.ring[g.next]; old != "" {
		delete(g.seen, old)
	}
	g.ring[g.next] = s
	g.next = (g.next + 1) % replayMemory
	g.seen[s] = true
	return true
}
