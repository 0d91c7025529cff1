package node

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/gorilla/mux"
)

// The owner's channel. A configured node writes a fresh random credential
// at every start into its state folder (owner.token, readable by the
// node's own user only), and serves, on its client API, the endpoints
// under /owner/ that `fsc-node pending|approve|deny` call with it:
//
//	GET  /owner/pending        the queries waiting for approval
//	POST /owner/approve/{id}   approve one
//	POST /owner/deny/{id}      deny one
//
// They answer only that credential (an analyst's token, or a loopback
// client without one, gets 401), only from this machine, and never a web
// page. Whoever can read the node's state folder is its owner.

// ownerTokenFile is the owner's credential, in the node's state folder.
const ownerTokenFile = "owner.token"

// OwnerTokenPath returns where a configured node keeps its owner's
// credential while it runs.
func OwnerTokenPath(cfg *Config) string { return filepath.Join(cfg.State, ownerTokenFile) }

// writeOwnerToken makes a fresh credential and writes it, readable by
// this user only, replacing the one of an earlier start.
func (n *Node) writeOwnerToken() error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	n.ownerToken = hex.EncodeToString(b[:])
	path := OwnerTokenPath(n.cfg)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("state folder %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".new"
	_ = os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("owner credential: %w", err)
	}
	_, werr := f.WriteString(n.ownerToken + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("owner credential %s: %w", path, werr)
	}
	return nil
}

// ownerRoutes returns the owner's endpoints, behind ownerOnly.
func (n *Node) ownerRoutes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
	})
	r.HandleFunc("/owner/pending", n.handlePending).Methods(http.MethodGet)
	r.HandleFunc("/owner/approve/{id}", n.handleDecide(true)).Methods(http.MethodPost)
	r.HandleFunc("/owner/deny/{id}", n.handleDecide(false)).Methods(http.MethodPost)
	return n.ownerOnly(r)
}

// ownerOnly lets through requests that carry the owner's credential, from
// this machine, made by no web page.
func (n *Node) ownerOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case n.cfg.Dev || n.ownerToken == "":
			writeError(w, errorf(http.StatusNotFound, "a development node has no owner endpoints"))
			return
		case r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" || r.Method == http.MethodOptions:
			writeError(w, errorf(http.StatusForbidden, "the owner endpoints answer no web page"))
			return
		case !sameMachine(r):
			writeError(w, errorf(http.StatusForbidden, "the owner endpoints answer this machine only"))
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(n.ownerToken)) != 1 {
			writeError(w, errorf(http.StatusUnauthorized, "the owner endpoints need this node's owner credential (%s, read by fsc-node pending, approve and deny); an analyst's token is not one", ownerTokenFile))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameMachine reports whether a request comes from this machine: from a
// loopback address, or from the address it reached.
func sameMachine(r *http.Request) bool {
	if isLoopback(r) {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	lhost, _, err1 := net.SplitHostPort(local.String())
	rhost, _, err2 := net.SplitHostPort(r.RemoteAddr)
	return err1 == nil && err2 == nil && net.ParseIP(lhost) != nil && net.ParseIP(lhost).Equal(net.ParseIP(rhost))
}

func (n *Node) handlePending(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"pending": n.approvals.list()})
}

func (n *Node) handleDecide(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := n.approvals.decide(mux.Vars(r)["id"], approve)
		if err != nil {
			writeError(w, err)
			return
		}
		n.log.Info("owner decided", "query", p.ID, "decision", p.Decision, "leader", p.Leader, "requester", p.Requester, "microprotocol", p.Microprotocol)
		writeJSON(w, http.StatusOK, p)
	}
}
