package node_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkMissingPartyFails measures how long a network call whose third
// party never calls takes to fail at the two parties that did (development
// nodes, callDeadline). It reports the longest time past the deadline as
// max-s-past-deadline: the README states at most 1 s.
func BenchmarkMissingPartyFails(b *testing.B) {
	urls := devURLs(startDev(b, 3, "--timeout", callDeadline.String()))
	var past time.Duration
	for n := 0; b.Loop(); n++ {
		start := time.Now()
		got := round(b, urls, fmt.Sprintf("missing-%d", n), []partyCall{{data: 1.0, myself: 0}, {data: 2.0, myself: 1}, {skip: true}})
		past = max(past, time.Since(start)-callDeadline)
		for i, o := range got[:2] {
			if o.status != 502 || !strings.Contains(o.msg, "did not make the call") {
				b.Fatalf("party %d got %d %q, want a 502 saying the third party did not make the call", i, o.status, o.msg)
			}
		}
	}
	b.ReportMetric(past.Seconds(), "max-s-past-deadline")
}
