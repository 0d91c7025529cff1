package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// queryPath is where members accept dataset-backed queries from a leader.
const queryPath = "/peer/v1/query"

// query is what a leader asks every member to compute on its own rows.
type query struct {
	Session       string         `json:"session"`
	Leader        string         `json:"leader"`
	Parties       []string       `json:"parties"`
	Microprotocol string         `json:"microprotocol"`
	Dataset       DatasetRef     `json:"dataset"`
	Parameters    map[string]any `json:"parameters,omitempty"`
	Requester     string         `json:"requester"`
}

func (q *query) digest() [16]byte {
	return digest("dataset", q.Leader, q.Parties, q.Microprotocol, q.Dataset, q.Parameters)
}

// lead runs a dataset-backed computation with this node as leader: it asks
// every member to compute on its own rows, runs the microprotocol with them
// and alone learns the answer, which goes to its client.
func (n *Node) lead(ctx context.Context, req *Request) (map[string]any, error) {
	if n.cfg.Dev {
		return nil, errorf(http.StatusBadRequest, "dataset: this development node holds no datasets; start a configured node (fsc-node --config FILE)")
	}
	if req.Network != nil {
		return nil, errorf(http.StatusBadRequest, "network: a dataset-backed computation runs on the whole federation; leave network out")
	}
	parties := n.memberNames()
	q := &query{Session: "q:" + newUUID(), Leader: n.self, Parties: parties, Microprotocol: req.Microprotocol,
		Dataset: *req.Dataset, Parameters: req.Parameters, Requester: req.Requester}
	entry := auditEntry{Session: q.Session, Role: "leader", Requester: req.Requester, Microprotocol: q.Microprotocol, Dataset: &q.Dataset, Parties: parties}
	var plan *releasePlan
	fail := func(err error) (map[string]any, error) {
		plan.cancel()
		switch { // no member is to blame
		case n.base.Err() != nil:
			err = errorf(http.StatusServiceUnavailable, "cancelled: %s is stopping", n.self)
		case ctx.Err() != nil:
			err = errorf(http.StatusBadRequest, "cancelled: the client ended the request (%v)", ctx.Err())
		}
		err = asAPIError(err)
		entry.Outcome, entry.Error, entry.Rule = outcomeOf(err), errText(err), ruleDetail(err)
		n.writeAudit(entry)
		return nil, err
	}
	in, p, plan, err := n.prepare(q)
	if err != nil {
		return fail(err)
	}
	sess, err := n.hub.Open(mpc.Config{ID: q.Session, Parties: parties, Digest: q.digest(), Timeout: n.cfg.Timeout.Duration}, n.transport)
	if err != nil {
		return fail(err)
	}
	defer sess.Close()
	margin, err := n.ask(ctx, q)
	if err != nil {
		sess.Abort(n.publicReason(err))
		return fail(err)
	}
	e := n.memberEnv(sess, n.self)
	e.plan, e.margin = plan, max(margin, n.cfg.Policy.MinCell)
	result, err := microprotocols[q.Microprotocol].run(ctx, e, in, p)
	entry.Opened = sess.Opened()
	if err != nil {
		sess.Abort(n.publicReason(err))
		return fail(err)
	}
	plan.commit()
	answer := reply(len(parties), result)
	entry.Outcome, entry.Released, entry.RevealedTo = "released", answer, []string{n.self + " (" + req.Requester + ")"}
	n.writeAudit(entry)
	return answer, nil
}

// memberEnv is the environment of a dataset-backed computation: the leader
// alone sees totals, and this node's min_cell rule checks every count it
// contributes.
func (n *Node) memberEnv(sess *mpc.Session, leader string) *env {
	c := &mpc.Combiner{Session: sess, Deciders: []string{leader}, CheckFunc: n.checkCells}
	return &env{s: sess, c: c, rank: rankCombinerFor(c)}
}

// checkCells refuses counts between 1 and min_cell - 1. The refusal does
// not name this node: it would tell that this node holds so few rows.
func (n *Node) checkCells(what string, counts []float64) error {
	min := float64(n.cfg.Policy.MinCell)
	for _, c := range counts {
		if c >= 1 && c < min {
			return errorf(http.StatusForbidden, "refused: policy min_cell=%d: a released %s would hold between 1 and %d rows of a member node; widen the filter", n.cfg.Policy.MinCell, what, n.cfg.Policy.MinCell-1)
		}
	}
	return nil
}

// memberNames lists the federation's members in federation order.
func (n *Node) memberNames() []string {
	names := make([]string, len(n.cfg.Members))
	for i, m := range n.cfg.Members {
		names[i] = m.Name
	}
	return names
}

// minMembers is the smallest federation that answers dataset-backed
// queries: with two members, each would learn the other's contribution.
const minMembers = 3

// prepare checks this node's policy for q, reads its input from its own
// rows and reserves what the computation would release of them in the
// release memory (tables of counts reserve their cells while they run).
// Refusals are 403s that name the rule; those that depend on this node's
// rows do not name this node.
func (n *Node) prepare(q *query) (*input, *params, *releasePlan, error) {
	if !slices.Equal(q.Parties, n.memberNames()) {
		return nil, nil, nil, errorf(http.StatusForbidden, "%s refused: a dataset query must include every federation member, in federation order (a subset would let totals be differenced)", n.self)
	}
	if len(q.Parties) < minMembers {
		return nil, nil, nil, errorf(http.StatusForbidden, "%s refused: a federation of %d members would reveal each member's contribution; dataset queries need at least %d", n.self, len(q.Parties), minMembers)
	}
	if !n.allows(q.Microprotocol) {
		return nil, nil, nil, errorf(http.StatusForbidden, "%s refused: policy microprotocols: %s is not allowed", n.self, q.Microprotocol)
	}
	mp := microprotocols[q.Microprotocol]
	if mp.table == nil {
		return nil, nil, nil, bad("%s works on each party's own data only: give data and network instead of dataset", q.Microprotocol)
	}
	p, err := n.parseParams(q.Microprotocol, q.Parameters)
	if err != nil {
		return nil, nil, nil, err
	}
	t, ok := n.datasets[q.Dataset.Table]
	if !ok {
		names := make([]string, 0, len(n.datasets))
		for k := range n.datasets {
			names = append(names, k)
		}
		slices.Sort(names)
		return nil, nil, nil, bad("%s: no table %q (tables: %s)", n.self, q.Dataset.Table, strings.Join(names, ", "))
	}
	var rows []bool
	var filterCols []string
	if strings.TrimSpace(q.Dataset.Where) != "" {
		f, err := stats.ParseFilter(q.Dataset.Where)
		if err != nil {
			return nil, nil, nil, bad("%s: %v", n.self, err)
		}
		filterCols = f.Columns()
		if err := n.checkIdentifiers(q, filterCols); err != nil {
			return nil, nil, nil, err
		}
		if rows, err = f.Rows(t); err != nil {
			return nil, nil, nil, bad("%s: where: %v", n.self, err)
		}
	} else if err := n.checkIdentifiers(q, nil); err != nil {
		return nil, nil, nil, err
	}
	in, err := mp.table(t, rows, &q.Dataset)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return nil, nil, nil, errorf(ae.Code, "%s: %s", n.self, ae.Msg)
		}
		return nil, nil, nil, err
	}
	plan, err := planRelease(q.Microprotocol, t, n.index[q.Dataset.Table], rows, &q.Dataset, p)
	if err != nil {
		return nil, nil, nil, err
	}
	plan.mem = n.memory.tables[q.Dataset.Table]
	if min := n.cfg.Policy.MinCell; in.cohort() > 0 && in.cohort() < min {
		plan.mem.check([]releaseSet{{what: "cohort", rows: plan.cohort}}) // remembered as a probe
		return nil, nil, nil, errorf(http.StatusForbidden, "refused: policy min_cell=%d: the cohort holds between 1 and %d rows of a member node; widen the filter", min, min-1)
	}
	if err := n.checkRules(q, p, plan.cohort.GetCardinality()); err != nil {
		return nil, nil, nil, err
	}
	if !cellKinds[q.Microprotocol] {
		res, err := plan.mem.reserve([]releaseSet{{what: "cohort", rows: plan.cohort}})
		if err != nil {
			return nil, nil, nil, refused(err.(*refusal))
		}
		plan.res = res
	}
	return in, p, plan, nil
}

// ask sends q to every other party and waits for each to accept; it
// returns the largest min_cell among them (the order-statistic rule's
// margin). A refusal's words do not name the member (its rule may depend
// on its rows); a failure names the member that could not be reached.
func (n *Node) ask(ctx context.Context, q *query) (int, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return 0, err
	}
	var (
		mu      sync.Mutex
		refused []string
		code    = http.StatusForbidden
		wg      sync.WaitGroup
		margin  int
	)
	for _, p := range q.Parties {
		if p == n.self {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, msg, minCell := n.askOne(ctx, p, body)
			mu.Lock()
			defer mu.Unlock()
			if c == http.StatusOK {
				margin = max(margin, minCell)
				return
			}
			refused = append(refused, msg)
			if c != http.StatusForbidden {
				code = c // a failure outranks a refusal in the status
			}
		}()
	}
	wg.Wait()
	if len(refused) == 0 {
		return margin, nil
	}
	slices.Sort(refused)
	return 0, errorf(code, "%s", strings.Join(slices.Compact(refused), "; "))
}

// acceptance is a member's answer to a query it takes part in.
type acceptance struct {
	Accepted bool `json:"accepted"`
	MinCell  int  `json:"min_cell"`
}

func (n *Node) askOne(ctx context.Context, party string, body []byte) (int, string, int) {
	m, _ := n.member(party)
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout.Duration)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(m.Peer, "/")+queryPath, bytes.NewReader(body))
	if err != nil {
		return http.StatusInternalServerError, err.Error(), 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.peerClient(party).Do(req)
	if err != nil {
		return http.StatusBadGateway, fmt.Sprintf("%s could not be reached: %v", party, mpc.PlainNetError(err)), 0
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		var a acceptance
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if json.Unmarshal(data, &a) != nil || !a.Accepted || a.MinCell < 1 || a.MinCell > 1<<20 {
			return http.StatusBadGateway, fmt.Sprintf("%s answered the query with %q", party, data), 0
		}
		return http.StatusOK, "", a.MinCell
	}
	var e struct {
		Message string `json:"message"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &e) != nil || e.Message == "" {
		e.Message = fmt.Sprintf("%s answered %d: %s", party, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	return resp.StatusCode, e.Message, 0
}

// handleQuery is a member's side of a dataset-backed computation: check the
// leader, the policy and the query; compute the aggregate over this node's
// own rows; accept; then add it in the secure sum, which reveals the total
// to the leader only.
func (n *Node) handleQuery(w http.ResponseWriter, r *http.Request) {
	who, err := n.authenticatePeer(r)
	if err != nil {
		writeError(w, errorf(http.StatusForbidden, "%v", err))
		return
	}
	if n.cfg.Dev {
		writeError(w, errorf(http.StatusBadRequest, "%s is a development node and holds no datasets", n.self))
		return
	}
	var q query
	data, err := mpc.ReadBody(w, r, MaxRequestBody+64<<10) // a query carries the client's parameters
	if err == nil {
		err = json.Unmarshal(data, &q)
	}
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, "%s: malformed query: %v", n.self, err))
		return
	}
	if q.Leader != who {
		writeError(w, errorf(http.StatusForbidden, "%s: query claims leader %q but comes from %q", n.self, q.Leader, who))
		return
	}
	if _, ok := microprotocols[q.Microprotocol]; !ok {
		writeError(w, errorf(http.StatusNotImplemented, "%s: unknown microprotocol %q", n.self, q.Microprotocol))
		return
	}
	if !slices.Contains(q.Parties, n.self) {
		writeError(w, errorf(http.StatusBadRequest, "%s: not among the query's parties", n.self))
		return
	}
	for _, p := range q.Parties {
		if _, ok := n.member(p); !ok {
			writeError(w, errorf(http.StatusForbidden, "%s refused: %s is not a federation member", n.self, p))
			return
		}
	}
	entry := auditEntry{Session: q.Session, Role: "member", Requester: q.Requester + " via " + q.Leader, Microprotocol: q.Microprotocol, Dataset: &q.Dataset, Parties: q.Parties}
	if !n.cfg.Policy.AutoJoin {
		err = errorf(http.StatusForbidden, "%s refused: policy auto_join=false: federation queries need a person's approval at this node", n.self)
	} else {
		var in *input
		var p *params
		var plan *releasePlan
		if in, p, plan, err = n.prepare(&q); err == nil {
			var sess *mpc.Session
			sess, err = n.hub.Open(mpc.Config{ID: q.Session, Parties: q.Parties, Digest: q.digest(), Timeout: n.cfg.Timeout.Duration}, n.transport)
			if err == nil {
				writeJSON(w, http.StatusOK, acceptance{Accepted: true, MinCell: n.cfg.Policy.MinCell})
				n.wg.Add(1)
				go n.contribute(sess, in, p, plan, &q, entry)
				return
			}
			plan.cancel()
			err = errorf(http.StatusConflict, "%s: %v", n.self, err)
		}
	}
	entry.Outcome, entry.Error, entry.Rule = outcomeOf(err), errText(err), ruleDetail(err)
	n.writeAudit(entry)
	writeError(w, err)
}

// contribute runs the microprotocol at this member with its own input.
func (n *Node) contribute(sess *mpc.Session, in *input, p *params, plan *releasePlan, q *query, entry auditEntry) {
	defer n.wg.Done()
	defer sess.Close()
	ctx, cancel := context.WithTimeout(n.base, 20*n.cfg.Timeout.Duration)
	defer cancel()
	start := time.Now()
	e := n.memberEnv(sess, q.Leader)
	e.plan, e.margin = plan, n.cfg.Policy.MinCell
	_, err := microprotocols[q.Microprotocol].run(ctx, e, in, p)
	entry.Opened = sess.Opened()
	if err == nil {
		plan.commit()
	} else {
		plan.cancel()
	}
	if err != nil {
		sess.Abort(n.publicReason(err))
		entry.Outcome, entry.Error, entry.Rule = outcomeOf(asAPIError(err)), errText(err), ruleDetail(err)
		n.log.Warn("contribution failed", "session", sess.ID, "err", err)
	} else {
		entry.Outcome, entry.RevealedTo = "contributed", []string{q.Leader}
		n.log.Info("contributed", "session", sess.ID, "microprotocol", entry.Microprotocol, "leader", q.Leader, "took", time.Since(start))
	}
	n.writeAudit(entry)
}

// peerRoutes returns the peer API.
func (n *Node) peerRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(mpc.PeerMessagePath, mpc.MessageHandler(n.hub, n.authenticatePeer))
	mux.HandleFunc(queryPath, n.handleQuery)
	return mux
}

// authenticatePeer names the federation member behind a peer request (by
// its pinned certificate). A development node accepts loopback peers only
// and cannot name them.
func (n *Node) authenticatePeer(r *http.Request) (string, error) {
	if n.cfg.Dev {
		if !isLoopback(r) {
			return "", errors.New("a development node accepts loopback peers only")
		}
		return "", nil
	}
	return mpc.PeerName(r.TLS, n.pins)
}
