package expiry

import (
	"testing"
	"time"
)

func TestDropKeepsWhatHasNotLapsed(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := map[string]time.Time{"old": now.Add(-time.Second), "now": now, "later": now.Add(time.Second)}
	Drop(m, now, func(t time.Time) time.Time { return t })
	if _, ok := m["old"]; ok || len(m) != 2 {
		t.Errorf("after the sweep %v, want the entries due at or after now", m)
	}
}

func TestClockSpacesSweeps(t *testing.T) {
	var c Clock
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, step := range []struct {
		at   time.Duration
		want bool
	}{{0, true}, {500 * time.Millisecond, false}, {999 * time.Millisecond, false}, {time.Second, true}, {1500 * time.Millisecond, false}, {2 * time.Second, true}} {
		if got := c.Due(now.Add(step.at)); got != step.want {
			t.Errorf("Due at +%v = %v, want %v", step.at, got, step.want)
		}
	}
}
