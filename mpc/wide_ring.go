package mpc

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// Wide ring elements.
//
// A wide element of w limbs is an integer modulo 2^(64·w), held as w
// 64-bit words, least significant first; a vector of wide elements is the
// concatenation of its elements. Addition carries from each limb into the
// next, so the sum of wide elements stands for the sum of their integers
// (modulo 2^(64·w)), and no sum of a limb on its own is ever formed. One
// limb is the ring Z_2^64 of Split and AddInto.

// SplitWide returns n additive shares of secret over Z_2^(64·limbs): secret
// is a vector of wide elements of limbs words each; every share is
// uniformly random from rng except the last, and the shares add up (with
// carries, element by element) to secret. rng must be a CSPRNG; the shares
// are drawn in order, one read of 8·len(secret) bytes each.
func SplitWide(rng io.Reader, secret []uint64, limbs, n int) ([][]uint64, error) {
	if n < 1 {
		return nil, fmt.Errorf("split: need at least one share, got %d", n)
	}
	if limbs < 1 || len(secret)%limbs != 0 {
		return nil, fmt.Errorf("split: %d words are not whole elements of %d limbs", len(secret), limbs)
	}
	shares := make([][]uint64, n)
	last := append([]uint64(nil), secret...)
	buf := make([]byte, 8*len(secret))
	for i := 0; i < n-1; i++ {
		if _, err := io.ReadFull(rng, buf); err != nil {
			return nil, fmt.Errorf("split: random source: %w", err)
		}
		s := make([]uint64, len(secret))
		for j := range s {
			s[j] = binary.LittleEndian.Uint64(buf[8*j:])
		}
		SubWideInto(last, s, limbs)
		shares[i] = s
	}
	shares[n-1] = last
	return shares, nil
}

// AddWideInto adds src to dst, both vectors of wide elements of limbs
// words, element by element modulo 2^(64·limbs).
func AddWideInto(dst, src []uint64, limbs int) {
	if limbs == 1 {
		AddInto(dst, src)
		return
	}
	for e := 0; e+limbs <= len(dst); e += limbs {
		var carry uint64
		for j := e; j < e+limbs; j++ {
			dst[j], carry = bits.Add64(dst[j], src[j], carry)
		}
	}
}

// SubWideInto subtracts src from dst, both vectors of wide elements of
// limbs words, element by element modulo 2^(64·limbs).
func SubWideInto(dst, src []uint64, limbs int) {
	if limbs == 1 {
		for i := range dst {
			dst[i] -= src[i]
		}
		return
	}
	for e := 0; e+limbs <= len(dst); e += limbs {
		var borrow uint64
		for j := e; j < e+limbs; j++ {
			dst[j], borrow = bits.Sub64(dst[j], src[j], borrow)
		}
	}
}
