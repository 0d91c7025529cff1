package node_test

// The FSC clients' own HTTP requests, replayed byte for byte against real
// node processes: the Python client (requests), the R client (httr with
// encode = "json", which writes with jsonlite's auto_unbox) and the
// JavaScript client (fetch in a browser page, preflights included). Every
// call of each client's API (list, create, attribute, upload, call,
// download, release) and every microprotocol of the reference's SIMON
// service, the forms the reference accepts and other servers refuse
// included: one-element R vectors sent as scalars, the reference's
// MinimumMaximum items, a JavaScript Representation as an argument, R's
// {"ignore": ...} body on GET and DELETE, release after download.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// ordered is a JSON object whose keys keep the order a client writes them
// in.
type ordered []field

type field struct {
	k string
	v any
}

// rvec is an R atomic vector (c(...)): with auto_unbox, httr writes one of
// one element as that element, the other clients as a list.
type rvec []any

// rNull is R's NULL, which jsonlite writes as {}.
type rNull struct{}

// dialect is how one FSC client writes its requests.
type dialect struct {
	name string
	// sep and colon separate a JSON list's items and an object's key and
	// value.
	sep, colon string
	// number writes a float64 as the client's JSON library does.
	number func(float64) string
	// unbox writes a one-element rvec as its element (R's auto_unbox).
	unbox bool
	// noBody is the body sent on GET and DELETE (nil: none).
	noBody []byte
	// headers are sent with every request; bodyHeaders with a body.
	headers, bodyHeaders []string
	// origin is the web page's origin (JavaScript in a browser), "" for
	// none; a non-simple request is then preceded by a preflight.
	origin string
	// emptyArgs is what the client writes for args when the caller gives
	// none.
	emptyArgs any
	// handle is a Representation of uuid at url as the client writes it
	// when it is passed as an argument.
	handle func(url, uuid string) any
}

const jsPage = "http://fsc-demo.example:8080"

var dialects = map[string]*dialect{
	// federatedsecure.client: requests.<verb>(url, json={} if body is None
	// else body); json.dumps writes ", " and ": " and floats as 2.0.
	"python": {
		name: "python", sep: ", ", colon: ": ",
		number: func(v float64) string {
			if v == math.Trunc(v) && math.Abs(v) < 1e16 {
				return strconv.FormatFloat(v, 'f', 1, 64)
			}
			return strconv.FormatFloat(v, 'g', -1, 64)
		},
		noBody:    []byte(`{}`),
		headers:   []string{"User-Agent", "python-requests/2.31.0", "Accept-Encoding", "gzip, deflate", "Accept", "*/*", "Connection", "keep-alive", "Content-Type", "application/json"},
		emptyArgs: []any{},
		// A Representation is a dict holding only representation_uuid.
		handle: func(url, uuid string) any { return ordered{{"representation_uuid", uuid}} },
	},
	// federatedsecure.r: httr's <VERB>(url, body = body, encode = "json"),
	// jsonlite::toJSON(auto_unbox = TRUE) with 4 decimal digits; GET and
	// DELETE send list(ignore = "R compatibility issues"); NULL is {}.
	"r": {
		name: "r", sep: ",", colon: ":",
		number: func(v float64) string {
			return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
		},
		unbox:       true,
		noBody:      []byte(`{"ignore":"R compatibility issues"}`),
		headers:     []string{"User-Agent", "libcurl/7.88.1 r-curl/5.2.1 httr/1.4.7", "Accept-Encoding", "deflate, gzip", "Accept", "application/json, text/xml, application/xml, */*"},
		bodyHeaders: []string{"Content-Type", "application/json"},
		emptyArgs:   rNull{},
		// An R Representation does not serialise; a user passes its uuid.
		handle: func(url, uuid string) any { return ordered{{"representation_uuid", uuid}} },
	},
	// federatedsecure.js in Chrome: fetch(url, {method}) for GET and
	// DELETE, with a JSON.stringify'd body and Accept and Content-Type
	// application/json otherwise.
	"js": {
		name: "js", sep: ",", colon: ":",
		number:      func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) },
		headers:     []string{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36", "Accept-Language", "en-US,en;q=0.9", "Origin", jsPage, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty", "Accept-Encoding", "gzip, deflate, br"},
		bodyHeaders: []string{"Accept", "application/json", "Content-Type", "application/json"},
		origin:      jsPage,
		emptyArgs:   []any{},
		// JSON.stringify(new Representation(api, uuid)): the api object
		// travels along.
		handle: func(url, uuid string) any {
			return ordered{{"api", ordered{{"interface", ordered{{"root", url}}}}}, {"representation_uuid", uuid}}
		},
	},
}

// encode writes v as the dialect's client writes it.
func (d *dialect) encode(v any) string {
	var b strings.Builder
	d.write(&b, v)
	return b.String()
}

func (d *dialect) write(b *strings.Builder, v any) {
	list := func(items []any) {
		b.WriteString("[")
		for i, x := range items {
			if i > 0 {
				b.WriteString(d.sep)
			}
			d.write(b, x)
		}
		b.WriteString("]")
	}
	switch x := v.(type) {
	case ordered:
		b.WriteString("{")
		for i, f := range x {
			if i > 0 {
				b.WriteString(d.sep)
			}
			d.write(b, f.k)
			b.WriteString(d.colon)
			d.write(b, f.v)
		}
		b.WriteString("}")
	case rvec:
		if d.unbox && len(x) == 1 {
			d.write(b, x[0])
			return
		}
		list(x)
	case []any:
		list(x)
	case rNull:
		b.WriteString("{}")
	case string:
		s, _ := json.Marshal(x)
		b.Write(s)
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(d.number(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("encode: %T", v))
	}
}

// fscClient is one FSC client of one dialect talking to one node.
type fscClient struct {
	t   *testing.T
	d   *dialect
	url string
}

// send makes one request exactly as the client does (body nil: the
// client's GET or DELETE) and returns the decoded answer, or nil after
// reporting a failure.
func (c *fscClient) send(method, path string, body any) map[string]any {
	c.t.Helper()
	var raw []byte
	if body != nil {
		raw = []byte(c.d.encode(body))
	} else {
		raw = c.d.noBody
	}
	if c.d.origin != "" && (body != nil || method == http.MethodDelete) {
		c.preflight(method, path, body != nil)
	}
	var r io.Reader
	if raw != nil {
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	hs := c.d.headers
	if raw != nil {
		hs = append(slices.Clone(hs), c.d.bodyHeaders...)
	}
	for i := 0; i+1 < len(hs); i += 2 {
		req.Header.Set(hs[i], hs[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Errorf("%s: %s %s: %v", c.d.name, method, path, err)
		return nil
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Errorf("%s: %s %s with %s: %d %s", c.d.name, method, path, raw, resp.StatusCode, answer)
		return nil
	}
	if c.d.origin != "" && resp.Header.Get("Access-Control-Allow-Origin") != c.d.origin {
		c.t.Errorf("%s: %s %s: Access-Control-Allow-Origin %q, want %q: the page could not read the answer", c.d.name, method, path, resp.Header.Get("Access-Control-Allow-Origin"), c.d.origin)
	}
	var out map[string]any
	if err := json.Unmarshal(answer, &out); err != nil {
		c.t.Errorf("%s: %s %s: answer %s: %v", c.d.name, method, path, answer, err)
		return nil
	}
	return out
}

// preflight is the browser's CORS preflight of a request the page cannot
// send without one.
func (c *fscClient) preflight(method, path string, hasBody bool) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, c.url+path, nil)
	req.Header.Set("Origin", c.d.origin)
	req.Header.Set("Access-Control-Request-Method", method)
	if hasBody {
		req.Header.Set("Access-Control-Request-Headers", "content-type")
	}
	req.Header.Set("Sec-Fetch-Mode", "cors")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Errorf("preflight %s %s: %v", method, path, err)
		return
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode/100 != 2 || h.Get("Access-Control-Allow-Origin") != c.d.origin ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), method) ||
		(hasBody && !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type")) {
		c.t.Errorf("preflight %s %s: %d, allow origin %q methods %q headers %q", method, path, resp.StatusCode, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"))
	}
}

func (c *fscClient) uuidOf(what string, a map[string]any) string {
	c.t.Helper()
	id, _ := a["uuid"].(string)
	if a != nil && (a["type"] != "uuid" || id == "") {
		c.t.Errorf("%s: %s answered %v, want a uuid", c.d.name, what, a)
	}
	return id
}

// The client API: Api.list, create, upload, attribute, call, download,
// release.

func (c *fscClient) list() []any {
	a := c.send(http.MethodGet, "/representations", nil)
	l, _ := a["list"].([]any)
	return l
}

func (c *fscClient) create(kwargs ordered) string {
	return c.uuidOf("create", c.send(http.MethodPost, "/representations", ordered{{"args", c.d.emptyArgs}, {"kwargs", kwargs}}))
}

func (c *fscClient) upload(obj any) string {
	kw := any(ordered{})
	if c.d.name == "r" {
		kw = rNull{}
	}
	return c.uuidOf("upload", c.send(http.MethodPut, "/representations", ordered{{"args", []any{obj}}, {"kwargs", kw}}))
}

func (c *fscClient) attribute(uuid, name string) string {
	return c.uuidOf("attribute", c.send(http.MethodGet, "/representation/"+uuid+"/"+name, nil))
}

func (c *fscClient) call(uuid string, kwargs ordered) string {
	args := any([]any{})
	if c.d.name == "r" {
		args = rvec{} // Representation$call(list(), list(...)): list() is []
	}
	return c.uuidOf("call", c.send(http.MethodPatch, "/representation/"+uuid, ordered{{"args", args}, {"kwargs", kwargs}}))
}

func (c *fscClient) download(uuid string) any {
	a := c.send(http.MethodGet, "/representation/"+uuid, nil)
	if a != nil && a["type"] != "object" {
		c.t.Errorf("%s: download answered %v, want an object", c.d.name, a)
	}
	return a["object"]
}

func (c *fscClient) release(uuid string) {
	if a := c.send(http.MethodDelete, "/representation/"+uuid, nil); a != nil && a["type"] != "none" {
		c.t.Errorf("%s: release answered %v, want none", c.d.name, a)
	}
}

// replayCase is one computation: each party's data as its client's caller
// writes it, the parameters, and a check of the answer against the pooled
// plaintext.
type replayCase struct {
	name, microprotocol string
	data                [3]any
	parameters          ordered
	check               func(t *testing.T, result map[string]any)
}

func near(got any, want float64) bool {
	g, ok := got.(float64)
	return ok && math.Abs(g-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// quantile7 is R's type 7 quantile of sorted values.
func quantile7(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := math.Floor(h)
	if int(lo)+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[int(lo)] + (h-lo)*(sorted[int(lo)+1]-sorted[int(lo)])
}

func replayCases() []replayCase {
	// SecureSum, StatisticsUnivariate and SecureMedian: one value at a
	// party is an R scalar.
	sums := [3][]float64{{1.5, 2, 3}, {10}, {-0.25, 4}}
	univ := [3][]float64{{-1}, {0, 1}, {2}} // symmetric about 0.5, with values ≤ 0
	// StatisticsFrequency: one party holds one category.
	freq := [3][]string{{"F"}, {"M", "F", "F"}, {"M", "X"}}
	pairs := [3][][2]float64{{{1, 2}}, {{2, 3.5}, {3, 6.5}}, {{4, 8}, {5, 9}}}
	cells := [3][][2]string{{{"smoker", "male"}}, {{"non-smoker", "female"}, {"smoker", "female"}}, {{"smoker", "male"}, {"non-smoker", "male"}}}
	rows := [3][][2]float64{{{3, 1}}, {{5.5, 2}, {6, 3}}, {{9, 4}, {10.5, 5}}} // [y, x]
	vec := func(v []float64) rvec {
		out := make(rvec, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	}
	strs := func(v []string) rvec {
		out := make(rvec, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	}
	pool := func(parts [3][]float64) []float64 {
		var all []float64
		for _, p := range parts {
			all = append(all, p...)
		}
		return all
	}
	return []replayCase{
		{name: "SecureSum", microprotocol: "SecureSum",
			data: [3]any{vec(sums[0]), vec(sums[1]), vec(sums[2])},
			check: func(t *testing.T, r map[string]any) {
				want := 0.0
				for _, v := range pool(sums) {
					want += v
				}
				if !near(r["sum"], want) {
					t.Errorf("sum %v, want %v", r["sum"], want)
				}
			}},
		{name: "Count of c(5)", microprotocol: "Count",
			data: [3]any{rvec{5}, rvec{"a", "b"}, rvec{true, false, true}},
			check: func(t *testing.T, r map[string]any) {
				if r["count"] != float64(1+2+3) {
					t.Errorf("count %v, want 6", r["count"])
				}
			}},
		{name: "MinimumMaximum, the reference's items", microprotocol: "MinimumMaximum",
			data: [3]any{
				[]any{ordered{{"minimum", 1.0}, {"maximum", 4.0}}},
				[]any{ordered{{"minimum", -2.0}, {"maximum", 3.0}}, ordered{{"minimum", 0.0}, {"maximum", 9.5}}},
				vec([]float64{5, 6})},
			check: func(t *testing.T, r map[string]any) {
				if r["samples"] != 5.0 || r["minimum"] != -2.0 || r["maximum"] != 9.5 {
					t.Errorf("%v, want 5 samples from -2 to 9.5", r)
				}
			}},
		{name: "SecureMedian", microprotocol: "SecureMedian",
			data: [3]any{vec(sums[0]), vec(sums[1]), vec(sums[2])},
			check: func(t *testing.T, r map[string]any) {
				all := pool(sums)
				slices.Sort(all)
				if want := quantile7(all, 0.5); !near(r["median"], want) {
					t.Errorf("median %v, want %v", r["median"], want)
				}
			}},
		{name: "Quantiles of c(0.5)", microprotocol: "Quantiles",
			data: [3]any{vec(sums[0]), vec(sums[1]), vec(sums[2])}, parameters: ordered{{"probabilities", rvec{0.5}}},
			check: func(t *testing.T, r map[string]any) {
				all := pool(sums)
				slices.Sort(all)
				q, _ := r["quantiles"].([]any)
				if len(q) != 1 || !near(q[0], quantile7(all, 0.5)) {
					t.Errorf("quantiles %v, want [%v]", r["quantiles"], quantile7(all, 0.5))
				}
			}},
		{name: "StatisticsUnivariate with values ≤ 0", microprotocol: "StatisticsUnivariate",
			data: [3]any{vec(univ[0]), vec(univ[1]), vec(univ[2])},
			check: func(t *testing.T, r map[string]any) {
				all := pool(univ)
				n, sum, logs, recip := float64(len(all)), 0.0, 0.0, 0.0
				for _, v := range all {
					sum += v
					if v > 0 {
						logs += math.Log(v)
					}
					if v != 0 {
						recip += 1 / v
					}
				}
				if !near(r["mean"], sum/n) || !near(r["geometric_mean"], math.Exp(logs/n)) || !near(r["harmonic_mean"], n/recip) {
					t.Errorf("mean %v, geometric %v, harmonic %v; want %v, %v, %v (the reference's definitions)", r["mean"], r["geometric_mean"], r["harmonic_mean"], sum/n, math.Exp(logs/n), n/recip)
				}
				if r["skewness"] != 0.0 || r["hyper_skewness"] != 0.0 {
					t.Errorf("skewness %v, hyper_skewness %v of symmetric data, want exactly 0", r["skewness"], r["hyper_skewness"])
				}
				if len(r) != 22 {
					t.Errorf("%d keys, want the reference's 22", len(r))
				}
			}},
		{name: "StatisticsBivariate, one pair c(1, 2)", microprotocol: "StatisticsBivariate",
			data: [3]any{vec(pairs[0][0][:]), []any{vec(pairs[1][0][:]), vec(pairs[1][1][:])}, []any{vec(pairs[2][0][:]), vec(pairs[2][1][:])}},
			check: func(t *testing.T, r map[string]any) {
				var xs, ys []float64
				for _, p := range pairs {
					for _, xy := range p {
						xs, ys = append(xs, xy[0]), append(ys, xy[1])
					}
				}
				n := float64(len(xs))
				mx, my := 0.0, 0.0
				for i := range xs {
					mx, my = mx+xs[i]/n, my+ys[i]/n
				}
				cov := 0.0
				for i := range xs {
					cov += (xs[i] - mx) * (ys[i] - my) / (n - 1)
				}
				if r["samples"] != n || !near(r["covariance"], cov) {
					t.Errorf("samples %v covariance %v, want %v and %v", r["samples"], r["covariance"], n, cov)
				}
			}},
		{name: "StatisticsFrequency, one category c(\"F\")", microprotocol: "StatisticsFrequency",
			data: [3]any{strs(freq[0]), strs(freq[1]), strs(freq[2])},
			check: func(t *testing.T, r map[string]any) {
				want := map[string]float64{}
				for _, p := range freq {
					for _, c := range p {
						want[c]++
					}
				}
				h, _ := r["histogram"].(map[string]any)
				for c, n := range want {
					if h[c] != n {
						t.Errorf("histogram %v, want %v", h, want)
						break
					}
				}
				if r["mode"] != "F" {
					t.Errorf("mode %v, want F", r["mode"])
				}
			}},
		{name: "StatisticsContingency, one pair c(a, b)", microprotocol: "StatisticsContingency",
			data: [3]any{strs(cells[0][0][:]), []any{strs(cells[1][0][:]), strs(cells[1][1][:])}, []any{strs(cells[2][0][:]), strs(cells[2][1][:])}},
			check: func(t *testing.T, r map[string]any) {
				want := map[[2]string]float64{}
				for _, p := range cells {
					for _, c := range p {
						want[c]++
					}
				}
				table, _ := r["table"].(map[string]any)
				for c, n := range want {
					row, _ := table[c[0]].(map[string]any)
					if row[c[1]] != n {
						t.Errorf("table %v, want %v", table, want)
						break
					}
				}
			}},
		{name: "SetIntersection, a set of one", microprotocol: "SetIntersection",
			data: [3]any{
				[]any{strs([]string{"A", "C"}), strs([]string{"C", "A", "D"})},
				[]any{strs([]string{"C"}), strs([]string{"C", "A"})}, // R: ["C", ["C", "A"]]
				[]any{strs([]string{"A", "C", "Z"})}},
			check: func(t *testing.T, r map[string]any) {
				// {A,C} ∩ {C} ∩ {A,C,Z}
				if r["size_intersection"] != 1.0 || fmt.Sprint(r["intersection"]) != "[C]" {
					t.Errorf("%v, want the intersection [C]", r)
				}
			}},
		{name: "SetIntersectionSize", microprotocol: "SetIntersectionSize",
			data: [3]any{[]any{strs([]string{"A", "B", "C"})}, strs([]string{"C", "A"}), []any{strs([]string{"A"}), strs([]string{"A", "C"})}},
			check: func(t *testing.T, r map[string]any) {
				if r["size_intersection"] != 1.0 { // {A,B,C} ∩ {C,A} ∩ {A}
					t.Errorf("%v, want size 1", r)
				}
			}},
		{name: "Moments", microprotocol: "Moments",
			data: [3]any{vec(sums[0]), vec(sums[1]), vec(sums[2])},
			check: func(t *testing.T, r map[string]any) {
				all := pool(sums)
				sum := 0.0
				for _, v := range all {
					sum += v
				}
				if !near(r["mean"], sum/float64(len(all))) {
					t.Errorf("mean %v, want %v", r["mean"], sum/float64(len(all)))
				}
			}},
		{name: "Histogram", microprotocol: "Histogram",
			data: [3]any{vec(sums[0]), vec(sums[1]), vec(sums[2])}, parameters: ordered{{"edges", rvec{0.0, 2.5, 5.0, 10.0}}},
			check: func(t *testing.T, r map[string]any) {
				edges := []float64{0, 2.5, 5, 10}
				want := make([]float64, len(edges)-1)
				for _, v := range pool(sums) {
					for b := range want {
						if v >= edges[b] && (v < edges[b+1] || b == len(want)-1 && v == edges[b+1]) {
							want[b]++
						}
					}
				}
				if fmt.Sprint(r["counts"]) != fmt.Sprint(want) {
					t.Errorf("counts %v, want %v", r["counts"], want)
				}
			}},
		{name: "Regression, one row c(y, x), names c(\"dose\")", microprotocol: "Regression",
			data:       [3]any{vec(rows[0][0][:]), []any{vec(rows[1][0][:]), vec(rows[1][1][:])}, []any{vec(rows[2][0][:]), vec(rows[2][1][:])}},
			parameters: ordered{{"names", rvec{"dose"}}},
			check: func(t *testing.T, r map[string]any) {
				var xs, ys []float64
				for _, p := range rows {
					for _, yx := range p {
						ys, xs = append(ys, yx[0]), append(xs, yx[1])
					}
				}
				n := float64(len(xs))
				mx, my := 0.0, 0.0
				for i := range xs {
					mx, my = mx+xs[i]/n, my+ys[i]/n
				}
				sxy, sxx := 0.0, 0.0
				for i := range xs {
					sxy += (xs[i] - mx) * (ys[i] - my)
					sxx += (xs[i] - mx) * (xs[i] - mx)
				}
				coef, _ := r["coefficients"].(map[string]any)
				if !near(coef["dose"], sxy/sxx) || !near(coef["(Intercept)"], my-sxy/sxx*mx) {
					t.Errorf("coefficients %v, want dose %v, (Intercept) %v", coef, sxy/sxx, my-sxy/sxx*mx)
				}
			}},
	}
}

// replayStudy runs every case with party i using the client clients[i]
// against node urls[i], the FSC way: create, attribute compute, call,
// download, release; and an upload passed to compute as a handle.
func replayStudy(t *testing.T, urls []string, clients [3]*dialect, study string, sexCounts map[string]float64) {
	var wg sync.WaitGroup
	for i := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &fscClient{t: t, d: clients[i], url: urls[i]}
			found := false
			for _, s := range c.list() {
				if m, ok := s.(map[string]any); ok && strings.EqualFold(fmt.Sprint(m["protocol"]), "simon") {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: list holds no Simon service", c.d.name)
				return
			}
			service := c.create(ordered{{"protocol", "Simon"}})
			compute := c.attribute(service, "compute")
			if compute == "" {
				return
			}
			for _, tc := range replayCases() {
				network := ordered{{"nodes", rvec{urls[0], urls[1], urls[2]}}, {"myself", i}, {"uuid", study + "-" + tc.name}}
				kw := ordered{{"microprotocol", tc.microprotocol}, {"data", tc.data[i]}, {"network", network}}
				if tc.parameters != nil {
					kw = append(kw, field{"parameters", tc.parameters})
				}
				res := c.call(compute, kw)
				if res == "" {
					continue
				}
				obj, _ := c.download(res).(map[string]any)
				c.release(res) // the Python client's download, then release
				if obj == nil {
					continue
				}
				result, _ := obj["result"].(map[string]any)
				if obj["inputs"] != 3.0 || result == nil {
					t.Errorf("%s party %d (%s): %v, want 3 inputs and a result", tc.name, i, c.d.name, obj)
					continue
				}
				t.Run(fmt.Sprintf("%s/party%d-%s", tc.name, i, c.d.name), func(t *testing.T) { tc.check(t, result) })
			}

			// Upload, then pass the Representation to compute as data.
			mine := rvec{float64(i + 1), 0.5}
			up := c.upload(mine)
			res := c.call(compute, ordered{{"microprotocol", "SecureSum"}, {"data", c.d.handle(urls[i], up)},
				{"network", ordered{{"nodes", rvec{urls[0], urls[1], urls[2]}}, {"myself", i}, {"uuid", study + "-upload"}}}})
			if obj, _ := c.download(res).(map[string]any); obj != nil {
				if r, _ := obj["result"].(map[string]any); !near(r["sum"], 1+2+3+3*0.5) {
					t.Errorf("%s: sum over uploads %v, want 7.5", c.d.name, obj)
				}
			}
			if got := c.d.encode(c.download(up)); got != c.d.encode(rvec{float64(i + 1), 0.5}) {
				t.Errorf("%s: download of the upload %s, want %s", c.d.name, got, c.d.encode(mine))
			}
			c.release(up) // downloaded already: no error

			// Node-held data, the column named as R writes c("sex").
			res = c.call(compute, ordered{{"microprotocol", "StatisticsFrequency"}, {"dataset", ordered{{"table", "patients"}, {"columns", rvec{"sex"}}}}})
			if obj, _ := c.download(res).(map[string]any); obj != nil {
				r, _ := obj["result"].(map[string]any)
				h, _ := r["histogram"].(map[string]any)
				for level, n := range sexCounts {
					if h[level] != n {
						t.Errorf("%s: frequency of sex %v, want %v", c.d.name, h, sexCounts)
						break
					}
				}
			}
			c.release(res)
		}()
	}
	wg.Wait()
}

// TestFSCClientsReplayed runs every call of the Python, R and JavaScript
// clients' APIs, each microprotocol included, against a federation whose
// members allow the JavaScript client's page: all parties with one client,
// then each party with another.
func TestFSCClientsReplayed(t *testing.T) {
	fed := startFederation(t, func(file, text string) string {
		if strings.HasPrefix(file, "hospital-") {
			// A party refused waits for the others no longer than 5 s.
			text = strings.Replace(text, "[tls]", "timeout = \"5s\"\n\n[tls]", 1)
			return strings.Replace(text, "[policy]", "[policy]\norigins = [\""+jsPage+"\"]", 1)
		}
		return text
	})
	urls := fed.URLs()
	sex, err := pooled(t).Column("sex")
	if err != nil {
		t.Fatal(err)
	}
	sexCounts := map[string]float64{}
	for _, code := range sex.Cat {
		if code >= 0 {
			sexCounts[sex.Levels.At(int(code))]++
		}
	}
	if len(sexCounts) < 2 {
		t.Fatalf("pooled sex counts %v: want two levels", sexCounts)
	}
	py, r, js := dialects["python"], dialects["r"], dialects["js"]
	for _, run := range []struct {
		name    string
		clients [3]*dialect
	}{
		{"python", [3]*dialect{py, py, py}},
		{"r", [3]*dialect{r, r, r}},
		{"js", [3]*dialect{js, js, js}},
		{"python-r-js", [3]*dialect{py, r, js}},
	} {
		t.Run(run.name, func(t *testing.T) { replayStudy(t, urls, run.clients, secUUID(t), sexCounts) })
	}
}

// TestFSCClientsErrors: what each client is told when it asks for what is
// not there: the protocol asked and the one that exists, no Go syntax; an
// unknown or twice-released uuid, named.
func TestFSCClientsErrors(t *testing.T) {
	procs := startDev(t, 1)
	url := procs[0].URL
	for _, d := range []*dialect{dialects["python"], dialects["r"]} {
		t.Run(d.name, func(t *testing.T) {
			body := d.encode(ordered{{"args", d.emptyArgs}, {"kwargs", ordered{{"protocol", "Foo"}, {"version", rvec{1.0}}}}})
			a := secCall(t, http.MethodPost, url+"/representations", []byte(body))
			secExpectError(t, "create Foo", a, http.StatusNotFound, `protocol "Foo"`, `version`, `offers one service: protocol "Simon"`, `namespace "federatedsecure"`)
			for _, goSyntax := range []string{"map[", "[]interface", "%!"} {
				if strings.Contains(a.message, goSyntax) {
					t.Errorf("create Foo: message %q holds Go syntax %q", a.message, goSyntax)
				}
			}
			// An upload: downloaded, released (no error), released again
			// (unknown); a uuid never issued is unknown.
			c := &fscClient{t: t, d: d, url: url}
			up := c.upload(rvec{1.0, 2.0})
			c.download(up)
			c.release(up)
			a = secCall(t, http.MethodDelete, url+"/representation/"+up, d.noBody)
			secExpectError(t, "second release", a, http.StatusNotFound, "unknown uuid "+up)
			a = secCall(t, http.MethodDelete, url+"/representation/never-issued", d.noBody)
			secExpectError(t, "release of a uuid never issued", a, http.StatusNotFound, "unknown uuid never-issued")
			// An upload released without a download.
			up = c.upload(rvec{3.0})
			c.release(up)
			a = secCall(t, http.MethodGet, url+"/representation/"+up, d.noBody)
			secExpectError(t, "download after release", a, http.StatusNotFound, "unknown uuid "+up)
		})
	}
}

// TestMinimumMaximumItemsRefusedClearly: a malformed reference item is a
// 400 naming the item and what is missing.
func TestMinimumMaximumItemsRefusedClearly(t *testing.T) {
	procs := startDev(t, 2, "--timeout", "3s")
	nodes := []any{procs[0].URL, procs[1].URL}
	for _, tc := range []struct {
		data  any
		wants []string
	}{
		{[]any{map[string]any{"minimum": 1.0}}, []string{"data[0]", `"maximum" missing`}},
		{[]any{2.0, map[string]any{"minimum": 1.0, "maximum": "9"}}, []string{"data[1].maximum", "a string"}},
		{[]any{[]any{1.0, 2.0}}, []string{"data[0]", `{"minimum": a, "maximum": b}`, "a list"}},
	} {
		_, compute := secIDs(t, procs[0].URL)
		a := secCall(t, http.MethodPatch, procs[0].URL+"/representation/"+compute, secKwargs(t, map[string]any{
			"microprotocol": "MinimumMaximum", "data": tc.data, "network": map[string]any{"nodes": nodes, "uuid": secUUID(t), "myself": 0}}))
		secExpectError(t, fmt.Sprint(tc.data), a, http.StatusBadRequest, tc.wants...)
	}
}
