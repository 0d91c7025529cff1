package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadConnection(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005,
		"ip": "127.0.0.1", "key": "a0436f6c-1916-498b-8eb9-e81ab9368e84", "transport": "tcp",
		"signature_scheme": "hmac-sha256", "kernel_name": "fsc"}`
	c, err := ReadConnection(write("good.json", good))
	if err != nil {
		t.Fatal(err)
	}
	if c.ShellPort != 5001 || c.HBPort != 5005 || c.Key == "" || c.endpoint(c.IOPubPort) != "tcp://127.0.0.1:5002" {
		t.Errorf("%+v", c)
	}
	c, err = ReadConnection(write("ipc.json", strings.Replace(strings.Replace(good, `"tcp"`, `"ipc"`, 1), "127.0.0.1", "/tmp/k", 1)))
	if err != nil || c.endpoint(c.ShellPort) != "ipc:///tmp/k-5001" {
		t.Errorf("ipc: %v %+v", err, c)
	}
	if e := (Connection{Transport: "tcp", IP: "::1"}).endpoint(9); e != "tcp://[::1]:9" {
		t.Errorf("IPv6 endpoint %s", e)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"transport", strings.Replace(good, `"tcp"`, `"udp"`, 1), "transport"},
		{"scheme", strings.Replace(good, "hmac-sha256", "hmac-md5", 1), "signature_scheme"},
		{"port", strings.Replace(good, `"hb_port": 5005`, `"hb_port": 70000`, 1), "hb_port"},
		{"missing", strings.Replace(good, `"stdin_port": 5003,`, "", 1), "stdin_port: missing"},
		{"type", strings.Replace(good, `"shell_port": 5001`, `"shell_port": "5001"`, 1), "shell_port"},
		{"ip", strings.Replace(good, `"ip": "127.0.0.1",`, "", 1), "ip: missing"},
		{"json", "{", "not JSON"},
	} {
		p := write(tc.name+".json", tc.body)
		_, err := ReadConnection(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming %s and %q", tc.name, err, p, tc.want)
		}
	}
	if _, err := ReadConnection(filepath.Join(dir, "absent.json")); err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("absent file: %v", err)
	}
}
