package node

import (
	"bufio"
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

type requesterKey struct{}

// loadTokens reads the analysts' bearer tokens: one analyst a line, "name
// token"; blank lines and lines starting with # are skipped.
func (n *Node) loadTokens() error {
	for _, src := range n.cfg.Policy.Analysts {
		path := strings.TrimPrefix(src, "token-file:")
		f, err := os.Open(path)
		if err != nil {
			return configError(n.cfg.File, "policy.analysts", "%v", err)
		}
		sc := bufio.NewScanner(f)
		line := 0
		for sc.Scan() {
			line++
			text := strings.TrimSpace(sc.Text())
			if text == "" || strings.HasPrefix(text, "#") {
				continue
			}
			fields := strings.Fields(text)
			if len(fields) != 2 || len(fields[1]) < 16 {
				f.Close()
				return fmt.Errorf("%s: line %d: expected \"name token\" with a token of at least 16 characters", path, line)
			}
			n.tokens[fields[1]] = fields[0]
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// authenticateClient lets loopback clients in, and others only with a
// bearer token of a listed analyst. The analyst's name (or "loopback") is
// recorded as the requester.
func (n *Node) authenticateClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := ""
		if auth := r.Header.Get("Authorization"); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok {
				writeError(w, errorf(http.StatusUnauthorized, "Authorization: expected \"Bearer TOKEN\""))
				return
			}
			for t, name := range n.tokens {
				if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
					who = name
				}
			}
			if who == "" {
				writeError(w, errorf(http.StatusUnauthorized, "unknown bearer token"))
				return
			}
		}
		if who == "" {
			if !isLoopback(r) {
				writeError(w, errorf(http.StatusUnauthorized, "clients from other machines need a bearer token (Authorization: Bearer TOKEN)"))
				return
			}
			if !loopbackHost(r.Host) {
				// a web page that rebound its own name to 127.0.0.1
				writeError(w, errorf(http.StatusForbidden, "Host %q is not this machine's loopback address; use 127.0.0.1 or localhost", r.Host))
				return
			}
			who = "loopback"
		}
		if r.URL.Path != "/healthz" && !isLoopback(r) && r.TLS == nil && n.cfg.ClientTLS == nil {
			// tokens over plain HTTP from another machine would travel in clear
			writeError(w, errorf(http.StatusForbidden, "non-loopback clients must use HTTPS ([client_tls] in the node config)"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requesterKey{}, who)))
	})
}

func requesterOf(r *http.Request) string {
	s, _ := r.Context().Value(requesterKey{}).(string)
	return s
}

// loopbackHost reports whether a Host header names this machine by a
// loopback address or localhost.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
