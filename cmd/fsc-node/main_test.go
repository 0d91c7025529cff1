package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
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
	for _, args := range [][]string{{"-h"}, {"--help"}, {"init", "-h"}, {"init", "--help"}} {
		out, err := run(args...)
		if err != nil || !strings.HasPrefix(out, "usage:") {
			t.Errorf("fsc-node %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[0] != "init" && (!strings.Contains(out, "fsc-node init") || !strings.Contains(out, "-config")) {
			t.Errorf("fsc-node %s does not list init and the flags:\n%s", args[0], out)
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
