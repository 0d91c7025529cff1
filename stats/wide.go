package stats

import (
	"context"
	"fmt"
	"math/big"
)

// Moments, Bivariate and OLS send their real-valued aggregates through
// Combiner.SumWide as "wide" numbers, so that neither range nor precision
// is lost on the way.
//
// A party's aggregate x is held exactly as a big.Float and written as the
// integer X = round(x·2^-low) over a fixed, public window: magnitudes below
// 2^high, resolution 2^low; what lies below the resolution (at most
// 2^(low-1)) is dropped. The engine adds the parties' integers exactly and
// opens their totals alone, so the decider reassembles the exact sum of
// every party's aggregate, the same in every run. stats draws no
// randomness: hiding each party's integer is the engine's work.
const widePrec = 768 // bits of the big.Float arithmetic

// wideWindow is a public range of magnitudes, 2^low ≤ resolution and
// |x| < 2^high, that a wide real is carried in.
type wideWindow struct{ low, high int }

var (
	// momWindow carries any finite local sum of float64 values: magnitudes
	// below 2^1039, resolution 2^-1100 (below the smallest float64 product
	// of interest).
	momWindow = wideWindow{low: -1100, high: 1039}
	// quadWindow carries sums of values and of products of two values when
	// there are many of them (regression): magnitudes below 2^439 ≈ 1e132,
	// resolution 2^-400 ≈ 4e-121.
	quadWindow = wideWindow{low: -400, high: 439}
)

// limitExp is the binary exponent of the magnitude a party's value must
// stay below.
func (w wideWindow) limitExp() int { return w.high }

// bits is the width of the integers a window's reals travel as: a party's
// |X| ≤ 2^(high-low) < 2^bits.
func (w wideWindow) bits() int { return w.high - w.low + 1 }

// exactPrec is a precision at which the total of a wide real of window w
// is exact: a total over up to 64 parties is an integer below
// 2^(bits+6) times 2^low.
func (w wideWindow) exactPrec() uint { return uint(w.bits() + 64) }

// wideVec is the vector one party contributes: exact counts, then wide
// reals of one window, in an order every party follows.
type wideVec struct {
	w      wideWindow
	v      []*big.Int
	counts int // how many of v are counts
}

func newWideVec(w wideWindow) *wideVec { return &wideVec{w: w} }

// count appends an exact count (a whole number below 2^53); the counts
// come before the reals.
func (b *wideVec) count(n float64) {
	i, _ := big.NewFloat(n).Int(nil)
	b.v = append(b.v, i)
	b.counts++
}

// reals appends each of xs as real does; what(i) names xs[i] in errors.
func (b *wideVec) reals(xs []*big.Float, what func(i int) string) error {
	for i, x := range xs {
		if err := b.real(x, what(i)); err != nil {
			return err
		}
	}
	return nil
}

// wideTotals is a combined vector read back: the totals of its counts and
// of its reals, in the order they were written.
type wideTotals struct {
	counts []float64
	reals  []*big.Float
}

// total adds the vector across the parties with one Combiner.SumWide and
// reads the totals back at a deciding party; the others get nil.
func (b *wideVec) total(ctx context.Context, c Combiner) (*wideTotals, error) {
	r, err := b.combine(ctx, c)
	if err != nil || r == nil {
		return nil, err
	}
	t := &wideTotals{counts: make([]float64, b.counts), reals: make([]*big.Float, len(b.v)-b.counts)}
	for i := range t.counts {
		t.counts[i] = r.count()
	}
	for i := range t.reals {
		t.reals[i] = r.real()
	}
	return t, r.done()
}

// real appends x as an integer of the vector's window; what names x in the
// error returned when x lies outside the window.
func (b *wideVec) real(x *big.Float, what string) error {
	if x.IsInf() {
		return fmt.Errorf("%s is not finite", what)
	}
	if x.Sign() != 0 && x.MantExp(nil) > b.w.limitExp() {
		f, _ := x.Float64()
		return fmt.Errorf("%s is too large to carry (|%.3g| ≥ 2^%d): the values, or their distance from the shift, are too large", what, f, b.w.limitExp())
	}
	b.v = append(b.v, wideRound(x, b.w.low))
	return nil
}

// wideRound returns x·2^-low rounded to the nearest integer, halves away
// from zero.
func wideRound(x *big.Float, low int) *big.Int {
	prec := max(x.Prec(), 64)
	t := new(big.Float).SetPrec(prec).SetMantExp(x, -low) // exact
	i, _ := t.Int(nil)                                    // towards zero
	// The fraction t - i is exact: its bits are some of t's.
	frac := new(big.Float).SetPrec(prec).Sub(t, new(big.Float).SetInt(i))
	if frac.Abs(frac).Cmp(big.NewFloat(0.5)) >= 0 {
		i.Add(i, big.NewInt(int64(t.Sign())))
	}
	return i
}

// combine adds the vector across the parties with one Combiner.SumWide and
// returns a reader of the totals at a deciding party, nil elsewhere.
func (b *wideVec) combine(ctx context.Context, c Combiner) (*wideReader, error) {
	total, err := c.SumWide(ctx, b.v, b.w.bits())
	if err != nil || !c.Decider() {
		return nil, err
	}
	return &wideReader{w: b.w, v: total}, nil
}

// wideReader reads a combined wide vector in the order it was written.
type wideReader struct {
	w   wideWindow
	v   []*big.Int
	i   int
	err error
}

func (r *wideReader) next() *big.Int {
	if r.err != nil {
		return nil
	}
	if r.i >= len(r.v) || r.v[r.i] == nil {
		r.err = fmt.Errorf("combined vector has %d values, want at least %d", len(r.v), r.i+1)
		return nil
	}
	r.i++
	return r.v[r.i-1]
}

// count reads an exact count.
func (r *wideReader) count() float64 {
	x := r.next()
	if x == nil {
		return 0
	}
	f, _ := new(big.Float).SetInt(x).Float64()
	return f
}

// real reads the total of a wide real, exactly: it is the sum of what the
// parties contributed and depends on nothing else, so it never varies
// between runs.
func (r *wideReader) real() *big.Float {
	x := r.next()
	if x == nil {
		return new(big.Float)
	}
	f := new(big.Float).SetPrec(r.w.exactPrec()).SetInt(x)
	return f.SetMantExp(f, r.w.low)
}

// done reports a read error or values left over.
func (r *wideReader) done() error {
	if r.err == nil && r.i != len(r.v) {
		r.err = fmt.Errorf("combined vector has %d values, want %d", len(r.v), r.i)
	}
	return r.err
}

// prefixed is err with what before it, nil when err is nil.
func prefixed(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
