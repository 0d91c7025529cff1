package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/node"
)

// TestCommandLine runs the fsc-node binary: help on every command exits 0
// and lists init; a bad flag is reported once; a busy port is reported as
// such, before anything else.
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	bin, err := fedrun.BuildNode(dir, "../..")
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"init", "-h"}, {"init", "--help"},
		{"pending", "-h"}, {"pending", "--help"}, {"approve", "-h"}, {"approve", "--help"}, {"deny", "-h"}, {"deny", "--help"}} {
		out, err := run(args...)
		if err != nil || !strings.HasPrefix(out, "usage:") || !strings.Contains(out, "-config") {
			t.Errorf("fsc-node %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if !strings.HasPrefix(args[0], "-") && !strings.Contains(out, "fsc-node "+args[0]) {
			t.Errorf("fsc-node %s -h does not show its synopsis:\n%s", args[0], out)
		}
		if strings.HasPrefix(args[0], "-") {
			for _, sub := range []string{"fsc-node init", "fsc-node pending", "fsc-node approve", "fsc-node deny"} {
				if !strings.Contains(out, sub) {
					t.Errorf("fsc-node %s does not list %s:\n%s", args[0], sub, out)
				}
			}
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"pending"}, "give --config FILE"},
		{[]string{"approve", "--config", "x.toml"}, "give the id of one waiting query"},
		{[]string{"deny", "--config", "x.toml", "a", "b"}, "give the id of one waiting query"},
		{[]string{"pending", "--config", filepath.Join(dir, "missing.toml")}, "missing.toml"},
	} {
		out, err := run(c.args...)
		if err == nil || !strings.Contains(out, c.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("fsc-node %s: %v, want one line saying %q:\n%s", strings.Join(c.args, " "), err, c.want, out)
		}
	}
	out, err := run("--port", "abc")
	if err == nil || strings.Count(out, "abc") != 1 || strings.Contains(out, "usage") {
		t.Errorf("fsc-node --port abc: %v, want one line naming the value:\n%s", err, out)
	}
	ports, err := fedrun.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ports[0])
	first, err := fedrun.Start(bin, "first", "http://127.0.0.1:"+port, filepath.Join(dir, "first.log"), "--port", port)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop()
	out, err = run("--port", port)
	if err == nil || !strings.HasPrefix(out, "fsc-node: ") || !strings.Contains(out, "already in use") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("a second node on a busy port: %v, want one line saying the port is in use:\n%s", err, out)
	}
}

// TestPendingTable: the owner's table shows who asked for what, and a
// hostile filter cannot drive the owner's terminal.
func TestPendingTable(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var b strings.Builder
	writePending(&b, []node.PendingQuery{{ID: "0a1b2c3d", Leader: "hospital-a", Requester: "alice", Microprotocol: "Quantiles",
		Table: "patients", Columns: []string{"age"}, Where: "sex == 'F'\x1b[2J", Parameters: map[string]any{"probabilities": []any{0.5}},
		Expires: now.Add(90 * time.Second)}}, now)
	out := b.String()
	for _, want := range []string{"ID", "ASKED BY", "0a1b2c3d", "alice at hospital-a", "Quantiles", "patients: age", `sex == 'F'\x1b[2J`, `{"probabilities":[0.5]}`, "1m30s"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, '\x1b') {
		t.Errorf("table carries an escape character:\n%q", out)
	}
	b.Reset()
	writePending(&b, nil, now)
	if !strings.Contains(b.String(), "no query waits") {
		t.Errorf("empty list: %q", b.String())
	}
}
