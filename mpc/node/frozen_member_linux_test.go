package node_test

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// TestShutdownInsideMemberComputation stops a member (SIGTERM) while it
// contributes to a federation query that cannot go on (another member is
// frozen): it must exit by itself (fedrun's Stop kills a node that has
// not exited 10 s after SIGTERM, and says so), ending its contribution
// when the shutdown cancels it, not at the query's deadline (30 s): had
// the contribution gone on, the node would say that it stopped with
// computations still running.
func TestShutdownInsideMemberComputation(t *testing.T) {
	fed := startFederation(t, nil)
	c := fed.Nodes[2]
	if err := syscall.Kill(c.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(c.Pid(), syscall.SIGCONT)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := client.NewComputationID()
	go client.New(fed.Nodes[0].URL).Compute(ctx, client.Request{Microprotocol: "SecureSum", ID: id, Dataset: &client.Dataset{Table: "patients", Column: "age"}})
	// The leader waits for hospital-c alone: hospital-b has accepted and
	// waits for the others.
	awaitWaitingFor(t, fed.Nodes[0].URL, id, "hospital-c")
	if err := fed.Nodes[1].Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	log := logOf(fed.Nodes[1])
	if !strings.Contains(log, "contribution failed") {
		t.Errorf("hospital-b was not inside the computation, or did not end it:\n%s", log)
	}
	if strings.Contains(log, "stopping with computations still running") {
		t.Errorf("hospital-b's contribution did not end when the shutdown cancelled it:\n%s", log)
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := client.NewComputationID()
	answered := make(chan error, 1)
	go func() {
		_, err := client.New(fed.Nodes[0].URL).Compute(ctx, client.Request{Microprotocol: "SecureSum", ID: id, Dataset: &client.Dataset{Table: "patients", Column: "age"}})
		answered <- err
	}()
	awaitWaitingFor(t, fed.Nodes[0].URL, id, "hospital-c")
	cancel() // the client gives up while the leader waits for hospital-c
	if err := <-answered; err == nil {
		t.Fatal("a query with a frozen member answered")
	}
	last := awaitAuditLine(t, fed.Dir, "hospital-a", "the cancelled query", func(map[string]any) bool { return true })
	if last["outcome"] != "cancelled" {
		t.Fatalf("audit of the cancelled query: %v, want outcome cancelled", last)
	}
	if msg, _ := last["error"].(string); strings.Contains(msg, "hospital-c") || strings.Contains(msg, "reached") {
		t.Errorf("audit of the cancelled query blames a member: %q", msg)
	}
}
