package mpc

import (
	"slices"
	"strconv"
	"sync"
)

// openLog is what one party learned in a session, value by value, in the
// order it learned them.
type openLog struct {
	mu     sync.Mutex
	values []any
}

// maxOpenedRecorded bounds the values a session records for its audit
// line; a computation that opens more (a large table of counts) records
// the first ones and then a note of how many more there were.
const maxOpenedRecorded = 4096

// RecordOpened notes values this party has just learned, for its audit:
// totals of a secure sum, decisions it received, or values of a checked
// opening that the protocol opens for their meaning (a bucket index, a
// check's bit, a count). The engine records what its own protocols open;
// a protocol built outside it records what it opens itself. Masked values
// opened inside comparisons and multiplications (uniformly random,
// independent of the data) are not recorded.
func (s *Session) RecordOpened(v ...any) {
	l := s.opened
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.values = append(l.values, v...)
}

// Opened returns, in order, every value this party learned in the
// session and its views (see RecordOpened): what its audit line lists.
// A long list is cut after its first 4096 values with a final string
// that says how many followed.
func (s *Session) Opened() []any {
	l := s.opened
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.values) <= maxOpenedRecorded {
		return slices.Clone(l.values)
	}
	out := slices.Clone(l.values[:maxOpenedRecorded])
	return append(out, "… and "+strconv.Itoa(len(l.values)-maxOpenedRecorded)+" more")
}
