package mpc

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
)

// SecureSum adds every party's vector x (all of the same length) over
// Z_2^64 and reveals the total to the parties listed in reveal only; the
// others get nil. It is SecureSumWide with one limb.
func SecureSum(ctx context.Context, s *Session, x []uint64, reveal []string) ([]uint64, error) {
	return secureSumWide(ctx, s, s, x, 1, reveal)
}

// SecureSumWide adds every party's vector x of wide elements of limbs
// words each (all of the same length and width) over Z_2^(64·limbs), with
// carries, and reveals the total to the parties listed in reveal only;
// the others get nil.
//
// Two rounds: each party splits x into one additive share per party
// (SplitWide) and sends each other party its share; each party adds the
// shares it holds into a partial sum and sends that to every party in
// reveal, who add the partials. A share is uniformly random in the whole
// ring of wide elements, and so is a partial sum to anyone missing
// another party's partial: what a party receives is uniformly random but
// for the total, so no party learns more than the total, and the parties
// outside reveal learn nothing. In particular no sum of a limb on its own
// is formed or opened: a fixed-point real's integer and fractional parts
// are never seen apart.
func SecureSumWide(ctx context.Context, s *Session, x []uint64, limbs int, reveal []string) ([]uint64, error) {
	return secureSumWide(ctx, s, s, x, limbs, reveal)
}

// secureSumWide is SecureSumWide with the shares drawn from rng.
func secureSumWide(ctx context.Context, s *Session, rng io.Reader, x []uint64, limbs int, reveal []string) ([]uint64, error) {
	step := s.Step("sum")
	shares, err := SplitWide(rng, x, limbs, len(s.Parties))
	if err != nil {
		return nil, err
	}
	self := slices.Index(s.Parties, s.Self)
	partial := slices.Clone(shares[self])
	index := map[string]int{}
	for i, p := range s.Parties {
		index[p] = i
	}
	err = exchangeTo(ctx, s, step+"/share", s.Others(), func(p string) []byte { return encodeWords(shares[index[p]]) },
		s.Others(), addWordsInto(partial, limbs))
	if err != nil {
		return nil, err
	}
	final := step + "/partial"
	var senders []string
	if slices.Contains(reveal, s.Self) {
		senders = s.Others()
	}
	var targets []string
	for _, p := range reveal {
		if p != s.Self {
			targets = append(targets, p)
		}
	}
	mine := encodeWords(partial)
	total := partial
	err = exchangeTo(ctx, s, final, targets, func(string) []byte { return mine },
		senders, addWordsInto(total, limbs))
	if err != nil {
		return nil, err
	}
	if len(senders) == 0 {
		return nil, nil
	}
	return total, nil
}

// addWordsInto returns the receiver of vectors of wide elements of limbs
// words each, as long as sum, that adds each into sum.
func addWordsInto(sum []uint64, limbs int) func(p string, body []byte) error {
	return func(p string, body []byte) error {
		v, err := decodeWords(body, len(sum))
		if err != nil {
			return err
		}
		AddWideInto(sum, v, limbs)
		return nil
	}
}

// exchangeTo sends a message to every party in to and receives one from
// every party in from, concurrently. Received bodies are passed to accept one
// at a time. The first failure aborts the session at every party and is
// returned.
func exchangeTo(ctx context.Context, s *Session, step string, to []string, body func(p string) []byte,
	from []string, accept func(p string, body []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	for _, p := range to {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Send(ctx, p, step, body(p)); err != nil {
				fail(err)
			}
		}()
	}
	for _, p := range from {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.Recv(ctx, p, step)
			if err != nil {
				fail(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if err := accept(p, b); err != nil && firstErr == nil {
				firstErr = &PeerError{Party: p, Step: step, Err: fmt.Errorf("malformed message: %w", err)}
				cancel()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		// Pass the failure on, aborts from others included: a party that
		// aborted may not know every party of this session.
		s.Abort(firstErr)
	}
	return firstErr
}
