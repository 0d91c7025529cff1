package mpc

import (
	"encoding/binary"
	"fmt"
	"math/big"
)

// Wide integers: signed integers of any public width, carried exactly.
//
// An integer v with |v| < 2^bits travels as one wide element of
// WideLimbs(bits) limbs: its two's complement modulo 2^(64·limbs). The
// limbs leave room for a sign bit and for the total of MaxParties such
// integers, so the sum of the elements decodes to the exact total.

// MaxWideBits bounds the width of one wide integer.
const MaxWideBits = 1 << 16

// wideHeadroom is what a wide element holds above its integer's
// magnitude: a sign bit and log2(MaxParties) bits for a total.
const wideHeadroom = 7

// WideLimbs returns the number of limbs of the wide element that carries
// integers below 2^bits in magnitude, and totals of up to MaxParties of
// them, exactly.
func WideLimbs(bits int) int { return (bits + wideHeadroom + 63) / 64 }

// EncodeWide writes each integer of v as one wide element of
// WideLimbs(bits) limbs. It rejects a width outside 1..MaxWideBits, and a
// nil or too large integer with an error that names its index.
func EncodeWide(v []*big.Int, bits int) ([]uint64, error) {
	if bits < 1 || bits > MaxWideBits {
		return nil, fmt.Errorf("wide integers of %d bits: the width must be 1 to %d", bits, MaxWideBits)
	}
	limbs := WideLimbs(bits)
	modulus := new(big.Int).Lsh(big.NewInt(1), uint(64*limbs))
	out := make([]uint64, limbs*len(v))
	buf := make([]byte, 8*limbs)
	limit := new(big.Int).Lsh(big.NewInt(1), uint(bits))
	t := new(big.Int)
	for i, x := range v {
		if x == nil {
			return nil, fmt.Errorf("wide integer %d is missing", i)
		}
		if x.CmpAbs(limit) >= 0 {
			return nil, fmt.Errorf("wide integer %d is too large: it must lie below 2^%d in magnitude", i, bits)
		}
		t.Set(x)
		if t.Sign() < 0 {
			t.Add(t, modulus)
		}
		t.FillBytes(buf) // big-endian
		for j := range limbs {
			out[limbs*i+j] = binary.BigEndian.Uint64(buf[8*(limbs-1-j):])
		}
	}
	return out, nil
}

// DecodeWide reads wide elements of WideLimbs(bits) limbs, such as a sum
// of EncodeWide's, back into signed integers.
func DecodeWide(w []uint64, bits int) ([]*big.Int, error) {
	if bits < 1 || bits > MaxWideBits {
		return nil, fmt.Errorf("wide integers of %d bits: the width must be 1 to %d", bits, MaxWideBits)
	}
	limbs := WideLimbs(bits)
	if len(w)%limbs != 0 {
		return nil, fmt.Errorf("decode wide integers: %d words are not whole elements of %d limbs", len(w), limbs)
	}
	modulus := new(big.Int).Lsh(big.NewInt(1), uint(64*limbs))
	out := make([]*big.Int, len(w)/limbs)
	buf := make([]byte, 8*limbs)
	for i := range out {
		for j := range limbs {
			binary.BigEndian.PutUint64(buf[8*(limbs-1-j):], w[limbs*i+j])
		}
		x := new(big.Int).SetBytes(buf)
		if w[limbs*i+limbs-1]>>63 == 1 {
			x.Sub(x, modulus)
		}
		out[i] = x
	}
	return out, nil
}
