package node_test

import (
	"context"
	"testing"

	"github.com/fsc-kernel/fsc-kernel/mpc/client"
)

// BenchmarkDatasetCount measures one dataset query end to end on the
// example federation (three nodes on loopback, mutual TLS): the leader
// asks the members, they accept, it tells them to start, and the count
// runs.
func BenchmarkDatasetCount(b *testing.B) {
	fed := startFederation(b, nil)
	c := client.New(fed.Nodes[0].URL)
	req := client.Request{Microprotocol: "Count", Dataset: &client.Dataset{Table: "patients", Where: "age >= 40"}}
	benchCompute(b, c, req)
}

// BenchmarkDatasetHistogram measures a histogram of 100 bins end to end
// on the example federation: the release memory's checks, min_cell on
// every bin's pooled count inside MPC, and the sum of the bins kept.
func BenchmarkDatasetHistogram(b *testing.B) {
	fed := startFederation(b, nil)
	c := client.New(fed.Nodes[0].URL)
	req := client.Request{Microprotocol: "Histogram", Dataset: &client.Dataset{Table: "patients", Column: "age", Where: "age >= 40"},
		Parameters: map[string]any{"bins": 100, "range": []float64{18, 96}}}
	benchCompute(b, c, req)
}

// benchCompute measures req on c, after one call that warms the caches.
func benchCompute(b *testing.B, c *client.Client, req client.Request) {
	if _, err := c.Compute(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Compute(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
