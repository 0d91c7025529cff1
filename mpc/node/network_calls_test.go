package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
)

// The deadline the nodes of these tests wait for a party, and the margin
// within which every failed call must have answered: the deadline plus
// callMargin (the README states the same bound).
const (
	callDeadline = 2 * time.Second
	callMargin   = time.Second
	// atOnce bounds a call that must fail without waiting for the deadline.
	atOnce = time.Second
)

// outcome is what one party's client got from one compute call.
type outcome struct {
	status int
	msg    string
	sum    float64
	took   time.Duration
}

// pyCall makes one HTTP request exactly as the FSC Python client does
// (requests with json=: a JSON body on every verb) and returns the status
// and the decoded answer.
func pyCall(method, url string, body any) (int, map[string]any, error) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
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
// download of its result, as the FSC Python client sends them.
func pyCompute(url, microprotocol string, data any, network map[string]any) outcome {
	start := time.Now()
	fail := func(err error) outcome { return outcome{msg: err.Error(), took: time.Since(start)} }
	st, svc, err := pyCall("POST", url+"/representations", map[string]any{"args": []any{}, "kwargs": map[string]any{"protocol": "SIMON"}})
	if err != nil || st != 200 {
		return fail(fmt.Errorf("create: %d %v %v", st, svc, err))
	}
	st, fn, err := pyCall("GET", url+"/representation/"+svc["uuid"].(string)+"/compute", map[string]any{})
	if err != nil || st != 200 {
		return fail(fmt.Errorf("attribute: %d %v %v", st, fn, err))
	}
	st, res, err := pyCall("PATCH", url+"/representation/"+fn["uuid"].(string), map[string]any{"args": []any{},
		"kwargs": map[string]any{"microprotocol": microprotocol, "data": data, "network": network}})
	if err != nil {
		return fail(err)
	}
	if st != 200 {
		msg, _ := res["message"].(string)
		return outcome{status: st, msg: msg, took: time.Since(start)}
	}
	took := time.Since(start)
	st, dl, err := pyCall("GET", url+"/representation/"+res["uuid"].(string), map[string]any{})
	if err != nil || st != 200 {
		return fail(fmt.Errorf("download: %d %v %v", st, dl, err))
	}
	sum, _ := dl["object"].(map[string]any)["result"].(map[string]any)["sum"].(float64)
	return outcome{status: 200, sum: sum, took: took}
}

// partyCall is what one party's client does in a round: nothing (skip),
// or a call after delay with its microprotocol, data and myself.
type partyCall struct {
	skip          bool
	delay         time.Duration
	microprotocol string
	data          any
	myself        int
}

// round runs one call at every party at once, each through its own node.
func round(urls []string, uuid string, calls []partyCall) []outcome {
	out := make([]outcome, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		if c.skip {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(c.delay)
			mp := c.microprotocol
			if mp == "" {
				mp = "SecureSum"
			}
			out[i] = pyCompute(urls[i], mp, c.data, map[string]any{"nodes": urls, "uuid": uuid, "myself": c.myself})
		}()
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
	for i, o := range round(urls, uuid, calls) {
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
// succeeds. A refused party stops the call at every party at once; a
// missing one at the deadline plus the margin. The healthy parties' error
// names the party at fault and the cause, never a healthy party, and never
// the refused party's data.
func TestNetworkUUIDSurvivesFailures(t *testing.T) {
	procs := startDev(t, 3, "--timeout", callDeadline.String())
	urls := devURLs(procs)
	const uuid = "a7f4fea2-b5f4-4d64-9705-45b3629a8145"
	ok := func(i int) partyCall { return partyCall{data: []any{1.0}, myself: i} }
	cases := []struct {
		name  string
		calls []partyCall
		fault int           // the party at fault
		bound time.Duration // every party answers within
		self  []string      // the faulty party's own error contains
		want  []string      // the healthy parties' errors contain
	}{
		{"a party never joins", []partyCall{ok(0), ok(1), {skip: true}}, 2, callDeadline + callMargin,
			nil, []string{"did not make the call"}},
		{"a wrong myself", []partyCall{ok(0), {data: 1.0, myself: 0}, ok(2)}, 1, atOnce,
			[]string{"myself"}, []string{"refused the call", "myself"}},
		{"bad input at one party", []partyCall{ok(0), ok(1), {data: []any{1.0, "patient-4711"}, myself: 2}}, 2, atOnce,
			[]string{"data[1]"}, []string{"refused the call", "input"}},
		{"an unknown microprotocol at one party", []partyCall{{microprotocol: "SecureSumm", data: 1.0, myself: 0}, ok(1), ok(2)}, 0, atOnce,
			[]string{"SecureSumm"}, []string{"refused the call", `no microprotocol "SecureSumm"`}},
		{"a party starts after the deadline", []partyCall{ok(0), ok(1), {data: 1.0, myself: 2, delay: callDeadline + callMargin/2}}, 2, callDeadline + callMargin,
			nil, []string{"did not make the call"}},
	}
	for _, tc := range cases {
		got := round(urls, uuid, tc.calls)
		for i, o := range got {
			if tc.calls[i].skip {
				continue
			}
			if i == tc.fault {
				if tc.calls[i].delay > 0 {
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
			if o.status < 400 || o.took > tc.bound {
				t.Errorf("%s: party %d got %d %q after %v, want an error within %v", tc.name, i, o.status, o.msg, o.took, tc.bound)
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
		if tc.calls[tc.fault].delay > 0 {
			time.Sleep(callDeadline) // the late party's call ends at its own deadline
		}
		goodRound(t, urls, uuid, tc.name)
	}
}

// TestLatePartyWithinDeadlineJoins: a party whose client calls late, but
// within the deadline, joins the call; so does one whose node starts late.
func TestLatePartyWithinDeadlineJoins(t *testing.T) {
	procs := startDev(t, 3, "--timeout", "4s")
	urls := devURLs(procs)
	calls := []partyCall{{data: 1.0, myself: 0}, {data: 2.0, myself: 1}, {data: 3.0, myself: 2, delay: time.Second}}
	for i, o := range round(urls, "late", calls) {
		if o.status != 200 || o.sum != 6 {
			t.Fatalf("client late by 1 s: party %d got %d %q", i, o.status, o.msg)
		}
	}
	// Node 2 stops; the others call; it starts again within the deadline
	// on the same port and its client calls.
	port := strings.TrimPrefix(urls[2], "http://127.0.0.1:")
	if err := procs[2].Stop(); err != nil {
		t.Fatal(err)
	}
	done := make(chan []outcome)
	go func() { done <- round(urls, "late", calls[:2:2]) }()
	time.Sleep(500 * time.Millisecond)
	restarted, err := fedrun.Start(nodeBin, urls[2], urls[2], filepath.Join(t.TempDir(), "restarted.log"), "--port", port, "--timeout", "4s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = restarted.Stop() })
	last := pyCompute(urls[2], "SecureSum", 3.0, map[string]any{"nodes": urls, "uuid": "late", "myself": 2})
	for i, o := range append(<-done, last) {
		if o.status != 200 || o.sum != 6 {
			t.Fatalf("node started late: party %d got %d %q", i, o.status, o.msg)
		}
	}
}

// TestNodeRestartMidStudy: a member killed between calls, or while the
// others wait for it, and started again: the others fail within the
// deadline plus the margin, naming it, and the next call succeeds. With
// per-node call counters the restarted node would count from one again.
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
	done := make(chan []outcome)
	go func() { done <- round(urls, uuid, []partyCall{{data: 1.0, myself: 0}, {data: 1.0, myself: 1}}) }()
	time.Sleep(300 * time.Millisecond)
	second.Kill()
	for i, o := range <-done {
		if o.status < 400 || o.took > callDeadline+callMargin || !strings.Contains(o.msg, urls[2]) {
			t.Errorf("killed while awaited: party %d got %d %q after %v, want an error naming %s within %v", i, o.status, o.msg, o.took, urls[2], callDeadline+callMargin)
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
	done := make(chan []outcome)
	go func() {
		done <- round(urls, uuid, []partyCall{{data: 1.0, myself: 0}, {data: 2.0, myself: 1}, {data: 3.0, myself: 2, delay: 700 * time.Millisecond}})
	}()
	time.Sleep(200 * time.Millisecond)
	y := pyCompute(urls[0], "StatisticsUnivariate", []any{5.0, 6.0}, map[string]any{"nodes": urls, "uuid": uuid, "myself": 0})
	if y.status != 409 || y.took > atOnce || !strings.Contains(y.msg, "one study at a time") {
		t.Errorf("second study: got %d %q after %v, want a 409 at once saying one study at a time", y.status, y.msg, y.took)
	}
	for i, o := range <-done {
		if o.status != 200 || o.sum != 6 {
			t.Errorf("study X: party %d got %d %q", i, o.status, o.msg)
		}
	}
	// Different orders: party 1 makes its second call first.
	got := round(urls, uuid, []partyCall{
		{data: 1.0, myself: 0},
		{microprotocol: "StatisticsUnivariate", data: []any{1.0, 2.0}, myself: 1},
		{data: 1.0, myself: 2},
	})
	// A party that finds the other call says so to the rest, whose calls
	// end at once; one whose client calls after that waits for its
	// deadline (the word could be from an earlier call): never longer.
	named := 0
	for i, o := range got {
		if o.status != 502 || o.took > 3*time.Second+callMargin {
			t.Errorf("different orders: party %d got %d %q after %v, want a 502 within the deadline", i, o.status, o.msg, o.took)
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
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "PATCH", urls[0]+"/representation/"+fn["uuid"].(string), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the call answered %d before the others joined", resp.StatusCode)
	}
	var last map[string]any
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if entries := readAudit(t, fed, fed.Dir, "hospital-a"); len(entries) > 0 {
			last = entries[len(entries)-1]
			break
		}
	}
	if last == nil || last["outcome"] != "cancelled" {
		t.Fatalf("audit of the cancelled call: %v, want outcome cancelled", last)
	}
	if msg, _ := last["error"].(string); strings.Contains(msg, "hospital-b") || strings.Contains(msg, "hospital-c") || strings.Contains(msg, "could not be reached") {
		t.Errorf("audit of the cancelled call blames a member: %q", msg)
	}
	for i, o := range round(urls, uuid, []partyCall{{data: 1.0, myself: 0}, {data: 2.0, myself: 1}, {data: 3.0, myself: 2}}) {
		if o.status != 200 || o.sum != 6 {
			t.Fatalf("after a cancelled call: party %d got %d %q", i, o.status, o.msg)
		}
	}
}
