package stats

import (
	"context"
	"math/big"
)

// Combiner is how one party running a statistic works with the others.
// The mpc engine provides one over a secure session; tests provide one that
// adds plain numbers. A statistic is a function that every party runs with
// its own rows and a Combiner; the parties call the Combiner's methods in
// the same order.
type Combiner interface {
	// Sum adds v across all parties (every party passes a vector of the
	// same length) and returns the total to the deciding parties, nil to
	// the others. Counts are exact; reals are carried with the engine's
	// fixed-point precision.
	Sum(ctx context.Context, v []float64) ([]float64, error)
	// SumWide adds integers exactly across all parties: every party passes
	// as many integers, each below 2^bits in magnitude, and the same bits.
	// The exact totals return to the deciding parties, nil to the others;
	// nothing but the totals is revealed to anyone.
	SumWide(ctx context.Context, v []*big.Int, bits int) ([]*big.Int, error)
	// Decide makes a deciding party's v public to every party: each party
	// returns it. Parties that do not decide pass nil. Statistics use it to
	// say where a search goes next.
	Decide(ctx context.Context, v []float64) ([]float64, error)
	// Decider reports whether this party sees totals (and so computes the
	// answer).
	Decider() bool
	// Check applies this party's disclosure rules to counts it is about to
	// contribute: what names them ("bin", "cell", "cohort"); an error
	// (naming the party and the rule) stops the computation at every party.
	Check(what string, counts []float64) error
}
