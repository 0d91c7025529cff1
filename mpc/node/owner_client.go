package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Owner is the client of a running node's owner endpoints (owner.go): what
// `fsc-node pending`, `approve` and `deny` use. It reads the credential the
// node wrote into its state folder, so it works for the node's own user,
// on the node's machine.
type Owner struct {
	url   string
	token string
	http  *http.Client
}

// NewOwner returns the owner's client of the node that cfg describes.
func NewOwner(cfg *Config) (*Owner, error) {
	path := OwnerTokenPath(cfg)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: start the node first (fsc-node --config %s)", path, cfg.File)
	}
	if err != nil {
		return nil, fmt.Errorf("read the owner credential: %w (run this as the node's own user)", err)
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, configError(cfg.File, "listen", "%q is not host:port", cfg.Listen)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // a node listening on every address answers on loopback too
	}
	transport := &http.Transport{}
	scheme := "http"
	if cfg.ClientTLS != nil {
		scheme = "https"
		pinned, err := certificateDER(cfg.ClientTLS.Cert)
		if err != nil {
			return nil, configError(cfg.File, "client_tls.cert", "%v", err)
		}
		// The node is the one whose certificate the config names, whatever
		// name it is reached by: that certificate is pinned.
		transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, pinned) {
					return fmt.Errorf("the node at %s does not present the certificate %s", cfg.Listen, cfg.ClientTLS.Cert)
				}
				return nil
			}}
	}
	return &Owner{
		url:   scheme + "://" + net.JoinHostPort(host, port),
		token: strings.TrimSpace(string(data)),
		http:  &http.Client{Transport: transport, Timeout: 30 * time.Second},
	}, nil
}

// certificateDER reads the first certificate of a PEM file.
func certificateDER(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return block.Bytes, nil
}

// Pending lists the queries waiting for the owner's approval, oldest first.
func (o *Owner) Pending(ctx context.Context) ([]PendingQuery, error) {
	var out struct {
		Pending []PendingQuery `json:"pending"`
	}
	err := o.do(ctx, http.MethodGet, "/owner/pending", &out)
	return out.Pending, err
}

// Decide approves (or denies) the waiting query with this id, and returns
// it with its decision.
func (o *Owner) Decide(ctx context.Context, id string, approve bool) (*PendingQuery, error) {
	verb := "deny"
	if approve {
		verb = "approve"
	}
	var out PendingQuery
	if err := o.do(ctx, http.MethodPost, "/owner/"+verb+"/"+url.PathEscape(id), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (o *Owner) do(ctx context.Context, method, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, o.url+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+o.token)
	resp, err := o.http.Do(req)
	if err != nil {
		return fmt.Errorf("the node at %s is not answering: is fsc-node running with this config? (%v)", o.url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("the node at %s: %w", o.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			e.Message = fmt.Sprintf("%s %s answered %d", method, path, resp.StatusCode)
		}
		if resp.StatusCode == http.StatusUnauthorized {
			e.Message += " (was the node restarted with another state folder?)"
		}
		return errors.New(e.Message)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("the node at %s answered %s %s with %w", o.url, method, path, err)
	}
	return nil
}
