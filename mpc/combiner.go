package mpc

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
)

// Combiner runs a statistic's sums and decisions over a session. It has
// the method set of stats.Combiner (mpc does not import stats): Sum is the
// secure sum of fixed-point reals and SumWide the exact secure sum of wide
// integers, each revealed to the deciders only and opening the totals
// alone; Decide sends the first decider's vector to every party that is
// not a decider.
type Combiner struct {
	Session *Session
	// Deciders are the parties that see totals; every party when all of
	// them get the answer (the FSC way), the leader alone for
	// dataset-backed queries.
	Deciders []string
	// CheckFunc applies this party's disclosure rule to counts it is about
	// to contribute; nil accepts everything.
	CheckFunc func(what string, counts []float64) error
}

// Sum adds v across the parties; the total comes back at deciders only.
func (c *Combiner) Sum(ctx context.Context, v []float64) ([]float64, error) {
	enc, err := EncodeReals(v)
	if err != nil {
		return nil, fmt.Errorf("%s: aggregate cannot be shared: %w", c.Session.Self, err)
	}
	total, err := SecureSumWide(ctx, c.Session, enc, WordsPerReal, c.Deciders)
	if err != nil || total == nil {
		return nil, err
	}
	out, err := DecodeReals(total)
	if err == nil {
		c.Session.RecordOpened(floatsAsAny(out)...)
	}
	return out, err
}

// SumWide adds integers exactly across the parties: every party passes
// as many integers, each below 2^bits in magnitude, with the same bits.
// The exact totals come back at deciders only, nil elsewhere. Each integer
// travels as one wide element (EncodeWide) of the secure sum, so what is
// opened is each total and nothing else.
func (c *Combiner) SumWide(ctx context.Context, v []*big.Int, bits int) ([]*big.Int, error) {
	enc, err := EncodeWide(v, bits)
	if err != nil {
		return nil, fmt.Errorf("%s: aggregate cannot be shared: %w", c.Session.Self, err)
	}
	total, err := SecureSumWide(ctx, c.Session, enc, WideLimbs(bits), c.Deciders)
	if err != nil || total == nil {
		return nil, err
	}
	out, err := DecodeWide(total, bits)
	if err == nil {
		for _, v := range out {
			c.Session.RecordOpened(v)
		}
	}
	return out, err
}

// Decider reports whether this party sees totals.
func (c *Combiner) Decider() bool { return slices.Contains(c.Deciders, c.Session.Self) }

func (c *Combiner) open() bool { return len(c.Deciders) == len(c.Session.Parties) }

// Decide makes the first decider's v known to every party, exactly (the
// float64 bits travel). When every party decides, nothing is sent.
func (c *Combiner) Decide(ctx context.Context, v []float64) ([]float64, error) {
	if c.open() {
		return v, nil
	}
	step := c.Session.Step("decide")
	leader := c.Deciders[0]
	if c.Session.Self == leader {
		body := make([]byte, 8*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint64(body[8*i:], math.Float64bits(x))
		}
		err := exchangeTo(ctx, c.Session, step, c.Session.Others(), func(string) []byte { return body }, nil, nil)
		return v, err
	}
	var got []float64
	err := exchangeTo(ctx, c.Session, step, nil, nil, []string{leader}, func(p string, body []byte) error {
		if len(body)%8 != 0 {
			return fmt.Errorf("decision of %d bytes", len(body))
		}
		got = make([]float64, len(body)/8)
		for i := range got {
			got[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		}
		return nil
	})
	if err == nil {
		c.Session.RecordOpened(floatsAsAny(got)...)
	}
	return got, err
}

// floatsAsAny lists v's values for the audit.
func floatsAsAny(v []float64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// Check applies the party's disclosure rule.
func (c *Combiner) Check(what string, counts []float64) error {
	if c.CheckFunc == nil {
		return nil
	}
	return c.CheckFunc(what, counts)
}
