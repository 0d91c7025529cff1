package node_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/mpc/node"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// analystToken is hospital-b's one analyst's bearer token in these tests.
const analystToken = "analyst-token-0123456789"

// approvalFederation starts the example federation with hospital-b asking
// its owner (auto_join = false), with extra policy lines for hospital-b,
// and returns it with hospital-b's owner client.
func approvalFederation(t *testing.T, policy ...string) (*fedrun.Federation, *node.Owner) {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "analysts.txt")
	if err := os.WriteFile(tokens, []byte("alice "+analystToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	policy = append(policy, `analysts = ["token-file:`+tokens+`"]`)
	fed := startFederation(t, func(file, text string) string {
		if file != "hospital-b.toml" {
			return text
		}
		text = setKey(text, "auto_join", "false")
		return strings.Replace(text, "[policy]", "[policy]\n"+strings.Join(policy, "\n"), 1)
	})
	return fed, ownerOf(t, fed, "hospital-b")
}

func ownerOf(t *testing.T, fed *fedrun.Federation, name string) *node.Owner {
	t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(fed.Dir, name+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := node.NewOwner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// waitPending waits until n queries wait at the owner's node, and returns them.
func waitPending(t *testing.T, o *node.Owner, n int) []node.PendingQuery {
	t.Helper()
	var list []node.PendingQuery
	var err error
	for deadline := time.Now().Add(awaitTimeout); time.Now().Before(deadline); time.Sleep(pollEvery) {
		if list, err = o.Pending(context.Background()); err == nil && len(list) == n {
			return list
		}
	}
	t.Fatalf("pending: %v, %v after %v; want %d queries", list, err, awaitTimeout, n)
	return nil
}

type queryOutcome struct {
	res  *client.Result
	err  error
	took time.Duration
}

// computeAsync starts a dataset query at url and returns where its outcome
// will come; took says how long the query ran, for a bound that is the
// input of a test (a deadline that must pass), never for speed.
func computeAsync(ctx context.Context, url string, r client.Request) <-chan queryOutcome {
	out := make(chan queryOutcome, 1)
	go func() {
		start := time.Now()
		res, err := client.New(url).Compute(ctx, r)
		out <- queryOutcome{res, err, time.Since(start)}
	}()
	return out
}

// awaitQueryLines waits until every member of fed has written its audit
// line of the query whose leader wrote the last line of its own log (a
// leader writes its line before it answers), and returns each node's line
// of it.
func awaitQueryLines(t *testing.T, fed *fedrun.Federation, leader string) map[string]map[string]any {
	t.Helper()
	session := lastAudit(t, fed, leader)["session"]
	out := map[string]map[string]any{}
	for _, name := range []string{"hospital-a", "hospital-b", "hospital-c"} {
		out[name] = awaitAuditLine(t, fed.Dir, name, fmt.Sprintf("session %v", session), ofSession(session))
	}
	return out
}

func lastAudit(t *testing.T, fed *fedrun.Federation, name string) map[string]any {
	t.Helper()
	e := readAudit(t, fed, fed.Dir, name)
	if len(e) == 0 {
		t.Fatalf("%s: no audit line", name)
	}
	return e[len(e)-1]
}

// TestApprovalApproveAndDeny: with auto_join = false at hospital-b, a query
// led by hospital-a waits for hospital-b's owner; fsc-node pending shows
// who asked for what; no analyst can decide it; approved, it answers the
// plaintext value, and the approval covers that query only: the same
// query again waits anew, and denied it fails at every member at once,
// naming hospital-b.
func TestApprovalApproveAndDeny(t *testing.T) {
	fed, owner := approvalFederation(t)
	all := pooled(t)
	req := client.Request{Microprotocol: "SecureSum", ID: client.NewComputationID(),
		Dataset: &client.Dataset{Table: "patients", Column: "age", Where: "sex == 'F'"}}
	done := computeAsync(context.Background(), fed.Nodes[0].URL, req)

	list := waitPending(t, owner, 1)
	p := list[0]
	if p.Leader != "hospital-a" || p.Requester != "loopback" || p.Microprotocol != "SecureSum" || p.Table != "patients" ||
		!slices.Equal(p.Columns, []string{"age"}) || p.Where != "sex == 'F'" {
		t.Errorf("pending query: %+v", p)
	}
	if left := time.Until(p.Expires); left < 9*time.Minute || left > 10*time.Minute {
		t.Errorf("pending query expires in %v, want the default 10 minutes", left)
	}
	out, err := exec.Command(nodeBin, "pending", "--config", filepath.Join(fed.Dir, "hospital-b.toml")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), p.ID) || !strings.Contains(string(out), "loopback at hospital-a") ||
		!strings.Contains(string(out), "patients: age") || !strings.Contains(string(out), "sex == 'F'") {
		t.Errorf("fsc-node pending: %v\n%s", err, out)
	}

	// The analyst's node tells its analyst whom it waits for, once
	// hospital-b's answer that its owner decides has come back.
	awaitStatus(t, fed.Nodes[0].URL, req.ID, "waiting for hospital-b's approval", func(st *client.Status) bool {
		return slices.Equal(st.Approval, []string{"hospital-b"})
	})
	// Another analyst (with a token, here alice at hospital-a's node) sees nothing of it.
	other := client.New(fed.Nodes[0].URL)
	other.Token = "not-a-token-of-hospital-a"
	if _, err := other.Status(context.Background(), req.ID); err == nil {
		t.Error("a client without the analyst's identity read the computation's status")
	}

	// No analyst can approve: not a loopback client, not one with a token.
	for _, token := range []string{"", analystToken} {
		r, _ := http.NewRequest(http.MethodPost, fed.Nodes[1].URL+"/owner/approve/"+p.ID, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("an analyst (token %q) approving: HTTP %d, want 401", token, resp.StatusCode)
		}
	}
	select {
	case o := <-done:
		t.Fatalf("the query ended before its approval: %v %v", o.res, o.err)
	default:
	}

	out, err = exec.Command(nodeBin, "approve", p.ID, "--config", filepath.Join(fed.Dir, "hospital-b.toml")).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "approved "+p.ID) {
		t.Fatalf("fsc-node approve: %v\n%s", err, out)
	}
	o := <-done
	if o.err != nil {
		t.Fatalf("approved query: %v", o.err)
	}
	want := sumOf(t, all, "age", "sex == 'F'")
	if got, _ := o.res.Result["sum"].(float64); !closeTo(got, want) {
		t.Errorf("approved sum %v, plaintext %v", got, want)
	}
	if e := awaitQueryLines(t, fed, "hospital-a")["hospital-b"]; e["outcome"] != "contributed" || !strings.Contains(fmt.Sprint(e["approval"]), p.ID) {
		t.Errorf("hospital-b audit of the approved query: %v", e)
	}

	// The same query again: the approval was used up.
	req.ID = client.NewComputationID()
	done = computeAsync(context.Background(), fed.Nodes[0].URL, req)
	again := waitPending(t, owner, 1)[0]
	if again.ID == p.ID {
		t.Errorf("the second query has the first one's id %s", p.ID)
	}
	if _, err := owner.Decide(context.Background(), p.ID, true); err == nil {
		t.Error("the first query's approval could be given again")
	}
	if _, err := owner.Decide(context.Background(), again.ID, false); err != nil {
		t.Fatal(err)
	}
	o = <-done
	var ce *client.Error
	if !errors.As(o.err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "hospital-b refused: policy auto_join=false: its owner denied this query") {
		t.Fatalf("denied query: %v, want a refusal naming hospital-b's owner", o.err)
	}
	if list, _ := owner.Pending(context.Background()); len(list) != 0 {
		t.Errorf("a denied query still waits: %v", list)
	}
	// hospital-c was asked with hospital-b, which had answered before its
	// owner denied: c has heard of the query too, and ends its part.
	lines := awaitQueryLines(t, fed, "hospital-a")
	for name, e := range lines {
		if e["outcome"] == "contributed" || e["outcome"] == "released" {
			t.Errorf("%s audit of the denied query: %v", name, e)
		}
	}
	if e := lines["hospital-b"]; e["outcome"] != "refused" || e["rule"] != "approval: denied by the owner" {
		t.Errorf("hospital-b audit of the denied query: %v", e)
	}
}

// TestApprovalDeadline: a query nobody decides is refused at the
// approval_timeout, naming the member, and released nowhere; the other
// members stop waiting at once.
func TestApprovalDeadline(t *testing.T) {
	fed, owner := approvalFederation(t, `approval_timeout = "2s"`)
	o := <-computeAsync(context.Background(), fed.Nodes[2].URL, client.Request{Microprotocol: "Count",
		Dataset: &client.Dataset{Table: "patients", Where: "age >= 40"}})
	var ce *client.Error
	if !errors.As(o.err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "hospital-b refused: policy auto_join=false: its owner did not approve this query within 2s") {
		t.Fatalf("undecided query: %v, want a refusal saying hospital-b's approval expired", o.err)
	}
	// Not before the approval_timeout (how much later is scheduling).
	if o.took < 2*time.Second {
		t.Errorf("the undecided query failed after %v, before hospital-b's approval_timeout of 2 s", o.took)
	}
	if list, _ := owner.Pending(context.Background()); len(list) != 0 {
		t.Errorf("an expired query still waits: %v", list)
	}
	for name, e := range awaitQueryLines(t, fed, "hospital-c") {
		if e["outcome"] == "contributed" || e["outcome"] == "released" {
			t.Errorf("%s audit of the expired query: %v", name, e)
		}
	}
}

// TestApprovalOutlastsThePeerDeadline: the members that accepted keep
// waiting, past the peer deadline, while one member's owner decides; and
// a client that gives up withdraws the query from the owner's list.
func TestApprovalOutlastsThePeerDeadline(t *testing.T) {
	fed := startFederation(t, func(file, text string) string {
		if file == "federation.toml" {
			return text
		}
		text = strings.Replace(text, "[tls]", "timeout = \"1s\"\n\n[tls]", 1)
		if file == "hospital-b.toml" {
			text = setKey(text, "auto_join", "false")
		}
		return text
	})
	owner := ownerOf(t, fed, "hospital-b")
	all := pooled(t)
	done := computeAsync(context.Background(), fed.Nodes[0].URL, client.Request{Microprotocol: "SecureSum",
		Dataset: &client.Dataset{Table: "patients", Column: "bmi"}})
	p := waitPending(t, owner, 1)[0]
	// The wait is the input under test: the owner decides only after the
	// peer deadline (1 s) of the members that accepted has passed, more
	// than twice; a longer wait on a loaded machine tests the same.
	time.Sleep(2500 * time.Millisecond)
	if _, err := owner.Decide(context.Background(), p.ID, true); err != nil {
		t.Fatal(err)
	}
	o := <-done
	if o.err != nil {
		t.Fatalf("a query approved after the peer deadline: %v", o.err)
	}
	if got, want := o.res.Result["sum"].(float64), sumOf(t, all, "bmi", ""); !closeTo(got, want) {
		t.Errorf("sum %v, plaintext %v", got, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done = computeAsync(ctx, fed.Nodes[0].URL, client.Request{Microprotocol: "SecureSum",
		Dataset: &client.Dataset{Table: "patients", Column: "age"}})
	waitPending(t, owner, 1)
	cancel()
	<-done
	waitPending(t, owner, 0)
	awaitAudit(t, fed.Dir, 2, "hospital-a") // the leader's line of the withdrawn query
	if e := awaitQueryLines(t, fed, "hospital-a")["hospital-b"]; e["outcome"] != "cancelled" {
		t.Errorf("hospital-b audit of the withdrawn query: %v", e)
	}
}

// sumOf is the plaintext sum of a column where a filter holds.
func sumOf(t *testing.T, all *stats.Table, column, where string) float64 {
	t.Helper()
	vals := plainValues(t, all, column, where)
	s := 0.0
	for _, v := range vals {
		s += v
	}
	return s
}
