package node_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// Sums are compared within 1e-9 relative (or 1e-6 absolute near zero):
// each site's sum is a compensated float64 sum, carried at 2^-32 precision.
func closeTo(got, want float64) bool {
	return math.Abs(got-want) <= math.Max(1e-9*math.Abs(want), 1e-6)
}

func plainRows(t *testing.T, tab *stats.Table, where string) []bool {
	t.Helper()
	if where == "" {
		return nil
	}
	f, err := stats.ParseFilter(where)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.Rows(tab)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestDatasetSumAndCountEqualPlaintext(t *testing.T) {
	fed := startFederation(t, nil)
	all := pooled(t)
	ctx := context.Background()
	cases := []struct {
		mp, column, where string
	}{
		{"Count", "", ""},
		{"Count", "bmi", ""},
		{"Count", "", "sex == 'F'"},
		{"Count", "", "age >= 65 and (response == 'CR' or response == 'PR')"},
		{"Count", "", "not (toxicity == 1) and bmi < 25"},
		{"SecureSum", "age", ""},
		{"SecureSum", "bmi", ""},
		{"SecureSum", "dose", "sex == 'M' and age < 50"},
		{"SecureSum", "survival_months", "event == 1"},
		{"SecureSum", "age", "age > 1000"}, // empty cohort everywhere: 0
	}
	// Every member can lead: ask each node in turn.
	for i, p := range fed.Nodes {
		c := client.New(p.URL)
		for _, tc := range cases {
			name := fmt.Sprintf("%s/%s(%s)/where=%q", p.Name, tc.mp, tc.column, tc.where)
			res, err := c.Compute(ctx, client.Request{Microprotocol: tc.mp, Dataset: &client.Dataset{Table: "patients", Column: tc.column, Where: tc.where}})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if res.Inputs != 3 {
				t.Errorf("%s: inputs = %d, want 3", name, res.Inputs)
			}
			rows := plainRows(t, all, tc.where)
			switch tc.mp {
			case "Count":
				want := stats.CountRows(rows, all.Rows)
				if tc.column != "" {
					col, _ := all.Column(tc.column)
					want = stats.CountValues(col, rows)
				}
				if got := res.Result["count"]; got != float64(want) {
					t.Errorf("%s: count = %v, want %d", name, got, want)
				}
			case "SecureSum":
				col, _ := all.NumericColumn(tc.column)
				want, _ := stats.Sum(col, rows)
				if got, _ := res.Result["sum"].(float64); !closeTo(got, want) {
					t.Errorf("%s: sum = %.10g, want %.10g", name, got, want)
				}
			}
		}
		if i == 0 && t.Failed() {
			return
		}
	}
}

// fscCall makes one HTTP call exactly as the FSC clients do: a JSON body
// on every verb, GET and DELETE included.
func fscCall(t *testing.T, method, url string, body any) map[string]any {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Errorf("%s %s: %d %s", method, url, resp.StatusCode, raw)
		return nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Errorf("%s %s: %v", method, url, err)
	}
	return out
}

// seedExample runs the seed's example at one party:
// Api(url).create(protocol="SIMON").compute(microprotocol=..., data=..., network=...)
// then download, as the FSC Python client sends it.
func seedExample(t *testing.T, url, microprotocol string, data any, network map[string]any) map[string]any {
	svc := fscCall(t, "POST", url+"/representations", map[string]any{"args": []any{}, "kwargs": map[string]any{"protocol": "SIMON"}})
	if svc == nil || svc["type"] != "uuid" {
		t.Errorf("create: %v", svc)
		return nil
	}
	fn := fscCall(t, "GET", url+"/representation/"+svc["uuid"].(string)+"/compute", map[string]any{})
	if fn == nil || fn["type"] != "uuid" {
		t.Errorf("attribute: %v", fn)
		return nil
	}
	res := fscCall(t, "PATCH", url+"/representation/"+fn["uuid"].(string), map[string]any{"args": []any{},
		"kwargs": map[string]any{"microprotocol": microprotocol, "data": data, "network": network}})
	if res == nil || res["type"] != "uuid" {
		t.Errorf("call: %v", res)
		return nil
	}
	dl := fscCall(t, "GET", url+"/representation/"+res["uuid"].(string), map[string]any{})
	if dl == nil || dl["type"] != "object" {
		t.Errorf("download: %v", dl)
		return nil
	}
	return dl["object"].(map[string]any)
}

// runSeed runs microprotocol with every party's data at once, each party
// through its own node, and returns every party's downloaded answer.
func runSeed(t *testing.T, urls []string, uuid, microprotocol string, data []any) []map[string]any {
	out := make([]map[string]any, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = seedExample(t, u, microprotocol, data[i], map[string]any{"nodes": urls, "uuid": uuid, "myself": i})
		}()
	}
	wg.Wait()
	return out
}

func TestSeedExampleOnDevNodes(t *testing.T) {
	procs := startDev(t, 3)
	urls := []string{procs[0].URL, procs[1].URL, procs[2].URL}
	urls[1] = strings.Replace(urls[1], "127.0.0.1", "localhost", 1) // either spelling names the node
	// Twice on one network uuid: calls match by uuid plus sequence.
	for call, data := range [][]any{{1.0, 2.0, 3.0}, {[]any{10.0, 20.0}, []any{-0.5}, []any{}}} {
		want := map[int]float64{0: 6, 1: 29.5}[call]
		for i, ans := range runSeed(t, urls, "a7f4fea2-b5f4-4d64-9705-45b3629a8145", "SecureSum", data) {
			if ans == nil {
				t.Fatalf("call %d party %d: no answer", call, i)
			}
			res := ans["result"].(map[string]any)
			if ans["inputs"] != 3.0 || res["sum"] != want {
				t.Fatalf("call %d party %d: %v, want inputs 3 and sum %v", call, i, ans, want)
			}
		}
	}
}

func TestSeedExampleOnFederation(t *testing.T) {
	fed := startFederation(t, nil)
	for i, ans := range runSeed(t, fed.URLs(), "study-1", "Count", []any{[]any{"x", "y"}, []any{1.0}, []any{}}) {
		if ans == nil || ans["result"].(map[string]any)["count"] != 3.0 {
			t.Fatalf("party %d: %v, want count 3", i, ans)
		}
	}
}

// TestReferenceVectors checks fsc-node's answers against the FSC reference
// implementation's own answers (testdata/simon_reference.json): every
// vector runs, and a microprotocol of the reference that the node does not
// offer fails the test.
func TestReferenceVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/simon_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			Microprotocol string         `json:"microprotocol"`
			Parties       int            `json:"parties"`
			Data          []any          `json:"data"`
			Answer        map[string]any `json:"answer"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	procs := startDev(t, 3)
	info, err := client.New(procs[0].URL).Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	offered := map[string]bool{}
	for _, m := range info.Microprotocols {
		offered[m] = true
	}
	ran := 0
	for k, v := range file.Vectors {
		if !offered[v.Microprotocol] {
			t.Errorf("vector %d: the node does not offer the reference's %s", k, v.Microprotocol)
			continue
		}
		ran++
		var urls []string
		for _, p := range procs[:v.Parties] {
			urls = append(urls, p.URL)
		}
		for i, ans := range runSeed(t, urls, fmt.Sprintf("vector-%d", k), v.Microprotocol, v.Data) {
			if !sameAnswer(ans, v.Answer) {
				t.Errorf("vector %d (%s) party %d: got %v, want %v", k, v.Microprotocol, i, ans, v.Answer)
			}
		}
	}
	if ran == 0 {
		t.Fatal("no reference vector ran")
	}
}

// sameAnswer compares JSON answers, floats within 1e-9 relative.
func sameAnswer(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k := range w {
			if !sameAnswer(g[k], w[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameAnswer(g[i], w[i]) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

func readAudit(t *testing.T, fed interface{ URLs() []string }, dir, node string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, ".local", node+"-audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s audit log: %v in %q", node, err, sc.Text())
		}
		out = append(out, e)
	}
	return out
}

// awaitAudit waits until each node's audit log holds at least n lines:
// members write theirs as they finish, after the leader has answered.
func awaitAudit(t *testing.T, dir string, n int, nodes ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, node := range nodes {
		for {
			raw, _ := os.ReadFile(filepath.Join(dir, ".local", node+"-audit.jsonl"))
			if bytes.Count(raw, []byte("\n")) >= n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: fewer than %d audit lines after 30 s", node, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// finalAudit stops the i-th node of fed and returns its audit log, then
// complete: a stopped node writes no more. A member may never hear of a
// query (another member's refusal cancels the leader's ask before it
// arrives), or hear of it late; once the member has stopped, its log
// says which, where a wait for a line that may never come could not.
// The node must stop cleanly: one killed at the stop bound may have lost
// the line of a query it was still serving.
func finalAudit(t *testing.T, fed *fedrun.Federation, i int) []map[string]any {
	t.Helper()
	if err := fed.Nodes[i].Stop(); err != nil {
		t.Fatalf("stopping %s: %v", fed.Nodes[i].Name, err)
	}
	return auditOf(t, fed.Dir, fed.Nodes[i].Name)
}

func TestMinCellRefusalReleasesNothing(t *testing.T) {
	fed := startFederation(t, nil)
	c := client.New(fed.Nodes[0].URL)
	// hospital-b holds 3 patients aged 94 or more: it must refuse, and
	// the refusal must not say which member (that would tell its count).
	_, err := c.Compute(context.Background(), client.Request{Microprotocol: "SecureSum",
		Dataset: &client.Dataset{Table: "patients", Column: "age", Where: "age >= 94"}})
	var ce *client.Error
	if !errors.As(err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "policy min_cell=5") || strings.Contains(ce.Message, "hospital") {
		t.Fatalf("got %v, want a 403 for min_cell that names no hospital", err)
	}
	awaitAudit(t, fed.Dir, 1, "hospital-a", "hospital-b") // the leader, and the member that refused
	// A cohort below min_cell at hospital-c, and empty at hospital-b, which
	// was asked about 3 rows above: whichever member's refusal comes first
	// (min_cell at c, the release memory at b), it names no hospital.
	_, err = c.Compute(context.Background(), client.Request{Microprotocol: "Count",
		Dataset: &client.Dataset{Table: "patients", Where: "age >= 95"}})
	if !errors.As(err, &ce) || !ce.Refused() || !strings.Contains(ce.Message, "policy min_cell=5") && !strings.Contains(ce.Message, "release memory") || strings.Contains(ce.Message, "hospital") {
		t.Fatalf("got %v, want a 403 that names no hospital", err)
	}
	// No node's audit says that either query released anything. hospital-c
	// has no line of the first query when b's refusal overtook the ask.
	for i := range fed.Nodes {
		for _, e := range finalAudit(t, fed, i) {
			if e["released"] != nil || e["outcome"] == "released" || e["outcome"] == "contributed" {
				t.Errorf("%s: audit says something was released: %v", fed.Nodes[i].Name, e)
			}
		}
	}
}

// TestPolicyRulesNamed: refusals that depend on no data name the member.
// A member that asks its owner (hospital-b, auto_join = false) does not
// ask about a query another member refuses: the refusal ends its wait at
// once, and its owner's list is empty again.
func TestPolicyRulesNamed(t *testing.T) {
	fed := startFederation(t, func(file, text string) string {
		switch file {
		case "hospital-b.toml":
			return setKey(text, "auto_join", "false")
		case "hospital-c.toml":
			return strings.Replace(text, "[policy]", "[policy]\nmicroprotocols = [\"Count\"]", 1)
		}
		return text
	})
	// Had the refusal not ended the query, it would wait for hospital-b's
	// owner (10 minutes) and end with this deadline instead.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := client.New(fed.Nodes[0].URL).Compute(ctx, client.Request{Microprotocol: "SecureSum",
		Dataset: &client.Dataset{Table: "patients", Column: "age"}})
	if err == nil || !strings.Contains(err.Error(), "hospital-c refused: policy microprotocols") || strings.Contains(err.Error(), "hospital-b") {
		t.Errorf("got %v, want hospital-c's microprotocols refusal only", err)
	}
	owner := ownerOf(t, fed, "hospital-b")
	waitPending(t, owner, 0)
	// hospital-c itself refuses SecureSum for its own analysts too.
	_, err = client.New(fed.Nodes[2].URL).Compute(context.Background(), client.Request{Microprotocol: "SecureSum",
		Data: []float64{1}, Network: &client.Network{Nodes: fed.URLs(), UUID: "u", Myself: 2}})
	if err == nil || !strings.Contains(err.Error(), "policy microprotocols") {
		t.Errorf("got %v, want a microprotocols refusal", err)
	}
	// hospital-b's line, written once the query has left its list, says
	// cancelled. It has none when the refusal cancelled the ask before the
	// ask reached it: then it never heard of the query.
	lines := finalAudit(t, fed, 1)
	if len(lines) > 1 {
		t.Errorf("hospital-b audit: %v, want one line at most", lines)
	}
	for _, e := range lines {
		if e["outcome"] != "cancelled" {
			t.Errorf("hospital-b audit of a query another member refused: %v, want cancelled", e)
		}
	}
}

func TestAuditLogRecordsWhoWhatAndRelease(t *testing.T) {
	fed := startFederation(t, nil)
	res, err := client.New(fed.Nodes[1].URL).Compute(context.Background(), client.Request{Microprotocol: "SecureSum",
		Dataset: &client.Dataset{Table: "patients", Column: "age", Where: "sex == 'F'"}})
	if err != nil {
		t.Fatal(err)
	}
	awaitAudit(t, fed.Dir, 1, "hospital-a", "hospital-b", "hospital-c")
	lead := readAudit(t, fed, fed.Dir, "hospital-b")
	if len(lead) != 1 || lead[0]["role"] != "leader" || lead[0]["outcome"] != "released" || lead[0]["requester"] != "loopback" {
		t.Fatalf("leader audit: %v", lead)
	}
	rel := lead[0]["released"].(map[string]any)["result"].(map[string]any)["sum"]
	if rel != res.Result["sum"] {
		t.Errorf("leader audit released %v, client got %v", rel, res.Result["sum"])
	}
	for _, node := range []string{"hospital-a", "hospital-c"} {
		e := readAudit(t, fed, fed.Dir, node)
		if len(e) != 1 || e[0]["role"] != "member" || e[0]["outcome"] != "contributed" || e[0]["released"] != nil {
			t.Fatalf("%s audit: %v", node, e)
		}
		if d := e[0]["dataset"].(map[string]any); d["where"] != "sex == 'F'" || d["column"] != "age" {
			t.Errorf("%s audit dataset: %v", node, d)
		}
	}
}

func TestResultsAreFreedAfterDownload(t *testing.T) {
	procs := startDev(t, 2)
	urls := []string{procs[0].URL, procs[1].URL}
	var ids [2]string
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client.New(u)
			svc, _ := c.Create(context.Background(), map[string]any{"protocol": "Simon"})
			fn, _ := c.Attribute(context.Background(), svc, "compute")
			ids[i], _ = c.Call(context.Background(), fn, map[string]any{"microprotocol": "SecureSum", "data": 1,
				"network": map[string]any{"nodes": urls, "uuid": "free", "myself": i}})
		}()
	}
	wg.Wait()
	c := client.New(urls[0])
	var res client.Result
	if err := c.Download(context.Background(), ids[0], &res); err != nil || res.Result["sum"] != 2.0 {
		t.Fatalf("first download: %v %v", res, err)
	}
	err := c.Download(context.Background(), ids[0], &res)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 404 {
		t.Fatalf("second download: %v, want 404", err)
	}
}
