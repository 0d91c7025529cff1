package node

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// settleMemory returns what loading the datasets left behind to the
// operating system.
func settleMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// Garbage a node lets pile up before it collects, and how often it looks.
// Go's own pacing lets the heap double, which next to a large dataset means
// hundreds of megabytes held for nothing; collecting on every few megabytes
// instead would make each big computation pay for many collections (each
// marks the whole dataset). So the pacing is left alone while work runs,
// and a steward collects small piles between computations.
const (
	gcPile  = 4 << 20
	gcEvery = 200 * time.Millisecond
)

// steward collects garbage when more than gcPile bytes of it have piled up
// since the last collection, until ctx ends.
func steward(ctx context.Context) {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(gcEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(samples)
		live, objects := samples[0].Value.Uint64(), samples[1].Value.Uint64()
		if objects > live+gcPile {
			runtime.GC()
		}
	}
}
