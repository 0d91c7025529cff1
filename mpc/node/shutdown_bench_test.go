package node_test

import (
	"testing"
	"time"
)

// BenchmarkShutdownInsideComputation measures how long a development node
// takes to stop (SIGTERM until it exits) while it waits inside a
// computation whose other parties never join; the stated bound is 5 s
// (1 s for requests, 4 s for computations). It reports the longest stop
// as max-s/stop.
func BenchmarkShutdownInsideComputation(b *testing.B) {
	var longest time.Duration
	for b.Loop() {
		b.StopTimer()
		nodes := startDev(b, 3)
		answered := waitInsideCall(b, nodes)
		b.StartTimer()
		start := time.Now()
		if err := nodes[0].Stop(); err != nil {
			b.Fatalf("stop: %v", err)
		}
		longest = max(longest, time.Since(start))
		b.StopTimer()
		if err := <-answered; err == nil {
			b.Fatal("a call cut by the shutdown succeeded")
		}
		for _, p := range nodes[1:] {
			_ = p.Stop()
		}
		b.StartTimer()
	}
	b.ReportMetric(longest.Seconds(), "max-s/stop")
}
