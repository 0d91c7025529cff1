package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// TestShutdownIsBounded stops a node (SIGTERM) while it waits inside a
// computation whose other parties never join: it must exit within the
// stated bound (1 s for requests, 4 s for computations), not at the
// computation's deadline, and the waiting client must get an answer.
func TestShutdownIsBounded(t *testing.T) {
	nodes := startDev(t, 3)
	urls := []string{nodes[0].URL, nodes[1].URL, nodes[2].URL}
	answered := make(chan error, 1)
	go func() {
		_, err := client.New(urls[0]).Compute(context.Background(), client.Request{
			Microprotocol: "SecureSum", Data: []any{1.5, 2.5},
			Network: &client.Network{Nodes: urls, UUID: fmt.Sprintf("shutdown-%d", time.Now().UnixNano()), Myself: 0}})
		answered <- err
	}()
	time.Sleep(500 * time.Millisecond) // the call is waiting for its parties
	select {
	case err := <-answered:
		t.Fatalf("the call ended before the shutdown: %v", err)
	default:
	}
	start := time.Now()
	if err := nodes[0].Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("the node took %v to stop inside a computation, want at most 5 s and a margin", took)
	}
	select {
	case err := <-answered:
		if err == nil {
			t.Errorf("a call cut by the shutdown succeeded")
		}
		t.Logf("the waiting client got: %v", err)
	case <-time.After(2 * time.Second):
		t.Errorf("the waiting client got no answer after the node stopped")
	}
}
