package node

import (
	"testing"
	"time"
)

// TestStoreRemembersDownloadsBounded: a downloaded object's uuid may be
// released once afterwards; the node remembers at most max such uuids,
// and none beyond the object's time to live.
func TestStoreRemembersDownloadsBounded(t *testing.T) {
	s := newStore(time.Hour, 3)
	var ids []string
	for i := range 5 {
		id, err := s.put(&object{kind: kindResult, value: i}, false)
		if err != nil {
			t.Fatal(err)
		}
		s.downloaded(id)
		ids = append(ids, id)
	}
	if len(s.gone) != 3 || s.len() != 0 {
		t.Fatalf("%d downloaded uuids remembered and %d objects held, want 3 and 0", len(s.gone), s.len())
	}
	last := ids[len(ids)-1]
	if !s.forgetDownloaded(last) {
		t.Errorf("the last download is not remembered")
	}
	if s.forgetDownloaded(last) {
		t.Errorf("a downloaded uuid released twice")
	}
	if s.forgetDownloaded("never-issued") {
		t.Errorf("a uuid never issued counts as downloaded")
	}

	// A permanent object is never freed by a download.
	perm, _ := s.put(&object{kind: kindService}, true)
	s.downloaded(perm)
	if _, ok := s.get(perm); !ok || s.forgetDownloaded(perm) {
		t.Errorf("the service was freed by its download")
	}

	// Past the object's time to live, its uuid is forgotten.
	s = newStore(time.Millisecond, 10)
	id, _ := s.put(&object{kind: kindUpload, value: 1}, false)
	s.downloaded(id)
	time.Sleep(5 * time.Millisecond) // the input under test: the 1 ms time to live must pass
	if s.forgetDownloaded(id) {
		t.Errorf("a download past its time to live is still remembered")
	}
}
