//go:build unix

package stats

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the processor time this process has used (user and system):
// on a machine shared with other work a benchmark's wall time per
// operation varies with the others' load, its processor time far less.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// reportCPU reports the processor time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}
