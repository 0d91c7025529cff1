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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// queryPath is where members accept dataset-backed queries from a leader;
// withdrawPath is where a leader withdraws one that waits for approval.
const (
	queryPath    = "/peer/v1/query"
	withdrawPath = "/peer/v1/query/withdraw"
)

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
	margin, err := n.ask(ctx, q, sess, req.progress)
	if err != nil {
		sess.Abort(n.publicReason(err))
		return fail(err)
	}
	req.progress.computing(sess)
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

// checkedQuery is what checkQuery found: the query's parameters, its
// table and its filter (nil without a where).
type checkedQuery struct {
	params *params
	table  *stats.Table
	filter *stats.Filter
}

// checkQuery checks the part of this node's policy for q that depends on
// no row: the parties, the microprotocol, the parameters, the table, the
// filter and the identifier rule. A node that asks its owner does so only
// for a query that passes them.
func (n *Node) checkQuery(q *query) (*checkedQuery, error) {
	if !slices.Equal(q.Parties, n.memberNames()) {
		return nil, errorf(http.StatusForbidden, "%s refused: a dataset query must include every federation member, in federation order (a subset would let totals be differenced)", n.self)
	}
	if len(q.Parties) < minMembers {
		return nil, errorf(http.StatusForbidden, "%s refused: a federation of %d members would reveal each member's contribution; dataset queries need at least %d", n.self, len(q.Parties), minMembers)
	}
	if !n.allows(q.Microprotocol) {
		return nil, errorf(http.StatusForbidden, "%s refused: policy microprotocols: %s is not allowed", n.self, q.Microprotocol)
	}
	if !takesDataset(microprotocols[q.Microprotocol]) {
		return nil, bad("%s %v", q.Microprotocol, errOwnDataOnly)
	}
	p, err := n.parseParams(q.Microprotocol, q.Parameters)
	if err != nil {
		return nil, err
	}
	t, ok := n.datasets[q.Dataset.Table]
	if !ok {
		names := make([]string, 0, len(n.datasets))
		for k := range n.datasets {
			names = append(names, k)
		}
		slices.Sort(names)
		return nil, bad("%s: no table %q (tables: %s)", n.self, q.Dataset.Table, strings.Join(names, ", "))
	}
	c := &checkedQuery{params: p, table: t}
	var filterCols []string
	if strings.TrimSpace(q.Dataset.Where) != "" {
		if c.filter, err = stats.ParseFilter(q.Dataset.Where); err != nil {
			return nil, bad("%s: %v", n.self, err)
		}
		filterCols = c.filter.Columns()
	}
	if err := n.checkIdentifiers(q, filterCols); err != nil {
		return nil, err
	}
	return c, nil
}

// prepare checks this node's policy for q, reads its input from its own
// rows and reserves what the computation would release of them in the
// release memory (tables of counts reserve their cells while they run).
// Refusals are 403s that name the rule; those that depend on this node's
// rows do not name this node.
func (n *Node) prepare(q *query) (input, *params, *releasePlan, error) {
	c, err := n.checkQuery(q)
	if err != nil {
		return nil, nil, nil, err
	}
	p, t := c.params, c.table
	var rows []bool
	if c.filter != nil {
		if rows, err = c.filter.Rows(t); err != nil {
			return nil, nil, nil, bad("%s: where: %v", n.self, err)
		}
	}
	in, err := microprotocols[q.Microprotocol].table(t, rows, &q.Dataset)
	if err != nil {
		return nil, nil, nil, n.inputError(err)
	}
	plan, err := planRelease(q.Microprotocol, t, n.index[q.Dataset.Table], rows, &q.Dataset, p)
	if err != nil {
		return nil, nil, nil, err
	}
	plan.mem = n.memory.tables[q.Dataset.Table]
	if u, ok := in.(planUser); ok {
		if err := u.usePlan(plan); err != nil {
			return nil, nil, nil, n.inputError(err)
		}
	}
	if min := n.cfg.Policy.MinCell; in.cohort() > 0 && in.cohort() < min {
		plan.mem.check([]releaseSet{{what: "cohort", rows: plan.cohort}}) // remembered as a probe
		return nil, nil, nil, errorf(http.StatusForbidden, "refused: policy min_cell=%d: the cohort holds between 1 and %d rows of a member node; widen the filter", min, min-1)
	}
	if err := n.checkRules(q, p, plan.cohort.GetCardinality()); err != nil {
		return nil, nil, nil, err
	}
	if _, ok := microprotocols[q.Microprotocol].(selfReserving); !ok {
		res, err := plan.mem.reserve(append([]releaseSet{{what: "cohort", rows: plan.cohort}}, plan.linked...))
		if err != nil {
			return nil, nil, nil, refused(err.(*refusal))
		}
		plan.res = res
	}
	return in, p, plan, nil
}

// planUser is an input that reads its rows once its release plan (the
// cohort, the table's index) is known.
type planUser interface {
	usePlan(plan *releasePlan) error
}

// inputError names this node in an error about its own input.
func (n *Node) inputError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return errorf(ae.Code, "%s: %s", n.self, ae.Msg)
	}
	return err
}

// ask sends q to every other party and waits for each to accept; it
// returns the largest min_cell among them (the order-statistic rule's
// margin). A member whose owner has to approve the query answers that it
// waits, and is asked again until its owner decides; meanwhile the
// members that accepted are told, every third of the peer deadline, to
// keep waiting, and once all have accepted they are told to start. A
// refusal ends every other member's wait at once. A refusal's words do
// not name the member (its rule may depend on its rows); a failure names
// the member that could not be reached.
func (n *Node) ask(ctx context.Context, q *query, sess *mpc.Session, prog *progress) (margin int, err error) {
	body, err := json.Marshal(q)
	if err != nil {
		return 0, err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	type answer struct {
		party   string
		code    int
		msg     string
		minCell int
	}
	others := sess.Others()
	answers := make(chan answer, len(others))
	defer func() {
		if err != nil {
			// Every ask has ended. A member's owner may have been asked
			// although its answer never arrived (another member's refusal
			// cancelled the ask on its way back), so every member hears.
			n.withdraw(body, others)
		}
	}()
	for _, p := range others {
		prog.asking(p)
		go func() {
			var wait time.Duration // the first ask learns at once whether p waits for its owner
			for {
				code, msg, minCell := n.askOne(ctx, p, body, wait)
				if code != http.StatusAccepted || ctx.Err() != nil {
					answers <- answer{p, code, msg, minCell}
					return
				}
				prog.waitsForApproval(p, true)
				wait = approvalPoll
			}
		}()
	}
	keep := time.NewTicker(max(n.cfg.Timeout.Duration/3, 10*time.Millisecond))
	defer keep.Stop()
	var (
		refused  []string
		code     = http.StatusForbidden
		accepted = map[string]int{} // member -> start messages sent to it
	)
	fail := func(c int, msg string) {
		refused = append(refused, msg)
		if c != http.StatusForbidden {
			code = c // a failure outranks a refusal in the status
		}
		stop() // nobody else waits for this query
	}
	for pending := len(others); pending > 0; {
		select {
		case a := <-answers:
			pending--
			prog.answered(a.party)
			switch {
			case a.code == http.StatusOK:
				accepted[a.party] = 0
				margin = max(margin, a.minCell)
			case a.code == 0:
				// stopped by the end of ctx, or by another member's refusal
			default:
				fail(a.code, a.msg)
			}
		case <-keep.C:
			if err := n.tellStart(ctx, sess, accepted, startWait); err != nil {
				fail(http.StatusBadGateway, err.Error())
			}
		}
	}
	if len(refused) == 0 && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if len(refused) > 0 {
		slices.Sort(refused)
		return 0, errorf(code, "%s", strings.Join(slices.Compact(refused), "; "))
	}
	if err := n.tellStart(ctx, sess, accepted, startGo); err != nil {
		return 0, errorf(http.StatusBadGateway, "%s", err.Error())
	}
	return margin, nil
}

// withdraw tells the members asked about a query (body) that it will not
// run, so that it leaves their owners' lists at once. It runs in the
// background, for at most mpc.AbortNotice; a member it does not reach
// drops the query when no ask comes for a while.
func (n *Node) withdraw(body []byte, members []string) {
	for _, p := range members {
		n.wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), mpc.AbortNotice)
			defer cancel()
			m, _ := n.member(p)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(m.Peer, "/")+withdrawPath, bytes.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if resp, err := n.peerClient(p).Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
}

// handleWithdraw ends the wait for approval of a query its leader gave up.
func (n *Node) handleWithdraw(w http.ResponseWriter, r *http.Request) {
	who, err := n.authenticatePeer(r)
	if err != nil {
		writeError(w, errorf(http.StatusForbidden, "%v", err))
		return
	}
	var q query
	data, err := mpc.ReadBody(w, r, MaxRequestBody+64<<10)
	if err == nil {
		err = json.Unmarshal(data, &q)
	}
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, "%s: malformed query: %v", n.self, err))
		return
	}
	p, audit := n.approvals.withdraw(q.Session, who)
	if p != nil && audit {
		n.auditDropped(p)
	}
	writeJSON(w, http.StatusOK, map[string]bool{"withdrawn": p != nil})
}

// The words a leader sends the members that accepted a query: keep
// waiting (others have yet to accept), or start.
const (
	startWait = "wait"
	startGo   = "go"
)

// tellStart sends word to every member that accepted, each at its next
// start step (start.1, start.2, ...), and waits for them to take it.
func (n *Node) tellStart(ctx context.Context, sess *mpc.Session, accepted map[string]int, word string) error {
	var wg sync.WaitGroup
	errs := make([]error, 0, len(accepted))
	var mu sync.Mutex
	for p, k := range accepted {
		accepted[p] = k + 1
		wg.Go(func() {
			if err := sess.Send(ctx, p, startStep(k+1), []byte(word)); err != nil && ctx.Err() == nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s could not be reached: %v", p, mpc.PlainNetError(err)))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func startStep(k int) string { return "start." + strconv.Itoa(k) }

// awaitStart is a member's wait, after it accepted a query, for the
// leader's word to start: every other member must accept first, and one
// may wait for its owner's approval. The leader's word to keep waiting
// comes every third of the peer deadline, so a leader that vanished is
// noticed at that deadline; the whole wait is bounded by this node's
// approval_timeout.
func (n *Node) awaitStart(ctx context.Context, sess *mpc.Session, leader string) error {
	limit := time.Now().Add(n.cfg.Policy.ApprovalTimeout.Duration + n.cfg.Timeout.Duration)
	for k := 1; ; k++ {
		body, err := sess.Recv(ctx, leader, startStep(k))
		if err != nil {
			return err
		}
		switch string(body) {
		case startGo:
			return nil
		case startWait:
			if time.Now().After(limit) {
				return errorf(http.StatusGatewayTimeout, "%s stopped waiting: the other members did not all accept within its approval_timeout (%v)", n.self, n.cfg.Policy.ApprovalTimeout.Duration)
			}
		default:
			return &mpc.PeerError{Party: leader, Step: startStep(k), Err: fmt.Errorf("sent %q instead of the word to start", prefix(string(body), 32))}
		}
	}
}

// acceptance is a member's answer to a query it takes part in.
type acceptance struct {
	Accepted bool `json:"accepted"`
	MinCell  int  `json:"min_cell"`
}

// awaiting is a member's answer to a query that waits for its owner.
type awaiting struct {
	Pending string    `json:"pending"` // "approval"
	Expires time.Time `json:"expires"`
}

// askOne asks party to take part in a query; wait is how long the party
// may hold the ask while its owner decides. It returns the HTTP status
// (202: the owner has yet to decide; 0: ctx ended), the party's message
// and, on acceptance, its min_cell.
func (n *Node) askOne(ctx context.Context, party string, body []byte, wait time.Duration) (int, string, int) {
	m, _ := n.member(party)
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout.Duration+wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(m.Peer, "/")+queryPath, bytes.NewReader(body))
	if err != nil {
		return http.StatusInternalServerError, err.Error(), 0
	}
	req.Header.Set("Content-Type", "application/json")
	if wait > 0 {
		req.Header.Set(approvalWaitHeader, wait.String())
	}
	resp, err := n.peerClient(party).Do(req)
	if err != nil {
		if context.Cause(ctx) == context.Canceled {
			return 0, "", 0 // the leader stopped asking
		}
		return http.StatusBadGateway, fmt.Sprintf("%s could not be reached: %v", party, mpc.PlainNetError(err)), 0
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		var a acceptance
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if json.Unmarshal(data, &a) != nil || !a.Accepted || a.MinCell < 1 || a.MinCell > 1<<20 {
			return http.StatusBadGateway, fmt.Sprintf("%s answered the query with %q", party, prefix(string(data), 256)), 0
		}
		return http.StatusOK, "", a.MinCell
	case http.StatusAccepted:
		var a awaiting
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if json.Unmarshal(data, &a) != nil || a.Pending != "approval" {
			return http.StatusBadGateway, fmt.Sprintf("%s answered the query with %q", party, prefix(string(data), 256)), 0
		}
		return http.StatusAccepted, "", 0
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
// leader, the policy and the query; with auto_join = false, wait for the
// owner's approval; compute the aggregate over this node's own rows;
// accept; wait for the leader's word to start; then add it in the secure
// sum, which reveals the total to the leader only.
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
		var p *pendingQuery
		var d decision
		if _, err = n.checkQuery(&q); err == nil {
			p, d, err = n.approvals.await(r.Context(), &q, pollWait(r))
		}
		switch {
		case err != nil:
		case d == undecided:
			writeJSON(w, http.StatusAccepted, awaiting{Pending: "approval", Expires: p.Expires})
			return
		case d == approved:
			entry.Approval = fmt.Sprintf("approved by the owner %s after waiting (query %s)", p.at.UTC().Format(time.RFC3339), p.ID)
		default:
			err = n.approvalRefusal(d)
		}
	}
	if err == nil {
		var in input
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

// approvalRefusal is what the leader hears of a query that this node's
// owner did not approve. It names this node: the owner's decision is a
// policy outcome, and says nothing of its rows.
func (n *Node) approvalRefusal(d decision) error {
	switch d {
	case denied:
		return &apiError{Code: http.StatusForbidden, Msg: fmt.Sprintf("%s refused: policy auto_join=false: its owner denied this query", n.self), Detail: "approval: denied by the owner"}
	case expired:
		return &apiError{Code: http.StatusForbidden, Msg: fmt.Sprintf("%s refused: policy auto_join=false: its owner did not approve this query within %v (approval_timeout)", n.self, n.cfg.Policy.ApprovalTimeout.Duration), Detail: "approval: expired"}
	}
	return errorf(http.StatusBadRequest, "cancelled: the leader stopped asking while the query waited for approval at %s", n.self)
}

// auditDropped writes the audit line of a query that ended while it
// waited for approval with no ask of its leader to answer.
func (n *Node) auditDropped(p *pendingQuery) {
	ds := &DatasetRef{Table: p.Table, Where: p.Where}
	if len(p.Columns) == 1 {
		ds.Column = p.Columns[0]
	} else {
		ds.Columns = p.Columns
	}
	err := n.approvalRefusal(p.state)
	n.writeAudit(auditEntry{Session: p.session, Role: "member", Requester: p.Requester + " via " + p.Leader, Microprotocol: p.Microprotocol,
		Dataset: ds, Outcome: outcomeOf(err), Error: errText(err), Rule: ruleDetail(err)})
}

// contribute runs the microprotocol at this member with its own input,
// once the leader says every member accepted.
func (n *Node) contribute(sess *mpc.Session, in input, p *params, plan *releasePlan, q *query, entry auditEntry) {
	defer n.wg.Done()
	defer sess.Close()
	ctx, cancel := context.WithTimeout(n.base, 20*n.cfg.Timeout.Duration+n.cfg.Policy.ApprovalTimeout.Duration)
	defer cancel()
	start := time.Now()
	err := n.awaitStart(ctx, sess, q.Leader)
	if err == nil {
		e := n.memberEnv(sess, q.Leader)
		e.plan, e.margin = plan, n.cfg.Policy.MinCell
		_, err = microprotocols[q.Microprotocol].run(ctx, e, in, p)
	}
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
	mux.Handle(mpc.PeerStreamPath, mpc.StreamHandler(n.base, n.hub, n.authenticatePeer))
	mux.HandleFunc(queryPath, n.handleQuery)
	mux.HandleFunc(withdrawPath, n.handleWithdraw)
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
