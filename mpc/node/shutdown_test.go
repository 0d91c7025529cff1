package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// TestShutdownIsBounded stops a node (SIGTERM) while it waits inside a
// computation whose other parties never join: it must exit by itself, not
// at the computation's deadline (30 s; fedrun's Stop kills a node that
// has not exited 10 s after SIGTERM, and says so), and the waiting client
// must get an answer. How long the stop takes is measured by
// BenchmarkShutdownInsideComputation (the bound is 1 s for requests and
// 4 s for computations).
func TestShutdownIsBounded(t *testing.T) {
	nodes := startDev(t, 3)
	answered := waitInsideCall(t, nodes)
	if err := nodes[0].Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	select {
	case err := <-answered:
		if err == nil {
			t.Errorf("a call cut by the shutdown succeeded")
		}
		t.Logf("the waiting client got: %v", err)
	case <-time.After(awaitTimeout):
		t.Errorf("the waiting client got no answer %v after the node stopped", awaitTimeout)
	}
}

// waitInsideCall makes a call at nodes[0] on a network of every node,
// whose other parties never call, and returns once the node says that the
// call waits for them; the call's outcome comes on the channel returned.
func waitInsideCall(t testing.TB, nodes []*fedrun.Proc) <-chan error {
	t.Helper()
	urls := make([]string, len(nodes))
	for i, p := range nodes {
		urls[i] = p.URL
	}
	id := client.NewComputationID()
	out := make(chan error, 1)
	go func() {
		_, err := client.New(urls[0]).Compute(context.Background(), client.Request{
			Microprotocol: "SecureSum", Data: []any{1.5, 2.5}, ID: id,
			Network: &client.Network{Nodes: urls, UUID: fmt.Sprintf("shutdown-%d", time.Now().UnixNano()), Myself: 0}})
		out <- err
	}()
	awaitWaitingFor(t, urls[0], id, urls[1:]...)
	select {
	case err := <-out:
		t.Fatalf("the call ended before the shutdown: %v", err)
	default:
	}
	return out
}
