package mpc

import (
	"encoding/binary"
	"math/bits"
)

// psiU256 is a 256-bit number as four little-endian 64-bit limbs.
type psiU256 [4]uint64

// psiFieldP is 2^255 − 19 as a psiU256.
var psiFieldP = psiU256{0xffffffffffffffed, 0xffffffffffffffff, 0xffffffffffffffff, 0x7fffffffffffffff}

// psiLegendre returns the Legendre symbol (a | 2^255 − 19) of a 32-byte
// big-endian number below 2^255 − 19: 1 for a nonzero square, −1 for a
// non-square, 0 for zero. It is the binary Jacobi symbol algorithm on fixed
// 256-bit limbs, about four times faster than big.Jacobi and free of
// allocations; each turn of the loop shortens a or n by a bit at least, so it
// ends within 512 turns. Its running time depends on a, which is a public
// value or a hash of the party's own item.
func psiLegendre(be []byte) int {
	var a psiU256
	for i := range a {
		a[i] = binary.BigEndian.Uint64(be[32-8*(i+1):])
	}
	n := psiFieldP
	t := 1
	for {
		if a == (psiU256{}) {
			if n == (psiU256{1}) {
				return t
			}
			return 0
		}
		for a[0] == 0 { // dividing by 2^64, an even power of two, keeps t
			a[0], a[1], a[2], a[3] = a[1], a[2], a[3], 0
		}
		if v := uint(bits.TrailingZeros64(a[0])); v > 0 {
			a[0] = a[0]>>v | a[1]<<(64-v)
			a[1] = a[1]>>v | a[2]<<(64-v)
			a[2] = a[2]>>v | a[3]<<(64-v)
			a[3] >>= v
			if r := n[0] & 7; v&1 == 1 && (r == 3 || r == 5) {
				t = -t // (2 | n) = −1 for n ≡ ±3 mod 8
			}
		}
		if psiLessU256(&a, &n) {
			a, n = n, a
			if a[0]&3 == 3 && n[0]&3 == 3 {
				t = -t // quadratic reciprocity
			}
		}
		var borrow uint64 // a −= n: even, not negative
		a[0], borrow = bits.Sub64(a[0], n[0], 0)
		a[1], borrow = bits.Sub64(a[1], n[1], borrow)
		a[2], borrow = bits.Sub64(a[2], n[2], borrow)
		a[3], _ = bits.Sub64(a[3], n[3], borrow)
	}
}

func psiLessU256(a, b *psiU256) bool {
	for i := 3; i >= 0; i-- {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
