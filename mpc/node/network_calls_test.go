package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/mpc/node"
)

// callDeadline is how long the nodes of these tests wait for a party.
// Whether a call failed at once or at the deadline shows in its error (a
// refusal names its cause; a missing party "did not make the call"); how
// long after the deadline it fails is measured by
// BenchmarkMissingPartyFails (the README states at most 1 s).
const callDeadline = 2 * time.Second

// outcome is what one party's client got from one compute call.
type outcome struct {
	status int
	msg    string
	sum    float64
}

// pyCall makes one HTTP request exactly as the FSC Python client does
// (requests with json=: a JSON body on every verb) and returns the status
// and the decoded answer.
func pyCall(method, url string, body any, header ...string) (int, map[string]any, error) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %d %q: %v", method, url, resp.StatusCode, raw, err)
	}
	return resp.StatusCode, out, nil
}

// pyCompute runs Api(url).create(protocol="SIMON").compute(...) and the
// download of its result, as the FSC Python client sends them; id, when
// not empty, names the compute call (the Fsc-Computation header, which
// the FSC client does not send) so that the test can follow it.
func pyCompute(url, id, microprotocol string, data any, network map[string]any) outcome {
	fail := func(err error) outcome { return outcome{msg: err.Error()} }
	st, svc, err := pyCall("POST", url+"/representations", map[string]any{"args": []any{}, "kwargs": map[string]any{"protocol": "SIMON"}})
	if err != nil || st != 200 {
		return fail(fmt.Errorf("create: %d %v %v", st, svc, err))
	}
	st, fn, err := pyCall("GET", url+"/representation/"+svc["uuid"].(string)+"/compute", map[string]any{})
	if err != nil || st != 200 {
		return fail(fmt.Errorf("attribute: %d %v %v", st, fn, err))
	}
	var header []string
	if id != "" {
		header = []string{node.ComputationHeader, id}
	}
	st, res, err := pyCall("PATCH", url+"/representation/"+fn["uuid"].(string), map[string]any{"args": []any{},
		"kwargs": map[string]any{"microprotocol": microprotocol, "data": data, "network": network}}, header...)
	if err != nil {
		return fail(err)
	}
	if st != 200 {
		msg, _ := res["message"].(string)
		return outcome{status: st, msg: msg}
	}
	st, dl, err := pyCall("GET", url+"/representation/"+res["uuid"].(string), map[string]any{})
	if err != nil || st != 200 {
		return fail(fmt.Errorf("download: %d %v %v", st, dl, err))
	}
	sum, _ := dl["object"].(map[string]any)["result"].(map[string]any)["sum"].(float64)
	return outcome{status: 200, sum: sum}
}

// partyCall is what one party's client does in a round: nothing (skip),
// or a call with its microprotocol, data and myself. A late call is made
// once the node of every other party that calls says that its call waits
// for this party; a call after the deadline once every other party's call
// has answered.
type partyCall struct {
	skip          bool
	late          bool
	afterDeadline bool
	microprotocol string
	data          any
	myself        int
}

// round runs one call at every party, each through its own node: at once,
// but for late calls and calls after the deadline.
func round(t testing.TB, urls []string, uuid string, calls []partyCall) []outcome {
	t.Helper()
	out := make([]outcome, len(calls))
	ids := make([]string, len(calls))
	answered := make([]chan struct{}, len(calls))
	call := func(i int) {
		c := calls[i]
		mp := c.microprotocol
		if mp == "" {
			mp = "SecureSum"
		}
		out[i] = pyCompute(urls[i], ids[i], mp, c.data, map[string]any{"nodes": urls, "uuid": uuid, "myself": c.myself})
		close(answered[i])
	}
	var early, late, afterDeadline []int
	for i, c := range calls {
		ids[i], answered[i] = client.NewComputationID(), make(chan struct{})
		switch {
		case c.skip:
			close(answered[i])
		case c.late:
			late = append(late, i)
		case c.afterDeadline:
			afterDeadline = append(afterDeadline, i)
		default:
			early = append(early, i)
		}
	}
	var wg sync.WaitGroup
	for _, i := range early {
		wg.Go(func() { call(i) })
	}
	for _, i := range late {
		for _, j := range early {
			awaitStatus(t, urls[j], ids[j], "waiting for "+urls[i], func(st *client.Status) bool { return slices.Contains(st.WaitingFor, urls[i]) })
		}
		wg.Go(func() { call(i) })
	}
	for _, i := range afterDeadline {
		for j := range calls {
			if j != i && !slices.Contains(afterDeadline, j) {
				<-answered[j]
			}
		}
		wg.Go(func() { call(i) })
	}
	wg.Wait()
	return out
}

// goodRound is the call every party makes after a failure: it must succeed.
func goodRound(t *testing.T, urls []string, uuid, after string) {
	t.Helper()
	calls := make([]partyCall, len(urls))
	want := 0.0
	for i := range calls {
		calls[i] = partyCall{data: []any{float64(i + 1), 0.5}, myself: i}
		want += float64(i+1) + 0.5
	}
	for i, o := range round(t, urls, uuid, calls) {
		if o.status != 200 || o.sum != want {
			t.Fatalf("after %s: party %d got %d %q sum %v, want the sum %v", after, i, o.status, o.msg, o.sum, want)
		}
	}
}

func devURLs(procs []*fedrun.Proc) []string {
	urls := make([]string, len(procs))
	for i, p := range procs {
		urls[i] = p.URL
	}
	return urls
}

// TestNetworkUUIDSurvivesFailures runs one study on one hard-coded network
// uuid, as the README and the FSC examples do, through every failure that
// used to leave it dead: after each, the next call all parties make
// succeeds. A refused party stops the call at every party at once (their
// error says it refused the call); a missing one at the deadline (it did
// not make the call). The healthy parties' error names the party at fault
// and the cause, never a healthy party, and never the refused party's
// data.
func TestNetworkUUIDSurvivesFailures(t *testing.T) {
	procs := startDev(t, 3, "--timeout", callDeadline.String())
	urls := devURLs(procs)
	const uuid = "a7f4fea2-b5f4-4d64-9705-45b3629a8145"
	ok := func(i int) partyCall { return partyCall{data: []any{1.0}, myself: i} }
	cases := []struct {
		name  string
		calls []partyCall
		fault int      // the party at fault
		self  []string // the faulty party's own error contains
		want  []string // the healthy parties' errors contain
	}{
		{"a party never joins", []partyCall{ok(0), ok(1), {skip: true}}, 2,
			nil, []string{"did not make the call"}},
		{"a wrong myself", []partyCall{ok(0), {data: 1.0, myself: 0}, ok(2)}, 1,
			[]string{"myself"}, []string{"refused the call", "myself"}},
		{"bad input at one party", []partyCall{ok(0), ok(1), {data: []any{1.0, "patient-4711"}, myself: 2}}, 2,
			[]string{"data[1]"}, []string{"refused the call", "input"}},
		{"an unknown microprotocol at one party", []partyCall{{microprotocol: "SecureSumm", data: 1.0, myself: 0}, ok(1), ok(2)}, 0,
			[]string{"SecureSumm"}, []string{"refused the call", `no microprotocol "SecureSumm"`}},
		{"a party starts after the deadline", []partyCall{ok(0), ok(1), {data: 1.0, myself: 2, afterDeadline: true}}, 2,
			nil, []string{"did not make the call"}},
	}
	for _, tc := range cases {
		got := round(t, urls, uuid, tc.calls)
		for i, o := range got {
			if tc.calls[i].skip {
				continue
			}
			if i == tc.fault {
				if tc.calls[i].afterDeadline {
					continue // it waits for a call the others gave up; its own deadline ends it
				}
				if o.status < 400 || o.status >= 600 {
					t.Errorf("%s: party %d (at fault) got %d %q, want its error", tc.name, i, o.status, o.msg)
				}
				for _, w := range tc.self {
					if !strings.Contains(o.msg, w) {
						t.Errorf("%s: party %d (at fault) got %q, want it to contain %q", tc.name, i, o.msg, w)
					}
				}
				continue
			}
			if o.status < 400 {
				t.Errorf("%s: party %d got %d %q, want an error", tc.name, i, o.status, o.msg)
			}
			if !strings.Contains(o.msg, urls[tc.fault]) || !strings.Contains(o.msg, uuid) {
				t.Errorf("%s: party %d got %q, want it to name %s and the network", tc.name, i, o.msg, urls[tc.fault])
			}
			for j, u := range urls {
				if j != tc.fault && strings.Contains(o.msg, u+":") {
					t.Errorf("%s: party %d got %q, which blames the healthy party %d", tc.name, i, o.msg, j)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(o.msg, w) {
					t.Errorf("%s: party %d got %q, want it to contain %q", tc.name, i, o.msg, w)
				}
			}
			if strings.Contains(o.msg, "patient-4711") {
				t.Errorf("%s: party %d was told another party's data: %q", tc.name, i, o.msg)
			}
		}
		goodRound(t, urls, uuid, tc.name)
	}
}

// TestLatePartyWithinDeadlineJoins: a party whose client calls late, once
// the others' nodes say that they wait for it, but within the deadline,
// joins the call; so does one whose node starts late. The deadline (20 s)
// leaves a loaded machine time to start a node.
func TestLatePartyWithinDeadlineJoins(t *testing.T) {
	const deadline = "20s"
	procs := startDev(t, 3, "--timeout", deadline)
	urls := devURLs(procs)
	calls := []partyCall{{data: 1.0, myself: 0}, {data: 2.0, myself: 1}, {data: 3.0, myself: 2, late: true}}
	for i, o := range round(t, urls, "late", calls) {
		if o.status != 200 || o.sum != 6 {
			t.Fatalf("client calling late: party %d got %d %q", i, o.status, o.msg)
		}
	}
	// Node 2 stops; the others call; once they wait for it, it starts
	// again on the same port and its client calls.
	port := strings.TrimPrefix(urls[2], "http://127.0.0.1:")
	if err := procs[2].Stop(); err != nil {
		t.Fatal(err)
	}
	others := &calling{t: t, urls: urls, uuid: "late"}
	others.start(0, "SecureSum", 1.0)
	others.start(1, "SecureSum", 2.0)
	others.awaitWaiting(0, urls[2])
	others.awaitWaiting(1, urls[2])
	restarted, err := fedrun.Start(nodeBin, urls[2], urls[2], filepath.Join(t.TempDir(), "restarted.log"), "--port", port, "--timeout", deadline)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = restarted.Stop() })
	last := pyCompute(urls[2], "", "SecureSum", 3.0, map[string]any{"nodes": urls, "uuid": "late", "myself": 2})
	for i, o := range append(others.outcomes(), last) {
		if o.status != 200 || o.sum != 6 {
			t.Fatalf("node started late: party %d got %d %q", i, o.status, o.msg)
		}
	}
}

// TestNodeRestartMidStudy: a member killed between calls, or while the
// others wait for it, and started again: the others fail, naming it, and
// the next call succeeds. With per-node call counters the restarted node
// would count from one again.
func TestNodeRestartMidStudy(t *testing.T) {
	procs := startDev(t, 3, "--timeout", callDeadline.String())
	urls := devURLs(procs)
	const uuid = "study-restart"
	goodRound(t, urls, uuid, "the first call")
	port := strings.TrimPrefix(urls[2], "http://127.0.0.1:")
	restart := func() *fedrun.Proc {
		p, err := fedrun.Start(nodeBin, urls[2], urls[2], filepath.Join(t.TempDir(), "restarted.log"), "--port", port, "--timeout", callDeadline.String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Stop() })
		return p
	}
	procs[2].Kill()
	second := restart()
	goodRound(t, urls, uuid, "a restart between calls")

	// Killed while the others wait for its call; it stays down.
	first := &calling{t: t, urls: urls, uuid: uuid}
	first.start(0, "SecureSum", 1.0)
	first.start(1, "SecureSum", 1.0)
	first.awaitWaiting(0, urls[2])
	first.awaitWaiting(1, urls[2])
	second.Kill()
	for i, o := range first.outcomes() {
		if o.status < 400 || !strings.Contains(o.msg, urls[2]) {
			t.Errorf("killed while awaited: party %d got %d %q, want an error naming %s", i, o.status, o.msg, urls[2])
		}
	}
	restart()
	goodRound(t, urls, uuid, "a kill while awaited")
}

// TestTwoStudiesAndOtherOrders: a second study on a uuid that is in use
// gets a clear error (409) at once; parties calling in different orders get a
// clear error at once, never a hang; the next call succeeds.
func TestTwoStudiesAndOtherOrders(t *testing.T) {
	procs := startDev(t, 3, "--timeout", "3s")
	urls := devURLs(procs)
	const uuid = "shared"
	// Study X waits at nodes 0 and 1 for node 2's client; study Y calls
	// node 0 on the same uuid meanwhile.
	x := &calling{t: t, urls: urls, uuid: uuid}
	x.start(0, "SecureSum", 1.0)
	x.start(1, "SecureSum", 2.0)
	x.awaitWaiting(0, urls[2])
	x.awaitWaiting(1, urls[2])
	y := pyCompute(urls[0], "", "StatisticsUnivariate", []any{5.0, 6.0}, map[string]any{"nodes": urls, "uuid": uuid, "myself": 0})
	if y.status != 409 || !strings.Contains(y.msg, "one study at a time") {
		t.Errorf("second study: got %d %q, want a 409 saying one study at a time", y.status, y.msg)
	}
	x.start(2, "SecureSum", 3.0)
	for i, o := range x.outcomes() {
		if o.status != 200 || o.sum != 6 {
			t.Errorf("study X: party %d got %d %q", i, o.status, o.msg)
		}
	}
	// Different orders: party 1 makes its second call first.
	got := round(t, urls, uuid, []partyCall{
		{data: 1.0, myself: 0},
		{microprotocol: "StatisticsUnivariate", data: []any{1.0, 2.0}, myself: 1},
		{data: 1.0, myself: 2},
	})
	// A party that finds the other call says so to the rest, whose calls
	// end at once; one whose client calls after that waits for its
	// deadline (the word could be from an earlier call): never longer.
	named := 0
	for i, o := range got {
		if o.status != 502 {
			t.Errorf("different orders: party %d got %d %q, want a 502", i, o.status, o.msg)
		}
		if strings.Contains(o.msg, "same calls in the same order") && strings.Contains(o.msg, "StatisticsUnivariate") {
			named++
		}
	}
	if named < 2 {
		t.Errorf("different orders: %d parties were told what the other calls, want at least the two that differ: %+v", named, got)
	}
	goodRound(t, urls, uuid, "calls in different orders")
}

// calling is a set of network calls made one by one on a network of every
// node, each followed by its id.
type calling struct {
	t    testing.TB
	urls []string
	uuid string
	ids  map[int]string
	out  map[int]chan outcome
}

// start makes party i's call.
func (c *calling) start(i int, microprotocol string, data any) {
	if c.ids == nil {
		c.ids, c.out = map[int]string{}, map[int]chan outcome{}
	}
	id := client.NewComputationID()
	out := make(chan outcome, 1)
	c.ids[i], c.out[i] = id, out
	go func() {
		out <- pyCompute(c.urls[i], id, microprotocol, data, map[string]any{"nodes": c.urls, "uuid": c.uuid, "myself": i})
	}()
}

// awaitWaiting waits until party i's node says that its call waits for
// exactly the parties want.
func (c *calling) awaitWaiting(i int, want ...string) {
	c.t.Helper()
	awaitWaitingFor(c.t, c.urls[i], c.ids[i], want...)
}

// outcomes waits for every call made and returns their outcomes in the
// order of the parties.
func (c *calling) outcomes() []outcome {
	var out []outcome
	for i := range c.urls {
		if ch, ok := c.out[i]; ok {
			out = append(out, <-ch)
		}
	}
	return out
}

// TestCancelledCallIsAuditedAsCancelled: a client that gives up while its
// node waits for the other parties is recorded as cancelled in the audit
// log, blaming no member; the next call on the uuid succeeds.
func TestCancelledCallIsAuditedAsCancelled(t *testing.T) {
	fed := startFederation(t, nil)
	urls := fed.URLs()
	const uuid = "cancelled-study"
	body, _ := json.Marshal(map[string]any{"args": []any{}, "kwargs": map[string]any{"microprotocol": "SecureSum", "data": 1.0,
		"network": map[string]any{"nodes": urls, "uuid": uuid, "myself": 0}}})
	_, svc, err := pyCall("POST", urls[0]+"/representations", map[string]any{"args": []any{}, "kwargs": map[string]any{"protocol": "SIMON"}})
	if err != nil {
		t.Fatal(err)
	}
	_, fn, err := pyCall("GET", urls[0]+"/representation/"+svc["uuid"].(string)+"/compute", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := client.NewComputationID()
	req, _ := http.NewRequestWithContext(ctx, "PATCH", urls[0]+"/representation/"+fn["uuid"].(string), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(node.ComputationHeader, id)
	answered := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("the call answered %d before the others joined", resp.StatusCode)
		}
		answered <- err
	}()
	awaitWaitingFor(t, urls[0], id, "hospital-b", "hospital-c")
	cancel() // the client gives up while its node waits for the others
	if err := <-answered; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled call: %v", err)
	}
	last := awaitAuditLine(t, fed.Dir, "hospital-a", "the cancelled call", func(map[string]any) bool { return true })
	if last["outcome"] != "cancelled" {
		t.Fatalf("audit of the cancelled call: %v, want outcome cancelled", last)
	}
	if msg, _ := last["error"].(string); strings.Contains(msg, "hospital-b") || strings.Contains(msg, "hospital-c") || strings.Contains(msg, "could not be reached") {
		t.Errorf("audit of the cancelled call blames a member: %q", msg)
	}
	for i, o := range round(t, urls, uuid, []partyCall{{data: 1.0, myself: 0}, {data: 2.0, myself: 1}, {data: 3.0, myself: 2}}) {
		if o.status != 200 || o.sum != 6 {
			t.Fatalf("after a cancelled call: party %d got %d %q", i, o.status, o.msg)
		}
	}
}
