package node_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/stats"
)

// nodeBin is the fsc-node binary built for these tests.
var nodeBin string

func TestMain(m *testing.M) { os.Exit(fedrun.RunTests(m, "../..", &nodeBin)) }

const exampleDir = "../../examples/federation"

// startFederation starts the example federation on free ports in a
// temporary folder. edit, when not nil, may change each config's text
// (keyed by file name) before the nodes start. The nodes are stopped when
// the test ends.
func startFederation(t testing.TB, edit func(file, text string) string) *fedrun.Federation {
	t.Helper()
	return startFederationData(t, filepath.Join(exampleDir, "data"), edit)
}

// startFederationData starts the example federation as startFederation
// does, its hospitals' tables read from dataDir/hospital-{a,b,c}.
func startFederationData(t testing.TB, dataDir string, edit func(file, text string) string) *fedrun.Federation {
	t.Helper()
	dir := t.TempDir()
	configs, err := fedrun.CopyExample(exampleDir, dataDir, dir)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		for _, c := range append(configs, filepath.Join(dir, "federation.toml")) {
			b, err := os.ReadFile(c)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(c, []byte(edit(filepath.Base(c), string(b))), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	fed, err := fedrun.StartConfigs(nodeBin, configs, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fed.Stop)
	return fed
}

// startDev starts n development nodes (`fsc-node --port P`) with extra
// flags, stopped when the test ends.
func startDev(t testing.TB, n int, flags ...string) []*fedrun.Proc {
	t.Helper()
	ports, err := fedrun.FreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	procs := make([]*fedrun.Proc, n)
	for i, p := range ports {
		url := fmt.Sprintf("http://127.0.0.1:%d", p)
		args := append([]string{"--port", fmt.Sprint(p)}, flags...)
		procs[i], err = fedrun.Start(nodeBin, url, url, filepath.Join(dir, fmt.Sprintf("node%d.log", i)), args...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = procs[i].Stop() })
	}
	return procs
}

// setPolicy replaces a key of the [policy] table in a hospital's config.
func setKey(text, key, value string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), key+" ") || strings.HasPrefix(strings.TrimSpace(line), key+"=") {
			line = key + " = " + value
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// pooled reads every hospital's rows into one table: the plaintext the
// secure answers are checked against.
func pooled(t testing.TB) *stats.Table {
	t.Helper()
	all, err := fedrun.PooledExample(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func logOf(p *fedrun.Proc) string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}
