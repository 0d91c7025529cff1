package node_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc"
)

// TestHugeInputIsNotEchoed sends names of 10 MB where a column, a table
// and a microprotocol belong: each gets a short error, the node's memory
// stays bounded, and other clients are still served.
func TestHugeInputIsNotEchoed(t *testing.T) {
	fed := startFederation(t, nil)
	a := fed.Nodes[0]
	_, compute := secIDs(t, a.URL)
	huge := strings.Repeat("x", 10<<20)
	before := a.RSSMB()
	for _, kw := range []map[string]any{
		{"microprotocol": "SecureSum", "dataset": map[string]any{"table": "patients", "column": huge}},
		{"microprotocol": "SecureSum", "dataset": map[string]any{"table": huge, "column": "age"}},
		{"microprotocol": huge, "dataset": map[string]any{"table": "patients", "column": "age"}},
		{"microprotocol": "SecureSum", "dataset": map[string]any{"table": "patients", "column": "age", "where": huge + " > 3"}},
	} {
		ans := secCall(t, http.MethodPatch, a.URL+"/representation/"+compute, secKwargs(t, kw))
		if ans.status < 400 || ans.status >= 500 && ans.status != http.StatusNotImplemented {
			t.Errorf("a 10 MB name: %d, want a 4xx", ans.status)
		}
		if len(ans.body) > 4096 {
			t.Errorf("a 10 MB name: a %d-byte error body (%.100s…), want at most 4 KB", len(ans.body), ans.body)
		}
	}
	after := a.RSSMB()
	t.Logf("RSS %.1f MB before, %.1f MB after four 10 MB names", before, after)
	if after > before+120 {
		t.Errorf("RSS grew from %.1f MB to %.1f MB on four 10 MB names, want at most +120 MB", before, after)
	}
	secExpectFedCount(t, fed, pooled(t).Rows)
}

// TestSlowBodyIsCut trickles a request body one byte a second: the node
// must drop the connection once mpc.BodyDeadline has passed, and serve
// other clients meanwhile.
func TestSlowBodyIsCut(t *testing.T) {
	t.Parallel()
	nodes := startDev(t, 2)
	addr := strings.TrimPrefix(nodes[0].URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /representations HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", addr)
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		io.Copy(io.Discard, conn) // returns when the node closes the connection
		closed <- time.Since(start)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	limit := mpc.BodyDeadline + 5*time.Second
	for served := false; ; {
		select {
		case took := <-closed:
			if took < mpc.BodyDeadline-time.Second {
				t.Errorf("the connection ended after %v, before the body deadline %v", took, mpc.BodyDeadline)
			}
			if !served {
				t.Errorf("no other client was served while the body trickled")
			}
			t.Logf("a trickled body was cut after %v", took)
			return
		case <-tick.C:
			if time.Since(start) > limit {
				t.Fatalf("a trickled body still holds its connection after %v", limit)
			}
			conn.Write([]byte(" "))
			if !served {
				secExpectDevSum(t, nodes)
				served = true
			}
		}
	}
}

// TestShapeCapsBeforeWork sends small requests of hostile shape (a
// regression 16,000 columns wide, all one name; rows 1,001 numbers wide;
// 100,000 histogram edges; 200,000 distinct categories): each is refused
// with a 400 that names the cap, the node's memory stays bounded, and the
// federation still answers.
func TestShapeCapsBeforeWork(t *testing.T) {
	fed := startFederation(t, nil)
	a := fed.Nodes[0]
	_, compute := secIDs(t, a.URL)
	repeated := make([]any, 16000)
	for i := range repeated {
		repeated[i] = "age"
	}
	wide := make([]any, 3)
	for i := range wide {
		row := make([]any, 1001)
		for j := range row {
			row[j] = float64(i*j%7) + 0.5
		}
		wide[i] = row
	}
	edges := make([]any, 100_000)
	for i := range edges {
		edges[i] = float64(i)
	}
	labels := make([]any, 200_000)
	for i := range labels {
		labels[i] = fmt.Sprintf("L%d", i)
	}
	network := map[string]any{"nodes": fed.URLs(), "uuid": secUUID(t), "myself": 0}
	cases := []struct {
		name string
		kw   map[string]any
		want string
	}{
		{"16,000 repeated columns", map[string]any{"microprotocol": "Regression", "dataset": map[string]any{"table": "patients", "columns": repeated}}, "at most 101"},
		{"a column named twice", map[string]any{"microprotocol": "Regression", "dataset": map[string]any{"table": "patients", "columns": []any{"age", "bmi", "age"}}}, "named twice"},
		{"rows 1,001 wide", map[string]any{"microprotocol": "Regression", "data": wide, "network": network}, "at most 100 regressors"},
		{"100,000 edges", map[string]any{"microprotocol": "Histogram", "dataset": map[string]any{"table": "patients", "column": "age"}, "parameters": map[string]any{"edges": edges}}, "at most 10001"},
		{"200,000 categories", map[string]any{"microprotocol": "StatisticsFrequency", "data": labels, "network": network}, "distinct categories"},
	}
	before := a.RSSMB()
	for _, tc := range cases {
		ans := secCall(t, http.MethodPatch, a.URL+"/representation/"+compute, secKwargs(t, tc.kw))
		if ans.status != http.StatusBadRequest || !strings.Contains(string(ans.body), tc.want) {
			t.Errorf("%s: %d %.300s, want a 400 saying %q", tc.name, ans.status, ans.body, tc.want)
		}
	}
	after := a.RSSMB()
	t.Logf("RSS %.1f MB before, %.1f MB after the hostile shapes", before, after)
	if after > before+150 {
		t.Errorf("RSS grew from %.1f MB to %.1f MB, want at most +150 MB", before, after)
	}
	secExpectFedCount(t, fed, pooled(t).Rows)
}

// TestStoreQuotaPerAnalyst fills one analyst's share of a node's store
// (bytes of uploads, then the number of objects): that analyst gets a 429
// naming the quota, the node's memory stays bounded, and another analyst
// still uploads and computes.
func TestStoreQuotaPerAnalyst(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("alice token-of-alice-0123456789\nbob token-of-bob-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fed := startFederation(t, func(file, text string) string {
		if file == "hospital-a.toml" {
			return strings.Replace(text, "[policy]\n", "[policy]\nanalysts = [\"token-file:"+tokens+"\"]\n", 1)
		}
		return text
	})
	a := fed.Nodes[0]
	upload := func(who string, body []byte) secAnswer {
		return secCall(t, http.MethodPut, a.URL+"/representations", body, "Authorization", "Bearer token-of-"+who+"-0123456789")
	}
	big, _ := json.Marshal(map[string]any{"args": []any{strings.Repeat("x", 12<<20)}, "kwargs": map[string]any{}})
	before := a.RSSMB()
	for i, want := range []int{200, 200, 429} {
		if got := upload("alice", big); got.status != want {
			t.Fatalf("alice's upload %d of 12 MB: %d %.200s, want %d", i+1, got.status, got.body, want)
		} else if want == 429 && !strings.Contains(string(got.body), "MiB an analyst") {
			t.Errorf("alice over her byte quota: %s", got.body)
		}
	}
	small := []byte(`{"args":[1.5],"kwargs":{}}`)
	over := 0
	for range 1000 {
		if upload("alice", small).status == http.StatusTooManyRequests {
			over++
		}
	}
	if over != 2 { // 2 large + 998 small fill her 1,000 objects
		t.Errorf("alice's 1,000 small uploads after two large ones: %d refused, want 2", over)
	}
	after := a.RSSMB()
	t.Logf("RSS %.1f MB before, %.1f MB after alice's uploads", before, after)
	if after > before+200 {
		t.Errorf("RSS grew from %.1f to %.1f MB, want at most +200 MB", before, after)
	}
	if got := upload("bob", small); got.status != http.StatusOK {
		t.Errorf("bob's upload while alice is over quota: %d %s", got.status, got.body)
	}
	_, compute := secIDs(t, a.URL)
	kw := secKwargs(t, map[string]any{"microprotocol": "Count", "dataset": map[string]any{"table": "patients"}})
	if got := secCall(t, http.MethodPatch, a.URL+"/representation/"+compute, kw, "Authorization", "Bearer token-of-bob-0123456789"); got.status != http.StatusOK {
		t.Errorf("bob's count while alice is over quota: %d %s", got.status, got.body)
	}
	if got := secCall(t, http.MethodPatch, a.URL+"/representation/"+compute, kw, "Authorization", "Bearer token-of-alice-0123456789"); got.status != http.StatusTooManyRequests {
		t.Errorf("alice's count with a full share: %d %s, want 429 before the computation", got.status, got.body)
	}
}
