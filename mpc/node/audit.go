package node

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// auditEntry is one line of a node's audit log: who asked, what, when, and
// what was released. It never holds another party's value.
type auditEntry struct {
	Time          string      `json:"time"`
	Node          string      `json:"node"`
	Session       string      `json:"session"`
	Role          string      `json:"role"` // leader, member or party
	Requester     string      `json:"requester"`
	Microprotocol string      `json:"microprotocol"`
	Dataset       *DatasetRef `json:"dataset,omitempty"`
	Parties       []string    `json:"parties"`
	Outcome       string      `json:"outcome"` // released, contributed, refused or failed
	Rule          string      `json:"rule,omitempty"`
	Error         string      `json:"error,omitempty"`
	Released      any         `json:"released,omitempty"`
	RevealedTo    []string    `json:"revealed_to,omitempty"`
	// Approval says when this node's owner approved the query, when it
	// waited for approval (auto_join = false).
	Approval string `json:"approval,omitempty"`
	// Opened lists, in order, every value this node learned during the
	// computation: totals of secure sums it received, decisions it was
	// sent, and the values of checked openings (bucket indices of a rank
	// search, outcomes of rules checked inside MPC, a count where one is
	// released). Masked values inside comparisons and multiplications,
	// uniformly random, are not listed. Empty when nothing was opened here.
	Opened []any `json:"opened"`
}

// auditLog appends JSON lines to a file opened append-only.
type auditLog struct {
	mu sync.Mutex
	f  *os.File
}

func openAudit(path string) (*auditLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &auditLog{f: f}, nil
}

func (a *auditLog) write(e auditEntry) error {
	e.Time = time.Now().UTC().Format(time.RFC3339Nano)
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, err = a.f.Write(append(line, '\n'))
	return err
}

func (a *auditLog) close() error { return a.f.Close() }
