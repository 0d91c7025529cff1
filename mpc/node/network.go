package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

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
//
// Calls on a network uuid are matched by explicit agreement, never by
// counting (see mpc.Hub.Meet): each party announces its call with a fresh
// nonce and the digest of its public content (microprotocol, parameters,
// parties), and the call's session id is derived from every party's nonce.
// A party that cannot take part (its input, its arguments or its policy
// refuse the call) says so to the others at once, before any share is
// sent, so nobody waits for the deadline and the next call starts clean.
func (n *Node) joinNetwork(ctx context.Context, req *Request) (map[string]any, error) {
	entry := auditEntry{Role: "party", Requester: req.Requester, Microprotocol: req.Microprotocol}
	refuse := func(err, public error) (map[string]any, error) {
		n.refuseCall(req.Network, public)
		entry.Outcome, entry.Error = "refused", errText(err)
		n.writeAudit(entry)
		return nil, err
	}
	if !n.allows(req.Microprotocol) {
		err := errorf(http.StatusForbidden, "%s refused: policy microprotocols: %s is not allowed at this node", n.self, req.Microprotocol)
		return refuse(err, fmt.Errorf("refused: policy microprotocols: %s is not allowed at this node: %w", req.Microprotocol, mpc.ErrRefused))
	}
	mp := microprotocols[req.Microprotocol]
	if !takesOwnData(mp) {
		err := bad("%s %v", req.Microprotocol, errNodeHeldOnly)
		return refuse(err, fmt.Errorf("refused the call: %s runs on node-held data only", req.Microprotocol))
	}
	parties, err := n.resolveNetwork(req.Network)
	if err != nil {
		return refuse(err, fmt.Errorf("refused the call: %v", err))
	}
	entry.Parties = parties
	p, err := n.parseParams(req.Microprotocol, req.Parameters)
	if err != nil {
		return refuse(err, fmt.Errorf("refused the call: %v", err))
	}
	in, err := mp.own(req.Data, n.cfg.Policy.MaxInputs)
	if err != nil {
		return refuse(err, errors.New("refused the call: the input its client gave was rejected there (its client was told why)"))
	}
	uuid := req.Network.UUID
	content := digest("network", req.Microprotocol, parties, req.Parameters)
	m, err := n.hub.Meet(ctx, n.transport, mpc.Call{Key: uuid, Parties: parties, Content: content, About: req.Microprotocol, Timeout: n.cfg.Timeout.Duration,
		Awaiting: req.progress.awaiting})
	if err != nil {
		err = callFailed(uuid, req.Microprotocol, err)
		entry.Outcome, entry.Error = outcomeOf(err), errText(err)
		n.writeAudit(entry)
		n.log.Warn("call did not start", "network", uuid, "microprotocol", req.Microprotocol, "err", err)
		return nil, err
	}
	defer m.End()
	entry.Session = m.ID
	sess, err := n.hub.Open(mpc.Config{ID: m.ID, Parties: parties, Timeout: n.cfg.Timeout.Duration, Digest: content, Network: uuid}, n.transport)
	if err != nil {
		return nil, errorf(http.StatusConflict, "network %s: %v", uuid, err)
	}
	defer sess.Close()
	req.progress.computing(sess)
	start := time.Now()
	c := &mpc.Combiner{Session: sess, Deciders: parties}
	e := &env{c: c, rank: rankCombinerFor(c), s: sess, open: true}
	result, err := mp.run(ctx, e, in, p)
	entry.Opened = sess.Opened()
	if err != nil {
		sess.Abort(n.publicReason(err))
		err = callFailed(uuid, req.Microprotocol, err)
		entry.Outcome, entry.Error = outcomeOf(err), errText(err)
		n.writeAudit(entry)
		n.log.Warn("computation failed", "session", m.ID, "microprotocol", req.Microprotocol, "err", err)
		return nil, err
	}
	answer := reply(len(parties), result)
	entry.Outcome, entry.Released, entry.RevealedTo = "released", answer, parties
	n.writeAudit(entry)
	n.log.Info("computed", "session", m.ID, "microprotocol", req.Microprotocol, "parties", len(parties), "took", time.Since(start))
	return answer, nil
}

// callFailed is the answer to a client whose network call failed: 403 for
// a party's policy, 409 for a second call on a network that is in use
// here, 502 for another party that refused its part, made another call,
// failed or did not join, 400 for a cancelled call; the message names the
// network and the cause.
func callFailed(uuid, about string, err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	code := http.StatusBadGateway
	switch {
	case errors.Is(err, context.Canceled):
		return errorf(http.StatusBadRequest, "cancelled: network %s, %s: %v", uuid, about, err)
	case errors.Is(err, mpc.ErrRefused):
		code = http.StatusForbidden
	case errors.Is(err, mpc.ErrBusy):
		return errorf(http.StatusConflict, "network %s, %s: %v", uuid, about, err)
	case !errors.As(err, new(*mpc.PeerError)):
		return asAPIError(err)
	}
	return errorf(code, "network %s, %s: %v", uuid, about, err)
}

// refuseCall tells the other parties of a network call that this party
// cannot take part in it, so they stop waiting at once. public must say
// nothing of this party's data. Nodes of the network this node would not
// talk to are not told.
func (n *Node) refuseCall(nw *Network, public error) {
	if nw == nil {
		return
	}
	var parties []string
	for _, raw := range nw.Nodes {
		if p, ok := n.partyOf(raw); ok {
			parties = append(parties, p)
		}
	}
	if !slices.Contains(parties, n.self) {
		return // this node is not in the network: nobody there waits for it
	}
	n.hub.Refuse(n.transport, nw.UUID, parties, n.cfg.Timeout.Duration, public)
}

// refuseMalformed tells the parties of a compute call that could not even
// be read (an unknown microprotocol, a bad argument) that this party will
// not take part, when the call names a network this node belongs to. Only
// the argument at fault is named, never the data.
func (n *Node) refuseMalformed(kw map[string]any, err error) {
	raw, ok := kw["network"]
	if !ok || raw == nil {
		return
	}
	if _, ds := kw["dataset"]; ds {
		return
	}
	nw, perr := parseNetwork(raw)
	if perr != nil {
		return
	}
	var ae *apiError
	msg := "the call made there could not be read"
	if errors.As(err, &ae) {
		switch {
		case ae.Code == http.StatusNotImplemented:
			name, _ := kw["microprotocol"].(string)
			if len(name) > 80 {
				name = name[:80] + "…"
			}
			msg = fmt.Sprintf("it offers no microprotocol %q", name)
		case strings.HasPrefix(ae.Msg, "microprotocol"), strings.HasPrefix(ae.Msg, "network"), strings.HasPrefix(ae.Msg, "parameters"):
			msg = ae.Msg
			if len(msg) > 300 {
				msg = msg[:300] + "…"
			}
		case strings.HasPrefix(ae.Msg, "data"), strings.HasPrefix(ae.Msg, "missing data"):
			msg = "the input its client gave was rejected there (its client was told why)"
		}
	}
	n.refuseCall(nw, fmt.Errorf("refused the call: %s", msg))
}

// partyOf names the party behind a node URL of a network, if this node
// would talk to it.
func (n *Node) partyOf(raw string) (string, bool) {
	u := normalizeURL(raw)
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		return "", false
	}
	if n.cfg.Dev {
		ip := net.ParseIP(pu.Hostname())
		return u, ip != nil && ip.IsLoopback() && pu.Scheme == "http"
	}
	for _, m := range n.cfg.Members {
		if m.API == u {
			return m.Name, true
		}
	}
	return "", false
}
