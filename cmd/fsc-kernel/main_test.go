package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
)

// TestCommandLine runs the fsc-kernel binary: help on every command exits
// 0; an unwritable --out is refused before the study runs (no node is
// needed to find out).
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	bin, err := fedrun.Build(dir, "../..", "fsc-kernel")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"run", "-h"}, {"run", "--help"}, {"install", "-h"}, {"kernel", "-h"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "usage:") {
			t.Errorf("fsc-kernel %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	study := filepath.Join(dir, "s.lua")
	os.WriteFile(study, []byte(`fsc.output("x", 1)`), 0o644)
	out, err := exec.Command(bin, "run", study, "--node", "http://127.0.0.1:1", "--out", filepath.Join(dir, "missing", "r.json")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--out") || !strings.Contains(string(out), "does not exist") {
		t.Errorf("run with --out in a missing folder: %v, want it refused before the study runs:\n%s", err, out)
	}
}
