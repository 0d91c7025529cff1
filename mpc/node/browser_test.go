package node_test

// Web browsers and the node's loopback trust, run against real node
// processes: pages of origins the owner has not listed in [policy] origins
// reach no route of the client API, pages of listed origins work as the
// FSC JavaScript client does, non-browser clients are unchanged, and the
// peer API refuses everything a browser can send.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// browserRefused checks the refusal of a browser's request: 403, the FSC
// error body with a message holding every want (ignoring case), and no
// CORS allowance that would let the page read it.
func browserRefused(t testing.TB, what string, a secAnswer, wants ...string) {
	t.Helper()
	if a.status != http.StatusForbidden || a.code != http.StatusForbidden || a.message == "" {
		t.Errorf("%s: %d %.300s, want 403 with {\"code\":403,\"message\":...}", what, a.status, a.body)
		return
	}
	for _, w := range wants {
		if !strings.Contains(strings.ToLower(a.message), strings.ToLower(w)) {
			t.Errorf("%s: message %q does not mention %q", what, a.message, w)
		}
	}
	if got := a.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("%s: refusal carries Access-Control-Allow-Origin %q", what, got)
	}
}

// auditLines returns the number of lines in each member's audit log.
func auditLines(t *testing.T, dir string) map[string]int {
	out := map[string]int{}
	for _, node := range []string{"hospital-a", "hospital-b", "hospital-c"} {
		out[node] = len(readAudit(t, nil, dir, node))
	}
	return out
}

// TestWebPagesRefused: with no [policy] origins, a request a browser makes
// for a page (Origin, even null; or Sec-Fetch-Site cross-site/same-site
// without Origin) is refused on every client route, and does nothing.
func TestWebPagesRefused(t *testing.T) {
	fed := startFederation(t, nil)
	url := fed.Nodes[0].URL
	service, compute := secIDs(t, url)
	upload := secUUIDIn(t, "upload", secCall(t, http.MethodPut, url+"/representations", []byte(`{"args":[{"mine":42}],"kwargs":{}}`)))
	count := secKwargs(t, map[string]any{"microprotocol": "Count", "dataset": map[string]any{"table": "patients"}})
	calls := []struct {
		method, path string
		body         []byte
		headers      []string
	}{
		{"GET", "/healthz", nil, nil},
		{"GET", "/info", nil, nil},
		{"GET", "/representations", nil, nil},
		{"POST", "/representations", []byte(`{"args":[],"kwargs":{"protocol":"SIMON"}}`), nil},
		{"PUT", "/representations", []byte(`{"args":[{"x":1}],"kwargs":{}}`), nil},
		{"GET", "/representation/" + service + "/compute", nil, nil},
		{"GET", "/representation/" + upload, nil, nil},
		{"DELETE", "/representation/" + upload, nil, nil},
		{"PATCH", "/representation/" + compute, count, nil},
		{"OPTIONS", "/representations", nil, []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"}},
		{"OPTIONS", "/representation/" + compute, nil, []string{"Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "content-type"}},
	}
	for _, page := range []struct {
		name    string
		headers []string
		wants   []string
	}{
		{"Origin", []string{"Origin", "https://attacker.example"}, []string{`"https://attacker.example"`, `[policy] origins = ["https://attacker.example"]`}},
		{"Origin null", []string{"Origin", "null"}, []string{`"null"`, "cannot be allowed", "[policy] origins"}},
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "no-cors"}, []string{"cross-site", "[policy] origins"}},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}, []string{"same-site", "[policy] origins"}},
	} {
		t.Run(page.name, func(t *testing.T) {
			for _, c := range calls {
				a := secCall(t, c.method, url+c.path, c.body, append(append([]string{}, c.headers...), page.headers...)...)
				browserRefused(t, c.method+" "+c.path, a, page.wants...)
			}
		})
	}

	// Nothing happened: no computation reached any audit log, the upload
	// is still there; the same calls without browser headers still work.
	// A leader writes its line before it answers; a member's line, which
	// may come later, is counted after the count below.
	for node, lines := range auditLines(t, fed.Dir) {
		if lines != 0 {
			t.Errorf("%s: %d audit lines after refused web pages, want none", node, lines)
		}
	}
	a := secCall(t, http.MethodGet, url+"/representation/"+upload, nil)
	if a.status != http.StatusOK || !bytes.Contains(a.body, []byte(`"mine":42`)) {
		t.Errorf("upload after refused web pages: %d %s", a.status, a.body)
	}
	for _, site := range []string{"none", "same-origin"} { // typed into the address bar; a page of the node itself
		if a := secCall(t, http.MethodGet, url+"/healthz", nil, "Sec-Fetch-Site", site); a.status != http.StatusOK || a.header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("GET /healthz with Sec-Fetch-Site %s: %d %s", site, a.status, a.body)
		}
	}
	secExpectFedCount(t, fed, pooled(t).Rows)
	awaitAudit(t, fed.Dir, 1, "hospital-a", "hospital-b", "hospital-c")
	for node, lines := range auditLines(t, fed.Dir) {
		if lines != 1 {
			t.Errorf("%s: %d audit lines after one count, want 1", node, lines)
		}
	}

	t.Run("peer API", func(t *testing.T) {
		b := secMember(t, fed, "hospital-b")
		certs := filepath.Join(fed.Dir, ".local", "certs")
		member := secPeerClient(t, filepath.Join(certs, "hospital-a.crt"), filepath.Join(certs, "hospital-a.key"))
		for _, h := range [][]string{{"Content-Type", "text/plain"}, {"Content-Type", "application/json", "Origin", "https://attacker.example"}} {
			a := peerPost(t, member, http.MethodPost, b.Peer+"/peer/v1/query", []byte(`{}`), h...)
			browserRefused(t, fmt.Sprintf("peer query with %v", h), a, "web browser")
		}
	})
}

// jsSequence runs the FSC JavaScript client's calls for a dataset-backed
// count against url, with the page's origin ("" for none), and returns the
// count. Every answer must allow the origin (or * without one).
func jsSequence(t *testing.T, url, origin string) float64 {
	t.Helper()
	var headers []string
	allow := "*"
	if origin != "" {
		headers, allow = []string{"Origin", origin}, origin
	}
	call := func(method, path string, body []byte) secAnswer {
		t.Helper()
		a := secCall(t, method, url+path, body, headers...)
		if got := a.header.Get("Access-Control-Allow-Origin"); got != allow {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q, want %q", method, path, got, allow)
		}
		if origin != "" && !strings.Contains(strings.Join(a.header.Values("Vary"), ","), "Origin") {
			t.Errorf("%s %s: Vary %q lacks Origin", method, path, a.header.Values("Vary"))
		}
		return a
	}
	preflight := func(method, path string) {
		t.Helper()
		if origin == "" {
			return // no browser, no preflight
		}
		a := secCall(t, http.MethodOptions, url+path, nil, "Origin", origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", "content-type",
			"Access-Control-Request-Private-Network", "true") // Chrome's, for a public page calling 127.0.0.1
		h := a.header
		if a.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Fatalf("preflight of %s %s: %d, Access-Control-Allow-Origin %q, Vary %q; want 204 allowing %s", method, path, a.status, h.Get("Access-Control-Allow-Origin"), h.Values("Vary"), origin)
		}
		if h.Get("Access-Control-Allow-Methods") != "GET,PUT,POST,PATCH,DELETE" || h.Get("Access-Control-Allow-Headers") != "Content-Type,Authorization" || h.Get("Access-Control-Allow-Private-Network") != "true" {
			t.Errorf("preflight of %s %s: methods %q, headers %q, private network %q", method, path, h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"), h.Get("Access-Control-Allow-Private-Network"))
		}
	}
	preflight("POST", "/representations")
	service := secUUIDIn(t, "create", call(http.MethodPost, "/representations", []byte(`{"args":[],"kwargs":{"protocol":"SIMON"}}`)))
	compute := secUUIDIn(t, "attribute compute", call(http.MethodGet, "/representation/"+service+"/compute", nil))
	preflight("PATCH", "/representation/"+compute)
	result := secUUIDIn(t, "compute", call(http.MethodPatch, "/representation/"+compute,
		secKwargs(t, map[string]any{"microprotocol": "Count", "dataset": map[string]any{"table": "patients"}})))
	a := call(http.MethodGet, "/representation/"+result, nil)
	var out struct {
		Object struct {
			Inputs int                `json:"inputs"`
			Result map[string]float64 `json:"result"`
		} `json:"object"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &out) != nil || out.Object.Inputs != 3 {
		t.Fatalf("download: %d %s, want a count from 3 inputs", a.status, a.body)
	}
	return out.Object.Result["count"]
}

// TestAllowedOriginFSCJavaScriptClient: a page of an origin in [policy]
// origins runs the FSC JavaScript client's calls (preflights included) and
// gets its origin echoed; clients without Origin are unchanged; any other
// origin is still refused.
func TestAllowedOriginFSCJavaScriptClient(t *testing.T) {
	const notebook = "http://notebook.example:8888"
	fed := startFederation(t, func(file, text string) string {
		if strings.HasPrefix(file, "hospital-") {
			return strings.Replace(text, "[policy]", "[policy]\norigins = [\""+notebook+"\"]", 1)
		}
		return text
	})
	url, rows := fed.Nodes[0].URL, float64(pooled(t).Rows)
	if got := jsSequence(t, url, notebook); got != rows {
		t.Errorf("count from %s: %v, want %v", notebook, got, rows)
	}
	if got := jsSequence(t, url, ""); got != rows {
		t.Errorf("count without Origin: %v, want %v", got, rows)
	}
	for _, other := range []string{"http://notebook.example:8889", "https://notebook.example:8888", "http://notebook.example"} {
		a := secCall(t, http.MethodOptions, url+"/representations", nil, "Origin", other, "Access-Control-Request-Method", "POST")
		browserRefused(t, "preflight from "+other, a, other)
	}
}

// peerPost sends body with method to a peer API URL with the given headers
// (name, value pairs; Content-Type only if given) and reads the answer.
func peerPost(t testing.TB, c *http.Client, method, url string, body []byte, headers ...string) secAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
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

// TestPeerAPIRefusesBrowsers: a development node serves its peer API on
// the client port without authentication; a web page can send it nothing.
// Each refused message would otherwise be delivered, as the positive
// control shows, and two dev nodes still compute together.
func TestPeerAPIRefusesBrowsers(t *testing.T) {
	procs := startDev(t, 2)
	url, peer := procs[0].URL, procs[1].URL
	seq := 0
	message := func() []byte {
		seq++
		m := &mpc.Message{Session: fmt.Sprintf("%s-%d", secUUID(t), seq), Step: "s", From: peer, To: url, Body: []byte{1}}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name    string
		headers []string
	}{
		{"Origin", []string{"Content-Type", "application/octet-stream", "Origin", "https://attacker.example"}},
		{"Origin null", []string{"Content-Type", "application/json", "Origin", "null"}},
		{"text/plain", []string{"Content-Type", "text/plain;charset=UTF-8"}},
		{"form", []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"multipart", []string{"Content-Type", "multipart/form-data; boundary=x"}},
		{"no Content-Type", nil},
		{"Sec-Fetch-Site", []string{"Content-Type", "application/octet-stream", "Sec-Fetch-Site", "cross-site"}},
		{"Sec-Fetch-Mode", []string{"Content-Type", "application/octet-stream", "Sec-Fetch-Mode", "no-cors"}},
	} {
		a := peerPost(t, secHTTP, http.MethodPost, url+mpc.PeerMessagePath, message(), c.headers...)
		browserRefused(t, "message, "+c.name, a, "web browser", mpc.PeerMessagePath)
		a = peerPost(t, secHTTP, http.MethodPost, url+mpc.PeerStreamPath, nil, append([]string{"Connection", "Upgrade", "Upgrade", mpc.StreamProtocol}, c.headers...)...)
		browserRefused(t, "stream, "+c.name, a, "web browser", mpc.PeerStreamPath)
		a = peerPost(t, secHTTP, http.MethodPost, url+"/peer/v1/query", []byte(`{}`), c.headers...)
		browserRefused(t, "query, "+c.name, a, "web browser", "/peer/v1/query")
	}
	for _, path := range []string{mpc.PeerMessagePath, "/peer/v1/query"} {
		for _, origin := range []string{"https://attacker.example", ""} {
			h := []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"}
			if origin != "" {
				h = append(h, "Origin", origin)
			}
			a := peerPost(t, secHTTP, http.MethodOptions, url+path, nil, h...)
			if a.status < 400 || a.header.Get("Access-Control-Allow-Origin") != "" || a.header.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("OPTIONS %s (Origin %q): %d, Access-Control-Allow-Origin %q; want a 4xx without CORS allowance", path, origin, a.status, a.header.Get("Access-Control-Allow-Origin"))
			}
		}
	}

	// positive controls: what fsc-node itself sends passes the guard
	if a := peerPost(t, secHTTP, http.MethodPost, url+mpc.PeerMessagePath, message(), "Content-Type", "application/octet-stream"); a.status != http.StatusNoContent {
		t.Errorf("message as fsc-node sends it: %d %s, want 204", a.status, a.body)
	}
	if a := peerPost(t, secHTTP, http.MethodPost, url+"/peer/v1/query", []byte(`{}`), "Content-Type", "application/json"); a.status != http.StatusBadRequest || !strings.Contains(a.message, "development node") {
		t.Errorf("query as fsc-node sends it: %d %s, want the development node's 400", a.status, a.body)
	}
	secExpectDevSum(t, procs)
}

var sessionRE = regexp.MustCompile(`^q:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestDatasetSessionIDsAreRandom: a dataset-backed query's peer session id
// is "q:" and a random (version 4) uuid, new for every query, the same at
// every member.
func TestDatasetSessionIDsAreRandom(t *testing.T) {
	fed := startFederation(t, nil)
	for i := 0; i < 2; i++ {
		if _, err := client.New(fed.Nodes[0].URL).Compute(context.Background(), client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients"}}); err != nil {
			t.Fatal(err)
		}
	}
	awaitAudit(t, fed.Dir, 2, "hospital-b", "hospital-c") // members write theirs as they finish
	sessions := func(node string) []string {
		var out []string
		for _, e := range readAudit(t, nil, fed.Dir, node) {
			out = append(out, fmt.Sprint(e["session"]))
		}
		return out
	}
	lead := sessions("hospital-a")
	if len(lead) != 2 || lead[0] == lead[1] || !sessionRE.MatchString(lead[0]) || !sessionRE.MatchString(lead[1]) {
		t.Fatalf("leader sessions %q, want two different q:<random uuid>", lead)
	}
	for _, node := range []string{"hospital-b", "hospital-c"} {
		if got := sessions(node); strings.Join(got, " ") != strings.Join(lead, " ") {
			t.Errorf("%s sessions %q, want the leader's %q", node, got, lead)
		}
	}
}
