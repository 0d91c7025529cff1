package mpc

import (
	"runtime"
	"sync"
)

// psiParallel runs f over [0, n) split into chunks, one goroutine per chunk
// up to GOMAXPROCS chunks, and returns the error of the first failing chunk.
func psiParallel(n int, f func(lo, hi int) error) error {
	const minChunk = 64
	workers := min(runtime.GOMAXPROCS(0), (n+minChunk-1)/minChunk)
	if workers <= 1 {
		return f(0, n)
	}
	chunk := (n + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = f(lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
