package node

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// memoryHeadroom is the garbage a node lets pile up beside its datasets.
// Go's own pacing lets the heap double before it collects, which next to a
// large dataset means hundreds of megabytes held for nothing.
const memoryHeadroom = 64 << 20

// settleMemory returns what loading the datasets left behind to the
// operating system, then sets the runtime's soft memory limit to the
// datasets' live heap plus memoryHeadroom (unless the owner set
// GOMEMLIMIT): the collector then runs when that much garbage has piled
// up, and a large computation may still go past the limit.
func settleMemory() {
	runtime.GC()
	debug.FreeOSMemory()
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	debug.SetMemoryLimit(int64(live[0].Value.Uint64()) + memoryHeadroom)
}
