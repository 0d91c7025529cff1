package mpc

import (
	"fmt"
	"math"
)

// Fixed-point encoding of reals.
//
// A real x is encoded as the integer X = round(x * 2^FracBits) and carried in
// two ring elements: the low FracBits bits of X (unsigned) and the rest of X
// (signed, two's complement). The two words are shared and summed
// independently, so a sum of m values is exact in the integer part and carries
// at most m rounding errors of 2^-(FracBits+1) each in the fraction.
const (
	// FracBits is the number of fractional bits: reals are resolved to
	// 2^-32 ≈ 2.3e-10.
	FracBits = 32
	// MaxAbs bounds the magnitude of one encoded real (2^55 ≈ 3.6e16), so
	// that sums over up to MaxParties parties cannot overflow.
	MaxAbs = 1 << 55
	// MaxParties is the largest number of parties one session may have.
	MaxParties = 64
	// WordsPerReal is the number of ring elements one real occupies.
	WordsPerReal = 2
)

const fracScale = 1 << FracBits

// EncodeReals encodes each value as WordsPerReal ring elements. It rejects
// NaN, infinities and values of magnitude MaxAbs or more with an error that
// names the index.
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
		out[2*i] = uint64(frac)
		out[2*i+1] = uint64(int64(whole))
	}
	return out, nil
}

// DecodeReals turns a sum of encoded reals back into float64 values.
func DecodeReals(w []uint64) ([]float64, error) {
	if len(w)%WordsPerReal != 0 {
		return nil, fmt.Errorf("decode reals: %d words is not a multiple of %d", len(w), WordsPerReal)
	}
	out := make([]float64, len(w)/WordsPerReal)
	for i := range out {
		lo, hi := w[2*i], int64(w[2*i+1])
		hi += int64(lo >> FracBits)
		lo &= fracScale - 1
		out[i] = float64(hi) + float64(lo)/fracScale
	}
	return out, nil
}
