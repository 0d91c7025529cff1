package node

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const goodFederation = `
[[member]]
name = "a"
api  = "http://127.0.0.1:15501"
peer = "https://127.0.0.1:15601"
cert = "a.crt"

[[member]]
name = "b"
api  = "http://localhost:15502/"
peer = "https://127.0.0.1:15602"
cert = "b.crt"
`

const goodConfig = `
name = "a"
listen = "127.0.0.1:15501"
peer_listen = "127.0.0.1:15601"
federation = "federation.toml"
[tls]
cert = "a.crt"
key = "a.key"
generate = true
[datasets.patients]
file = "patients.csv"
[policy]
auto_join = true
`

func writeFiles(t testing.TB, files map[string]string) string {
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadConfigGood(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.toml": goodConfig, "federation.toml": goodFederation, "patients.csv": "x\n1\n"})
	cfg, err := LoadConfig(filepath.Join(dir, "a.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Policy.MinCell != 5 || cfg.Timeout.Seconds() != 30 || !cfg.Policy.AutoJoin || cfg.Policy.ApprovalTimeout.Duration != 10*time.Minute {
		t.Errorf("defaults: %+v", cfg.Policy)
	}
	if cfg.Datasets["patients"].File != filepath.Join(dir, "patients.csv") || cfg.Members[1].API != "http://127.0.0.1:15502" {
		t.Errorf("paths and urls not resolved: %+v %+v", cfg.Datasets, cfg.Members)
	}
	// The node starts: it creates its identity, loads its dataset and
	// writes its owner's credential, readable by its user only.
	n, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(OwnerTokenPath(cfg)); err != nil || runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("owner credential: %v %v, want mode 0600", st, err)
	}
	if b, _ := os.ReadFile(OwnerTokenPath(cfg)); strings.TrimSpace(string(b)) != n.ownerToken || len(n.ownerToken) != 64 {
		t.Errorf("owner credential file %q, node holds %q", b, n.ownerToken)
	}
	// auto_join left out is false: queries wait for the owner.
	dir2 := writeFiles(t, map[string]string{"a.toml": strings.Replace(goodConfig, "auto_join = true", `approval_timeout = "90s"`, 1), "federation.toml": goodFederation})
	if cfg2, err := LoadConfig(filepath.Join(dir2, "a.toml")); err != nil || cfg2.Policy.AutoJoin || cfg2.Policy.ApprovalTimeout.Duration != 90*time.Second {
		t.Errorf("auto_join by default: %+v, %v", cfg2, err)
	}
	if _, err := os.Stat(cfg.TLS.Key); err != nil || n.datasets["patients"].Rows != 1 {
		t.Fatalf("identity or dataset missing: %v", err)
	}
}

func TestLoadConfigErrorsNameFileAndKey(t *testing.T) {
	cases := []struct {
		name, config, federation, want string
	}{
		{"syntax", "name = \n", goodFederation, "a.toml: line 1"},
		{"unknown key", goodConfig + "colour = 1\n", goodFederation, "policy.colour: unknown key"},
		{"no name", strings.Replace(goodConfig, `name = "a"`, "", 1), goodFederation, "a.toml: name: missing"},
		{"bad listen", strings.Replace(goodConfig, `"127.0.0.1:15501"`, `"nowhere"`, 1), goodFederation, "listen: \"nowhere\" is not host:port"},
		{"min_cell", strings.Replace(goodConfig, "auto_join = true", "min_cell = 0", 1), goodFederation, "policy.min_cell: must be at least 1"},
		{"unknown microprotocol", strings.Replace(goodConfig, "auto_join = true", `microprotocols = ["Magic"]`, 1), goodFederation, `policy.microprotocols: unknown microprotocol "Magic"`},
		{"timeout", "timeout = \"soon\"\n" + goodConfig, goodFederation, "soon"},
		{"approval_timeout short", strings.Replace(goodConfig, "auto_join = true", `approval_timeout = "10ms"`, 1), goodFederation, "policy.approval_timeout: must be between 1s and 24h0m0s"},
		{"approval_timeout long", strings.Replace(goodConfig, "auto_join = true", `approval_timeout = "48h"`, 1), goodFederation, "policy.approval_timeout: must be between 1s and 24h0m0s"},
		{"not a member", strings.Replace(goodConfig, `name = "a"`, `name = "z"`, 1), goodFederation, "federation.toml: member: z is not a member"},
		{"one member", goodConfig, goodFederation[:strings.Index(goodFederation, "[[member]]\nname = \"b\"")], "at least two members"},
		{"http peer", goodConfig, strings.Replace(goodFederation, "https://127.0.0.1:15602", "http://127.0.0.1:15602", 1), "member[1].peer"},
		{"no cert", goodConfig, strings.Replace(goodFederation, `cert = "b.crt"`, "", 1), "member[1].cert: missing"},
		{"dataset file", strings.Replace(goodConfig, `file = "patients.csv"`, `file = ""`, 1), goodFederation, "datasets.patients.file: missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"a.toml": tc.config, "federation.toml": tc.federation})
			_, err := LoadConfig(filepath.Join(dir, "a.toml"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestBadDatasetStopsTheNode(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.toml": goodConfig, "federation.toml": goodFederation,
		"patients.csv": "age,sex\n40,F\n41\n"})
	cfg, err := LoadConfig(filepath.Join(dir, "a.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "patients.csv") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("got %v, want an error naming the file and line 3", err)
	}
}

func TestParseBodyShapes(t *testing.T) {
	ok := []string{``, `{}`, `null`, `{"args":[],"kwargs":{}}`, `{"args":{}}`, `{"args":null,"kwargs":{"a":1}}`, `{"kwargs":{"protocol":"SIMON"}}`, `{"other":1}`, `{"ignore":"R compatibility issues"}`}
	for _, b := range ok {
		if _, err := parseBody([]byte(b)); err != nil {
			t.Errorf("%q: %v", b, err)
		}
	}
	bad := map[string]string{
		`{`:                         "malformed JSON",
		`[1]`:                       "expected a JSON object",
		`{"args":"x"}`:              "args: expected a list",
		`{"kwargs":[]}`:             "kwargs: expected an object",
		`{"kwargs":{"x":NaN}}`:      "NaN is not a JSON number",
		`{"kwargs":{"x":Infinity}}`: "Infinity is not a JSON number",
		`{} {}`:                     "data after the first JSON value",
	}
	for b, want := range bad {
		_, err := parseBody([]byte(b))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", b, err, want)
		}
	}
}

func FuzzParseBody(f *testing.F) {
	for _, s := range []string{`{"args":[],"kwargs":{"microprotocol":"SecureSum","data":[1,2],"network":{"nodes":["a","b"],"uuid":"u","myself":0}}}`, `{"args":{}}`, `NaN`, ``} {
		f.Add([]byte(s))
	}
	n := &Node{store: newStore(0, 10)}
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := parseBody(data)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if body.Kwargs != nil {
			if _, err := n.parseCompute(body.Kwargs); err != nil {
				if _, ok := err.(*apiError); !ok {
					t.Fatalf("compute error of type %T: %v", err, err)
				}
			}
		}
	})
}

func FuzzLoadConfig(f *testing.F) {
	f.Add(goodConfig)
	f.Add("name = \"a\"\n[policy]\nmin_cell = -1\n")
	dir := writeFiles(f, map[string]string{"federation.toml": goodFederation})
	path := filepath.Join(dir, "a.toml")
	f.Fuzz(func(t *testing.T, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil {
			if !strings.Contains(err.Error(), ".toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if cfg.Name == "" || cfg.Policy.MinCell < 1 || len(cfg.Members) < 2 {
			t.Fatalf("accepted an invalid config: %+v", cfg)
		}
	})
}
