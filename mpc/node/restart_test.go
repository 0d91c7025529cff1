package node_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fsc-kernel/fsc-kernel/internal/fedrun"
	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// TestKilledMemberRestartsAtOnce kills a member 20 times while the others
// keep asking it for work, and restarts it from the same config each
// time: it must bind its ports at once, and the federation must answer
// again.
func TestKilledMemberRestartsAtOnce(t *testing.T) {
	fed := startFederation(t, nil)
	cfg := filepath.Join(fed.Dir, "hospital-b.toml")
	c := client.New(fed.Nodes[0].URL)
	count := func(ctx context.Context) error {
		_, err := c.Compute(ctx, client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients"}})
		return err
	}
	if err := count(context.Background()); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		fed.Nodes[1].Kill()
		// The leader dials the dead member's peer port while it is down.
		for range 3 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := count(ctx)
			if err == nil {
				t.Fatalf("round %d: a count answered with hospital-b down", round)
			}
			// Plain words: nothing listens there, or (on a kept-alive
			// connection) it closed the connection; never Go's.
			if msg := err.Error(); !strings.Contains(msg, "hospital-b could not be reached: ") || strings.Contains(msg, " tcp ") || strings.Contains(msg, "EOF") {
				t.Errorf("a member down: %q, want it named in plain words", msg)
			}
			cancel()
		}
		again, err := fedrun.StartConfigs(nodeBin, []string{cfg}, fed.Dir)
		if err != nil {
			t.Fatalf("round %d: restart: %v", round, err)
		}
		fed.Nodes[1] = again.Nodes[0]
		if log := logOf(fed.Nodes[1]); strings.Contains(log, "address already in use") {
			t.Fatalf("round %d: %s", round, log)
		}
		if err := count(context.Background()); err != nil {
			t.Fatalf("round %d: after the restart: %v", round, err)
		}
	}
}
