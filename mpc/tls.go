package mpc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// CreateIdentity writes a new ECDSA P-256 key and a self-signed certificate
// for the member called name, valid for ten years for 127.0.0.1, ::1,
// localhost and the given extra host names or addresses. Files are written
// atomically; the key is readable by its owner only. Existing files are
// never overwritten.
func CreateIdentity(name, certPath, keyPath string, hosts ...string) error {
	for _, p := range []string{certPath, keyPath} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s already exists: remove it first to make a new identity", p)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("generate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"fsc federation member"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	if err := writeAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link fails if path exists, so two processes never overwrite each other.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Fingerprint returns the SHA-256 of a DER certificate as "sha256:<hex>".
func Fingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(h[:])
}

// Pins maps federation members to their pinned certificates, read from the
// files the federation names. Files are re-read when they change, so a
// member that creates its certificate after this node started is accepted
// once the file is there.
type Pins struct {
	mu    sync.Mutex
	paths map[string]string // member -> certificate file
	certs map[string]pinned
}

type pinned struct {
	mod  time.Time
	cert *x509.Certificate
}

// NewPins returns pins for members, given as member name -> certificate file.
func NewPins(members map[string]string) *Pins {
	return &Pins{paths: members, certs: map[string]pinned{}}
}

func (p *Pins) load(member string) (*x509.Certificate, error) {
	path, ok := p.paths[member]
	if !ok {
		return nil, fmt.Errorf("%s is not a federation member", member)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("certificate of %s: %w", member, err)
	}
	if c, ok := p.certs[member]; ok && c.mod.Equal(st.ModTime()) {
		return c.cert, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("certificate of %s: %w", member, err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("certificate of %s: %s holds no PEM certificate", member, path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate of %s: %s: %w", member, path, err)
	}
	p.certs[member] = pinned{mod: st.ModTime(), cert: cert}
	return cert, nil
}

// Identify returns the member whose pinned certificate is exactly der.
func (p *Pins) Identify(der []byte) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for member := range p.paths {
		c, err := p.load(member)
		if err == nil && bytes.Equal(c.Raw, der) {
			return member, checkValidity(member, c)
		}
	}
	return "", fmt.Errorf("certificate %s is not pinned for any federation member", Fingerprint(der))
}

// Expect checks that der is the pinned certificate of member.
func (p *Pins) Expect(member string, der []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.load(member)
	if err != nil {
		return err
	}
	if !bytes.Equal(c.Raw, der) {
		return fmt.Errorf("%s presented certificate %s, not the one pinned in the federation", member, Fingerprint(der))
	}
	return checkValidity(member, c)
}

func checkValidity(member string, c *x509.Certificate) error {
	now := time.Now()
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return fmt.Errorf("certificate of %s is valid only from %s to %s", member, c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly))
	}
	return nil
}

// ServerTLS returns the TLS configuration of a peer API: TLS 1.3, and a
// client certificate that must be pinned for a federation member.
func ServerTLS(id tls.Certificate, pins *Pins) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no client certificate")
			}
			_, err := pins.Identify(raw[0])
			return err
		},
	}
}

// ClientTLS returns the TLS configuration for dialling member: this node
// presents id, and the server must present member's pinned certificate.
// Chain verification is replaced by the pin, which is stricter.
func ClientTLS(id tls.Certificate, pins *Pins, member string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{id},
		InsecureSkipVerify: true, // the pin below is checked instead of a CA chain
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return fmt.Errorf("%s presented no certificate", member)
			}
			return pins.Expect(member, raw[0])
		},
	}
}

// PeerName returns the federation member that a TLS connection's client
// certificate identifies.
func PeerName(state *tls.ConnectionState, pins *Pins) (string, error) {
	if state == nil || len(state.PeerCertificates) == 0 {
		return "", errors.New("no client certificate")
	}
	return pins.Identify(state.PeerCertificates[0].Raw)
}
