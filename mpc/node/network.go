package node

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// sequencer numbers the calls made on each network uuid, so parties running
// the same study match their k-th calls and one uuid serves many calls.
type sequencer struct {
	mu   sync.Mutex
	next map[string]*seqEntry
	last time.Time
}

type seqEntry struct {
	n    int
	used time.Time
}

const seqTTL = time.Hour

func newSequencer() *sequencer { return &sequencer{next: map[string]*seqEntry{}} }

// take returns the next sequence number of uuid: 1, 2, ...
func (s *sequencer) take(uuid string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Sub(s.last) > time.Minute {
		s.last = now
		for k, e := range s.next {
			if now.Sub(e.used) > seqTTL {
				delete(s.next, k)
			}
		}
	}
	e := s.next[uuid]
	if e == nil {
		e = &seqEntry{}
		s.next[uuid] = e
	}
	e.n++
	e.used = now
	return e.n
}

// resolveNetwork maps a network's node URLs to party names, refusing any
// node that is not allowed before a share is sent: in development mode only
// loopback nodes, otherwise only federation members.
func (n *Node) resolveNetwork(nw *Network) ([]string, error) {
	parties := make([]string, len(nw.Nodes))
	seen := map[string]int{}
	for i, raw := range nw.Nodes {
		u := normalizeURL(raw)
		pu, err := url.Parse(u)
		if err != nil || pu.Host == "" {
			return nil, errorf(http.StatusBadRequest, "network.nodes[%d]: %q is not a node URL", i, raw)
		}
		if n.cfg.Dev {
			ip := net.ParseIP(pu.Hostname())
			if ip == nil || !ip.IsLoopback() || pu.Scheme != "http" {
				return nil, errorf(http.StatusForbidden, "network.nodes[%d]: %s is not a loopback node; a development node computes with loopback nodes only (nothing was sent)", i, raw)
			}
			parties[i] = u
		} else {
			found := false
			for _, m := range n.cfg.Members {
				if m.API == u {
					parties[i], found = m.Name, true
				}
			}
			if !found {
				return nil, errorf(http.StatusForbidden, "network.nodes[%d]: %s is not a member of %s's federation (nothing was sent)", i, raw, n.self)
			}
		}
		if j, dup := seen[parties[i]]; dup {
			return nil, errorf(http.StatusBadRequest, "network.nodes[%d] and [%d] name the same node %s", j, i, parties[i])
		}
		seen[parties[i]] = i
	}
	if parties[nw.Myself] != n.self {
		return nil, errorf(http.StatusBadRequest, "network.myself=%d names %s, but this node is %s", nw.Myself, nw.Nodes[nw.Myself], n.self)
	}
	return parties, nil
}

// joinNetwork runs a computation on the caller's own data with the other
// parties of its network, who join through their own nodes. Every party
// receives the result.
func (n *Node) joinNetwork(ctx context.Context, req *Request) (map[string]any, error) {
	mp := microprotocols[req.Microprotocol]
	if mp.own == nil {
		return nil, bad("%s runs on node-held data only: give dataset instead of data", req.Microprotocol)
	}
	parties, err := n.resolveNetwork(req.Network)
	if err != nil {
		return nil, err
	}
	p, err := n.parseParams(req.Microprotocol, req.Parameters)
	if err != nil {
		return nil, err
	}
	seq := n.seq.take(req.Network.UUID)
	id := fmt.Sprintf("net:%s:%d", req.Network.UUID, seq)
	sess, err := n.hub.Open(mpc.Config{
		ID: id, Parties: parties, Timeout: n.cfg.Timeout.Duration,
		Digest: digest("network", req.Microprotocol, parties, req.Parameters),
	}, n.transport)
	if err != nil {
		return nil, errorf(http.StatusConflict, "network %s call %d: %v", req.Network.UUID, seq, err)
	}
	defer sess.Close()
	entry := auditEntry{Session: id, Role: "party", Requester: req.Requester, Microprotocol: req.Microprotocol, Parties: parties}
	in, err := mp.own(req.Data, n.cfg.Policy.MaxInputs)
	if err != nil {
		sess.Abort(n.publicReason(err))
		entry.Outcome, entry.Error = "refused", errText(err)
		n.writeAudit(entry)
		return nil, err
	}
	start := time.Now()
	e := &env{c: &mpc.Combiner{Session: sess, Deciders: parties}, s: sess, open: true}
	result, err := mp.run(ctx, e, in, p)
	if err != nil {
		sess.Abort(n.publicReason(err))
		err = asAPIError(err)
		entry.Outcome, entry.Error = outcomeOf(err), errText(err)
		n.writeAudit(entry)
		n.log.Warn("computation failed", "session", id, "microprotocol", req.Microprotocol, "err", err)
		return nil, err
	}
	answer := reply(len(parties), result)
	entry.Outcome, entry.Released, entry.RevealedTo = "released", answer, parties
	n.writeAudit(entry)
	n.log.Info("computed", "session", id, "microprotocol", req.Microprotocol, "parties", len(parties), "took", time.Since(start))
	return answer, nil
}
