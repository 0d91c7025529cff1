package mpc

import (
	"context"
	"errors"
)

// compareAhead makes the randomness of comparisons to come (random bits,
// products of neighbouring bits, verified triples), batch after batch, on
// a Shamir handle of its own over a view of the session, while the
// comparisons that need it are still waiting for their inputs: a protocol
// of many rounds (a rank search) then spends its message rounds on the
// comparisons alone, and the computation of the randomness fills the time
// the rounds leave idle.
//
// Every party runs the same batches in the same order, so the handles
// stay in step; each batch is made and checked there exactly as
// PrepareCompare makes it (its products verified by sacrifice, its
// openings checked), and a failure aborts the session at every party.
// The randomness reveals nothing and is used once: what a batch opens is
// uniform and independent of every input.
type compareAhead struct {
	out  chan compareRandomness
	err  error         // why the batches stopped, read after out is closed
	done chan struct{} // closed when the goroutine has ended
}

// compareRandomness is the randomness of m comparisons: m·61 random bits,
// m·30 products of neighbouring bits and m·60 verified triples.
type compareRandomness struct {
	bits, pairs      []Fp
	tripA, tripB, tC []Fp
}

// errAheadEnded is the error of a take after the batches ended without a
// failure: the caller asked for more comparisons than it announced.
var errAheadEnded = errors.New("comparisons beyond those prepared ahead")

// startCompareAhead starts making the randomness of batches of comparisons
// (batches[k] comparisons in batch k, each at most CompareBatch) on sh,
// which no other goroutine may use.
func startCompareAhead(ctx context.Context, sh *Shamir, batches []int) *compareAhead {
	a := &compareAhead{out: make(chan compareRandomness, len(batches)), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		defer close(a.out)
		for _, m := range batches {
			if err := sh.prepareCompare(ctx, m, 0); err != nil {
				a.err = err
				sh.s.Abort(err) // the comparisons waiting for it end too
				return
			}
			nb, np := m*fieldBits, m*(fieldBits/2)
			r := compareRandomness{bits: sh.maskBits[:nb:nb], pairs: sh.maskPairs[:np:np],
				tripA: sh.tripleA, tripB: sh.tripleB, tC: sh.tripleC}
			sh.maskBits, sh.maskPairs = sh.maskBits[nb:], sh.maskPairs[np:]
			sh.tripleA, sh.tripleB, sh.tripleC = nil, nil, nil
			a.out <- r
		}
	}()
	return a
}

// take moves the next batch into sh's pools. It waits for the batch; ctx
// ending first, or the batches having failed, is an error.
func (a *compareAhead) take(ctx context.Context, sh *Shamir) error {
	select {
	case r, ok := <-a.out:
		if !ok {
			if a.err != nil {
				return a.err
			}
			return errAheadEnded
		}
		sh.maskBits = append(sh.maskBits, r.bits...)
		sh.maskPairs = append(sh.maskPairs, r.pairs...)
		sh.addTriples(r.tripA, r.tripB, r.tC)
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// wait waits until every batch has been made (or the batches failed).
func (a *compareAhead) wait() { <-a.done }
