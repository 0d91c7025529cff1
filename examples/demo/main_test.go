package main

import (
	"net"
	"strings"
	"testing"
)

// TestDemoRefusesTakenPorts holds one of the example federation's ports:
// the demo must stop before starting anything, saying which port is taken
// and by which process, instead of running against nodes it did not start.
func TestDemoRefusesTakenPorts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:15603")
	if err != nil {
		t.Skipf("the example port is in use already: %v", err)
	}
	defer l.Close()
	err = run("/nonexistent/fsc-node", "/nonexistent/fsc-kernel", "../studies/demo.lua", "../federation")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:15603") || !strings.Contains(err.Error(), "taken") || !strings.Contains(err.Error(), "pid") {
		t.Errorf("the demo with 127.0.0.1:15603 taken: %v, want a refusal naming the port and its process", err)
	}
}
