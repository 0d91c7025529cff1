package node

import (
	"os"
	"runtime"
	"runtime/debug"
)

// gcHeadroom is how much garbage a node lets pile up between collections.
// Go's default lets the heap double, which next to a large dataset means
// hundreds of megabytes held for nothing.
const gcHeadroom = 8 << 20

// settleMemory returns what loading the datasets left behind to the
// operating system, and sets the collector to run after gcHeadroom bytes of
// new garbage (at most doubling a small heap). GOGC, when set, wins.
func settleMemory() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if os.Getenv("GOGC") == "" && ms.HeapAlloc > 0 {
		percent := int(100 * gcHeadroom / ms.HeapAlloc)
		debug.SetGCPercent(max(5, min(100, percent)))
	}
	debug.FreeOSMemory()
}
