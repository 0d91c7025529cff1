package node

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/expiry"
)

// kind is what a handle of the REST API stands for. Only these kinds exist:
// no handle ever reaches a task, a share, a peer message or another party's
// input.
type kind int

const (
	kindService kind = iota // the Simon service
	kindMember              // a bound, whitelisted member of the service
	kindResult              // a computation's answer, freed on download
	kindUpload              // an object the client uploaded
)

func (k kind) String() string {
	return [...]string{"service", "service member", "result", "uploaded object"}[k]
}

type object struct {
	kind    kind
	name    string // member name, for kindMember
	value   any    // result or upload
	expires time.Time
	owner   string // the analyst whose request made it
	size    int64  // bytes of the request body, for uploads
}

// store holds the objects that REST handles name. Results and uploads are
// freed on download or release, or after ttl. Their number is bounded, in
// all and for each analyst, and so are the bytes of uploads, so that one
// client cannot starve the others.
// Of an object freed by its download only the uuid is kept, until the
// object's ttl would have ended (at most max of them), so that releasing
// it afterwards is no error.
type store struct {
	mu      sync.Mutex
	objects map[string]*object
	gone    map[string]time.Time // downloaded uuid -> when it is forgotten
	ttl     time.Duration
	max     int
	sweeps  expiry.Clock
	held    map[string]quota // by owner
	bytes   int64            // of every upload held
}

// quota is what one analyst holds.
type quota struct {
	objects int
	bytes   int64
}

// Store quotas: an analyst's share of the store's objects, and the bytes
// of uploads one analyst and all of them may hold.
const (
	maxObjectsPerAnalyst     = 1000
	maxUploadBytesPerAnalyst = 32 << 20
	maxUploadBytes           = 128 << 20
)

func newStore(ttl time.Duration, max int) *store {
	return &store{objects: map[string]*object{}, gone: map[string]time.Time{}, ttl: ttl, max: max, held: map[string]quota{}}
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// room says whether owner may store one more result.
func (s *store) room(owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[owner].full()
}

// full refuses one more object to an analyst who holds their share.
func (q quota) full() error {
	if q.objects >= maxObjectsPerAnalyst {
		return errorf(http.StatusTooManyRequests, "you hold %d results and uploads not yet downloaded (at most %d an analyst); download or release some first", q.objects, maxObjectsPerAnalyst)
	}
	return nil
}

// put stores o under a new uuid; permanent objects never expire. A full
// store is a 503, an analyst over quota a 429.
func (s *store) put(o *object, permanent bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	if !permanent {
		q := s.held[o.owner]
		if err := q.full(); err != nil {
			return "", err
		}
		switch {
		case q.bytes+o.size > maxUploadBytesPerAnalyst:
			return "", errorf(http.StatusTooManyRequests, "your uploads not yet used hold %d MiB (at most %d MiB an analyst); release some first", q.bytes>>20, maxUploadBytesPerAnalyst>>20)
		case len(s.objects) >= s.max:
			return "", errorf(http.StatusServiceUnavailable, "this node holds %d objects not yet downloaded; download or release some first", len(s.objects))
		case s.bytes+o.size > maxUploadBytes:
			return "", errorf(http.StatusServiceUnavailable, "this node holds %d MiB of uploads (at most %d MiB); try again later", s.bytes>>20, maxUploadBytes>>20)
		}
		o.expires = time.Now().Add(s.ttl)
		s.held[o.owner] = quota{q.objects + 1, q.bytes + o.size}
		s.bytes += o.size
	}
	id := newUUID()
	s.objects[id] = o
	return id, nil
}

// dropLocked frees a result or upload.
func (s *store) dropLocked(id string, o *object) {
	delete(s.objects, id)
	q := s.held[o.owner]
	q.objects--
	q.bytes -= o.size
	if q.objects <= 0 {
		delete(s.held, o.owner)
	} else {
		s.held[o.owner] = q
	}
	s.bytes -= o.size
}

func (s *store) get(id string) (*object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if ok && !o.expires.IsZero() && time.Now().After(o.expires) {
		s.dropLocked(id, o)
		return nil, false
	}
	return o, ok
}

// release frees an object; permanent objects stay.
func (s *store) release(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if ok && !o.expires.IsZero() {
		s.dropLocked(id, o)
	}
	return ok
}

// downloaded frees an object that was just downloaded, remembering its
// uuid; permanent objects stay.
func (s *store) downloaded(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[id]
	if !ok || o.expires.IsZero() {
		return
	}
	s.dropLocked(id, o)
	if len(s.gone) >= s.max {
		s.sweepGoneLocked(time.Now())
	}
	if len(s.gone) >= s.max {
		for old := range s.gone { // full of fresh uuids: forget any one
			delete(s.gone, old)
			break
		}
	}
	s.gone[id] = o.expires
}

// forgetDownloaded reports whether id names an object freed by its
// download (and not yet forgotten), and forgets it: a second release is
// an unknown uuid again.
func (s *store) forgetDownloaded(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.gone[id]
	delete(s.gone, id)
	return ok && time.Now().Before(until)
}

func (s *store) sweepGoneLocked(now time.Time) {
	expiry.Drop(s.gone, now, func(until time.Time) time.Time { return until })
}

// len returns the number of objects held, permanent ones included.
func (s *store) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.objects)
}

func (s *store) sweepLocked() {
	now := time.Now()
	if !s.sweeps.Due(now) {
		return
	}
	for id, o := range s.objects {
		if !o.expires.IsZero() && now.After(o.expires) {
			s.dropLocked(id, o)
		}
	}
	s.sweepGoneLocked(now)
}
