package node_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
	"github.com/fsc-kernel/fsc-kernel/mpc/node"
)

// TestRealFederationGuide follows the README's "Running a real federation"
// as far as one machine allows: three members on distinct loopback
// addresses, each with its own config, `fsc-node init` for its peer
// identity and for its client certificate, the certificates exchanged in
// a federation file, HTTPS for clients and a bearer token; then an analyst
// with the token and the node's certificate computes over all three, and
// hospital-c's owner (auto_join left at its default, false) approves the
// query with fsc-node approve.
func TestRealFederationGuide(t *testing.T) {
	hosts := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}
	for _, h := range hosts[1:] {
		if l, err := net.Listen("tcp", h+":0"); err != nil {
			t.Skipf("this machine has no loopback address %s: %v", h, err)
		} else {
			l.Close()
		}
	}
	ports, err := fedrun.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	api, peer := ports[0], ports[1]
	dir := t.TempDir()
	names := []string{"hospital-a", "hospital-b", "hospital-c"}
	data, _ := filepath.Abs(filepath.Join(exampleDir, "data"))
	// Step 1: each owner writes a config and a token file. hospital-c
	// keeps the default auto_join = false: its owner approves each query.
	autoJoin := map[string]string{"hospital-a": "auto_join = true\n", "hospital-b": "auto_join = true\n"}
	var federation strings.Builder
	for i, name := range names {
		home := filepath.Join(dir, name)
		os.MkdirAll(home, 0o700)
		config := fmt.Sprintf(`name        = %q
listen      = "%s:%d"
peer_listen = "%s:%d"
federation  = "../federation.toml"
audit       = "audit.jsonl"
state       = "state"

[tls]
cert = "peer.crt"
key  = "peer.key"

[client_tls]
cert = "client.crt"
key  = "client.key"

[datasets.patients]
file = %q
identifiers = ["patient_id"]

[policy]
min_cell  = 5
%sanalysts  = ["token-file:analysts.txt"]
`, name, hosts[i], api, hosts[i], peer, filepath.Join(data, name, "patients.csv"), autoJoin[name])
		if err := os.WriteFile(filepath.Join(home, "node.toml"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(home, "analysts.txt"), []byte("ana token-for-ana-0123456789\n"), 0o600)
		fmt.Fprintf(&federation, "[[member]]\nname = %q\napi  = \"https://%s:%d\"\npeer = \"https://%s:%d\"\ncert = \"certs/%s.crt\"\n\n", name, hosts[i], api, hosts[i], peer, name)
	}
	if err := os.WriteFile(filepath.Join(dir, "federation.toml"), []byte(federation.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// Step 2: each owner creates its peer identity and its HTTPS
	// certificate; step 3: the peer certificates are exchanged (here: copied
	// to the folder the federation file pins them in).
	os.MkdirAll(filepath.Join(dir, "certs"), 0o755)
	for i, name := range names {
		home := filepath.Join(dir, name)
		run := func(args ...string) {
			t.Helper()
			if out, err := exec.Command(nodeBin, args...).CombinedOutput(); err != nil {
				t.Fatalf("fsc-node %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		run("init", "--config", filepath.Join(home, "node.toml"))
		run("init", "--name", name, "--cert", filepath.Join(home, "client.crt"), "--key", filepath.Join(home, "client.key"), "--host", hosts[i])
		crt, err := os.ReadFile(filepath.Join(home, "peer.crt"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "certs", name+".crt"), crt, 0o644)
	}
	// Step 4: start the members.
	for _, name := range names {
		home := filepath.Join(dir, name)
		cmd := exec.Command(nodeBin, "--config", filepath.Join(home, "node.toml"))
		logf, err := os.Create(filepath.Join(home, "node.log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	}
	// Step 5: the analyst trusts hospital-a's HTTPS certificate (fsc-kernel
	// reads it from SSL_CERT_FILE; here the client is given it) and uses
	// the token hospital-a's owner gave.
	pem, err := os.ReadFile(filepath.Join(dir, "hospital-a", "client.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("client.crt holds no certificate")
	}
	c := client.New(fmt.Sprintf("https://%s:%d", hosts[0], api))
	c.HTTP = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	c.Token = "token-for-ana-0123456789"
	// Every member answers its owner (over HTTPS, its certificate pinned)
	// once it is up.
	owners := map[string]*node.Owner{}
	for _, name := range names {
		cfg, err := node.LoadConfig(filepath.Join(dir, name, "node.toml"))
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if owners[name], err = node.NewOwner(cfg); err == nil {
				if _, err = owners[name].Pending(context.Background()); err == nil {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s's owner: %v", name, err)
			}
		}
	}
	done := make(chan error, 1)
	var res *client.Result
	go func() {
		var err error
		res, err = c.Compute(context.Background(), client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients"}})
		done <- err
	}()
	// hospital-c's owner approves the query, with the command of the guide.
	list := waitPending(t, owners["hospital-c"], 1)
	if list[0].Requester != "ana" || list[0].Leader != "hospital-a" {
		t.Errorf("hospital-c's pending query: %+v, want ana at hospital-a", list[0])
	}
	if out, err := exec.Command(nodeBin, "approve", "--config", filepath.Join(dir, "hospital-c", "node.toml"), list[0].ID).CombinedOutput(); err != nil {
		t.Fatalf("fsc-node approve: %v\n%s", err, out)
	}
	if err := <-done; err != nil {
		logs, _ := os.ReadFile(filepath.Join(dir, "hospital-c", "node.log"))
		t.Fatalf("the analyst's count: %v\nhospital-c's log:\n%s", err, logs)
	}
	if got, _ := res.Result["count"].(float64); int(got) != pooled(t).Rows || res.Inputs != 3 {
		t.Errorf("count %+v, want %d rows from 3 members", res, pooled(t).Rows)
	}
	// A wrong token is refused.
	c.Token = "not-the-token-0123456789"
	if _, err := c.Compute(context.Background(), client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients"}}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("a wrong token: %v, want a refusal", err)
	}
}
