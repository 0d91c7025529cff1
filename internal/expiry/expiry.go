// Package expiry sweeps the maps of entries that lapse (sessions closed,
// uuids downloaded): at most once a second, each entry dropped once its
// deadline has passed. It is no cache and holds no entries itself.
package expiry

import "time"

// Clock spaces the sweeps of one map at least a second apart, so that a
// sweep on every call costs nothing on a busy node. Its zero value is
// ready; a Clock is guarded by the lock of the map it sweeps.
type Clock struct{ last time.Time }

// Due reports whether a sweep is due at now, and if so counts it as made.
func (c *Clock) Due(now time.Time) bool {
	if now.Sub(c.last) < time.Second {
		return false
	}
	c.last = now
	return true
}

// Drop deletes the entries of m whose deadline, as until gives it, lies
// before now.
func Drop[K comparable, V any](m map[K]V, now time.Time, until func(V) time.Time) {
	for k, v := range m {
		if now.After(until(v)) {
			delete(m, k)
		}
	}
}
