package node_test

// Security and robustness tests of fsc-node, run against real node
// processes: bad input on the REST API, parties that disagree, peers that
// are not members or misbehave, peers that die mid-computation, the
// attribute probe of the reference server's open object graph, and CORS.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/mpc/node"
)

// secAnswer is one raw HTTP answer of a node.
type secAnswer struct {
	status  int
	header  http.Header
	body    []byte
	code    int    // "code" of an error body
	message string // "message" of an error body
}

var secHTTP = &http.Client{Timeout: 60 * time.Second}

// secCall sends body (nil for none) with method to url and reads the whole
// answer. headers are extra request headers, as name, value pairs.
func secCall(t testing.TB, method, url string, body []byte, headers ...string) secAnswer {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1] // net/http sends req.Host, not a Host header
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := secHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, url, err)
	}
	a := secAnswer{status: resp.StatusCode, header: resp.Header, body: data}
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &e) == nil {
		a.code, a.message = e.Code, e.Message
	}
	return a
}

// secExpectError checks an error answer: its status, the FSC error body
// {"code":status,"message":...} and that the message holds every want
// (compared ignoring case).
func secExpectError(t testing.TB, what string, a secAnswer, status int, wants ...string) {
	t.Helper()
	if a.status != status {
		t.Errorf("%s: status %d, want %d; body %.300s", what, a.status, status, a.body)
		return
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var e map[string]any
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Errorf("%s: error body is not JSON: %v: %.300s", what, err, a.body)
		return
	}
	if len(e) != 2 || e["code"] != float64(status) || a.message == "" {
		t.Errorf("%s: error body %s, want exactly {\"code\":%d,\"message\":\"...\"}", what, a.body, status)
	}
	for _, w := range wants {
		if !strings.Contains(strings.ToLower(a.message), strings.ToLower(w)) {
			t.Errorf("%s: message %q does not mention %q", what, a.message, w)
		}
	}
	if got := a.header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("%s: Access-Control-Allow-Origin %q on an error answer, want *", what, got)
	}
}

// secIDs returns the service and compute uuids of a node, found the FSC
// way (create, then attribute compute).
func secIDs(t testing.TB, url string) (service, compute string) {
	t.Helper()
	a := secCall(t, http.MethodPost, url+"/representations", []byte(`{"args":[],"kwargs":{"protocol":"SIMON"}}`))
	service = secUUIDIn(t, "create", a)
	compute = secUUIDIn(t, "attribute compute", secCall(t, http.MethodGet, url+"/representation/"+service+"/compute", []byte(`{}`)))
	return service, compute
}

func secUUIDIn(t testing.TB, what string, a secAnswer) string {
	t.Helper()
	var out struct {
		Type string `json:"type"`
		UUID string `json:"uuid"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &out) != nil || out.Type != "uuid" || out.UUID == "" {
		t.Fatalf("%s: %d %s, want a uuid answer", what, a.status, a.body)
	}
	return out.UUID
}

// secKwargs returns the FSC body {"args":[],"kwargs":kw} as JSON.
func secKwargs(t testing.TB, kw map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"args": []any{}, "kwargs": kw})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var secUUIDSeq struct {
	sync.Mutex
	n int
}

// secUUID returns a network uuid no other computation of this test
// binary uses.
func secUUID(t testing.TB) string {
	secUUIDSeq.Lock()
	defer secUUIDSeq.Unlock()
	secUUIDSeq.n++
	return fmt.Sprintf("%s-%d-%d", strings.ReplaceAll(t.Name(), "/", "."), time.Now().UnixNano(), secUUIDSeq.n)
}

func secURLs(procs []*fedrun.Proc) []string {
	out := make([]string, len(procs))
	for i, p := range procs {
		out[i] = p.URL
	}
	return out
}

// secComputeAll runs a client-supplied computation: party i calls its own node
// procs[i] with data[i] (no call when data[i] is nil), all at once, on a
// network of nodes. It returns each party's result and error.
func secComputeAll(ctx context.Context, procs []*fedrun.Proc, nodes []string, uuid, microprotocol string, data []any) ([]*client.Result, []error) {
	res := make([]*client.Result, len(procs))
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		if data[i] == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			me := -1
			for j, u := range nodes {
				if u == p.URL {
					me = j
				}
			}
			res[i], errs[i] = client.New(p.URL).Compute(ctx, client.Request{
				Microprotocol: microprotocol, Data: data[i],
				Network: &client.Network{Nodes: nodes, UUID: uuid, Myself: me},
			})
		}()
	}
	wg.Wait()
	return res, errs
}

// secExpectSum checks that every party that called got the secure sum want.
func secExpectSum(t testing.TB, what string, res []*client.Result, errs []error, data []any, want float64) {
	t.Helper()
	parties := 0
	for _, d := range data {
		if d != nil {
			parties++
		}
	}
	for i := range res {
		if data[i] == nil {
			continue
		}
		if errs[i] != nil {
			t.Errorf("%s: party %d: %v", what, i, errs[i])
			continue
		}
		got, ok := res[i].Result["sum"].(float64)
		if !ok || math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) || res[i].Inputs != parties {
			t.Errorf("%s: party %d got %+v, want sum %v from %d inputs", what, i, res[i], want, parties)
		}
	}
}

// secExpectHealthy checks that every node answers /healthz with 200.
func secExpectHealthy(t testing.TB, procs ...*fedrun.Proc) {
	t.Helper()
	for _, p := range procs {
		a := secCall(t, http.MethodGet, p.URL+"/healthz", nil)
		if a.status != http.StatusOK || !bytes.Contains(a.body, []byte(`"ok"`)) {
			t.Errorf("%s: /healthz answered %d %s", p.Name, a.status, a.body)
		}
	}
}

// secExpectDevSum checks that dev nodes are unharmed: healthy, and a 2-party
// secure sum among the first two still gives the right answer.
func secExpectDevSum(t testing.TB, procs []*fedrun.Proc) {
	t.Helper()
	secExpectHealthy(t, procs...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	data := []any{[]float64{1.25, 2}, 4.5}
	res, errs := secComputeAll(ctx, procs[:2], secURLs(procs[:2]), secUUID(t), "SecureSum", data)
	secExpectSum(t, "sum after the bad request", res, errs, data, 7.75)
}

// secExpectFedCount checks that a federation is unharmed: every node healthy,
// and a dataset-backed count from hospital-a gives the pooled row count.
func secExpectFedCount(t testing.TB, fed *fedrun.Federation, want int) {
	t.Helper()
	secExpectHealthy(t, fed.Nodes...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := client.New(fed.Nodes[0].URL).Compute(ctx, client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients"}})
	if err != nil {
		t.Errorf("count after the bad request: %v", err)
		return
	}
	if got, _ := res.Result["count"].(float64); int(got) != want || res.Inputs != len(fed.Nodes) {
		t.Errorf("count after the bad request: %+v, want count %d from %d inputs", res, want, len(fed.Nodes))
	}
}

// secBadCase is one bad request and the error it must get.
type secBadCase struct {
	name   string
	method string // default PATCH
	path   string // default /representation/{compute}
	body   string // raw body; used when kw is nil
	kw     map[string]any
	status int
	wants  []string
}

func secRunBadCases(t *testing.T, url string, cases []secBadCase, unharmed func(t *testing.T)) {
	_, compute := secIDs(t, url)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, path, body := c.method, c.path, []byte(c.body)
			if method == "" {
				method = http.MethodPatch
			}
			if path == "" {
				path = "/representation/" + compute
			}
			if c.kw != nil {
				body = secKwargs(t, c.kw)
			}
			a := secCall(t, method, url+strings.ReplaceAll(path, "{compute}", compute), body)
			secExpectError(t, method+" "+path, a, c.status, c.wants...)
			unharmed(t)
		})
	}
}

// TestBadInputDev sends bad requests to a development node: every one is a
// 4xx naming what is wrong, and the node keeps computing.
func TestBadInputDev(t *testing.T) {
	procs := startDev(t, 2, "--timeout", "3s")
	n0, n1 := procs[0].URL, procs[1].URL
	nodes := []any{n0, n1}
	net := func() map[string]any { return map[string]any{"nodes": nodes, "uuid": secUUID(t), "myself": 0} }
	sum := func(data any) map[string]any {
		return map[string]any{"microprotocol": "SecureSum", "data": data, "network": net()}
	}
	service, _ := secIDs(t, n0)
	validNet := `{"nodes":["` + n0 + `","` + n1 + `"],"uuid":"u-json","myself":0}`
	cases := []secBadCase{
		{name: "malformed JSON", body: `{"args": [], "kwargs": {"microprotocol": "SecureSum",`, status: 400, wants: []string{"malformed JSON"}},
		{name: "malformed JSON syntax", body: `{"args": [], "kwargs": {"microprotocol" "SecureSum"}}`, status: 400, wants: []string{"malformed JSON", "byte"}},
		{name: "trailing data", body: `{"args":[],"kwargs":{}} {}`, status: 400, wants: []string{"malformed JSON", "after the first JSON value"}},
		{name: "body a list", body: `[1, 2, 3]`, status: 400, wants: []string{"expected a JSON object", "a list"}},
		{name: "body a string", body: `"compute"`, status: 400, wants: []string{"expected a JSON object", "a string"}},
		{name: "args a number", body: `{"args": 5, "kwargs": {}}`, status: 400, wants: []string{"args", "expected a list", "a number"}},
		{name: "args a string", body: `{"args": "x", "kwargs": {}}`, status: 400, wants: []string{"args", "expected a list", "a string"}},
		{name: "args positional", body: `{"args": [1], "kwargs": {}}`, status: 400, wants: []string{"args", "named arguments only"}},
		{name: "kwargs a list", body: `{"args": [], "kwargs": [1, 2]}`, status: 400, wants: []string{"kwargs", "expected an object", "a list"}},
		{name: "kwargs a string", body: `{"args": [], "kwargs": "SecureSum"}`, status: 400, wants: []string{"kwargs", "expected an object", "a string"}},
		{name: "data a string", kw: sum("12"), status: 400, wants: []string{"data", "a string"}},
		{name: "data a list holding a string", kw: sum([]any{1, "2", 3}), status: 400, wants: []string{"data[1]", "a string"}},
		{name: "data a list holding a list", kw: sum([]any{1, []any{2}}), status: 400, wants: []string{"data[1]", "a list"}},
		{name: "data an object", kw: sum(map[string]any{"x": 1}), status: 400, wants: []string{"data", "an object"}},
		{name: "data null", kw: sum(nil), status: 400, wants: []string{"data", "null"}},
		{name: "data missing", kw: map[string]any{"microprotocol": "SecureSum", "network": net()}, status: 400, wants: []string{"missing data"}},
		{name: "NaN", body: `{"args":[],"kwargs":{"microprotocol":"SecureSum","data":[1,NaN],"network":` + validNet + `}}`, status: 400, wants: []string{"NaN"}},
		{name: "Infinity", body: `{"args":[],"kwargs":{"microprotocol":"SecureSum","data":Infinity,"network":` + validNet + `}}`, status: 400, wants: []string{"Infinity"}},
		{name: "minus Infinity", body: `{"args":[],"kwargs":{"microprotocol":"SecureSum","data":[-Infinity],"network":` + validNet + `}}`, status: 400, wants: []string{"Infinity"}},
		{name: "unknown microprotocol", kw: map[string]any{"microprotocol": "SecureProduct", "data": 1, "network": net()}, status: 501, wants: []string{`"SecureProduct"`, "SecureSum"}},
		{name: "microprotocol missing", kw: map[string]any{"data": 1, "network": net()}, status: 400, wants: []string{"microprotocol"}},
		{name: "microprotocol a number", kw: map[string]any{"microprotocol": 7, "data": 1, "network": net()}, status: 400, wants: []string{"microprotocol", "a number"}},
		{name: "unknown argument", kw: map[string]any{"microprotocol": "SecureSum", "data": 1, "network": net(), "secret": true}, status: 400, wants: []string{`"secret"`}},
		{name: "non-loopback node", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": []any{n0, "http://192.0.2.7:15501"}, "uuid": secUUID(t), "myself": 0}},
			status: 403, wants: []string{"network.nodes[1]", "192.0.2.7", "loopback"}},
		{name: "https loopback node", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": []any{n0, strings.Replace(n1, "http:", "https:", 1)}, "uuid": secUUID(t), "myself": 0}},
			status: 403, wants: []string{"network.nodes[1]", "loopback"}},
		{name: "network missing", kw: map[string]any{"microprotocol": "SecureSum", "data": 1}, status: 400, wants: []string{"network", "missing"}},
		{name: "network a list", kw: map[string]any{"microprotocol": "SecureSum", "data": 1, "network": []any{n0, n1}}, status: 400, wants: []string{"network", "a list"}},
		{name: "network one node", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": []any{n0}, "uuid": secUUID(t), "myself": 0}}, status: 400, wants: []string{"network.nodes", "at least two"}},
		{name: "network node not a string", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": []any{n0, 5}, "uuid": secUUID(t), "myself": 0}}, status: 400, wants: []string{"network.nodes[1]", "a number"}},
		{name: "network same node twice", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": []any{n0, strings.Replace(n0, "127.0.0.1", "localhost", 1)}, "uuid": secUUID(t), "myself": 0}},
			status: 400, wants: []string{"same node"}},
		{name: "myself out of range", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": nodes, "uuid": secUUID(t), "myself": 2}}, status: 400, wants: []string{"network.myself", "0 to 1"}},
		{name: "myself negative", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": nodes, "uuid": secUUID(t), "myself": -1}}, status: 400, wants: []string{"network.myself"}},
		{name: "myself fractional", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": nodes, "uuid": secUUID(t), "myself": 0.5}}, status: 400, wants: []string{"network.myself"}},
		{name: "myself another node", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": nodes, "uuid": secUUID(t), "myself": 1}}, status: 400, wants: []string{"network.myself=1", n1}},
		{name: "uuid missing", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": nodes, "myself": 0}}, status: 400, wants: []string{"network.uuid"}},
		{name: "uuid empty", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": nodes, "uuid": "", "myself": 0}}, status: 400, wants: []string{"network.uuid"}},
		{name: "uuid a number", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": nodes, "uuid": 42, "myself": 0}}, status: 400, wants: []string{"network.uuid", "a number"}},
		{name: "network unknown key", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": nodes, "uuid": secUUID(t), "myself": 0, "leader": 1}}, status: 400, wants: []string{`"leader"`}},
		{name: "both data and dataset", kw: map[string]any{"microprotocol": "SecureSum", "data": 1, "network": net(),
			"dataset": map[string]any{"table": "patients", "column": "age"}}, status: 400, wants: []string{"data", "dataset", "not both"}},
		{name: "dataset on a dev node", kw: map[string]any{"microprotocol": "Count", "dataset": map[string]any{"table": "patients"}},
			status: 400, wants: []string{"dataset", "development node"}},
		{name: "handle to the service as data", kw: map[string]any{"microprotocol": "SecureSum", "data": map[string]any{"representation_uuid": service}, "network": net()},
			status: 400, wants: []string{"data", "handle to a service"}},
		{name: "handle to an unknown uuid", kw: map[string]any{"microprotocol": "SecureSum", "data": map[string]any{"representation_uuid": "0000"}, "network": net()},
			status: 404, wants: []string{"data", "unknown uuid 0000"}},
		{name: "parameters a list", kw: map[string]any{"microprotocol": "SecureSum", "data": 1, "network": net(), "parameters": []any{1}},
			status: 400, wants: []string{"parameters", "a list"}},
		{name: "unknown uuid GET", method: http.MethodGet, path: "/representation/no-such-uuid", body: `{}`, status: 404, wants: []string{"unknown uuid no-such-uuid"}},
		{name: "unknown uuid PATCH", path: "/representation/no-such-uuid", kw: sum(1), status: 404, wants: []string{"unknown uuid no-such-uuid"}},
		{name: "unknown uuid DELETE", method: http.MethodDelete, path: "/representation/no-such-uuid", body: `{}`, status: 404, wants: []string{"unknown uuid no-such-uuid"}},
		{name: "unknown uuid attribute", method: http.MethodGet, path: "/representation/no-such-uuid/compute", body: `{}`, status: 404, wants: []string{"unknown uuid no-such-uuid"}},
		{name: "attribute other than compute", method: http.MethodGet, path: "/representation/" + service + "/get_task", body: `{}`, status: 404, wants: []string{`"get_task"`, "compute"}},
		{name: "attribute of compute", method: http.MethodGet, path: "/representation/{compute}/__class__", body: `{}`, status: 404, wants: []string{`"__class__"`}},
		{name: "calling the service", path: "/representation/" + service, kw: sum(1), status: 400, wants: []string{"service cannot be called", "compute"}},
		{name: "no such service", method: http.MethodPost, path: "/representations", body: `{"args":[],"kwargs":{"protocol":"Bob"}}`, status: 404, wants: []string{"no service matches"}},
		{name: "upload without object", method: http.MethodPut, path: "/representations", body: `{"args":[],"kwargs":{}}`, status: 400, wants: []string{"args", "exactly one"}},
		{name: "unknown endpoint", method: http.MethodGet, path: "/representation", body: `{}`, status: 404, wants: []string{"no such endpoint"}},
		{name: "method not allowed", method: http.MethodPost, path: "/healthz", body: `{}`, status: 405, wants: []string{"POST", "/healthz"}},
	}
	secRunBadCases(t, n0, cases, func(t *testing.T) { secExpectDevSum(t, procs) })

	t.Run("oversize body", func(t *testing.T) {
		var b bytes.Buffer
		b.WriteString(`{"args":[],"kwargs":{"microprotocol":"SecureSum","network":` + validNet + `,"data":[`)
		for b.Len() <= node.MaxRequestBody+1024 {
			b.WriteString("1234567.25,")
		}
		b.WriteString(`0]}}`)
		_, compute := secIDs(t, n0)
		a := secCall(t, http.MethodPatch, n0+"/representation/"+compute, b.Bytes())
		secExpectError(t, "33 MiB body", a, http.StatusRequestEntityTooLarge, "exceeds", fmt.Sprint(node.MaxRequestBody))
		secExpectDevSum(t, procs)
	})
}

// TestBadInputFederation sends bad requests to a federation member: every
// one is a 4xx naming what is wrong (and, for a dataset, the node), and the
// federation keeps computing.
func TestBadInputFederation(t *testing.T) {
	fed := startFederation(t, nil)
	a, b := fed.Nodes[0].URL, fed.Nodes[1].URL
	rows := pooled(t).Rows
	ds := func(kind string, ref map[string]any) map[string]any {
		return map[string]any{"microprotocol": kind, "dataset": ref}
	}
	cases := []secBadCase{
		{name: "non-member in network", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": []any{a, "http://127.0.0.1:1"}, "uuid": secUUID(t), "myself": 0}},
			status: 403, wants: []string{"network.nodes[1]", "http://127.0.0.1:1", "not a member", "nothing was sent"}},
		{name: "peer URL instead of api URL", kw: map[string]any{"microprotocol": "SecureSum", "data": 1,
			"network": map[string]any{"nodes": []any{a, secMember(t, fed, "hospital-b").Peer}, "uuid": secUUID(t), "myself": 0}},
			status: 403, wants: []string{"network.nodes[1]", "not a member"}},
		// A subset of the federation would let totals be differenced.
		{name: "network on a dataset call", kw: map[string]any{"microprotocol": "Count", "dataset": map[string]any{"table": "patients"},
			"network": map[string]any{"nodes": []any{a, b}, "uuid": secUUID(t), "myself": 0}},
			status: 400, wants: []string{"network", "whole federation"}},
		{name: "data a string", kw: map[string]any{"microprotocol": "SecureSum", "data": "many",
			"network": map[string]any{"nodes": []any{a, b}, "uuid": secUUID(t), "myself": 0}},
			status: 400, wants: []string{"data", "a string"}},
		{name: "unknown table", kw: ds("Count", map[string]any{"table": "patientz"}), status: 400, wants: []string{"hospital-a", `"patientz"`, "patients"}},
		{name: "table missing", kw: ds("Count", map[string]any{"column": "age"}), status: 400, wants: []string{"dataset.table"}},
		{name: "unknown column", kw: ds("SecureSum", map[string]any{"table": "patients", "column": "agee"}), status: 400, wants: []string{"hospital-a", `"agee"`}},
		{name: "unknown column in count", kw: ds("Count", map[string]any{"table": "patients", "column": "weight"}), status: 400, wants: []string{"hospital-a", `"weight"`}},
		{name: "categorical column summed", kw: ds("SecureSum", map[string]any{"table": "patients", "column": "sex"}), status: 400, wants: []string{"hospital-a", `"sex"`, "categorical"}},
		{name: "sum without column", kw: ds("SecureSum", map[string]any{"table": "patients"}), status: 400, wants: []string{"dataset.column"}},
		{name: "bad where syntax", kw: ds("Count", map[string]any{"table": "patients", "where": "age >= "}), status: 400, wants: []string{"hospital-a", "position"}},
		{name: "bad where operator", kw: ds("Count", map[string]any{"table": "patients", "where": "age => 50"}), status: 400, wants: []string{"hospital-a", "position"}},
		{name: "where unknown column", kw: ds("Count", map[string]any{"table": "patients", "where": "weight > 80"}), status: 400, wants: []string{"hospital-a", `"weight"`}},
		{name: "where string against number", kw: ds("Count", map[string]any{"table": "patients", "where": "age == 'old'"}), status: 400, wants: []string{"hospital-a", `"age"`, "numeric"}},
		{name: "dataset a string", kw: map[string]any{"microprotocol": "Count", "dataset": "patients"}, status: 400, wants: []string{"dataset", "a string"}},
		{name: "dataset null", kw: ds("Count", nil), status: 400, wants: []string{"dataset", "null"}},
		{name: "dataset table a number", kw: ds("Count", map[string]any{"table": 3}), status: 400, wants: []string{"dataset.table", "a number"}},
		{name: "dataset unknown key", kw: ds("Count", map[string]any{"table": "patients", "rows": "all"}), status: 400, wants: []string{`"rows"`}},
		{name: "dataset columns not a list", kw: ds("Count", map[string]any{"table": "patients", "columns": map[string]any{"age": 1}}), status: 400, wants: []string{"dataset.columns", "an object"}},
		{name: "unknown microprotocol", kw: ds("StatisticsUnivariat", map[string]any{"table": "patients", "column": "age"}), status: 501, wants: []string{`"StatisticsUnivariat"`}},
	}
	secRunBadCases(t, a, cases, func(t *testing.T) { secExpectFedCount(t, fed, rows) })
}

// secMember returns a federation member as the federation file in the
// federation's folder lists it.
func secMember(t testing.TB, fed *fedrun.Federation, name string) node.Member {
	t.Helper()
	cfg, err := node.LoadConfig(filepath.Join(fed.Dir, name+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cfg.Members {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("%s is not in the federation", name)
	return node.Member{}
}

// TestDisagree lets the parties of one network uuid call with different
// networks or microprotocols: nobody hangs, and every caller learns that
// the parties disagree (or which party failed it). When the parties call
// one after another, the disagreement is known as soon as the last one
// calls, and every party must be told then, not at its timeout: those
// cases run on nodes whose peer timeout (60 s) outlasts the test's own
// deadline (30 s), so a party told only at its timeout gets no answer.
func TestDisagree(t *testing.T) {
	const timeout = 3 * time.Second
	procs := startDev(t, 3, "--timeout", timeout.String())
	patient := startDev(t, 3, "--timeout", "60s")
	sum3 := [3]string{"SecureSum", "SecureSum", "SecureSum"}
	cases := []struct {
		name   string
		nodes  [3][]int  // each party's network
		mp     [3]string // each party's microprotocol
		order  [][]int   // parties calling at once, each group once the earlier ones' nodes wait for the rest
		prompt bool      // every party must be told once the last one calls
	}{
		{"party 2 leaves out party 1", [3][]int{{0, 1, 2}, {0, 1, 2}, {0, 2}}, sum3, [][]int{{0, 1, 2}}, false},
		{"party 2 lists the nodes in another order", [3][]int{{0, 1, 2}, {0, 1, 2}, {1, 0, 2}}, sum3, [][]int{{0, 1, 2}}, false},
		{"party 2 runs another microprotocol", [3][]int{{0, 1, 2}, {0, 1, 2}, {0, 1, 2}}, [3]string{"SecureSum", "SecureSum", "Count"}, [][]int{{0, 1, 2}}, false},
		{"party 2 leaves out party 1, calling after party 1 and before party 0", [3][]int{{0, 1, 2}, {0, 1, 2}, {0, 2}}, sum3,
			[][]int{{1}, {2}, {0}}, true},
		{"party 2 runs another microprotocol, calling last", [3][]int{{0, 1, 2}, {0, 1, 2}, {0, 1, 2}}, [3]string{"SecureSum", "SecureSum", "Count"},
			[][]int{{0, 1}, {2}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			procs := procs
			if c.prompt {
				procs = patient
			}
			all := secURLs(procs)
			uuid := secUUID(t)
			ctx, cancel := context.WithTimeout(context.Background(), awaitTimeout)
			defer cancel()
			errs := make([]error, 3)
			ids := [3]string{client.NewComputationID(), client.NewComputationID(), client.NewComputationID()}
			var wg sync.WaitGroup
			called := map[int]bool{}
			for _, group := range c.order {
				for _, i := range group {
					called[i] = true
					nodes := make([]string, len(c.nodes[i]))
					me := 0
					for j, k := range c.nodes[i] {
						nodes[j] = all[k]
						if k == i {
							me = j
						}
					}
					wg.Go(func() {
						_, errs[i] = client.New(all[i]).Compute(ctx, client.Request{
							Microprotocol: c.mp[i], Data: []any{float64(i + 1)}, ID: ids[i],
							Network: &client.Network{Nodes: nodes, UUID: uuid, Myself: me},
						})
					})
				}
				if len(called) == 3 {
					break
				}
				// Every party of this group waits, at least, for the
				// parties of its network that have not called yet.
				for _, i := range group {
					var rest []string
					for _, k := range c.nodes[i] {
						if !called[k] {
							rest = append(rest, all[k])
						}
					}
					awaitStatus(t, all[i], ids[i], fmt.Sprintf("waiting for %q", rest), func(st *client.Status) bool {
						return !slices.ContainsFunc(rest, func(u string) bool { return !slices.Contains(st.WaitingFor, u) })
					})
				}
			}
			wg.Wait()
			for i, err := range errs {
				var ce *client.Error
				if !errors.As(err, &ce) {
					t.Errorf("party %d: got %v, want an error answer of its node", i, err)
					continue
				}
				t.Logf("party %d: %d %s", i, ce.Status, ce.Message)
				if ce.Status != http.StatusBadGateway {
					t.Errorf("party %d: status %d, want 502", i, ce.Status)
				}
				// the message says that the parties disagree, or names a
				// party that failed the computation: when the parties call
				// in a known order, the party that disagrees (party 2, as
				// the others see it)
				named := slices.ContainsFunc(all, func(u string) bool { return u != all[i] && strings.Contains(ce.Message, u) })
				if c.prompt {
					named = strings.Contains(ce.Message, all[2]) || (i == 2 && strings.Contains(ce.Message, all[0]))
				}
				if !strings.Contains(ce.Message, "disagree") && !named {
					t.Errorf("party %d: message %q neither says that the parties disagree nor names the party that does", i, ce.Message)
				}
			}
			secExpectHealthy(t, procs...)
			data := []any{1.0, 2.0, 3.0}
			res, errs2 := secComputeAll(ctx, procs, all, secUUID(t), "SecureSum", data)
			secExpectSum(t, "3-party sum afterwards", res, errs2, data, 6)
		})
	}
}

// secPeerClient returns an HTTP client that presents the identity in certFile
// and keyFile to a peer API; it does not check the server's certificate.
func secPeerClient(t testing.TB, certFile, keyFile string) *http.Client {
	t.Helper()
	id, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{id}, InsecureSkipVerify: true},
	}}
}

// secPostMessage posts m to a peer API and returns the status and body, or
// the transport error.
func secPostMessage(c *http.Client, peerURL string, m *mpc.Message) (int, string, error) {
	body, err := m.MarshalBinary()
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Post(strings.TrimRight(peerURL, "/")+mpc.PeerMessagePath, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), nil
}

// TestPeerAuthentication checks the peer API of a federation member: an
// outsider's certificate is refused, a member cannot speak for another, and
// duplicates and replays are rejected.
func TestPeerAuthentication(t *testing.T) {
	fed := startFederation(t, nil)
	rows := pooled(t).Rows
	b := secMember(t, fed, "hospital-b")
	certs := filepath.Join(fed.Dir, ".local", "certs")
	member := secPeerClient(t, filepath.Join(certs, "hospital-a.crt"), filepath.Join(certs, "hospital-a.key"))

	t.Run("outsider certificate", func(t *testing.T) {
		dir := t.TempDir()
		crt, key := filepath.Join(dir, "mallory.crt"), filepath.Join(dir, "mallory.key")
		// the outsider even calls itself by a member's name
		if err := mpc.CreateIdentity("hospital-a", crt, key); err != nil {
			t.Fatal(err)
		}
		c := secPeerClient(t, crt, key)
		m := &mpc.Message{Session: "q:outsider-" + secUUID(t), Step: "sum.1/share", From: "hospital-a", To: "hospital-b", Body: make([]byte, 16)}
		status, text, err := secPostMessage(c, b.Peer, m)
		if err == nil && status != http.StatusForbidden {
			t.Errorf("outsider's message: %d %s, want a TLS handshake error or 403", status, text)
		}
		t.Logf("outsider's message: status %d, err %v", status, err)
		q := []byte(`{"session":"q:outsider","leader":"hospital-a","parties":["hospital-a","hospital-b"],"microprotocol":"Count","dataset":{"table":"patients"}}`)
		resp, err := c.Post(b.Peer+"/peer/v1/query", "application/json", bytes.NewReader(q))
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("outsider's query: %d %s, want a TLS handshake error or 403", resp.StatusCode, data)
			}
		}
		// no certificate at all
		bare := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		if status, text, err := secPostMessage(bare, b.Peer, m); err == nil && status != http.StatusForbidden {
			t.Errorf("message without a certificate: %d %s, want a TLS handshake error or 403", status, text)
		}
		// plain HTTP on the peer port
		if status, text, err := secPostMessage(secHTTP, strings.Replace(b.Peer, "https:", "http:", 1), m); err == nil && status < 400 {
			t.Errorf("plain HTTP message: %d %s, want a refusal", status, text)
		}
		// none of them reached the hub: the real hospital-a's copy is no duplicate
		if status, text, err := secPostMessage(member, b.Peer, m); err != nil || status != http.StatusNoContent {
			t.Errorf("hospital-a's own copy of the message after the outsider's: %d %q %v, want 204 (the outsider's was delivered?)", status, text, err)
		}
		secExpectFedCount(t, fed, rows)
	})

	session := "q:" + secUUID(t)
	valid := &mpc.Message{Session: session, Step: "sum.1/share", From: "hospital-a", To: "hospital-b", Body: make([]byte, 16)}

	t.Run("sender claims another member", func(t *testing.T) {
		m := *valid
		m.From = "hospital-c"
		status, text, err := secPostMessage(member, b.Peer, &m)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusForbidden || !strings.Contains(text, "does not match") || !strings.Contains(text, "hospital-a") {
			t.Errorf("message from hospital-a claiming hospital-c: %d %q, want 403 \"does not match\"", status, text)
		}
		q := []byte(`{"session":"q:` + secUUID(t) + `","leader":"hospital-c","parties":["hospital-a","hospital-b","hospital-c"],"microprotocol":"Count","dataset":{"table":"patients"}}`)
		resp, err := member.Post(b.Peer+"/peer/v1/query", "application/json", bytes.NewReader(q))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(data), `claims leader \"hospital-c\"`) {
			t.Errorf("query from hospital-a claiming leader hospital-c: %d %s, want 403 naming the claim", resp.StatusCode, data)
		}
		secExpectFedCount(t, fed, rows)
	})

	t.Run("over a peer stream", func(t *testing.T) {
		// A stream is authenticated as a message POST is: an outsider gets
		// nothing through, and a member cannot speak for another.
		dir := t.TempDir()
		crt, key := filepath.Join(dir, "mallory.crt"), filepath.Join(dir, "mallory.key")
		if err := mpc.CreateIdentity("hospital-a", crt, key); err != nil {
			t.Fatal(err)
		}
		transport := func(c *http.Client) *mpc.HTTPTransport {
			tr := &mpc.HTTPTransport{Endpoint: func(string) (string, error) { return b.Peer, nil }, Client: func(string) *http.Client { return c }}
			t.Cleanup(tr.Close)
			return tr
		}
		ctx := context.Background()
		m := &mpc.Message{Session: "q:" + secUUID(t), Step: "sum.1/share", From: "hospital-a", To: "hospital-b", Body: make([]byte, 16)}
		if err := transport(secPeerClient(t, crt, key)).Send(ctx, m); err == nil {
			t.Error("an outsider's message over a stream was taken")
		}
		tr := transport(member)
		forged := *m
		forged.From = "hospital-c"
		if err := tr.Send(ctx, &forged); !errors.Is(err, mpc.ErrRejected) || !strings.Contains(err.Error(), "does not match") {
			t.Errorf("hospital-a claiming hospital-c over a stream: %v, want the refusal", err)
		}
		if err := tr.Send(ctx, m); err != nil {
			t.Fatalf("hospital-a's own message over a stream: %v", err)
		}
		// it reached the hub: the same message posted is a duplicate
		if status, text, err := secPostMessage(member, b.Peer, m); err != nil || status != http.StatusConflict || !strings.Contains(text, "duplicate") {
			t.Errorf("the message posted after it went over a stream: %d %q %v, want 409 duplicate", status, text, err)
		}
		secExpectFedCount(t, fed, rows)
	})

	t.Run("message for another receiver", func(t *testing.T) {
		m := *valid
		m.To = "hospital-c"
		status, text, err := secPostMessage(member, b.Peer, &m)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusConflict || !strings.Contains(text, `delivered to "hospital-b"`) {
			t.Errorf("message for hospital-c posted to hospital-b: %d %q, want 409", status, text)
		}
		secExpectFedCount(t, fed, rows)
	})

	t.Run("malformed message", func(t *testing.T) {
		resp, err := member.Post(b.Peer+mpc.PeerMessagePath, "application/octet-stream", strings.NewReader("FSC\x01\x00"))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "truncated") {
			t.Errorf("truncated message: %d %s, want 400 truncated", resp.StatusCode, data)
		}
		secExpectFedCount(t, fed, rows)
	})

	t.Run("duplicate", func(t *testing.T) {
		status, text, err := secPostMessage(member, b.Peer, valid)
		if err != nil || status != http.StatusNoContent {
			t.Fatalf("first message: %d %q %v, want 204", status, text, err)
		}
		status, text, err = secPostMessage(member, b.Peer, valid)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusConflict || !strings.Contains(text, "duplicate") {
			t.Errorf("second copy: %d %q, want 409 duplicate", status, text)
		}
		secExpectFedCount(t, fed, rows)
	})

	t.Run("replay of a completed session", func(t *testing.T) {
		secExpectFedCount(t, fed, rows)
		last, _ := awaitAuditLine(t, fed.Dir, "hospital-b", "a contributed session", func(e map[string]any) bool {
			return e["role"] == "member" && e["outcome"] == "contributed"
		})["session"].(string)
		// The member closes its session just after the audit line; a probe
		// (answered, never stored) says when it has.
		probe := &mpc.Message{Session: last, Step: mpc.StepProbe, From: "hospital-a", To: "hospital-b"}
		for deadline := time.Now().Add(awaitTimeout); ; time.Sleep(pollEvery) {
			status, text, err := secPostMessage(member, b.Peer, probe)
			if err != nil {
				t.Fatal(err)
			}
			if status == http.StatusConflict && strings.Contains(text, "over") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("probe of session %s at hospital-b: %d %q after %v, want it over", last, status, text, awaitTimeout)
			}
		}
		for _, step := range []string{"sum.1/share", "sum.1/partial", "sum.2/share"} {
			m := &mpc.Message{Session: last, Step: step, From: "hospital-a", To: "hospital-b", Body: make([]byte, 16)}
			status, text, err := secPostMessage(member, b.Peer, m)
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusConflict || !strings.Contains(text, "closed") || !strings.Contains(text, last) {
				t.Errorf("replay for closed session %s step %s: %d %q, want 409 closed", last, step, status, text)
			}
		}
		q := []byte(`{"session":"` + last + `","leader":"hospital-a","parties":["hospital-a","hospital-b","hospital-c"],"microprotocol":"Count","dataset":{"table":"patients"}}`)
		resp, err := member.Post(b.Peer+"/peer/v1/query", "application/json", bytes.NewReader(q))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict || !strings.Contains(string(data), "already used") {
			t.Errorf("replayed query for session %s: %d %s, want 409 already used", last, resp.StatusCode, data)
		}
		secExpectFedCount(t, fed, rows)
	})
}

// TestPeerKilledFederation kills a member: a dataset-backed call fails at
// once with a 502 naming it, and the other two still compute together.
func TestPeerKilledFederation(t *testing.T) {
	fed := startFederation(t, func(file, text string) string {
		if strings.HasPrefix(file, "hospital-") {
			return "timeout = \"3s\"\n" + text
		}
		return text
	})
	a, b, c := fed.Nodes[0], fed.Nodes[1], fed.Nodes[2]
	c.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := client.New(a.URL).Compute(ctx, client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients"}})
	var ce *client.Error
	if !errors.As(err, &ce) {
		t.Fatalf("count with hospital-c dead: %v, want an error answer", err)
	}
	t.Logf("count with hospital-c dead: %d %s", ce.Status, ce.Message)
	if ce.Status != http.StatusBadGateway || !strings.Contains(ce.Message, "hospital-c could not be reached") {
		t.Errorf("count with hospital-c dead: %d %q, want 502 saying that hospital-c could not be reached", ce.Status, ce.Message)
	}
	secExpectHealthy(t, a, b)
	nodes := []string{a.URL, b.URL}
	data := []any{[]any{10.5, 20}, 30.25}
	res, errs := secComputeAll(ctx, []*fedrun.Proc{a, b}, nodes, secUUID(t), "SecureSum", data)
	secExpectSum(t, "a+b sum after hospital-c died", res, errs, data, 60.75)
}

// TestPeerKilledDev kills a party of a running computation: every other
// party fails within the timeout, naming it, and can compute afterwards.
func TestPeerKilledDev(t *testing.T) {
	procs := startDev(t, 3, "--timeout", "3s")
	all := secURLs(procs)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	uuid := secUUID(t)
	res := make([]*client.Result, 2)
	errs := make([]error, 2)
	ids := []string{client.NewComputationID(), client.NewComputationID()}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			res[i], errs[i] = client.New(all[i]).Compute(ctx, client.Request{Microprotocol: "SecureSum", Data: float64(i + 1), ID: ids[i],
				Network: &client.Network{Nodes: all, UUID: uuid, Myself: i}})
		})
	}
	for i, id := range ids {
		awaitWaitingFor(t, all[i], id, all[2]) // both have called and wait for party 2
	}
	procs[2].Kill()
	wg.Wait()
	for i := 0; i < 2; i++ {
		var ce *client.Error
		if !errors.As(errs[i], &ce) {
			t.Errorf("party %d: got %+v, %v; want an error answer", i, res[i], errs[i])
			continue
		}
		t.Logf("party %d: %d %s", i, ce.Status, ce.Message)
		if ce.Status != http.StatusBadGateway || !strings.Contains(ce.Message, all[2]) {
			t.Errorf("party %d: %d %q, want 502 naming %s", i, ce.Status, ce.Message, all[2])
		}
	}
	secExpectHealthy(t, procs[0], procs[1])
	data := []any{[]any{100, 0.5}, []any{-20}}
	res, errs = secComputeAll(ctx, procs[:2], all[:2], secUUID(t), "SecureSum", data)
	secExpectSum(t, "2-party sum afterwards", res, errs, data, 80.5)
}

// secProbeNames are members an attacker of the reference server's open object
// graph tries.
var secProbeNames = []string{"compute", "get_task", "accumulator", "data", "tasks", "task", "inputs", "shares",
	"peers", "bus", "__dict__", "__class__", "result", "network", "session", "parameters", "_tasks",
	"microprotocols", "__init__", "__globals__", "self", "storage", "download", "upload", "list", "create"}

// TestProbe walks the REST API of two parties while their computation
// waits for the third: only compute on the service resolves, and no answer
// holds the other party's input. Then the third joins and all get the sum.
func TestProbe(t *testing.T) {
	procs := startDev(t, 3, "--timeout", "20s")
	all := secURLs(procs)
	uuid := secUUID(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	secret := []string{"564738", "918273"} // party 0's and party 1's distinctive value
	data := []any{[]any{564738.291, 1.5}, []any{918273.645, 2.25}, []any{7.125}}
	res := make([]*client.Result, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	ids := []string{client.NewComputationID(), client.NewComputationID()}
	for i := 0; i < 2; i++ {
		wg.Go(func() {
			res[i], errs[i] = client.New(all[i]).Compute(ctx, client.Request{Microprotocol: "SecureSum", Data: data[i], ID: ids[i],
				Network: &client.Network{Nodes: all, UUID: uuid, Myself: i}})
		})
	}
	for i, id := range ids {
		awaitWaitingFor(t, all[i], id, all[2]) // both have called and wait for the third
	}

	services := map[string]string{}
	for i := 0; i < 2; i++ {
		services[all[i]], _ = secIDs(t, all[i])
	}
	for i := 0; i < 2; i++ {
		url, other := all[i], secret[1-i]
		service, compute := secIDs(t, url)
		seen := map[string]bool{service: true, compute: true, uuid: true, "0": true}
		for _, s := range services {
			seen[s] = true
		}
		check := func(what string, a secAnswer) {
			t.Helper()
			if bytes.Contains(a.body, []byte(other)) {
				t.Errorf("node %d: %s answered with the other party's input: %s", i, what, a.body)
			}
			if !strings.Contains(what, "/peer/") && a.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("node %d: %s: no CORS header", i, what)
			}
			var v map[string]any
			if json.Unmarshal(a.body, &v) == nil {
				secCollectUUIDs(v, seen)
			}
		}
		for _, call := range []struct{ method, path, body string }{
			{"GET", "/representations", ""}, {"GET", "/representations", "{}"},
			{"POST", "/representations", `{"args":[],"kwargs":{}}`},
			{"POST", "/representations", `{"args":[],"kwargs":{"protocol":"SIMON"}}`},
			{"PUT", "/representations", `{"args":[{"probe":1}],"kwargs":{}}`},
			{"GET", "/info", ""}, {"GET", "/healthz", ""},
			{"GET", "/peer/v1/msg", ""}, {"GET", "/peer/v1/query", ""},
		} {
			a := secCall(t, call.method, url+call.path, []byte(call.body))
			check(call.method+" "+call.path, a)
		}
		// every attribute and every download of every uuid seen, until no
		// new uuid turns up
		tried := map[string]bool{}
		for round := 0; round < 5; round++ {
			var ids []string
			for id := range seen {
				if !tried[id] {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				break
			}
			for _, id := range ids {
				tried[id] = true
				for _, name := range secProbeNames {
					a := secCall(t, http.MethodGet, url+"/representation/"+id+"/"+name, []byte(`{}`))
					check("attribute "+name+" of "+id, a)
					switch {
					case id == service && name == "compute":
						if a.status != http.StatusOK || secUUIDIn(t, "compute", a) != compute {
							t.Errorf("node %d: compute of the service: %d %s", i, a.status, a.body)
						}
					case a.status != http.StatusNotFound:
						t.Errorf("node %d: attribute %s of %s resolved: %d %s (only compute on the service may)", i, name, id, a.status, a.body)
					}
				}
				for _, body := range []string{`{}`, `{"args":[],"kwargs":{}}`, `{"args":[],"kwargs":{"microprotocol":"SecureSum","data":{"representation_uuid":"` + id + `"},"network":{"nodes":["` + all[0] + `","` + all[1] + `"],"uuid":"probe","myself":` + fmt.Sprint(i) + `}}}`} {
					a := secCall(t, http.MethodPatch, url+"/representation/"+id, []byte(body))
					check("call of "+id, a)
					if a.status == http.StatusOK {
						t.Errorf("node %d: call of %s with %s succeeded: %s", i, id, body, a.body)
					}
				}
				a := secCall(t, http.MethodGet, url+"/representation/"+id, []byte(`{}`))
				check("download of "+id, a)
			}
		}
		if len(tried) < 4 {
			t.Errorf("node %d: probed only %d uuids", i, len(tried))
		}
	}

	r, e := secComputeAll(ctx, procs[2:], all, uuid, "SecureSum", data[2:])
	wg.Wait()
	res[2], errs[2] = r[0], e[0]
	secExpectSum(t, "3-party sum after the probe", res, errs, data, 564738.291+1.5+918273.645+2.25+7.125)
}

// secCollectUUIDs adds every "uuid" field of an answer to seen.
func secCollectUUIDs(v any, seen map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "uuid" || k == "representation_uuid") {
				seen[s] = true
			}
			secCollectUUIDs(e, seen)
		}
	case []any:
		for _, e := range x {
			secCollectUUIDs(e, seen)
		}
	}
}

// TestCORS checks the CORS preflight and that every answer of the client
// API to a request without Origin, errors included, allows any origin.
// Requests with an Origin: browser_test.go.
func TestCORS(t *testing.T) {
	procs := startDev(t, 2)
	url := procs[0].URL
	for _, path := range []string{"/representations", "/representation/x", "/representation/x/compute", "/healthz"} {
		a := secCall(t, http.MethodOptions, url+path, nil, "Access-Control-Request-Method", "PATCH",
			"Access-Control-Request-Headers", "content-type")
		if a.status < 200 || a.status > 299 {
			t.Errorf("OPTIONS %s: %d %s", path, a.status, a.body)
		}
		h := a.header
		if h.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("OPTIONS %s: Access-Control-Allow-Origin %q", path, h.Get("Access-Control-Allow-Origin"))
		}
		for _, m := range []string{"GET", "PUT", "POST", "PATCH", "DELETE"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Methods"), m) {
				t.Errorf("OPTIONS %s: Access-Control-Allow-Methods %q lacks %s", path, h.Get("Access-Control-Allow-Methods"), m)
			}
		}
		for _, hd := range []string{"content-type", "authorization"} {
			if !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), hd) {
				t.Errorf("OPTIONS %s: Access-Control-Allow-Headers %q lacks %s", path, h.Get("Access-Control-Allow-Headers"), hd)
			}
		}
	}
	service, compute := secIDs(t, url)
	for _, c := range []struct {
		method, path, body string
		status             int
		headers            []string
	}{
		{"GET", "/healthz", "", 200, nil},
		{"GET", "/info", "", 200, nil},
		{"GET", "/representations", "{}", 200, nil},
		{"POST", "/representations", `{"args":[],"kwargs":{"protocol":"SIMON"}}`, 200, nil},
		{"GET", "/representation/" + service + "/compute", "{}", 200, nil},
		{"GET", "/representation/" + service, "{}", 200, nil},
		{"DELETE", "/representation/" + service, "{}", 200, nil},
		{"GET", "/representation/" + service + "/tasks", "{}", 404, nil},
		{"GET", "/representation/nope", "{}", 404, nil},
		{"PATCH", "/representation/" + compute, "{", 400, nil},
		{"PATCH", "/representation/" + compute, `{"args":[],"kwargs":{"microprotocol":"Nope","data":1}}`, 501, nil},
		{"PATCH", "/representation/" + compute, `{"args":[],"kwargs":{"microprotocol":"SecureSum","data":1,"network":{"nodes":["http://10.1.2.3:1","` + url + `"],"uuid":"u","myself":1}}}`, 403, nil},
		{"POST", "/healthz", "", 405, nil},
		{"GET", "/nowhere", "", 404, nil},
		{"GET", "/representations", "", 401, []string{"Authorization", "Bearer not-a-token"}},
	} {
		a := secCall(t, c.method, url+c.path, []byte(c.body), c.headers...)
		if a.status != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, a.status, a.body, c.status)
		}
		if got := a.header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("%s %s (%d): Access-Control-Allow-Origin %q, want *", c.method, c.path, a.status, got)
		}
	}
	secExpectDevSum(t, procs)
}

// TestBadInputTellsPeers gives one party's node input it rejects while
// the other party is already waiting: the waiting party is told at once
// that its peer's input was rejected, instead of waiting for the timeout
// and blaming the peer for silence.
func TestBadInputTellsPeers(t *testing.T) {
	procs := startDev(t, 2, "--timeout", "5s")
	all := secURLs(procs)
	for _, c := range []struct {
		name, microprotocol string
		data                any
		wants               []string
	}{
		{"string", "SecureSum", "12", []string{"data", "a string"}},
		{"list holding a string", "SecureSum", []any{1, "2"}, []string{"data[1]", "a string"}},
		{"Count of an object", "Count", map[string]any{"n": 5}, []string{"data", "an object"}},
		{"sum overflows", "SecureSum", []any{1e308, 1e308}, []string{"data"}},
		{"too large for fixed point", "SecureSum", []any{1e17}, []string{"too large"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			uuid := secUUID(t)
			var err1 error
			id := client.NewComputationID()
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, err1 = client.New(all[1]).Compute(ctx, client.Request{Microprotocol: c.microprotocol, Data: []any{1.0}, ID: id,
					Network: &client.Network{Nodes: all, UUID: uuid, Myself: 1}})
			}()
			awaitWaitingFor(t, all[1], id, all[0]) // party 1 has called and waits for party 0
			_, errs := secComputeAll(ctx, procs[:1], all, uuid, c.microprotocol, []any{c.data})
			<-done
			var ce *client.Error
			if !errors.As(errs[0], &ce) || ce.Status != http.StatusBadRequest {
				t.Errorf("party 0 (bad input): %#v, want a 400", errs[0])
			} else {
				for _, w := range c.wants {
					if !strings.Contains(strings.ToLower(ce.Message), strings.ToLower(w)) {
						t.Errorf("party 0 (bad input): %q does not mention %q", ce.Message, w)
					}
				}
			}
			if !errors.As(err1, &ce) {
				t.Fatalf("party 1 (waiting): %v, want an error answer", err1)
			}
			t.Logf("party 1: %d %s", ce.Status, ce.Message)
			if ce.Status != http.StatusBadGateway || !strings.Contains(ce.Message, all[0]) || !strings.Contains(ce.Message, "rejected") {
				t.Errorf("party 1 (waiting): %d %q, want 502 saying that %s rejected its input", ce.Status, ce.Message, all[0])
			}
			secExpectDevSum(t, procs)
		})
	}
}

// TestPeerNotAParty lets a federation member that is not a party of a
// client-supplied computation between two others post into its session:
// the message is refused and the computation goes on.
func TestPeerNotAParty(t *testing.T) {
	fed := startFederation(t, func(file, text string) string {
		if strings.HasPrefix(file, "hospital-") {
			return "timeout = \"3s\"\n" + text
		}
		return text
	})
	certs := filepath.Join(fed.Dir, ".local", "certs")
	c := secPeerClient(t, filepath.Join(certs, "hospital-c.crt"), filepath.Join(certs, "hospital-c.key"))
	aPeer := secMember(t, fed, "hospital-a").Peer
	nodes := secURLs(fed.Nodes[:2])
	for _, step := range []string{mpc.StepAbort, "sum.1/share", "sum.1/partial"} {
		t.Run(step, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			uuid := secUUID(t)
			res := make([]*client.Result, 2)
			errs := make([]error, 2)
			id := client.NewComputationID()
			done := make(chan struct{})
			go func() {
				defer close(done)
				res[0], errs[0] = client.New(nodes[0]).Compute(ctx, client.Request{Microprotocol: "SecureSum", Data: 1.0, ID: id,
					Network: &client.Network{Nodes: nodes, UUID: uuid, Myself: 0}})
			}()
			awaitWaitingFor(t, nodes[0], id, "hospital-b") // hospital-a's call waits for hospital-b
			m := &mpc.Message{Session: "net:" + uuid + ":1", Step: step, From: "hospital-c", To: "hospital-a", Body: make([]byte, 32)}
			status, text, err := secPostMessage(c, aPeer, m)
			if err != nil {
				t.Fatal(err)
			}
			// Session ids of network calls are derived from every party's
			// fresh nonce, so an outsider can only guess one: the guess
			// lands in no running session (it may be held as an early
			// message of a session nobody opens, and dropped), and the
			// computation goes on.
			if status != http.StatusForbidden && status != http.StatusConflict && status != http.StatusNoContent {
				t.Errorf("hospital-c's %s message into a session of hospital-a and hospital-b: %d %q, want it refused (403 or 409) or held apart", step, status, text)
			}
			r, e := secComputeAll(ctx, fed.Nodes[1:2], nodes, uuid, "SecureSum", []any{2.0})
			res[1], errs[1] = r[0], e[0]
			<-done
			secExpectSum(t, "a+b sum after hospital-c's message", res, errs, []any{1.0, 2.0}, 3)
		})
	}
}

// TestSubsetQueryRefused: a member refuses a dataset query that leaves a
// member out, so no member's contribution can be had by differencing.
func TestSubsetQueryRefused(t *testing.T) {
	fed := startFederation(t, nil)
	b := secMember(t, fed, "hospital-b")
	certs := filepath.Join(fed.Dir, ".local", "certs")
	member := secPeerClient(t, filepath.Join(certs, "hospital-a.crt"), filepath.Join(certs, "hospital-a.key"))
	q, _ := json.Marshal(map[string]any{"session": "q:subset-" + secUUID(t), "leader": "hospital-a",
		"parties": []string{"hospital-a", "hospital-b"}, "microprotocol": "Count",
		"dataset": map[string]any{"table": "patients"}, "requester": "test"})
	resp, err := member.Post(b.Peer+"/peer/v1/query", "application/json", bytes.NewReader(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "every federation member") {
		t.Fatalf("subset query: %d %s, want 403 naming the rule", resp.StatusCode, body)
	}
}

// TestWebPagesCannotReachNodeData: a page in a browser on the node's own
// machine neither reaches the node under a rebound name nor, from an origin
// not in [policy] origins, reads node-held data (more in browser_test.go).
func TestWebPagesCannotReachNodeData(t *testing.T) {
	fed := startFederation(t, nil)
	url := fed.Nodes[0].URL
	_, fn := secIDs(t, url)
	a := secCall(t, "GET", url+"/representations", []byte("{}"), "Host", "attacker.example:15501")
	secExpectError(t, "rebound Host", a, http.StatusForbidden, "Host")
	kw := secKwargs(t, map[string]any{"microprotocol": "Count", "dataset": map[string]any{"table": "patients"}})
	a = secCall(t, "PATCH", url+"/representation/"+fn, kw, "Origin", "https://attacker.example")
	browserRefused(t, "dataset call from a web page", a, "https://attacker.example", "[policy] origins")
	a = secCall(t, "PATCH", url+"/representation/"+fn, kw)
	if a.status != http.StatusOK {
		t.Fatalf("the same call without Origin: %d %s", a.status, a.body)
	}
}
