package node_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// TestShutdownInsideMemberComputation stops a member (SIGTERM) while it
// contributes to a federation query that cannot go on (another member is
// frozen): it must exit within the stated bound, not at the query's
// deadline.
func TestShutdownInsideMemberComputation(t *testing.T) {
	fed := startFederation(t, nil)
	c := fed.Nodes[2]
	if err := syscall.Kill(c.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(c.Pid(), syscall.SIGCONT)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.New(fed.Nodes[0].URL).Compute(ctx, client.Request{Microprotocol: "SecureSum", Dataset: &client.Dataset{Table: "patients", Column: "age"}})
	}()
	time.Sleep(time.Second) // hospital-b accepts and waits for the others
	start := time.Now()
	if err := fed.Nodes[1].Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("the member took %v to stop inside a computation, want at most 5 s and a margin", took)
	}
	if log := logOf(fed.Nodes[1]); !strings.Contains(log, "contribution failed") {
		t.Errorf("hospital-b was not inside the computation, or did not end it:\n%s", log)
	}
}
