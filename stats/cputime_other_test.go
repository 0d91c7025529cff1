//go:build !unix

package stats

import (
	"testing"
	"time"
)

// cpuTime is not measured here: reportCPU reports nothing.
func cpuTime() time.Duration { return 0 }

func reportCPU(*testing.B, time.Duration) {}
