package node

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// Web browsers. Any page open in a browser on the analyst's machine can
// send requests to 127.0.0.1, where the client API takes loopback clients
// without a token (and a development node also serves its peer API). The
// client API therefore refuses requests a browser makes for a page whose
// origin the node's owner has not allowed, and the peer API refuses every
// request a browser could make. Non-browser clients (the FSC Python and R
// clients, curl, mpc/client) send neither Origin nor Sec-Fetch-* headers
// and are not affected.

// allowOrigins refuses, with 403, a client API request made by a web page
// whose origin is not in the node's [policy] origins: one whose Origin
// header (even "null") is not listed, and one without Origin whose
// Sec-Fetch-Site is cross-site or same-site (a no-cors load such as
// <img src> or <script src>). It guards every route, OPTIONS preflights,
// /healthz and /info included; its refusals carry no CORS allowance.
//
// A page from an allowed origin is trusted like any other client on the
// node's machine: on loopback it needs no bearer token, for dataset-backed
// calls too. An owner lists only origins that serve pages they trust.
func (n *Node) allowOrigins(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		origin, sent := r.Header["Origin"]
		switch site := r.Header.Get("Sec-Fetch-Site"); {
		case sent && !n.originAllowed(origin[0]):
			writeError(w, errorf(http.StatusForbidden, "web page of origin %q refused: this node answers only web pages of origins its owner allows; %s", origin[0], allowHint(origin[0])))
			return
		case !sent && (site == "cross-site" || site == "same-site"):
			writeError(w, errorf(http.StatusForbidden, "request from a web page refused (Sec-Fetch-Site: %s, no Origin): this node answers only web pages of origins its owner allows, in the node config: [policy] origins = [\"https://notebooks.example.org\"]", site))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed reports whether origin is in [policy] origins.
func (n *Node) originAllowed(origin string) bool {
	want := canonicalOrigin(origin)
	return slices.ContainsFunc(n.cfg.Policy.Origins, func(o string) bool { return canonicalOrigin(o) == want })
}

// canonicalOrigin writes an origin as browsers send it: lower-case, without
// the scheme's default port.
func canonicalOrigin(o string) string {
	o = strings.ToLower(o)
	if strings.HasPrefix(o, "https://") {
		return strings.TrimSuffix(o, ":443")
	}
	return strings.TrimSuffix(o, ":80")
}

// allowHint tells the node's owner how to allow a page's origin.
func allowHint(origin string) string {
	if origin == "null" {
		return "a sandboxed or local-file page (Origin null) cannot be allowed; serve the page over http(s) and list its origin in the node config: [policy] origins = [\"https://notebooks.example.org\"]"
	}
	return fmt.Sprintf("to allow it, the node's owner adds it to the node config: [policy] origins = [%q]", origin)
}

// browserGuard refuses, with 403, every peer API request a web browser
// could send: one with an Origin or any Sec-Fetch-* header, and one whose
// Content-Type a page may send without a CORS preflight (form,
// multipart, text/plain, none or unparsable). fsc-node's own peer requests
// are POSTs of application/octet-stream (messages) or application/json
// (queries) and pass. No peer answer carries a CORS allowance.
func browserGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := browserSign(r); why != "" {
			writeError(w, errorf(http.StatusForbidden, "peer API %s: refused a request a web browser could send (%s); only fsc-node peers call this API, with POST and Content-Type application/octet-stream or application/json", r.URL.Path, why))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// browserSign names what makes r a request a browser could have sent, or
// returns "".
func browserSign(r *http.Request) string {
	if o, ok := r.Header["Origin"]; ok {
		return fmt.Sprintf("Origin %q", strings.Join(o, ","))
	}
	for k := range r.Header {
		if strings.HasPrefix(k, "Sec-Fetch-") {
			return "header " + k
		}
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		return "no Content-Type"
	case err != nil:
		return fmt.Sprintf("malformed Content-Type %q", ct)
	case mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data" || mt == "text/plain":
		return "Content-Type " + mt
	}
	return ""
}
