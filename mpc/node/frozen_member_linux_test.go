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

// TestCancelledQueryBlamesNoMember: a client that gives up on a dataset
// query while a member is frozen is audited as cancelled at its node,
// blaming no member.
func TestCancelledQueryBlamesNoMember(t *testing.T) {
	fed := startFederation(t, nil)
	c := fed.Nodes[2]
	if err := syscall.Kill(c.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(c.Pid(), syscall.SIGCONT)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := client.New(fed.Nodes[0].URL).Compute(ctx, client.Request{Microprotocol: "SecureSum", Dataset: &client.Dataset{Table: "patients", Column: "age"}}); err == nil {
		t.Fatal("a query with a frozen member answered")
	}
	var last map[string]any
	for deadline := time.Now().Add(5 * time.Second); last == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if entries := readAudit(t, fed, fed.Dir, "hospital-a"); len(entries) > 0 {
			last = entries[len(entries)-1]
		}
	}
	if last == nil || last["outcome"] != "cancelled" {
		t.Fatalf("audit of the cancelled query: %v, want outcome cancelled", last)
	}
	if msg, _ := last["error"].(string); strings.Contains(msg, "hospital-c") || strings.Contains(msg, "reached") {
		t.Errorf("audit of the cancelled query blames a member: %q", msg)
	}
}
