package mpc

import (
	"fmt"
	"math"
)

// Fixed-point encoding of reals.
//
// A real x is encoded as the integer X = round(x * 2^FracBits), carried as
// one wide element of WordsPerReal limbs: X's two's complement modulo
// 2^128. Encoded reals are added with SecureSumWide(..., WordsPerReal, ...),
// which carries from the low limb into the high one, so the total opened
// is ΣX and nothing else: the integer and fractional parts of the values
// are never summed apart. A sum of m values is exact in the integer part
// and carries at most m rounding errors of 2^-(FracBits+1) each in the
// fraction.
const (
	// FracBits is the number of fractional bits: reals are resolved to
	// 2^-32 ≈ 2.3e-10.
	FracBits = 32
	// MaxAbs bounds the magnitude of one encoded real (2^55 ≈ 3.6e16), so
	// that sums over up to MaxParties parties cannot overflow.
	MaxAbs = 1 << 55
	// MaxParties is the largest number of parties one session may have.
	MaxParties = 64
	// WordsPerReal is the number of ring elements (limbs of one wide
	// element) one real occupies.
	WordsPerReal = 2
)

const fracScale = 1 << FracBits

// EncodeReals encodes each value as one wide element of WordsPerReal
// limbs. It rejects NaN, infinities and values of magnitude MaxAbs or more
// with an error that names the index.
func EncodeReals(x []float64) ([]uint64, error) {
	out := make([]uint64, WordsPerReal*len(x))
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("value %d is %v: only finite numbers can be shared", i, v)
		}
		if math.Abs(v) >= MaxAbs {
			return nil, fmt.Errorf("value %d (%g) is too large: fixed-point numbers must satisfy |x| < 2^55", i, v)
		}
		whole := math.Floor(v)
		frac := math.Round((v - whole) * fracScale) // exact: v - floor(v) is representable
		if frac >= fracScale {
			frac -= fracScale
			whole++
		}
		// X = whole·2^32 + frac, |X| < 2^88: the low limb holds X's low 64
		// bits, the high one the rest, sign-extended.
		w := int64(whole)
		out[2*i] = uint64(w)<<FracBits | uint64(frac)
		out[2*i+1] = uint64(w >> (64 - FracBits))
	}
	return out, nil
}

// DecodeReals turns a sum of encoded reals back into float64 values. A
// total beyond what MaxParties values below MaxAbs can reach is an error.
func DecodeReals(w []uint64) ([]float64, error) {
	if len(w)%WordsPerReal != 0 {
		return nil, fmt.Errorf("decode reals: %d words is not a multiple of %d", len(w), WordsPerReal)
	}
	out := make([]float64, len(w)/WordsPerReal)
	for i := range out {
		lo, hi := w[2*i], w[2*i+1]
		// The whole part X >> FracBits must fit an int64: hi is then the
		// sign extension of its own bit FracBits-1.
		if top := int64(hi) >> (FracBits - 1); top != 0 && top != -1 {
			return nil, fmt.Errorf("decode reals: total %d is out of range", i)
		}
		whole := int64(hi<<(64-FracBits) | lo>>FracBits)
		frac := lo & (fracScale - 1)
		out[i] = float64(whole) + float64(frac)/fracScale
	}
	return out, nil
}
