package kernel

import (
	"context"
	"sync"
	"time"
)

// requestQueue is the shell's queue of requests. It never blocks the
// reader, so that every request a frontend has sent is read (and stamped)
// as soon as it arrives: stop_on_error can then abort every cell that was
// queued when an error happened, however many there are.
type requestQueue struct {
	mu    sync.Mutex
	items []*request
	last  time.Time     // when the last request was pushed
	ready chan struct{} // holds a token while items is not empty
}

func newRequestQueue() *requestQueue { return &requestQueue{ready: make(chan struct{}, 1)} }

// push adds r at the end.
func (q *requestQueue) push(r *request) {
	q.mu.Lock()
	q.items = append(q.items, r)
	q.last = time.Now()
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop takes the first request, waiting for one until ctx is done.
func (q *requestQueue) pop(ctx context.Context) (*request, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			r := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			more := len(q.items) > 0
			q.mu.Unlock()
			if more {
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			return r, true
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// settle waits until no request has been pushed for quiet, or for at most
// limit. Requests a frontend sent together arrive together: once the
// queue has been quiet for a moment, those that were on their way have
// been read.
func (q *requestQueue) settle(quiet, limit time.Duration) {
	end := time.Now().Add(limit)
	since := time.Now()
	for {
		q.mu.Lock()
		if q.last.After(since) {
			since = q.last
		}
		q.mu.Unlock()
		wait := time.Until(since.Add(quiet))
		if wait <= 0 {
			return
		}
		if left := time.Until(end); left < wait {
			if left > 0 {
				time.Sleep(left)
			}
			return
		}
		time.Sleep(wait)
	}
}
